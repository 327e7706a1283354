#ifndef PCS_PIPELINE_BASELINE_REPORT_H_
#define PCS_PIPELINE_BASELINE_REPORT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/bar.h"
#include "pipeline/bulkowski_reference.h"

namespace pcs {

struct BaselineOptions {
  // libpq conninfo of a database holding pattern_events and price_bars.
  std::string conninfo;
  // Only patterns confirmed in [from, to] (inclusive); unset = all.
  std::optional<Day> from;
  std::optional<Day> to;
  BulkowskiOptions bulkowski;
};

// Statistics of one (pattern type, direction) group, or of all patterns.
struct BaselineGroup {
  std::string pattern_type;  // PatternTypeName, or "all"
  std::string direction;     // "bullish" / "bearish", or "all"
  int64_t count = 0;         // every stored pattern of the group
  // --- our triple-barrier labels (over resolved patterns) ---
  int64_t resolved = 0;       // outcome_label not NULL
  int64_t target_hits = 0;    // label 1 (exit "target")
  int64_t stop_exits = 0;     // exit "stop"
  int64_t horizon_exits = 0;  // exit "horizon"
  double target_rate = 0;     // target_hits / resolved
  // Mean over patterns of the chance that a driftless random walk from the
  // entry touches the target before the stop (no horizon):
  // |entry - stop| / (|entry - stop| + |target - entry|). What the
  // target/stop geometry alone predicts, for comparison with target_rate.
  double random_walk_target_odds = 0;
  double failure_rate = 0;      // stop_exits / resolved
  double avg_realized_pnl = 0;  // mean over resolved
  double avg_max_drawdown = 0;  // mean over resolved
  // --- Bulkowski definitions (over patterns whose bars were found) ---
  int64_t bk_measured = 0;
  int64_t bk_trend_open = 0;      // data ended before the trend reversed
  double bk_target_rate = 0;      // target met before the trend reversed
  double bk_target_any_rate = 0;  // target touched at any later bar
  double bk_failure_rate = 0;     // < 5% beyond the breakout level
  double bk_avg_ultimate_move = 0;
  BulkowskiReference reference;  // his published figure
};

// The whole report.
struct BaselineReport {
  std::vector<BaselineGroup> groups;  // by type name, then direction
  BaselineGroup total;
  // (pattern type, confirmation year) -> count of stored patterns.
  std::map<std::pair<std::string, int>, int64_t> counts_by_type_year;
  int64_t symbols = 0;
  BulkowskiOptions bulkowski;

  std::string ToJson() const;  // pretty-printed JSON
  std::string ToText() const;  // aligned text tables
};

// Reads every stored pattern (PatternEventStore::LoadPatterns) and the bars
// of their symbols (LoadBarSeries), and computes the report.
absl::StatusOr<BaselineReport> ComputeBaselineReport(
    const BaselineOptions& options);

// Writes `<out_dir>/baseline.json` and `<out_dir>/baseline.txt` (creating
// the folder).
absl::Status WriteBaselineReport(const BaselineReport& report,
                                 const std::string& out_dir);

}  // namespace pcs

#endif  // PCS_PIPELINE_BASELINE_REPORT_H_
