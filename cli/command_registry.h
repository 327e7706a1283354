#ifndef PCS_CLI_COMMAND_REGISTRY_H_
#define PCS_CLI_COMMAND_REGISTRY_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "db/migrator.h"

namespace pcs::cli {

// Flags every `pcs` subcommand understands (they may be given before or
// after the subcommand name).
struct GlobalFlags {
  // --database-url (else $PCS_DATABASE_URL, else an embedded cluster).
  std::string database_url;
  // --embedded-root (else $PCS_EMBEDDED_ROOT): keep the embedded cluster's
  // data in this folder between runs (e.g. .pcs/pg); empty = temp folder.
  std::string embedded_root;
  // --migrations-dir: schema migrations applied before a command runs.
  std::string migrations_dir = kDefaultMigrationsDir;
};

// One `pcs` subcommand. Heavy logic belongs in a library; a command parses
// its flags, calls the library and prints a summary.
class Command {
 public:
  virtual ~Command() = default;
  // Declares the subcommand's own options on `app`, bound to members.
  virtual void Configure(CLI::App& app) = 0;
  // Runs after a successful parse. Exit code: 0 for OK, 2 for a status made
  // by UsageError(), 1 for any other error (printed as one line
  // "pcs <name>: error: <message>").
  virtual absl::Status Run(const GlobalFlags& flags) = 0;
};

// A usage problem found after parsing (e.g. two flags that exclude each
// other); `pcs` exits with code 2.
absl::Status UsageError(const std::string& message);
bool IsUsageError(const absl::Status& status);

struct CommandInfo {
  std::string name;
  std::string description;
  std::function<std::unique_ptr<Command>()> factory;
};

// Process-wide list of subcommands, filled by static registrars before
// main() runs. Threading: written only during static initialisation.
class CommandRegistry {
 public:
  static CommandRegistry& Global();
  void Add(CommandInfo info);
  // Sorted by name.
  std::vector<CommandInfo> commands() const;

 private:
  std::vector<CommandInfo> commands_;
};

struct CommandRegistrar {
  CommandRegistrar(std::string name, std::string description,
                   std::function<std::unique_ptr<Command>()> factory) {
    CommandRegistry::Global().Add(
        {std::move(name), std::move(description), std::move(factory)});
  }
};

// How to add a subcommand: create cli/<name>_command.cc (the cli/
// CMakeLists.txt globs *_command.cc straight into the `pcs` executable, so
// the static registrar is always linked; re-run cmake after adding a file)
// and link your library in cli/CMakeLists.txt:
//
//   #include "cli/command_context.h"
//   #include "cli/command_registry.h"
//
//   namespace pcs::cli {
//   namespace {
//   class DetectCommand : public Command {
//    public:
//     void Configure(CLI::App& app) override {
//       app.add_option("--symbol", symbol_, "Only this symbol");
//     }
//     absl::Status Run(const GlobalFlags& flags) override {
//       auto db = OpenMigratedDatabase(flags);   // Database + migrations
//       if (!db.ok()) return db.status();
//       ... call the library, print a summary ...
//       return absl::OkStatus();
//     }
//    private:
//     std::string symbol_;
//   };
//   PCS_REGISTER_COMMAND(DetectCommand, "detect", "Detect chart patterns");
//   }  // namespace
//   }  // namespace pcs::cli
#define PCS_REGISTER_COMMAND(Class, name, description)               \
  static ::pcs::cli::CommandRegistrar pcs_command_registrar_##Class( \
      name, description,                                             \
      [] { return std::unique_ptr<::pcs::cli::Command>(new Class()); })

}  // namespace pcs::cli

#endif  // PCS_CLI_COMMAND_REGISTRY_H_
