#ifndef PCS_DB_MIGRATOR_H_
#define PCS_DB_MIGRATOR_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pcs {

// One schema migration file: `<version>_<name>.sql` in the migrations folder,
// e.g. `0002_pattern_events.sql` -> version 2. Versions are unique integers;
// files are applied in increasing version order.
struct MigrationFile {
  int version = 0;
  std::string file_name;  // "0002_pattern_events.sql"
  std::string path;
  std::string sql;
};

struct MigrationReport {
  std::vector<std::string> applied;  // file names applied by this call
  int already_applied = 0;           // files found applied (checksum verified)
  int latest_version = 0;            // highest version applied after the call
};

// Default folder: the repository's migrations/.
inline constexpr char kDefaultMigrationsDir[] = PCS_SOURCE_DIR "/migrations";

// Reads and orders the *.sql files of `dir` (other files are ignored). Error
// for a .sql file without a numeric version prefix or a duplicated version.
absl::StatusOr<std::vector<MigrationFile>> ListMigrationFiles(
    const std::string& dir);

// Brings the database at `conninfo` to the latest schema: every pending file
// runs in its own transaction together with its row in schema_migrations
// (version, name, sha256 checksum of the file, applied_at). Re-running is a
// no-op. Refuses (FailedPrecondition naming the file) when an applied file's
// checksum changed or an applied version has no file. Holds a session
// advisory lock for the whole run, so concurrent callers (several processes
// or threads) all succeed and each migration is applied exactly once.
// `report` is optional.
absl::Status Migrate(const std::string& conninfo,
                     const std::string& migrations_dir,
                     MigrationReport* report = nullptr);

}  // namespace pcs

#endif  // PCS_DB_MIGRATOR_H_
