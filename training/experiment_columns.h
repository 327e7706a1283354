#ifndef PCS_TRAINING_EXPERIMENT_COLUMNS_H_
#define PCS_TRAINING_EXPERIMENT_COLUMNS_H_

#include <string>
#include <vector>

#include "core/bar.h"
#include "lifecycle/pattern.h"

namespace pcs {

// Opt-in inputs of the "toward beating geometry" experiments
// (docs/TRAINING.md): the `experiment` section of the training config or
// `pcs train --experiment`. They exist only in training; the served feature
// schema (features/feature_list.h) has none of them, so a run with any of
// them on is never promoted (the gate says so) and its model cannot be
// served. Adopting one means moving it into features/ and retraining.
struct ExperimentColumns {
  // Appends the analytic barrier probability as a column.
  bool analytic_feature = false;
  // Starts every row's boosting at the logit of the analytic probability
  // (XGBoost base_margin), so the trees learn a correction to geometry.
  bool analytic_base_margin = false;
  // Appends the pattern's return minus the market's (DIA) over 5, 20, 120
  // and 250 bars, signed by direction (the schema has the 60-bar one).
  bool relative_strength = false;

  bool Any() const {
    return analytic_feature || analytic_base_margin || relative_strength;
  }
};

// The names of the appended columns, in order.
std::vector<std::string> ExperimentColumnNames(const ExperimentColumns& e);

// The appended column values of a pattern whose confirmation bar is
// bars[index]; `market` may be null (relative strength is then NaN).
std::vector<float> ExperimentColumnValues(const ExperimentColumns& e,
                                          const Pattern& pattern,
                                          const BarSeries& bars, int index,
                                          const BarSeries* market,
                                          double analytic_probability);

// The starting margin of a row: logit of the analytic probability clamped to
// [0.001, 0.999]; 0 (probability 1/2) when the probability is NaN.
float AnalyticBaseMargin(double analytic_probability);

// "analytic_feature,relative_strength" (the names `--experiment` takes), or
// "none".
std::string ExperimentColumnsText(const ExperimentColumns& e);

}  // namespace pcs

#endif  // PCS_TRAINING_EXPERIMENT_COLUMNS_H_
