#ifndef PCS_TRAINING_WALK_FORWARD_RUNNER_H_
#define PCS_TRAINING_WALK_FORWARD_RUNNER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "training/dataset_split.h"
#include "training/evaluation.h"
#include "training/labeled_dataset.h"
#include "training/model_scoring.h"
#include "training/model_selection.h"
#include "training/trainer_config.h"
#include "training/walk_forward.h"

namespace pcs {

// Runs the walk-forward windows of `pcs train` (training/walk_forward.h
// defines them): each window's rows, the validation-only selection
// procedure in each window, its test-fold probabilities, and the pooling of
// all folds' out-of-sample probabilities into one evaluation input.
// training/trainer.cc drives it.

// One walk-forward window's rows.
struct WindowData {
  WalkForwardWindow window;
  SplitData train, valid, test;
  SplitCounts counts;
  std::map<std::string, double> rates;  // type base rates of `train`
};

// The window's train / validation / test rows of `ds` (purge + embargo per
// w.split). FAILED_PRECONDITION when a part it needs has one class only.
absl::StatusOr<WindowData> MakeWindow(const LabeledDataset& ds,
                                      const WalkForwardWindow& w);

// `y` shuffled with a fixed, toolchain-independent Fisher-Yates.
std::vector<float> Shuffled(std::vector<float> y, uint64_t seed);

// What one window produced.
struct WindowOutcome {
  SelectionResult selection;
  std::vector<std::vector<double>>
      lever_test;                     // calibrated test probabilities per lever
  std::vector<double> shuffled_test;  // shuffle control (empty when off)
};

// One window: selection on validation, then (test folds only) every lever's
// calibrated test probabilities and the shuffle control.
absl::StatusOr<WindowOutcome> RunWindow(const WindowData& d,
                                        const TrainerConfig& c,
                                        const ProgressFn& progress);

// Every window on `workers` threads; results in window order. `report`
// (may be empty) gets "walk-forward <window>: <step>" lines, serialised.
absl::StatusOr<std::vector<WindowOutcome>> RunWindows(
    const std::vector<WindowData>& windows, const TrainerConfig& c, int workers,
    const ProgressFn& report);

// Pools per-fold test probabilities into one evaluation input, rows in
// dataset (id) order; each row's type base rate is its own fold's.
EvaluationInput PooledInput(const LabeledDataset& ds,
                            const std::vector<WindowData>& folds,
                            const std::vector<std::vector<double>>& fold_probs,
                            const EvaluationSettings& s);

}  // namespace pcs

#endif  // PCS_TRAINING_WALK_FORWARD_RUNNER_H_
