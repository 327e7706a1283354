#ifndef PCS_TRAINING_DATASET_SPLIT_H_
#define PCS_TRAINING_DATASET_SPLIT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/bar.h"

namespace pcs {

// Chronological train / validation / holdout split of labeled pattern events
// by confirmation date, with purging and an embargo so that no label used for
// fitting (or for early stopping / calibration) is realised inside a later
// period.
//
// Periods (inclusive, by confirmation day):
//   train       confirmation <= train_end
//   validation  train_end   < confirmation <= valid_end
//   holdout     valid_end   < confirmation <= holdout_end
//   anything later is kOutOfRange (counted, never used).
//
// Purge + embargo: an event of the train (validation) period is kept only if
//   label_end_day + embargo_calendar_days <= train_end (valid_end),
// i.e. its outcome is known at least `embargo_calendar_days` before the next
// period starts. label_end_day is computed by LabelEndDay(): the later of the
// day the outcome resolved and confirmation + the horizon in calendar days
// (horizon_bars * 7/5 rounded up, +4 days for holidays) - the conservative
// choice, because an event can only be labelled after the fact and the full
// horizon bounds the window whatever the exit was. The default embargo of 14
// calendar days is ~10 trading days: it also keeps the training period's most
// recent price moves (which feed validation features such as momentum) from
// sitting right next to the labels being fitted. Holdout events are never
// purged (nothing follows them).
//
// Pure functions, thread-safe.
struct SplitOptions {
  Day train_end = 0;    // default 2012-12-31 (see DefaultSplitOptions)
  Day valid_end = 0;    // default 2015-12-31
  Day holdout_end = 0;  // default 2018-12-31
  int embargo_calendar_days = 14;
};

// The defaults documented above.
SplitOptions DefaultSplitOptions();
// Checks ordering (train_end < valid_end < holdout_end, embargo >= 0).
absl::Status ValidateSplitOptions(const SplitOptions& options);

enum class SplitPart {
  kTrain = 0,
  kValidation = 1,
  kHoldout = 2,
  kPurged = 3,      // in train/validation, but its label window reaches on
  kOutOfRange = 4,  // confirmed after holdout_end
};

// The dates of one labeled event that the split needs.
struct SplitKey {
  Day confirmation_day = 0;
  Day label_end_day = 0;  // LabelEndDay(...)
};

// Conservative end of the label window (see the header comment).
// `resolved_day` < 0 means unknown (then only the horizon bound is used).
Day LabelEndDay(Day confirmation_day, Day resolved_day, int horizon_bars);

struct SplitCounts {
  int train = 0;
  int validation = 0;
  int holdout = 0;
  int purged_train = 0;       // train-period events purged
  int purged_validation = 0;  // validation-period events purged
  int out_of_range = 0;
};

// Assigns each key a part. Order of the output = order of `keys`.
std::vector<SplitPart> AssignSplit(const std::vector<SplitKey>& keys,
                                   const SplitOptions& options,
                                   SplitCounts* counts = nullptr);

}  // namespace pcs

#endif  // PCS_TRAINING_DATASET_SPLIT_H_
