#ifndef PCS_LIFECYCLE_RULE_CONFIDENCE_H_
#define PCS_LIFECYCLE_RULE_CONFIDENCE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace pcs {

// The rule confidence of a pattern is a weighted mean of named criteria, each
// already scored in [0, 1] by the detectors (Pattern::rule_criteria). The
// criteria and how each is scored are documented in docs/PATTERNS.md
// ("Rule confidence"). Fixed once ML work starts: the ML must beat this.
struct RuleCriterionWeight {
  absl::string_view name;
  double weight;
};

// Generic criteria present on every pattern, and the weight of the one
// type-specific criterion ("valley_depth", "neckline_flatness", "flatness",
// "convergence", "pole_strength"). Weights sum to 1.
// Weights were chosen by looking at each criterion's ranking power (AUC vs
// the outcome label) on patterns confirmed 2000-2012 only (the training
// period); 2013-2018 were not looked at. See docs/PATTERNS.md.
inline constexpr RuleCriterionWeight kRuleCriterionWeights[] = {
    {"target_reach", 0.35},    {"barrier_odds", 0.30},
    {"breakout_volume", 0.15}, {"breakout_strength", 0.08},
    {"prior_trend", 0.04},     {"symmetry", 0.03},
    {"size_atr", 0.02},        {"duration", 0.02},
};
inline constexpr double kTypeSpecificCriterionWeight = 0.01;

// Weighted mean of `criteria` (unknown names get the type-specific weight;
// NaN values count as 0); 0 for an empty list. Result in [0, 1].
double CombineRuleCriteria(
    const std::vector<std::pair<std::string, double>>& criteria);

}  // namespace pcs

#endif  // PCS_LIFECYCLE_RULE_CONFIDENCE_H_
