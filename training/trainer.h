#ifndef PCS_TRAINING_TRAINER_H_
#define PCS_TRAINING_TRAINER_H_

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "model/xgboost_booster.h"
#include "nlohmann/json.hpp"
#include "training/dataset_split.h"
#include "training/evaluation.h"
#include "training/iso_precision.h"
#include "training/labeled_dataset.h"
#include "training/model_registry.h"
#include "training/policy_selection.h"
#include "training/report_writer.h"
#include "training/trainer_config.h"

namespace pcs {

// The training run behind `pcs train` (docs/TRAINING.md):
//   1. walk-forward windows (training/walk_forward.h): for every test fold,
//      split the rows into train / validation / test with purge + embargo;
//   2. in every window, the same selection procedure on validation only
//      (training/model_selection.h: grid, candidates, bagging, isotonic
//      calibration), then the fold's test rows are scored through the saved
//      JSON with TreeEnsemble + the calibrator (what the server computes);
//   3. the out-of-sample predictions of all folds are pooled and evaluated
//      vs rule / blend / type base rate (each fold's own training rates) /
//      analytic, per fold too, plus the iso-precision figure and every
//      lever's pooled figures; optional label-shuffle control per fold;
//   4. the promotion gate on the POOLED figures;
//   5. the served model: the same procedure on the final window (validation
//      = the last validation_years up to test_end), refit on all rows
//      confirmed <= test_end with the chosen settings (it has no holdout of
//      its own; the card says so), its drift score reference built from the
//      pooled out-of-sample probabilities;
//   6. publish models/phase5/<version>/ atomically and write
//      reports/phase5/<version>/.
// Deterministic: same rows + config => same model bytes and metrics (fixed
// seeds, nthread, rows sorted by id, bootstrap seed; windows run on
// `workers` threads but each window's work is independent of timing).
//
// Threading: blocks the caller; uses `workers` threads for the windows.
struct TrainRunOptions {
  std::string models_dir = "models/phase5";
  std::string reports_dir = "reports/phase5";
  std::string version;            // empty: UtcVersionNow()
  std::string reproduce_command;  // recorded in the card and report
  std::string data_source;        // PublicDatabaseName: no host/user/secret
  std::string market_symbol = "DIA";
  int workers = 2;  // windows fitted in parallel
  // Non-empty: also write the windows' rows to <export_dir>/folds.csv
  // (training/fold_export.h), for research outside the C++ build.
  std::string export_dir;
  // Called (from any worker, serialised) with short progress lines; empty =
  // quiet. `pcs train` sets it when stderr is a terminal.
  std::function<void(const std::string&)> progress;
};

// One walk-forward test fold as reported.
struct FoldSummary {
  std::string name;
  std::string test_first, test_last;  // test period (confirmation dates)
  SplitCounts counts;                 // train / validation / test / purged
  std::string chosen;                 // lever chosen on validation
  TrainParams params;
  std::vector<int> member_rounds;
  EvaluationReport test;  // the chosen model on the test rows
};

// One lever's pooled out-of-sample figures (every candidate, "bagged", the
// procedure's choice "chosen", and the shuffled-label control).
struct LeverSummary {
  std::string name;
  double lift_vs_rule_at_gate = 0;  // at gate.coverage_row
  Interval lift_ci;
  double precision_at_gate = 0;
  double roc_auc = 0;
  double ece = 0;
  std::vector<double> fold_lifts;  // per fold, at gate.coverage_row
  int folds_chosen = 0;            // folds whose procedure chose it
};

struct TrainRunResult {
  std::string version;
  std::string status;  // champion | rejected_challenger
  std::string model_dir;
  std::string report_dir;
  std::string model_sha256;
  GateDecision gate;
  // The decision policy chosen on the pooled out-of-sample predictions, and
  // the analytic baseline's own policy by the same procedure.
  PolicyChoice policy;
  PolicyChoice analytic_policy;
  EvaluationReport pooled;  // pooled out-of-sample predictions of all folds
  std::vector<FoldSummary> folds;
  IsoPrecision iso_precision;
  std::vector<LeverSummary> levers;
  std::optional<ShuffleCheck> shuffle;
  std::string chosen;  // what the final window chose (the served model)
  TrainParams selected;
  std::vector<int> member_rounds;
  int refit_rows = 0;
  nlohmann::json card;
  // Wall seconds per phase: "walk_forward", "evaluation", "refit",
  // "importance", "publish_and_report".
  std::map<std::string, double> seconds;
};

absl::StatusOr<TrainRunResult> TrainModel(const LabeledDataset& dataset,
                                          const TrainerConfig& config,
                                          const TrainRunOptions& options);

// `git rev-parse HEAD` of the source tree, or "unknown".
std::string CodeVersion();

}  // namespace pcs

#endif  // PCS_TRAINING_TRAINER_H_
