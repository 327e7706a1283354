#include "training/dataset_split.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pcs {

SplitOptions DefaultSplitOptions() {
  SplitOptions o;
  o.train_end = *ParseDay("2012-12-31");
  o.valid_end = *ParseDay("2015-12-31");
  o.holdout_end = *ParseDay("2018-12-31");
  o.embargo_calendar_days = 14;
  return o;
}

absl::Status ValidateSplitOptions(const SplitOptions& o) {
  if (!(o.train_end < o.valid_end && o.valid_end < o.holdout_end)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "split dates must satisfy train_end < valid_end < holdout_end, got ",
        FormatDay(o.train_end), ", ", FormatDay(o.valid_end), ", ",
        FormatDay(o.holdout_end)));
  }
  if (o.embargo_calendar_days < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "embargo_calendar_days must be >= 0, got ", o.embargo_calendar_days));
  }
  return absl::OkStatus();
}

Day LabelEndDay(Day confirmation_day, Day resolved_day, int horizon_bars) {
  // 5 trading days per 7 calendar days, rounded up, plus slack for holidays.
  const int horizon_calendar = (std::max(horizon_bars, 0) * 7 + 4) / 5 + 4;
  return std::max(resolved_day, confirmation_day + horizon_calendar);
}

std::vector<SplitPart> AssignSplit(const std::vector<SplitKey>& keys,
                                   const SplitOptions& o, SplitCounts* counts) {
  SplitCounts local;
  std::vector<SplitPart> parts;
  parts.reserve(keys.size());
  for (const SplitKey& k : keys) {
    const Day known = k.label_end_day + o.embargo_calendar_days;
    SplitPart part;
    if (k.confirmation_day <= o.train_end) {
      part = known <= o.train_end ? SplitPart::kTrain : SplitPart::kPurged;
      if (part == SplitPart::kPurged)
        ++local.purged_train;
      else
        ++local.train;
    } else if (k.confirmation_day <= o.valid_end) {
      part = known <= o.valid_end ? SplitPart::kValidation : SplitPart::kPurged;
      if (part == SplitPart::kPurged)
        ++local.purged_validation;
      else
        ++local.validation;
    } else if (k.confirmation_day <= o.holdout_end) {
      part = SplitPart::kHoldout;
      ++local.holdout;
    } else {
      part = SplitPart::kOutOfRange;
      ++local.out_of_range;
    }
    parts.push_back(part);
  }
  if (counts != nullptr) *counts = local;
  return parts;
}

}  // namespace pcs
