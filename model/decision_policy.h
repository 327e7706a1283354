#ifndef PCS_MODEL_DECISION_POLICY_H_
#define PCS_MODEL_DECISION_POLICY_H_

// The decision policy of a model version: the model card's `policy` section,
// typed, with its writer and its reader side by side (one owner of the
// format; docs/MODEL_CARD.md "policy").
//
// A pattern is confirmed when
//     blend_weight * model + (1 - blend_weight) * rule >= threshold
// (the blend of lifecycle/confidence_blender.h, clamping included). `pcs
// train` chooses blend_weight and threshold on the pooled walk-forward
// out-of-sample predictions (training/policy_selection.h) and records the
// figures that chose them; the server, `pcs evaluate` and monitoring decide
// by them. A card without a policy is served by the old constants
// (serving.blend_weight, serving.decision_threshold) and every answer says so
// (fallback reason "no_policy"): ServedPolicyOf.
//
// Threading: plain values and free functions; thread-safe.
//
// Example:
//   card["policy"] = DecisionPolicyToJson(policy);          // writer
//   absl::StatusOr<std::optional<DecisionPolicy>> p =
//       ParseDecisionPolicy(card_json);                    // reader

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace pcs {

// One operating point: how many patterns a decision confirms and how many of
// them reached their target.
struct OperatingPointFigures {
  double threshold = 0;
  int confirmed = 0;
  int true_positives = 0;
  double precision = 0;  // NaN when nothing is confirmed
};

// The out-of-sample evidence recorded with a policy.
struct PolicyEvidence {
  int rows = 0;                  // pooled out-of-sample patterns
  OperatingPointFigures rule;    // rule >= rule_threshold
  OperatingPointFigures policy;  // blended >= threshold
  double tp_lift = 0;            // policy TP / rule TP - 1
  double tp_lift_ci_low = 0, tp_lift_ci_high = 0;  // symbol bootstrap 95%
  double precision_diff = 0;                       // policy - rule precision
  double precision_diff_ci_low = 0, precision_diff_ci_high = 0;
  // The policy at threshold - 0.02, threshold, threshold + 0.02 (same blend
  // weight), each with its precision difference's lower bound.
  std::vector<OperatingPointFigures> sensitivity;
  std::vector<double> sensitivity_precision_diff_ci_low;
};

struct DecisionPolicy {
  double blend_weight = 0.5;    // weight of the model in [0, 1]
  double threshold = 0.5;       // on the blended confidence, in [0, 1]
  double rule_threshold = 0.5;  // the rule's own threshold it is compared to
  // Monitoring alerts when the policy's rolling precision is below the
  // rule's by more than this (absolute, e.g. 0.02 = 2 points).
  double precision_tolerance = 0.02;
  // The analytic barrier baseline's own policy, chosen by the same
  // procedure on the same rows (for comparisons in `pcs evaluate`); absent
  // when no analytic policy met the constraint.
  bool has_analytic = false;
  double analytic_blend_weight = 0;
  double analytic_threshold = 0;
  std::string chosen_on;  // which predictions chose it (free text)
  std::string procedure;  // how (free text)
  PolicyEvidence evidence;
};

nlohmann::json DecisionPolicyToJson(const DecisionPolicy& policy);

// Reads card["policy"]: nullopt when absent or null; INVALID_ARGUMENT naming
// the field ("model_card.json: policy.threshold must lie in [0, 1]") when any
// field is missing, of the wrong type or out of range.
absl::StatusOr<std::optional<DecisionPolicy>> ParseDecisionPolicy(
    const nlohmann::json& card);

// What a loaded version decides by: its card's policy, or the pre-policy
// constants (from_card false).
struct ServedPolicy {
  double blend_weight = 0.5;
  double threshold = 0.5;
  bool from_card = false;
};
ServedPolicy ServedPolicyOf(const std::optional<DecisionPolicy>& policy,
                            double serving_blend_weight,
                            double serving_decision_threshold);

}  // namespace pcs

#endif  // PCS_MODEL_DECISION_POLICY_H_
