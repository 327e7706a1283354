#ifndef PCS_TRAINING_MODEL_FITTING_H_
#define PCS_TRAINING_MODEL_FITTING_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/calibrator.h"
#include "model/tree_ensemble.h"
#include "model/xgboost_booster.h"
#include "nlohmann/json.hpp"
#include "training/labeled_dataset.h"
#include "training/report_writer.h"
#include "training/trainer_config.h"

namespace pcs {

// Building blocks of the trainer (training/trainer.h): matrices of a split,
// one fit (booster + saved JSON + TreeEnsemble + isotonic calibrator fitted
// on validation), the validation-only grid search, feature importance.
// Not thread-safe (XGBoost boosters); use from one thread.

struct SplitData {
  std::vector<const LabeledExample*> rows;  // sorted by id
  DenseMatrix x;
  std::vector<float> y;
};
SplitData MakeSplitData(std::vector<const LabeledExample*> rows, int cols);

struct FittedModel {
  std::unique_ptr<XGBoostBooster> booster;
  TrainLog log;
  TrainParams params;
  std::string model_json;                // what model.json will contain
  std::optional<TreeEnsemble> ensemble;  // parsed from model_json
  std::optional<Calibrator> calibrator;  // isotonic, fitted on validation
  std::vector<double> valid_raw;  // uncalibrated validation probabilities
};

// Parses `model_json` with TreeEnsemble, scores `valid` (logistic of the
// margin) and fits the isotonic calibrator on it. `booster` may be null.
absl::StatusOr<FittedModel> FinishModel(std::string model_json,
                                        std::unique_ptr<XGBoostBooster> booster,
                                        const SplitData& valid,
                                        const TrainParams& params,
                                        const TrainLog& log);

// Trains on (train.x, y_train) with early stopping on validation, saves the
// JSON, parses it with TreeEnsemble and fits the calibrator on validation.
absl::StatusOr<FittedModel> FitOne(const SplitData& train,
                                   const std::vector<float>& y_train,
                                   const SplitData& valid,
                                   const TrainParams& params);

// Top `k` features by total gain, with mean |TreeSHAP| over at most
// `max_rows` evenly spaced training rows (TreeSHAP on every row is slow).
absl::StatusOr<std::vector<FeatureImportance>> TopFeatures(
    XGBoostBooster& booster, const SplitData& train,
    const std::vector<std::string>& names, int k, int max_rows = 2000);

// SHA-256 over rows in order: "id\tlabel\t" + each feature as 8 hex digits of
// its IEEE-754 float32 bits (comma separated) + "\n".
std::string RowsSha256(const std::vector<const LabeledExample*>& rows);

}  // namespace pcs

#endif  // PCS_TRAINING_MODEL_FITTING_H_
