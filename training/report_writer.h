#ifndef PCS_TRAINING_REPORT_WRITER_H_
#define PCS_TRAINING_REPORT_WRITER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "training/evaluation.h"

namespace pcs {

// Writes an evaluation bundle into `dir` (created if missing):
//   evaluation.json          ToJson(report) + the context below
//   report.md                a readable summary (tables, verdicts, links)
//   reliability.svg          calibration of model and blend (10 bins)
//   roc.svg                  ROC curves of all five scorers
//   precision_recall.svg     PR curves of all five scorers
//   precision_coverage.svg   precision of the top-k% vs k for all scorers
// Used by `pcs train` (holdout of a new model) and `pcs evaluate` (any model
// on any data). Thread-compatible; writes only inside `dir`.
struct FeatureImportance {
  std::string name;
  double total_gain = 0;
  double mean_abs_shap = 0;
};

// Outcome of training on permuted training labels (a leakage check): the
// lift must vanish.
struct ShuffleCheck {
  double model_precision_at_30 = 0;
  double rule_precision_at_30 = 0;
  double lift_vs_rule_at_30 = 0;
  Interval lift_ci;
  double roc_auc = 0;
  int best_iteration = 0;
  bool lift_vanished =
      false;  // CI of the lift vs rule includes 0, or lift <= 0
};

struct ReportContext {
  std::string title = "Pattern confidence model evaluation";
  std::string model_version;
  std::string status;  // champion / rejected_challenger / "" (evaluate)
  std::string gate_reason;
  std::string data_description;  // e.g. "holdout 2016-01-01..2018-12-31"
  std::string evaluated_set = "holdout";  // named in headings and plot titles
  std::vector<FeatureImportance> top_features;
  std::optional<ShuffleCheck> shuffle;
  nlohmann::json extra =
      nlohmann::json::object();  // merged into evaluation.json
  std::string reproduce_command;
  // Extra markdown sections (each starting with "## "), placed after the
  // headline tables (e.g. the walk-forward per-fold and lever tables).
  std::vector<std::string> markdown_sections;
};

absl::Status WriteReport(const std::string& dir, const EvaluationReport& report,
                         const ReportContext& context);

// The markdown text alone (exposed for tests).
std::string RenderMarkdown(const EvaluationReport& report,
                           const ReportContext& context);

nlohmann::json ShuffleCheckJson(const ShuffleCheck& check);

}  // namespace pcs

#endif  // PCS_TRAINING_REPORT_WRITER_H_
