#ifndef PCS_TRAINING_OPERATING_POINT_H_
#define PCS_TRAINING_OPERATING_POINT_H_

// The decision policy applied unchanged to evaluated patterns (`pcs
// evaluate`, and the pooled out-of-sample rows in `pcs train`): what rule-only
// (rule >= its threshold), the model's policy and the analytic baseline's
// policy each confirm, the true-positive lift and precision difference vs
// rule-only and the TP lift vs the analytic with symbol-bootstrap intervals
// (training/policy_selection.h), and the money view: mean and sum of the
// realized PnL and of the R multiple over each one's confirmations.
// Also writes predictions.csv, one row per scored pattern.
//
// Pure computation apart from WritePredictionsCsv; thread-compatible.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/decision_policy.h"
#include "model/model_card.h"
#include "nlohmann/json.hpp"
#include "training/evaluation.h"
#include "training/policy_selection.h"

namespace pcs {

// The policies applied (from the card: ServedPolicyOf and its
// analytic_baseline).
struct AppliedPolicies {
  double blend_weight = 0.5;
  double threshold = 0.5;
  bool from_card = false;  // false: the card had no policy (pre-policy
                           // default serving.blend_weight / threshold)
  double analytic_blend_weight = 0.5;
  double analytic_threshold = 0.5;
  bool analytic_from_card = false;  // false: the model's (w, t) is reused
  double rule_threshold = 0.5;
};
AppliedPolicies PoliciesOf(const ModelCard& card);

struct MoneyFigures {
  int confirmed = 0;
  int with_r = 0;  // confirmations with a finite R multiple
  double mean_pnl = 0, sum_pnl = 0;
  double mean_r = 0, sum_r = 0;
};

struct OperatingPoint {
  AppliedPolicies policies;
  PolicyEvidence model;  // rule, policy (the model's), tp_lift, precision_diff
  OperatingPointFigures analytic;
  double tp_lift_vs_analytic = 0;
  Interval tp_lift_vs_analytic_ci;
  MoneyFigures money_rule, money_model, money_analytic;
};

// `in` as given to Evaluate; pnl and r_multiple per row (same order).
absl::StatusOr<OperatingPoint> MeasureOperatingPoint(
    const EvaluationInput& in, const std::vector<double>& pnl,
    const std::vector<double>& r_multiple, const AppliedPolicies& policies);

nlohmann::json OperatingPointJson(const OperatingPoint& op);
// "## Operating point" and "## Money view" sections of report.md.
std::string OperatingPointMarkdown(const OperatingPoint& op);

// predictions.csv: id,symbol,type,decision_day,label,rule,analytic,model,
// blended,decision (confirm|reject by the policy). days: confirmation day per
// row; NaN written as empty.
absl::Status WritePredictionsCsv(const std::string& path,
                                 const EvaluationInput& in,
                                 const std::vector<std::string>& days,
                                 const AppliedPolicies& policies);

}  // namespace pcs

#endif  // PCS_TRAINING_OPERATING_POINT_H_
