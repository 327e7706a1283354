// `pcs migrate`: apply pending schema migrations and report what was done.

#include <iostream>

#include "absl/strings/str_join.h"
#include "cli/command_context.h"
#include "cli/command_registry.h"

namespace pcs::cli {
namespace {

class MigrateCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.footer(
        "Applies migrations/*.sql not yet in schema_migrations, each in "
        "its own transaction; refuses if an applied file changed.");
  }

  absl::Status Run(const GlobalFlags& flags) override {
    auto db = OpenDatabase(flags);
    if (!db.ok()) return db.status();
    MigrationReport report;
    if (auto s = Migrate((*db)->conninfo(), flags.migrations_dir, &report);
        !s.ok()) {
      return s;
    }
    std::cout << "database: " << (*db)->Describe()
              << ((*db)->embedded() ? " (embedded)" : "") << "\n";
    if (report.applied.empty()) {
      std::cout << "schema up to date (" << report.already_applied
                << " migrations already applied)\n";
    } else {
      std::cout << "applied " << report.applied.size()
                << " migration(s): " << absl::StrJoin(report.applied, ", ")
                << "\n";
    }
    std::cout << "schema version: " << report.latest_version << "\n";
    return absl::OkStatus();
  }
};

PCS_REGISTER_COMMAND(MigrateCommand, "migrate",
                     "Apply pending database schema migrations");

}  // namespace
}  // namespace pcs::cli
