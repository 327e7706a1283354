#ifndef PCS_TRAINING_MODEL_SELECTION_H_
#define PCS_TRAINING_MODEL_SELECTION_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "training/model_fitting.h"
#include "training/trainer_config.h"

namespace pcs {

// The one selection procedure `pcs train` runs in every walk-forward window
// (training/walk_forward.h), using ONLY that window's train and validation
// rows (the test period is never passed in):
//   1. grid: every grid point of the first candidate (binary:logistic) with
//      early stopping on validation logloss; lowest best validation logloss
//      wins (ties: earlier point);
//   2. levers: every other candidate (monotone constraints, rank:pairwise)
//      at the grid's winning point, with early stopping on validation
//      (logloss, or AUC for rank:pairwise);
//   3. the candidate with the highest validation ROC-AUC of its raw score
//      wins (ties: earlier candidate);
//   4. bagging: if bagging_seeds > 1, the winner is retrained with seeds
//      seed+1 .. seed+K-1 (each with its own early stopping) and the K
//      members are averaged into one model (model/bagged_model.h); the
//      bagged model is kept only if its validation ROC-AUC is higher;
//   5. every fitted model gets an isotonic calibrator fitted on the
//      validation predictions (the same rows as early stopping).
// Thread-compatible: one call per thread (XGBoost boosters are per call).
struct LeverModel {
  std::string name;   // candidate name, or "bagged" (the winner, K seeds)
  FittedModel model;  // calibrated; booster may be null for bagged models
  double valid_auc = 0;
  std::vector<int> member_rounds;  // trees per member (best_iteration + 1)
};

struct SelectionResult {
  std::vector<LeverModel> levers;  // every candidate, then "bagged" if run
  int chosen = 0;                  // index into levers
  nlohmann::json log;              // grid, candidates, bagging, choice
};

// Progress callback: short human-readable steps (may be empty).
using ProgressFn = std::function<void(const std::string&)>;

absl::StatusOr<SelectionResult> SelectOnValidation(
    const SplitData& train, const std::vector<float>& y_train,
    const SplitData& valid, const TrainerConfig& config,
    const ProgressFn& progress);

// Refits the chosen model of `selection` on `all` rows: each member with the
// same parameters and seed and exactly its member_rounds trees (no early
// stopping, no validation), averaged when bagged; the calibrator is the
// chosen model's (fitted on the selection window's validation rows).
absl::StatusOr<FittedModel> RefitChosen(const SelectionResult& selection,
                                        const SplitData& all,
                                        const ProgressFn& progress);

// Monotone direction of every feature (+1, -1, 0) for candidates with
// monotone = true; the barrier-geometry features and their directions are
// documented in docs/FEATURES.md ("Monotone constraints").
std::vector<int> BarrierGeometryMonotoneConstraints(
    const std::vector<std::string>& names);

}  // namespace pcs

#endif  // PCS_TRAINING_MODEL_SELECTION_H_
