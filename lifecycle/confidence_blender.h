#ifndef PCS_LIFECYCLE_CONFIDENCE_BLENDER_H_
#define PCS_LIFECYCLE_CONFIDENCE_BLENDER_H_

#include <optional>

#include "absl/strings/string_view.h"

namespace pcs {

// The ML seam. The rule confidence is always available; an ML confidence is
// blended in only when the feature flag is on and a model produced a value.
struct BlendOptions {
  // ENABLE_PHASE5_CONFIDENCE. Off => rule-only, fallback kFlagOff.
  bool enabled = false;
  // Weight of the ML confidence in [0, 1]; values outside are clamped.
  // blended = ml_weight * ml + (1 - ml_weight) * rule.
  double ml_weight = 0.5;
  // False when the model's card has no trained decision policy
  // (model/decision_policy.h), so ml_weight and the threshold are the old
  // constants: the blend is still used, with fallback reason kNoPolicy.
  bool policy_from_card = true;
};

// Why a confidence fell back to the rule value. The wire strings (gRPC
// fallback_reason, the pcs_fallbacks_total{reason} label, the
// fallback_reason column) are FallbackReasonName's.
enum class FallbackReason {
  kNone,                 // ""  (ML was used)
  kFlagOff,              // "flag_off"
  kNoModel,              // "no_model"
  kModelError,           // "model_error"
  kFeaturesUnavailable,  // "features_unavailable"
  kInvalidMlValue,       // "invalid_ml_value"
  // "no_policy": ML WAS used, but the card has no trained policy, so the
  // decision is the pre-policy default (serving.blend_weight and
  // serving.decision_threshold).
  kNoPolicy,
};
absl::string_view FallbackReasonName(FallbackReason reason);

struct BlendResult {
  double blended = 0;         // in [0, 1]
  double ml_weight_used = 0;  // 0 when falling back to rules
  FallbackReason fallback_reason = FallbackReason::kNone;  // kNone: ML used
};

// Name of the environment variable / feature flag that turns the ML blend on.
inline constexpr char kPhase5ConfidenceFlag[] = "ENABLE_PHASE5_CONFIDENCE";

// True for "1", "true", "on", "yes" (any case, surrounding spaces ignored);
// false for anything else, including empty.
bool ParseFeatureFlag(absl::string_view value);

// Blends `rule_confidence` with `ml_confidence`. Falls back to the rule value
// (weight 0) with reason:
//   kFlagOff              options.enabled is false;
//   `unavailable_reason`  ML value absent (e.g. kModelError,
//                         kFeaturesUnavailable; kNone counts as kNoModel);
//   kInvalidMlValue       ML value is NaN/inf or outside [0, 1].
// With the ML value used and options.policy_from_card false, the blend is
// returned with reason kNoPolicy (the only reason that keeps the ML weight).
// Inputs are clamped to [0, 1] (NaN rule confidence is treated as 0).
// Pure function; thread-safe.
BlendResult BlendConfidence(
    double rule_confidence, std::optional<double> ml_confidence,
    const BlendOptions& options,
    FallbackReason unavailable_reason = FallbackReason::kNoModel);

}  // namespace pcs

#endif  // PCS_LIFECYCLE_CONFIDENCE_BLENDER_H_
