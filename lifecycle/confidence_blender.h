#ifndef PCS_LIFECYCLE_CONFIDENCE_BLENDER_H_
#define PCS_LIFECYCLE_CONFIDENCE_BLENDER_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace pcs {

// The ML seam. The rule confidence is always available; an ML confidence is
// blended in only when the feature flag is on and a model produced a value.
struct BlendOptions {
  // ENABLE_PHASE5_CONFIDENCE. Off => rule-only, fallback_reason "flag_off".
  bool enabled = false;
  // Weight of the ML confidence in [0, 1]; values outside are clamped.
  // blended = ml_weight * ml + (1 - ml_weight) * rule.
  double ml_weight = 0.5;
};

struct BlendResult {
  double blended = 0;          // in [0, 1]
  double ml_weight_used = 0;   // 0 when falling back to rules
  std::string fallback_reason; // "" when ML was used
};

// Name of the environment variable / feature flag that turns the ML blend on.
inline constexpr char kPhase5ConfidenceFlag[] = "ENABLE_PHASE5_CONFIDENCE";

// True for "1", "true", "on", "yes" (any case, surrounding spaces ignored);
// false for anything else, including empty.
bool ParseFeatureFlag(absl::string_view value);

// BlendOptions with `enabled` from $ENABLE_PHASE5_CONFIDENCE (unset => off)
// and the given weight (e.g. the champion model card's serving.blend_weight).
BlendOptions BlendOptionsFromEnvironment(double ml_weight = 0.5);

// Blends `rule_confidence` with `ml_confidence`. Falls back to the rule value
// (weight 0) with reason:
//   "flag_off"            options.enabled is false;
//   `unavailable_reason`  ML value absent and a reason was given (e.g.
//                         "model_error", "features_unavailable");
//   "no_model"            ML value absent and no reason given;
//   "invalid_ml_value"    ML value is NaN/inf or outside [0, 1].
// Inputs are clamped to [0, 1] (NaN rule confidence is treated as 0).
// Pure function; thread-safe.
BlendResult BlendConfidence(double rule_confidence,
                            std::optional<double> ml_confidence,
                            const BlendOptions& options,
                            absl::string_view unavailable_reason = "");

}  // namespace pcs

#endif  // PCS_LIFECYCLE_CONFIDENCE_BLENDER_H_
