#ifndef PCS_TESTS_REGRESSION_REGRESSION_ENV_H_
#define PCS_TESTS_REGRESSION_REGRESSION_ENV_H_

// Helpers of the Phase 5 regression suite (tests/regression/): truncated
// copies of the shared OHLCV files, running the built `pcs` binary, and
// small SQL reads. Nothing here is a fake: the files are real shared data,
// the binary is the one operators run, the database is a real PostgreSQL.

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace pcs::testing {

// Copies `<source_dir>/<symbol>.csv` to `<target_dir>/<symbol>.csv`, keeping
// the header and every line whose date (the first field) is before `cutoff`
// ("YYYY-MM-DD", compared as text; lines without a date, e.g. empty rows,
// are kept so the ingester still sees the dirt). Returns the number of data
// lines written.
absl::StatusOr<int> WriteTruncatedCsv(const std::string& source_dir,
                                      const std::string& symbol,
                                      const std::string& cutoff,
                                      const std::filesystem::path& target_dir);

struct CommandResult {
  int exit_code = -1;  // -1 when the process did not exit normally
  std::string output;  // stdout and stderr interleaved
};

// Runs `argv[0]` with `argv` (no shell), capturing stdout+stderr.
CommandResult RunProgram(const std::vector<std::string>& argv);

// The first `count` stock files (by name; `market` excluded) in `dir` that
// hold (almost) every trading day of 2000-2018: more than 4700 lines (4780
// when complete).
std::vector<std::string> FullHistorySymbols(const std::string& dir, int count,
                                            const std::string& market = "DIA");

// The JSON object printed last on a command's stdout (commands may log lines
// before it); null when there is none.
nlohmann::json LastJsonObject(const std::string& output);

// One scalar of a SQL query (first row, first column) as text; "" for NULL.
std::string QueryScalar(const std::string& conninfo, const std::string& sql);

}  // namespace pcs::testing

#endif  // PCS_TESTS_REGRESSION_REGRESSION_ENV_H_
