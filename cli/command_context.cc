#include "cli/command_context.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

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

absl::StatusOr<std::unique_ptr<Database>> OpenMigratedDatabaseToWrite(
    const GlobalFlags& flags, const std::string& command,
    MigrationReport* report) {
  const char* env_url = std::getenv("PCS_DATABASE_URL");
  const bool chosen = !flags.database_url.empty() ||
                      (env_url != nullptr && *env_url != '\0') ||
                      !flags.embedded_root.empty();
  if (!chosen) {
    return UsageError(absl::StrCat(
        "no database given: `pcs ", command,
        "` writes results that must outlast it, and without --database-url, "
        "$PCS_DATABASE_URL or --embedded-root it would write them into a "
        "throwaway cluster deleted when it ends. Give one of them, e.g. "
        "--embedded-root .pcs/pg or --database-url "
        "'host=/tmp port=5432 dbname=pcs'"));
  }
  return OpenMigratedDatabase(flags, report);
}

bool StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

absl::Status WriteFileAtomically(const std::string& path,
                                 const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out.good())
      return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

}  // namespace pcs::cli
