#ifndef PCS_TRAINING_WALK_FORWARD_REPORT_H_
#define PCS_TRAINING_WALK_FORWARD_REPORT_H_

#include <string>

#include "training/trainer.h"
#include "training/trainer_config.h"

namespace pcs {

// The walk-forward sections of report.md: per-fold table (what each fold
// chose on validation and how it did on its test period), the iso-precision
// figure, every lever's pooled and per-fold lift vs rule at the gate's
// coverage, and the served model's settings. Pure; thread-safe.
std::string WalkForwardMarkdown(const TrainRunResult& result,
                                const TrainerConfig& config);

// The decision policy section: every blend weight's chosen threshold (model
// and analytic), the chosen policy vs rule-only with intervals, the
// sensitivity table at t +- 0.02 and the gate's checks.
std::string PolicyMarkdown(const TrainRunResult& result,
                           const TrainerConfig& config);

}  // namespace pcs

#endif  // PCS_TRAINING_WALK_FORWARD_REPORT_H_
