#ifndef PCS_TRAINING_LABELED_DATASET_H_
#define PCS_TRAINING_LABELED_DATASET_H_

#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/bar.h"
#include "training/experiment_columns.h"

namespace pcs {

// Resolved pattern events joined with their features: the rows `pcs train`
// fits on and `pcs evaluate` scores.
//
// LoadLabeledDataset reads resolved pattern_events (outcome_label not NULL)
// and price_bars from PostgreSQL and builds, per pattern, the FeatureBuilder
// vector (the one feature code shared with serving) and the analytic
// Brownian baseline. Work is spread over `threads` workers by symbol, each
// with its own connection; the result is sorted by pattern id, so it does
// not depend on thread timing.
//
// Nothing is dropped silently: a pattern whose features cannot be built
// (e.g. its confirmation bar is missing) is counted in `feature_failures`
// with its id and reason.
//
// Threading: the function is thread-safe; the result is a plain value.
struct LabeledExample {
  std::string id;
  std::string symbol;
  std::string pattern_type;
  Day confirmation_day = 0;
  Day resolved_day = -1;  // outcome_resolved_at, -1 when absent
  int horizon_bars = 40;
  int label = 0;
  double rule_confidence = 0;
  double analytic_probability = 0;  // NaN when volatility is unavailable
  // The outcome in money: realized_pnl = signed (exit - entry) / entry
  // (lifecycle/outcome_labeler.h); r_multiple = realized_pnl / the stop
  // distance |entry - stop| / entry (NaN when that distance is 0).
  double realized_pnl = 0;
  double r_multiple = 0;
  std::vector<float> features;  // FeatureBuilder::Schema() order, then the
                                // dataset's experiment_columns
  // The row's starting margin when the analytic_base_margin experiment is
  // on (AnalyticBaseMargin); NaN otherwise (boosting starts at base_score).
  double margin_offset = std::numeric_limits<double>::quiet_NaN();
};

struct DatasetLoadOptions {
  std::string conninfo;               // required
  std::vector<std::string> symbols;   // empty = all symbols with patterns
  std::string market_symbol = "DIA";  // market context for the features
  std::optional<Day> from;            // confirmation_date >= from
  std::optional<Day> to;              // confirmation_date <= to
  int threads = 2;
  int volatility_window = 20;    // bars, for the analytic baseline
  ExperimentColumns experiment;  // opt-in training-only inputs (none)
};

struct LabeledDataset {
  std::vector<LabeledExample> examples;  // sorted by id
  std::vector<std::string> symbols;      // symbols with >= 1 example, sorted
  int patterns_loaded = 0;               // resolved patterns read
  std::vector<std::string> feature_failures;  // "id (symbol): reason"
  bool market_available = false;
  std::map<std::string, int> rows_by_type;
  // Names of the experiment columns appended to every row's features.
  std::vector<std::string> experiment_columns;
};

// FeatureBuilder::Schema().names followed by ds.experiment_columns: the
// columns of every row of `ds`.
std::vector<std::string> FeatureNames(const LabeledDataset& ds);

absl::StatusOr<LabeledDataset> LoadLabeledDataset(
    const DatasetLoadOptions& options);

}  // namespace pcs

#endif  // PCS_TRAINING_LABELED_DATASET_H_
