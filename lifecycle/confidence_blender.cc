#include "lifecycle/confidence_blender.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace pcs {
namespace {

double Clamp01(double x) {
  if (!std::isfinite(x)) return 0;
  return std::clamp(x, 0.0, 1.0);
}

}  // namespace

absl::string_view FallbackReasonName(FallbackReason reason) {
  switch (reason) {
    case FallbackReason::kNone:
      return "";
    case FallbackReason::kFlagOff:
      return "flag_off";
    case FallbackReason::kNoModel:
      return "no_model";
    case FallbackReason::kModelError:
      return "model_error";
    case FallbackReason::kFeaturesUnavailable:
      return "features_unavailable";
    case FallbackReason::kInvalidMlValue:
      return "invalid_ml_value";
    case FallbackReason::kNoPolicy:
      return "no_policy";
  }
  return "";
}

bool ParseFeatureFlag(absl::string_view value) {
  const absl::string_view v = absl::StripAsciiWhitespace(value);
  for (absl::string_view yes : {"1", "true", "on", "yes"}) {
    if (absl::EqualsIgnoreCase(v, yes)) return true;
  }
  return false;
}

BlendResult BlendConfidence(double rule_confidence,
                            std::optional<double> ml_confidence,
                            const BlendOptions& options,
                            FallbackReason unavailable_reason) {
  BlendResult out;
  const double rule = Clamp01(rule_confidence);
  out.blended = rule;
  out.ml_weight_used = 0;
  if (!options.enabled) {
    out.fallback_reason = FallbackReason::kFlagOff;
    return out;
  }
  if (!ml_confidence.has_value()) {
    out.fallback_reason = unavailable_reason == FallbackReason::kNone
                              ? FallbackReason::kNoModel
                              : unavailable_reason;
    return out;
  }
  const double ml = *ml_confidence;
  if (!std::isfinite(ml) || ml < 0 || ml > 1) {
    out.fallback_reason = FallbackReason::kInvalidMlValue;
    return out;
  }
  const double w = std::isfinite(options.ml_weight)
                       ? std::clamp(options.ml_weight, 0.0, 1.0)
                       : 0.0;
  out.blended = Clamp01(w * ml + (1 - w) * rule);
  out.ml_weight_used = w;
  if (!options.policy_from_card)
    out.fallback_reason = FallbackReason::kNoPolicy;
  return out;
}

}  // namespace pcs
