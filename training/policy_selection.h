#ifndef PCS_TRAINING_POLICY_SELECTION_H_
#define PCS_TRAINING_POLICY_SELECTION_H_

// Choosing and measuring the decision policy (model/decision_policy.h):
// confirm when w * score + (1 - w) * rule >= t.
//
// ChoosePolicy runs on the POOLED WALK-FORWARD OUT-OF-SAMPLE predictions
// (never a holdout) and follows the plan's objective: the most true-positive
// confirmations subject to precision >= the rule's precision at the rule's
// own threshold. Robustly:
//   - for every blend weight w in `blend_weights` and every threshold t on a
//     grid (`threshold_step`), the precision difference policy - rule is
//     bootstrapped over symbols (the rule's precision recomputed in every
//     resample); t is feasible when the difference's 95% lower bound is >= 0;
//   - for each w the chosen t is the LOWEST t that is feasible together with
//     every grid threshold up to t + `stable_width`, so the policy never sits
//     on the edge of a calibration step or a lucky spike (the calibration
//     itself is already piecewise-linear between isotonic block centres,
//     model/calibrator.h);
//   - among the weights, the most point-estimate true positives wins (ties:
//     higher precision, then higher w).
// The chosen policy's figures (evidence) are then measured by
// MeasurePolicy: rule and policy operating points, TP lift and precision
// difference with symbol-bootstrap intervals, and the sensitivity table at
// t - 0.02, t, t + 0.02.
//
// Deterministic (fixed bootstrap seed, rows in the caller's order). Pure
// computation; thread-compatible.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/decision_policy.h"
#include "nlohmann/json.hpp"
#include "training/matched_coverage.h"

namespace pcs {

// The pooled rows a policy is chosen or measured on.
struct PolicyRows {
  std::vector<std::string> symbols;  // bootstrap groups
  std::vector<int> labels;           // 0/1
  std::vector<double> rule;          // rule confidence
};

struct PolicyOptions {
  std::vector<double> blend_weights = {0.25, 0.5, 0.75, 1.0};
  double rule_threshold = 0.5;
  double threshold_low = 0.05;
  double threshold_high = 0.95;
  double threshold_step = 0.005;
  double stable_width = 0.02;
  double sensitivity_step = 0.02;
  double precision_tolerance = 0.02;  // written into the policy (monitoring)
  // A threshold is feasible when the precision difference's lower bound is
  // >= this (0: the plan's constraint; tests may relax it).
  double min_precision_diff_ci_low = 0.0;
  int resamples = 1000;
  uint64_t seed = 20240605;
};

// One blend weight's best threshold.
struct WeightChoice {
  double blend_weight = 0;
  bool found = false;  // some threshold met the precision constraint
  OperatingPointFigures point;
  double precision_diff_ci_low = 0;
};

struct PolicyChoice {
  bool found = false;     // some (w, t) met the constraint
  DecisionPolicy policy;  // evidence filled by MeasurePolicy; valid if found
  std::vector<WeightChoice> per_weight;
};

// The blended confidence of one row (the serving blend, clamping included).
double PolicyBlend(double rule, double score, double blend_weight);

absl::StatusOr<PolicyChoice> ChoosePolicy(const PolicyRows& rows,
                                          const std::vector<double>& score,
                                          const PolicyOptions& options);

// The evidence of a fixed policy (w, t) on `rows` scored by `score`.
absl::StatusOr<PolicyEvidence> MeasurePolicy(const PolicyRows& rows,
                                             const std::vector<double>& score,
                                             double blend_weight,
                                             double threshold,
                                             const PolicyOptions& options);

// TP(a) / TP(b) - 1 for two fixed policies on the same rows, with a symbol
// bootstrap interval (the policies are not re-chosen per resample).
struct TruePositiveComparison {
  int true_positives_a = 0;
  int true_positives_b = 0;
  double lift = 0;
  Interval ci;
};
absl::StatusOr<TruePositiveComparison> CompareTruePositives(
    const PolicyRows& rows, const std::vector<double>& score_a, double w_a,
    double t_a, const std::vector<double>& score_b, double w_b, double t_b,
    const PolicyOptions& options);

nlohmann::json WeightChoicesJson(const std::vector<WeightChoice>& choices);

}  // namespace pcs

#endif  // PCS_TRAINING_POLICY_SELECTION_H_
