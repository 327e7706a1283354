#include "training/walk_forward.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pcs {

WalkForwardOptions DefaultWalkForwardOptions() {
  WalkForwardOptions o;
  o.test_starts = {*ParseDay("2010-01-01"), *ParseDay("2013-01-01"),
                   *ParseDay("2016-01-01")};
  o.test_end = *ParseDay("2018-12-31");
  return o;
}

Day AddYears(Day day, int years) {
  const std::string text = FormatDay(day);
  int y = 0, m = 0, d = 0;
  std::sscanf(text.c_str(), "%d-%d-%d", &y, &m, &d);
  y += years;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (m == 2 && d == 29 && !leap) d = 28;
  return *ParseDay(absl::StrFormat("%04d-%02d-%02d", y, m, d));
}

absl::Status ValidateWalkForwardOptions(const WalkForwardOptions& o) {
  if (o.test_starts.empty()) {
    return absl::InvalidArgumentError(
        "walk_forward: at least one test period is needed");
  }
  for (size_t i = 1; i < o.test_starts.size(); ++i) {
    if (!(o.test_starts[i - 1] < o.test_starts[i])) {
      return absl::InvalidArgumentError(
          "walk_forward: test_starts must be ascending");
    }
  }
  if (!(o.test_starts.back() <= o.test_end)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "walk_forward: test_end ", FormatDay(o.test_end),
        " is before the last test start ", FormatDay(o.test_starts.back())));
  }
  if (o.validation_years < 1 || o.validation_years > 50) {
    return absl::InvalidArgumentError(
        "walk_forward: validation_years must be in 1..50");
  }
  if (o.embargo_calendar_days < 0) {
    return absl::InvalidArgumentError(
        "walk_forward: embargo_calendar_days must be >= 0");
  }
  if (YearOf(o.test_starts.front()) - o.validation_years < 1900) {
    return absl::InvalidArgumentError(
        "walk_forward: first validation window before 1900");
  }
  return absl::OkStatus();
}

std::vector<WalkForwardWindow> MakeWalkForwardWindows(
    const WalkForwardOptions& o) {
  std::vector<WalkForwardWindow> out;
  const size_t n = o.test_starts.size();
  for (size_t k = 0; k <= n; ++k) {
    WalkForwardWindow w;
    w.is_test_fold = k < n;
    w.name = w.is_test_fold ? absl::StrCat("fold ", k + 1) : "final";
    w.test_start = w.is_test_fold ? o.test_starts[k] : o.test_end + 1;
    w.test_end = k + 1 < n ? o.test_starts[k + 1] - 1 : o.test_end;
    w.validation_start = AddYears(w.test_start, -o.validation_years);
    w.split.train_end = w.validation_start - 1;
    w.split.valid_end = w.test_start - 1;
    w.split.holdout_end = w.test_end;
    w.split.embargo_calendar_days = o.embargo_calendar_days;
    out.push_back(w);
  }
  return out;
}

}  // namespace pcs
