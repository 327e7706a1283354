#ifndef PCS_TRAINING_MODEL_SCORING_H_
#define PCS_TRAINING_MODEL_SCORING_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/calibrator.h"
#include "model/model_card.h"
#include "model/tree_ensemble.h"
#include "nlohmann/json.hpp"
#include "training/evaluation.h"
#include "training/labeled_dataset.h"

namespace pcs {

// Scoring of labeled examples with a saved model exactly as the server does
// it (TreeEnsemble margin -> logistic -> isotonic calibrator), and the
// assembly of an EvaluationInput. Shared by `pcs train` (holdout) and
// `pcs evaluate` (any data), so both report the same numbers for the same
// model and rows.
//
// Threading: LoadedModel is immutable after LoadModelDir; scoring is
// thread-safe.
struct LoadedModel {
  std::string dir;
  ModelCard card;
  std::optional<TreeEnsemble> ensemble;
  std::optional<Calibrator> calibrator;
};

// Reads the version folder with the one model-folder reader, ReadModelFolder
// (model/model_card.h): typed card, sha256s, feature schema hash ==
// FeatureBuilder::Schema().hash, warm-up on reference_rows.json.
absl::StatusOr<LoadedModel> LoadModelDir(const std::string& dir);

// The row's margin: the ensemble's, or, when the row has a margin_offset
// (the analytic_base_margin experiment), the trees' sum started at that
// offset instead of base_score, as XGBoost trained it.
double RowMargin(const TreeEnsemble& ensemble, const LabeledExample& row);

struct ScoredRows {
  std::vector<double> margins;
  std::vector<double> probabilities;  // calibrated
};
ScoredRows ScoreRows(const TreeEnsemble& ensemble, const Calibrator& calibrator,
                     const std::vector<const LabeledExample*>& rows);

// Positive rate per pattern type (and "__all__") of `rows`.
std::map<std::string, double> TypeBaseRates(
    const std::vector<const LabeledExample*>& rows);

struct EvaluationSettings {
  double blend_weight = 0.5;
  double rule_threshold = 0.5;
  std::vector<double> coverages = {0.10, 0.20, 0.30, 0.50};
  int resamples = 1000;
  uint64_t seed = 20240605;
};

// rows must be sorted by id. A type missing from `base_rates` gets
// base_rates["__all__"].
EvaluationInput BuildEvaluationInput(
    const std::vector<const LabeledExample*>& rows,
    const std::vector<double>& model_probabilities,
    const std::map<std::string, double>& base_rates,
    const EvaluationSettings& settings);

// `pcs evaluate`: scores every row of `dataset` with `model` (its own
// calibration, blend weight, decision threshold and training type base
// rates from the card) and evaluates them. Rows must be sorted by id.
absl::StatusOr<EvaluationReport> EvaluateLoadedModel(
    const LoadedModel& model, const LabeledDataset& dataset, int resamples);
// The input EvaluateLoadedModel evaluates (for the operating point and
// predictions.csv of `pcs evaluate`).
absl::StatusOr<EvaluationInput> LoadedModelInput(const LoadedModel& model,
                                                 const LabeledDataset& dataset,
                                                 int resamples);

}  // namespace pcs

#endif  // PCS_TRAINING_MODEL_SCORING_H_
