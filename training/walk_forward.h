#ifndef PCS_TRAINING_WALK_FORWARD_H_
#define PCS_TRAINING_WALK_FORWARD_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/bar.h"
#include "training/dataset_split.h"

namespace pcs {

// Rolling-origin (walk-forward) evaluation windows for `pcs train`.
//
// Test periods are consecutive: period k covers [test_starts[k],
// test_starts[k+1] - 1], the last one [test_starts.back(), test_end]. For
// each test period the model is chosen and fitted on EARLIER data only:
//   validation  the `validation_years` years before the test start
//   train       everything confirmed before the validation start
// with purge + embargo at both boundaries (dataset_split.h: a train row is
// kept only if its label window + embargo ends before the validation start,
// a validation row only if it ends before the test start). Test rows are
// never purged and never used to choose anything.
//
// One more window, the "final" one, runs the same selection procedure with
// validation = the `validation_years` years ending at test_end and train =
// everything before (no test period): it picks the settings of the served
// model, which is then refit on all labeled rows confirmed <= test_end.
//
// Pure functions, thread-safe.
struct WalkForwardOptions {
  std::vector<Day> test_starts;  // ascending; default 2010, 2013, 2016-01-01
  Day test_end = 0;              // default 2018-12-31
  int validation_years = 3;
  int embargo_calendar_days = 14;
};

WalkForwardOptions DefaultWalkForwardOptions();
// At least one test period, ascending starts, test_end after the last start,
// validation_years >= 1, embargo >= 0, and the first validation window
// starting after 1900.
absl::Status ValidateWalkForwardOptions(const WalkForwardOptions& options);

struct WalkForwardWindow {
  std::string name;  // "fold 1" ... or "final"
  bool is_test_fold = true;
  Day validation_start = 0;
  Day test_start = 0;  // final window: the day after test_end
  Day test_end = 0;    // final window: test_end (no test rows)
  // train_end = validation_start - 1, valid_end = test_start - 1,
  // holdout_end = test_end (the holdout of AssignSplit is the test period).
  SplitOptions split;
};

// The test folds in order, then the final window.
std::vector<WalkForwardWindow> MakeWalkForwardWindows(
    const WalkForwardOptions& options);

// `day` moved by `years` calendar years (Feb 29 -> Feb 28 when needed).
Day AddYears(Day day, int years);

}  // namespace pcs

#endif  // PCS_TRAINING_WALK_FORWARD_H_
