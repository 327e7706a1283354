#ifndef PCS_FEATURES_FEATURE_REASONS_H_
#define PCS_FEATURES_FEATURE_REASONS_H_

#include <optional>
#include <string>
#include <string_view>

#include "features/feature_list.h"
#include "lifecycle/pattern.h"

namespace pcs {

// Plain-language reasons: the one place that knows, for each of the features
// in features/feature_list.h, what its value means to an analyst and its
// unit, and turns a value, the pattern's type and the sign of the feature's
// contribution to the model's margin into one sentence, e.g.
//
//   FeatureReason(kPatTargetDistAtr, 7.9, -0.21, PatternType::kDoubleTop)
//   == "target 7.9 ATR away — far for a double top, usual 2.9 to 6.3 ATR;
//       lowers confidence"
//
// "Usual" is the 20th to 80th percentile of the feature over the stored
// patterns of that type (features/usual_ranges.h: a table generated from the
// shared data by `pcs usual-ranges`); where a type has too few values, or no
// type is given, the range over all types stands in and the sentence says
// "across all pattern types". Values are already signed by the pattern
// direction where the feature has one (docs/FEATURES.md), so "in the trade's
// direction" reads the same for bullish and bearish patterns. A NaN value
// reads "no value" with the feature's NaN condition.
//
// Used by the server for every top contribution (FeatureContribution.reason
// in proto/pcs/v1/pattern_confidence.proto). Thread-safe (pure functions
// over constant tables).

// The sentence for feature `id` with `value` on a pattern of `type`
// (nullopt: unknown, the all-types range is used); `contribution` is the
// feature's contribution to the margin (log-odds): > 0 "raises confidence",
// < 0 "lowers confidence", 0 "no effect".
std::string FeatureReason(features_internal::FeatureId id, double value,
                          double contribution, std::optional<PatternType> type);

// The same by schema name; "" for a name that is not in the schema (e.g. a
// model trained on a newer schema).
std::string FeatureReasonByName(std::string_view name, double value,
                                double contribution,
                                std::optional<PatternType> type);

// True when `id` has a reason template (tests/features/feature_reasons_test
// checks every feature).
bool HasReasonTemplate(features_internal::FeatureId id);

}  // namespace pcs

#endif  // PCS_FEATURES_FEATURE_REASONS_H_
