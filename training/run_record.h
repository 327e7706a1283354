#ifndef PCS_TRAINING_RUN_RECORD_H_
#define PCS_TRAINING_RUN_RECORD_H_

#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "training/labeled_dataset.h"
#include "training/model_fitting.h"
#include "training/trainer.h"
#include "training/trainer_config.h"
#include "training/walk_forward_runner.h"

namespace pcs {

// The JSON sections a training run records in its model card
// (model/model_card_writer.h) and its report's evaluation.json: date ranges
// and counts of row sets, windows, a scorer's metrics, levers, the policy
// search and the data vintage. Pure functions; thread-safe. NaN and
// infinities are written as null.

// `v`, or null when it is NaN or infinite.
nlohmann::json JsonNumber(double v);

// first/last confirmation day, rows, positives and rows_sha256 of `d`.
nlohmann::json DateRange(const SplitData& d);
nlohmann::json CountsJson(const SplitCounts& c);
// A window's ranges, split counts and its selection log.
nlohmann::json WindowJson(const WindowData& d, const SelectionResult& sel);
// ROC-AUC, PR-AUC, Brier, ECE and, per coverage row, precision and lift vs
// rule of scorer `name` ("model", "rule", "blend", ...) in `r`.
nlohmann::json ScorerMetrics(const EvaluationReport& r,
                             const std::string& name);
nlohmann::json LeverJson(const LeverSummary& l);
// "2010-01-01..2012-12-31, ..." for the config's test folds.
std::string FoldsText(const TrainerConfig& c);
// Where the rows came from and which ones the refit used.
nlohmann::json CardDataVintage(const LabeledDataset& ds,
                               const TrainRunOptions& o, const TrainerConfig& c,
                               const SplitData& all,
                               const std::vector<WindowData>& windows);
// Every blend weight's choice for the model and the analytic baseline.
nlohmann::json PolicySearchJson(const TrainRunResult& r);
// The card's hyperparameters: what the final window chose, refit as `f`.
nlohmann::json HyperparametersJson(const TrainRunResult& result,
                                   const FittedModel& f, const TrainerConfig& c,
                                   const WindowData& final_window,
                                   const SelectionResult& final_sel);
// The card's metrics: pooled out-of-sample figures of the model and the
// baselines, iso-precision, policy search, `folds_json`, levers, shuffle.
nlohmann::json MetricsJson(const TrainRunResult& result, const TrainerConfig& c,
                           const nlohmann::json& folds_json);
// Every test fold's window and its model and rule test metrics.
nlohmann::json FoldsJson(const std::vector<WindowData>& windows,
                         const std::vector<WindowOutcome>& outcomes,
                         const TrainRunResult& result);

}  // namespace pcs

#endif  // PCS_TRAINING_RUN_RECORD_H_
