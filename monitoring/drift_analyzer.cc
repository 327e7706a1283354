#include "monitoring/drift_analyzer.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pcs {

absl::StatusOr<DriftAnalysis> AnalyzeDrift(
    const FeatureReference& reference,
    const std::vector<std::vector<float>>& rows,
    const std::vector<double>& scores, const DriftOptions& options) {
  if (rows.empty())
    return absl::InvalidArgumentError("drift: no recent rows to compare");
  if (!scores.empty() && scores.size() != rows.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "drift: ", scores.size(), " scores for ", rows.size(), " rows"));
  }
  const size_t width = reference.features.size();
  for (size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() != width) {
      return absl::InvalidArgumentError(
          absl::StrCat("drift: row ", r, " has ", rows[r].size(),
                       " features, reference has ", width));
    }
  }
  DriftAnalysis out;
  out.rows = static_cast<int>(rows.size());
  out.insufficient_rows = out.rows < options.min_rows;
  std::vector<double> column(rows.size());
  for (size_t f = 0; f < width; ++f) {
    for (size_t r = 0; r < rows.size(); ++r) column[r] = rows[r][f];
    auto psi = ComputePsi(reference.features[f], column, options.epsilon);
    if (!psi.ok()) return psi.status();
    if (out.max_feature.empty() || psi->psi > out.max_feature_psi) {
      out.max_feature = psi->name;
      out.max_feature_psi = psi->psi;
    }
    if (psi->psi > options.alert_psi) out.over_threshold.push_back(psi->name);
    out.features.push_back(std::move(*psi));
  }
  if (reference.score && !scores.empty()) {
    auto psi = ComputePsi(*reference.score, scores, options.epsilon);
    if (!psi.ok()) return psi.status();
    if (psi->psi > options.alert_psi)
      out.over_threshold.push_back(kScoreFeatureName);
    out.score = std::move(*psi);
  }
  out.alert = !out.insufficient_rows && !out.over_threshold.empty();
  return out;
}

nlohmann::json DriftAnalysisToJson(const DriftAnalysis& analysis,
                                   const DriftOptions& options) {
  nlohmann::json features = nlohmann::json::array();
  for (const PsiResult& r : analysis.features) {
    nlohmann::json f = {{"name", r.name},
                        {"psi", r.psi},
                        {"level", std::string(DriftLevelName(r.level))},
                        {"nan_count", r.nan_count}};
    if (r.psi > options.alert_psi) f["bins"] = PsiResultToJson(r)["bins"];
    features.push_back(std::move(f));
  }
  nlohmann::json out = {{"rows", analysis.rows},
                        {"alert", analysis.alert},
                        {"alert_psi", options.alert_psi},
                        {"min_rows", options.min_rows},
                        {"insufficient_rows", analysis.insufficient_rows},
                        {"max_feature", analysis.max_feature},
                        {"max_feature_psi", analysis.max_feature_psi},
                        {"over_threshold", analysis.over_threshold},
                        {"features", features}};
  out["score"] = analysis.score ? PsiResultToJson(*analysis.score)
                                : nlohmann::json(nullptr);
  return out;
}

}  // namespace pcs

namespace pcs {
namespace {

absl::StatusOr<PsiResult> ReadPsi(const nlohmann::json& j,
                                  const std::string& at) {
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string() ||
      !j.contains("psi") || !j["psi"].is_number()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "drift JSON: ", at, ": wants a string \"name\" and a number \"psi\""));
  }
  PsiResult r;
  r.name = j["name"].get<std::string>();
  r.psi = j["psi"].get<double>();
  return r;
}

}  // namespace

absl::StatusOr<DriftAnalysis> DriftSummaryFromJson(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("rows") || !j["rows"].is_number_integer() ||
      !j.contains("features") || !j["features"].is_array()) {
    return absl::InvalidArgumentError(
        "drift JSON: wants an integer \"rows\" and an array \"features\"");
  }
  DriftAnalysis out;
  out.rows = j["rows"].get<int>();
  for (size_t i = 0; i < j["features"].size(); ++i) {
    absl::StatusOr<PsiResult> r =
        ReadPsi(j["features"][i], absl::StrCat("features[", i, "]"));
    if (!r.ok()) return r.status();
    out.features.push_back(*std::move(r));
  }
  if (j.contains("score") && !j["score"].is_null()) {
    absl::StatusOr<PsiResult> r = ReadPsi(j["score"], "score");
    if (!r.ok()) return r.status();
    out.score = *std::move(r);
  }
  if (j.contains("alert") && j["alert"].is_boolean()) {
    out.alert = j["alert"].get<bool>();
  }
  return out;
}

}  // namespace pcs
