#ifndef PCS_TRAINING_TRAINER_H_
#define PCS_TRAINING_TRAINER_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "model/xgboost_booster.h"
#include "nlohmann/json.hpp"
#include "training/dataset_split.h"
#include "training/evaluation.h"
#include "training/labeled_dataset.h"
#include "training/model_registry.h"
#include "training/report_writer.h"
#include "training/trainer_config.h"

namespace pcs {

// The training run behind `pcs train`:
//   1. split the labeled rows by confirmation date (purge + embargo);
//   2. for every grid point, train XGBoost (binary:logistic, hist) on train
//      with early stopping on validation logloss; keep the point with the
//      lowest validation logloss (the holdout is not looked at);
//   3. fit an isotonic calibrator on the validation predictions of the chosen
//      model (the SAME validation rows used for early stopping and the grid
//      choice: validation metrics after calibration are optimistic; the
//      holdout numbers are not, because the holdout is used only here, once);
//   4. score the holdout through the saved JSON with TreeEnsemble (what the
//      server runs), evaluate vs rule / blend / type base rate / analytic;
//   5. optionally repeat 2-4 on permuted training labels (shuffle check);
//   6. promotion gate, publish models/phase5/<version>/ atomically, and write
//      reports/phase5/<version>/.
// Deterministic: same rows + config => same model bytes and metrics
// (fixed seeds, fixed nthread, rows sorted by id, bootstrap seed fixed).
//
// Threading: runs on the calling thread (XGBoost uses params.nthread).
struct TrainRunOptions {
  std::string models_dir = "models/phase5";
  std::string reports_dir = "reports/phase5";
  std::string version;            // empty: UtcVersionNow()
  std::string reproduce_command;  // recorded in the card and report
  std::string data_source;        // e.g. the database, password masked
  std::string market_symbol = "DIA";
};

struct TrainRunResult {
  std::string version;
  std::string status;        // champion | rejected_challenger
  std::string model_dir;
  std::string report_dir;
  std::string model_sha256;
  GateDecision gate;
  EvaluationReport holdout;
  std::optional<ShuffleCheck> shuffle;
  SplitCounts counts;
  TrainParams selected;
  int best_iteration = 0;
  nlohmann::json card;
  // Wall seconds per phase: "grid", "holdout_evaluation", "shuffle_check",
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
