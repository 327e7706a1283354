#ifndef PCS_MODEL_XGBOOST_BOOSTER_H_
#define PCS_MODEL_XGBOOST_BOOSTER_H_

// XGBoostBooster: the one place that talks to the XGBoost 1.7 C API.
//
// It trains a gradient-boosted tree model (tree_method=hist; objective
// binary:logistic, or rank:pairwise as the ranking alternative) with
// optional monotone constraints and hand-written early stopping on a
// validation set (logloss; AUC for rank:pairwise, whose margins are not
// probabilities), saves/loads the JSON
// model, and predicts margins and TreeSHAP contributions. Every C API call is
// checked; a failure becomes an absl::Status carrying XGBGetLastError().
//
// Determinism: `seed` and `nthread` are fixed in TrainParams; two trainings
// on the same data with the same params give bit-identical models (tested).
//
// Best iteration: after early stopping the booster is sliced to the trees
// [0, best_iteration + 1), so PredictMargin, PredictContributions and
// SaveModel all see exactly the kept trees (the saved model.json contains no
// tree past the best iteration; TreeEnsemble evaluates all trees in a file).
//
// Threading: NOT thread-safe (XGBoost output buffers belong to the booster).
// Use one booster per thread, or TreeEnsemble for concurrent serving.
// Ownership: the booster owns its BoosterHandle and frees it in the
// destructor. Destroy boosters before main() returns (XGBoost crashes when a
// booster is freed during static destruction), i.e. never hold one in a
// static/global.
//
// Example:
//   DenseMatrix x{rows, cols, values};
//   TrainLog log;
//   auto booster = XGBoostBooster::Train(x, y, &vx, &vy, TrainParams{}, &log);
//   if (!booster.ok()) return booster.status();
//   absl::Status saved = (*booster)->SaveModel(dir + "/model.json");

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pcs {

// Hyper-parameters; the defaults are the project's agreed starting point.
struct TrainParams {
  int max_depth = 4;
  double eta = 0.05;
  int num_boost_round = 600;  // upper bound on boosting rounds
  int early_stopping_rounds =
      50;  // stop after this many rounds w/o improvement
  double subsample = 0.8;
  double colsample_bytree = 0.8;
  double min_child_weight = 5;
  double lambda = 1;
  double gamma = 0;
  int seed = 42;
  int nthread = 2;
  // "binary:logistic" or "rank:pairwise" (one group: all rows).
  std::string objective = "binary:logistic";
  // Per feature: +1 increasing, -1 decreasing, 0 free; empty = no constraint.
  std::vector<int> monotone_constraints;
};

// The early-stopping metric of an objective: "logloss" (lower is better) for
// binary:logistic, "auc" (higher is better) for rank:pairwise.
std::string EarlyStoppingMetric(const std::string& objective);

// Row-major dense float matrix; NaN marks a missing value.
struct DenseMatrix {
  int rows = 0;
  int cols = 0;
  std::vector<float> values;  // rows * cols
  // Per-row starting margin (XGBoost's base_margin), used in training and
  // early stopping instead of base_score; empty = none. Only the opt-in
  // training experiments set it (training/experiment_columns.h).
  std::vector<float> base_margin = {};

  const float* Row(int r) const {
    return values.data() + static_cast<size_t>(r) * cols;
  }
};

// What happened during Train().
struct TrainLog {
  int rounds_run = 0;       // boosting rounds actually trained
  int best_iteration = -1;  // 0-based round with the lowest validation logloss
                            // (last round when there is no validation set)
  double best_valid_logloss = 0;  // logloss objectives only (else 0)
  bool stopped_early = false;
  std::vector<double> train_logloss;  // one per round (logloss objectives only)
  std::vector<double>
      valid_logloss;               // one per round (empty w/o validation set)
  std::string metric = "logloss";  // EarlyStoppingMetric(objective)
  double best_valid_metric = 0;    // best validation value of `metric`
};

class XGBoostBooster {
 public:
  // Trains on (x, y). `valid_x`/`valid_y` (both or neither) enable early
  // stopping on validation logloss. `log` may be nullptr. Labels must be 0/1.
  static absl::StatusOr<std::unique_ptr<XGBoostBooster>> Train(
      const DenseMatrix& x, const std::vector<float>& y,
      const DenseMatrix* valid_x, const std::vector<float>* valid_y,
      const TrainParams& params, TrainLog* log);

  // Loads a model saved by SaveModel (JSON, or any format XGBoost detects).
  static absl::StatusOr<std::unique_ptr<XGBoostBooster>> LoadFromFile(
      const std::string& path);
  // Loads a model from an in-memory JSON document.
  static absl::StatusOr<std::unique_ptr<XGBoostBooster>> LoadFromJson(
      const std::string& json);

  XGBoostBooster(const XGBoostBooster&) = delete;
  XGBoostBooster& operator=(const XGBoostBooster&) = delete;
  ~XGBoostBooster();

  // Saves the model; the path should end in ".json" (XGBoost picks the format
  // from the extension; anything else is rejected here to avoid the old binary
  // format).
  absl::Status SaveModel(const std::string& path) const;
  // The model as a JSON document (what SaveModel writes).
  absl::StatusOr<std::string> SaveModelToJson() const;

  // Raw margins (log-odds), one per row, via a DMatrix.
  absl::StatusOr<std::vector<float>> PredictMargin(const DenseMatrix& x);
  // Raw margins via in-place prediction (XGBoosterPredictFromDense, no
  // DMatrix); `nthread` threads. Used for single-row latency comparisons.
  absl::StatusOr<std::vector<float>> PredictMarginInplace(const float* values,
                                                          int rows, int cols,
                                                          int nthread = 1);
  // TreeSHAP contributions: rows * (cols + 1) values, row-major; the last
  // column of a row is the bias (expected margin); a row sums to its margin.
  absl::StatusOr<std::vector<float>> PredictContributions(const DenseMatrix& x);

  // Total gain per feature (XGBoosterFeatureScore "total_gain"), indexed by
  // feature 0..num_features()-1; features never used in a split get 0.
  absl::StatusOr<std::vector<double>> TotalGainImportance() const;

  // Sets the booster's prediction threads (XGBoost "nthread"); use 1 for
  // single-row work.
  absl::Status SetNumThreads(int nthread);

  int num_features() const { return num_features_; }
  // Boosting rounds (= trees for binary:logistic) in the model.
  absl::StatusOr<int> NumRounds() const;

 private:
  XGBoostBooster(void* handle, int num_features)
      : handle_(handle), num_features_(num_features) {}
  static absl::StatusOr<std::unique_ptr<XGBoostBooster>> Adopt(void* handle);
  absl::StatusOr<std::vector<float>> PredictDMatrix(const DenseMatrix& x,
                                                    int type,
                                                    size_t expected_cols);

  void* handle_;  // BoosterHandle, owned
  int num_features_;
  int nthread_ = -1;  // nthread last set by PredictMarginInplace (-1: not set)
};

}  // namespace pcs

#endif  // PCS_MODEL_XGBOOST_BOOSTER_H_
