#include "monitoring/feature_reference.h"

#include <cmath>
#include <limits>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pcs {

absl::StatusOr<FeatureReference> BuildFeatureReference(
    const std::vector<std::string>& names,
    const std::vector<std::vector<float>>& rows,
    const std::vector<double>& scores, int num_bins) {
  FeatureReference ref;
  ref.source = "built";
  for (size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() != names.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("reference row ", r, " has ", rows[r].size(),
                       " features, want ", names.size()));
    }
  }
  std::vector<double> column(rows.size());
  for (size_t f = 0; f < names.size(); ++f) {
    for (size_t r = 0; r < rows.size(); ++r) column[r] = rows[r][f];
    ref.features.push_back(BuildBinReference(names[f], column, num_bins));
  }
  if (!scores.empty())
    ref.score = BuildBinReference(kScoreFeatureName, scores, num_bins);
  return ref;
}

nlohmann::json FeatureReferenceToJson(const FeatureReference& reference) {
  nlohmann::json features = nlohmann::json::array();
  for (const BinReference& b : reference.features)
    features.push_back(BinReferenceToJson(b));
  nlohmann::json out = {{"method", "quantile"},
                        {"bins", kDefaultPsiBins},
                        {"epsilon", kDefaultPsiEpsilon},
                        {"features", features}};
  if (reference.score) out["score"] = BinReferenceToJson(*reference.score);
  return out;
}

absl::StatusOr<FeatureReference> ParseFeatureReference(
    const nlohmann::json& json, const std::vector<std::string>& names) {
  if (!json.is_object()) {
    return absl::InvalidArgumentError("feature_reference is not a JSON object");
  }
  // name -> entry, from either layout.
  std::map<std::string, const nlohmann::json*> by_name;
  const nlohmann::json* score = nullptr;
  if (json.contains("features") && json.at("features").is_array()) {
    for (const nlohmann::json& entry : json.at("features")) {
      if (entry.is_object() && entry.contains("name") &&
          entry.at("name").is_string()) {
        by_name[entry.at("name").get<std::string>()] = &entry;
      }
    }
    if (json.contains("score")) score = &json.at("score");
  } else {
    for (auto it = json.begin(); it != json.end(); ++it) {
      if (it.value().is_object()) by_name[it.key()] = &it.value();
    }
  }
  if (by_name.count(kScoreFeatureName)) score = by_name[kScoreFeatureName];
  FeatureReference ref;
  ref.source = "model_card.feature_reference";
  for (const std::string& name : names) {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      return absl::NotFoundError(absl::StrCat(
          "feature_reference has no entry for feature '", name, "'"));
    }
    auto bins = BinReferenceFromJson(*it->second, name);
    if (!bins.ok()) return bins.status();
    bins->name = name;
    ref.features.push_back(std::move(*bins));
  }
  if (score != nullptr && !score->is_null()) {
    auto bins = BinReferenceFromJson(*score, kScoreFeatureName);
    if (!bins.ok()) return bins.status();
    bins->name = kScoreFeatureName;
    ref.score = std::move(*bins);
  }
  return ref;
}

absl::StatusOr<FeatureReference> FeatureReferenceFromRows(
    const nlohmann::json& reference_rows, const std::vector<std::string>& names,
    int num_bins) {
  if (!reference_rows.is_object() || !reference_rows.contains("rows") ||
      !reference_rows.at("rows").is_array()) {
    return absl::InvalidArgumentError(
        "reference_rows.json has no \"rows\" array");
  }
  std::vector<std::vector<float>> rows;
  std::vector<double> scores;
  const nlohmann::json& array = reference_rows.at("rows");
  for (size_t i = 0; i < array.size(); ++i) {
    const nlohmann::json& row = array[i];
    if (!row.is_object() || !row.contains("features") ||
        !row.at("features").is_array()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "reference_rows.json row ", i, " has no \"features\" array"));
    }
    std::vector<float> values;
    for (const nlohmann::json& v : row.at("features")) {
      // JSON has no NaN: writers store missing values as null.
      values.push_back(v.is_number() ? v.get<float>()
                                     : std::numeric_limits<float>::quiet_NaN());
    }
    rows.push_back(std::move(values));
    if (row.contains("probability") && row.at("probability").is_number()) {
      scores.push_back(row.at("probability").get<double>());
    }
  }
  if (!scores.empty() && scores.size() != rows.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("reference_rows.json: ", scores.size(),
                     " probabilities for ", rows.size(), " rows"));
  }
  auto ref = BuildFeatureReference(names, rows, scores, num_bins);
  if (ref.ok()) ref->source = "reference_rows.json";
  return ref;
}

}  // namespace pcs
