#ifndef PCS_DB_DATABASE_SUMMARY_H_
#define PCS_DB_DATABASE_SUMMARY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/bar.h"
#include "db/database.h"

namespace pcs {

// What the pipeline tables hold, for `pcs status`.
struct DatabaseSummary {
  int64_t bars = 0;
  int64_t symbols = 0;
  std::optional<Day> first_day;  // none when price_bars is empty
  std::optional<Day> last_day;
  int64_t zero_volume_bars = 0;
  // (reason, rows) of ingest_rejects, by reason.
  std::vector<std::pair<std::string, int64_t>> rejects_by_reason;
  int64_t ingest_runs = 0;
  // (lifecycle_state, patterns) of pattern_events, by state.
  std::vector<std::pair<std::string, int64_t>> patterns_by_state;
};

// Reads the summary in one read-only transaction on `conn` (errors as
// db/transaction.h maps them). One thread at a time per connection.
absl::StatusOr<DatabaseSummary> LoadDatabaseSummary(DbConnection& conn);

}  // namespace pcs

#endif  // PCS_DB_DATABASE_SUMMARY_H_
