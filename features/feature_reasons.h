#ifndef PCS_FEATURES_FEATURE_REASONS_H_
#define PCS_FEATURES_FEATURE_REASONS_H_

#include <string>
#include <string_view>

#include "features/feature_list.h"

namespace pcs {

// Plain-language reasons: the one place that knows, for each of the features
// in features/feature_list.h, what its value means to an analyst, its unit
// and its usual range, and turns a value and the sign of its contribution to
// the model's margin into one sentence, e.g.
//
//   FeatureReason(kPatTargetDistAtr, 7.9, -0.21)
//   == "target 7.9 ATR away — far, usual 3.0 to 6.3 ATR; lowers confidence"
//
// "Usual" is the 20th to 80th percentile of the feature on the 15,910
// training rows of model 20261126T235550Z (its model card's
// feature_reference deciles; features/feature_reasons.cc says how to
// recompute them). Values are already signed by the pattern direction where
// the feature has one (docs/FEATURES.md), so "in the trade's direction"
// reads the same for bullish and bearish patterns. A NaN value reads "no
// value" with the feature's NaN condition.
//
// Used by the server for every top contribution (FeatureContribution.reason
// in proto/pcs/v1/pattern_confidence.proto). Thread-safe (pure functions
// over constant tables).

// The sentence for feature `id` with `value`; `contribution` is the
// feature's contribution to the margin (log-odds): > 0 "raises confidence",
// < 0 "lowers confidence", 0 "no effect".
std::string FeatureReason(features_internal::FeatureId id, double value,
                          double contribution);

// The same by schema name; "" for a name that is not in the schema (e.g. a
// model trained on a newer schema).
std::string FeatureReasonByName(std::string_view name, double value,
                                double contribution);

// True when `id` has a reason template (tests/features/feature_reasons_test
// checks every feature).
bool HasReasonTemplate(features_internal::FeatureId id);

}  // namespace pcs

#endif  // PCS_FEATURES_FEATURE_REASONS_H_
