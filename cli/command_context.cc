#include "cli/command_context.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace pcs::cli {
absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(
    const GlobalFlags& flags) {
  DatabaseOptions options;
  options.url = flags.database_url;
  options.embedded_root = flags.embedded_root;
  return Database::Open(options);
}

absl::StatusOr<std::unique_ptr<Database>> OpenMigratedDatabase(
    const GlobalFlags& flags, MigrationReport* report) {
  auto db = OpenDatabase(flags);
  if (!db.ok()) return db.status();
  if (auto s = Migrate((*db)->conninfo(), flags.migrations_dir, report);
      !s.ok()) {
    return s;
  }
  return db;
}

bool StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

}  // namespace pcs::cli
