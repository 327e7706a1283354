#ifndef PCS_MONITORING_DRIFT_ANALYZER_H_
#define PCS_MONITORING_DRIFT_ANALYZER_H_

// PSI of every feature and of the model score of recent patterns against the
// serving model's training reference, and the alert decision.
//
// The alert fires when at least `min_rows` recent rows exist and any feature
// PSI or the score PSI exceeds `alert_psi` (default 0.25, "significant" in
// monitoring/psi.h). With fewer rows the PSI figures are still reported but
// `insufficient_rows` is set and nothing alerts: a handful of patterns says
// nothing about a distribution.
//
// Pure function, thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "monitoring/feature_reference.h"
#include "monitoring/psi.h"
#include "nlohmann/json.hpp"

namespace pcs {

struct DriftOptions {
  double alert_psi = kPsiSignificantThreshold;
  int min_rows = 50;
  double epsilon = kDefaultPsiEpsilon;
};

struct DriftAnalysis {
  int rows = 0;
  std::vector<PsiResult> features;  // reference order
  std::optional<PsiResult>
      score;                // when both a score reference and scores exist
  std::string max_feature;  // feature with the largest PSI
  double max_feature_psi = 0;
  std::vector<std::string>
      over_threshold;  // features (and "__score__") > alert_psi
  bool insufficient_rows = false;
  bool alert = false;
};

// `rows[i]` has reference.features.size() values (NaN = missing); `scores`
// is empty or one per row. Errors: width mismatch, no rows.
absl::StatusOr<DriftAnalysis> AnalyzeDrift(
    const FeatureReference& reference,
    const std::vector<std::vector<float>>& rows,
    const std::vector<double>& scores, const DriftOptions& options = {});

// Summary plus per-feature {"name","psi","level","nan_count"}; bins only for
// features over the threshold and for the score (to keep reports small).
nlohmann::json DriftAnalysisToJson(const DriftAnalysis& analysis,
                                   const DriftOptions& options);
// The reader of DriftAnalysisToJson's output, as far as the Prometheus
// series need it: rows, each feature's and the score's name and PSI, alert
// (levels, bins and counts are left empty). InvalidArgument naming the
// field when one is missing or of the wrong type.
absl::StatusOr<DriftAnalysis> DriftSummaryFromJson(const nlohmann::json& json);

}  // namespace pcs

#endif  // PCS_MONITORING_DRIFT_ANALYZER_H_
