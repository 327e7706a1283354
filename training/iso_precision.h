#ifndef PCS_TRAINING_ISO_PRECISION_H_
#define PCS_TRAINING_ISO_PRECISION_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "training/evaluation.h"
#include "training/matched_coverage.h"

namespace pcs {

// The iso-precision figure: at the rule's own operating point (its default
// threshold: n_rule patterns at precision p_rule), the largest number of
// patterns the model can confirm (its top n) with precision >= p_rule.
struct IsoPrecision {
  int rule_count = 0;
  int rule_true_positives = 0;
  double rule_precision = 0;
  int model_count = 0;
  int model_true_positives = 0;
  double model_precision = 0;
  int extra_true_positives = 0;  // model - rule
  double extra_relative = 0;     // model TP / rule TP - 1
  Interval extra_relative_ci;    // symbol bootstrap
};

// The figure on every row of `in` (rule threshold `threshold`), with a
// symbol-group bootstrap interval of extra_relative when resamples > 0.
absl::StatusOr<IsoPrecision> ComputeIsoPrecision(const EvaluationInput& in,
                                                 double threshold,
                                                 int resamples, uint64_t seed);

// The report/card JSON of `r`, with its definition.
nlohmann::json IsoPrecisionJson(const IsoPrecision& r, double threshold);

}  // namespace pcs

#endif  // PCS_TRAINING_ISO_PRECISION_H_
