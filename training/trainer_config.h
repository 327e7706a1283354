#ifndef PCS_TRAINING_TRAINER_CONFIG_H_
#define PCS_TRAINING_TRAINER_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/xgboost_booster.h"
#include "nlohmann/json.hpp"
#include "training/dataset_split.h"
#include "training/experiment_columns.h"
#include "training/model_registry.h"
#include "training/policy_selection.h"
#include "training/walk_forward.h"

namespace pcs {

// Everything `pcs train` can be told, with the defaults it uses; read from
// config/train.json (LoadTrainerConfig) and then overridden by flags.
//
// Evaluation is walk-forward (training/walk_forward.h). In every window the
// same procedure (training/model_selection.h) chooses, on that window's
// validation rows only: the grid point (validation logloss), the candidate
// (validation ROC-AUC) and whether to bag. Test periods are only scored.
struct HyperparameterGrid {
  std::vector<int> max_depth = {3, 4, 6};
  std::vector<double> eta = {0.05};
  std::vector<double> min_child_weight = {5, 20};
};

// One model family tried in every window. The first candidate must be
// binary:logistic (the grid runs on it); the others are fitted at its
// winning grid point.
struct ModelCandidate {
  std::string name = "logistic";
  std::string objective = "binary:logistic";  // or "rank:pairwise"
  bool monotone = false;  // barrier-geometry monotone constraints
};

struct TrainerConfig {
  WalkForwardOptions walk_forward = DefaultWalkForwardOptions();
  TrainParams base;  // everything the grid does not vary
  HyperparameterGrid grid;
  std::vector<ModelCandidate> candidates = {ModelCandidate{}};
  int bagging_seeds = 1;  // > 1: also try the winner averaged over seeds
  // The blend column of the matched-coverage table (the pre-policy serving
  // constant); the served blend weight is the policy's.
  double blend_weight = 0.5;    // blend = (1 - w) rule + w model
  double rule_threshold = 0.5;  // the rule's default decision threshold
  GateOptions gate;
  // The decision policy search (training/policy_selection.h); its
  // rule_threshold, resamples and seed are rule_threshold,
  // bootstrap_resamples and bootstrap_seed below.
  PolicyOptions policy;
  std::vector<double> coverages = {0.10, 0.20, 0.30, 0.50};
  int bootstrap_resamples = 1000;
  uint64_t bootstrap_seed = 20240605;
  int reference_rows = 32;  // holdout rows copied into reference_rows.json
  int top_features = 15;
  bool shuffle_labels = false;  // train on permuted training labels
  bool shuffle_check = true;    // also run the shuffled control and report it
  uint64_t shuffle_seed = 7;
  // Opt-in training-only inputs (training/experiment_columns.h); a run with
  // any of them is reported, never promoted.
  ExperimentColumns experiment;
};

// Defaults with rule_threshold = lifecycle's kDefaultRuleDecisionThreshold.
TrainerConfig DefaultTrainerConfig();

// Reads a JSON config; keys it does not know are an error (naming the key),
// missing keys keep their defaults. Dates are "YYYY-MM-DD".
absl::StatusOr<TrainerConfig> LoadTrainerConfig(const std::string& path);
absl::StatusOr<TrainerConfig> TrainerConfigFromJson(const nlohmann::json& json);
nlohmann::json TrainerConfigToJson(const TrainerConfig& config);
nlohmann::json TrainParamsToJson(const TrainParams& params);

// Sets `experiment` from "analytic_feature,relative_strength"-style text
// (names of ExperimentColumns, comma separated; "none" clears them).
absl::Status ParseExperimentColumns(const std::string& text,
                                    ExperimentColumns& experiment);

// The grid's parameter sets, in selection order.
std::vector<TrainParams> ExpandGrid(const TrainerConfig& config);

}  // namespace pcs

#endif  // PCS_TRAINING_TRAINER_CONFIG_H_
