#ifndef PCS_MONITORING_FEATURE_REFERENCE_H_
#define PCS_MONITORING_FEATURE_REFERENCE_H_

// The training-time distribution of every feature and of the model score,
// as bins for PSI (monitoring/psi.h).
//
// Where it comes from, in order:
//  1. model_card.json "feature_reference" in the format written by
//     FeatureReferenceToJson():
//       {"method": "quantile", "bins": 10,
//        "features": [{"name","edges","proportions","nan_proportion","count"},
//        ...], "score": {"name": "__score__", "edges", ...}}
//     An object keyed by feature name ({"atr_14": {"edges",...}, ...,
//     "__score__": {...}}) is accepted too.
//  2. reference_rows.json ({"rows":[{"features":[...],"probability":p}]}),
//     binned here into deciles (FeatureReferenceFromRows) when the card has
//     no usable feature_reference.
// `source` says which one was used; reports print it.
//
// Pure functions, thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "monitoring/psi.h"
#include "nlohmann/json.hpp"

namespace pcs {

inline constexpr char kScoreFeatureName[] = "__score__";

struct FeatureReference {
  std::vector<BinReference> features;  // one per schema name, schema order
  std::optional<BinReference> score;   // calibrated probability
  std::string source;  // "model_card.feature_reference" | "reference_rows.json"
                       // | "built"
};

// Deciles (num_bins) of each column of `rows` (row-major, each rows[i] has
// names.size() values, NaN = missing) and of `scores` (may be empty => no
// score reference). Error when a row has the wrong width.
absl::StatusOr<FeatureReference> BuildFeatureReference(
    const std::vector<std::string>& names,
    const std::vector<std::vector<float>>& rows,
    const std::vector<double>& scores, int num_bins = kDefaultPsiBins);

// The card format above.
nlohmann::json FeatureReferenceToJson(const FeatureReference& reference);

// Parses a card's "feature_reference" and orders it by `names`. Errors name
// the feature: a schema name with no reference, or a malformed entry.
absl::StatusOr<FeatureReference> ParseFeatureReference(
    const nlohmann::json& json, const std::vector<std::string>& names);

// Bins reference_rows.json (features and "probability").
absl::StatusOr<FeatureReference> FeatureReferenceFromRows(
    const nlohmann::json& reference_rows, const std::vector<std::string>& names,
    int num_bins = kDefaultPsiBins);

}  // namespace pcs

#endif  // PCS_MONITORING_FEATURE_REFERENCE_H_
