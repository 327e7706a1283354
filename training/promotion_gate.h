#ifndef PCS_TRAINING_PROMOTION_GATE_H_
#define PCS_TRAINING_PROMOTION_GATE_H_

#include <string>
#include <vector>

#include "model/decision_policy.h"
#include "nlohmann/json.hpp"
#include "training/evaluation.h"

namespace pcs {

// The promotion gate: the plan's metric, read on the POOLED WALK-FORWARD
// OUT-OF-SAMPLE predictions at the decision policy `pcs train` chose there
// (training/policy_selection.h). A model becomes champion only if ALL hold:
//   1. a policy meets the precision constraint at all;
//   2. true-positive confirmations vs rule-only (rule >= its threshold):
//      lift >= min_tp_lift with the 95% symbol-bootstrap lower bound
//      > min_tp_lift_ci_low;
//   3. precision difference vs rule-only >= min_precision_diff with the
//      lower bound >= min_precision_diff_ci_low;
//   4. the calibrated model's ECE <= max_ece;
//   5. the ranking beats the rule: the precision lift at `coverage_row`
//      (matched coverage) has a lower bound > min_coverage_lift_ci_low;
//   6. not worse than geometry: the analytic barrier baseline run through
//      the same policy procedure; the lower bound of the model-minus-analytic
//      true-positive difference (model TP / analytic TP - 1) >
//      min_tp_vs_analytic_ci_low.
// The lift at `coverage_row` >= coverage_lift_goal is reported as a goal,
// never gated.
struct GateOptions {
  std::string coverage_row = "30%";
  double min_tp_lift = 0.10;
  double min_tp_lift_ci_low = 0.0;
  double min_precision_diff = 0.0;
  double min_precision_diff_ci_low = -0.01;
  double max_ece = 0.05;
  double min_coverage_lift_ci_low = 0.0;
  double min_tp_vs_analytic_ci_low = -0.05;
  double coverage_lift_goal = 0.10;
};

// What the gate reads besides the pooled evaluation.
struct GatePolicyFigures {
  bool policy_found = false;
  PolicyEvidence model;  // the chosen policy's evidence
  bool analytic_found = false;
  double analytic_blend_weight = 0, analytic_threshold = 0;
  PolicyEvidence analytic;    // the analytic's own chosen policy
  double tp_vs_analytic = 0;  // model TP / analytic TP - 1
  Interval tp_vs_analytic_ci;
};

struct GateCheck {
  std::string name;  // e.g. "tp_lift"
  bool passed = false;
  std::string text;  // figures and the bar
};

struct GateDecision {
  bool promote = false;
  std::string reason;  // human-readable, always set
  std::vector<GateCheck> checks;
  GatePolicyFigures policy;
  double coverage_lift = 0;  // at coverage_row, vs rule
  Interval coverage_lift_ci;
  bool coverage_goal_met = false;
  double ece = 0;
};

GateDecision EvaluateGate(const EvaluationReport& pooled,
                          const GatePolicyFigures& policy,
                          const GateOptions& options);
nlohmann::json GateJson(const GateDecision& decision,
                        const GateOptions& options);

}  // namespace pcs

#endif  // PCS_TRAINING_PROMOTION_GATE_H_
