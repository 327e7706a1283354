// `pcs`: the offline pipeline binary. Subcommands register themselves (see
// cli/command_registry.h); this file only wires flags, parsing and exit codes.

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/command_registry.h"
#include "core/version.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntimeError = 1;
constexpr int kExitUsage = 2;

}  // namespace

int main(int argc, char** argv) {
  using pcs::cli::Command;
  using pcs::cli::GlobalFlags;
  // Named, so that help shows "Usage: pcs", not the path it was started by.
  CLI::App app{"pcs: Pattern Confidence Service offline pipeline", "pcs"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags may follow the subcommand name
  app.set_version_flag("--version", pcs::VersionLine("pcs"),
                       "Print the version and git commit, then exit");
  GlobalFlags flags;
  app.add_option("--database-url", flags.database_url,
                 "libpq conninfo or postgresql:// URL (default: "
                 "$PCS_DATABASE_URL, else an embedded throwaway cluster)");
  app.add_option("--embedded-root", flags.embedded_root,
                 "Keep the embedded cluster's data in this folder between "
                 "runs (default: $PCS_EMBEDDED_ROOT, else a temp folder)")
      ->envname("PCS_EMBEDDED_ROOT");
  app.add_option("--migrations-dir", flags.migrations_dir,
                 "Schema migrations folder (default: $PCS_MIGRATIONS_DIR, "
                 "else the source tree's migrations/)")
      ->envname("PCS_MIGRATIONS_DIR");

  struct Entry {
    std::string name;
    CLI::App* sub;
    std::unique_ptr<Command> command;
  };
  std::vector<Entry> entries;
  for (const auto& info : pcs::cli::CommandRegistry::Global().commands()) {
    Entry entry{info.name, app.add_subcommand(info.name, info.description),
                info.factory()};
    entry.command->Configure(*entry.sub);
    entries.push_back(std::move(entry));
  }

  // CLI11 reports an unknown first word as "a subcommand is required";
  // name it instead.
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const auto& entry : entries) known = known || entry.name == argv[1];
    if (!known) {
      std::cerr << "pcs: unknown command '" << argv[1]
                << "' (run pcs --help for the list)\n";
      return kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  for (auto& entry : entries) {
    if (!entry.sub->parsed()) continue;
    const absl::Status status = entry.command->Run(flags);
    if (status.ok()) return kExitOk;
    std::cerr << "pcs " << entry.name << ": error: " << status.message()
              << "\n";
    return pcs::cli::IsUsageError(status) ? kExitUsage : kExitRuntimeError;
  }
  return kExitUsage;  // unreachable: require_subcommand(1)
}
