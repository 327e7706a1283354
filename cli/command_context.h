#ifndef PCS_CLI_COMMAND_CONTEXT_H_
#define PCS_CLI_COMMAND_CONTEXT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cli/command_registry.h"
#include "db/database.h"
#include "db/migrator.h"

namespace pcs::cli {

// Opens the database chosen by the global flags (URL, $PCS_DATABASE_URL or
// an embedded cluster) and applies pending migrations. Every command that
// touches the database starts with this. The embedded cluster (if any)
// stops when the returned Database is destroyed. `report` is optional.
absl::StatusOr<std::unique_ptr<Database>> OpenMigratedDatabase(
    const GlobalFlags& flags, MigrationReport* report = nullptr);

// For commands that write state meant to last (outcomes, drift, snapshots,
// score): as OpenMigratedDatabase, but a usage error (exit 2) naming
// `command` when no database was chosen (no --database-url,
// $PCS_DATABASE_URL or --embedded-root / $PCS_EMBEDDED_ROOT), since the
// throwaway cluster the command would otherwise start is deleted, with what
// it wrote, when the command ends.
absl::StatusOr<std::unique_ptr<Database>> OpenMigratedDatabaseToWrite(
    const GlobalFlags& flags, const std::string& command,
    MigrationReport* report = nullptr);

// Opens the database without migrating (for `pcs migrate` itself).
absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(
    const GlobalFlags& flags);

// True when stderr is a terminal: show progress lines only then.
bool StderrIsTerminal();

// Writes `text` to `path` through `path`.tmp and a rename, so a reader (the
// node-exporter textfile collector) never sees half a file.
absl::Status WriteFileAtomically(const std::string& path,
                                 const std::string& text);

}  // namespace pcs::cli

#endif  // PCS_CLI_COMMAND_CONTEXT_H_
