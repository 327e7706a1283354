#ifndef PCS_CORE_BAR_H_
#define PCS_CORE_BAR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pcs {

// A civil date as days since 1970-01-01 (negative before). Bars, patterns and
// splits all use this one representation; convert at the edges only.
using Day = int32_t;

// "YYYY-MM-DD" -> Day. Rejects anything else (names the offending text).
absl::StatusOr<Day> ParseDay(absl::string_view text);
// Day -> "YYYY-MM-DD".
std::string FormatDay(Day day);
// Calendar year of a Day (for per-year reports and splits).
int YearOf(Day day);

// One daily OHLCV bar. Prices are split-adjusted; adj_close is also adjusted
// for dividends (equal to close when the source has no adjusted column).
struct Bar {
  Day day = 0;
  double open = 0;
  double high = 0;
  double low = 0;
  double close = 0;
  double adj_close = 0;
  double volume = 0;
};

// Bars of one symbol in strictly increasing day order. Every consumer
// (detectors, labeling, features) indexes into this vector; index i is "bar i".
struct BarSeries {
  std::string symbol;
  std::vector<Bar> bars;

  // Index of the bar on `day`, or -1 when there is none.
  int IndexOf(Day day) const;
  // Index of the last bar on or before `day`, or -1.
  int IndexAtOrBefore(Day day) const;
  // A copy holding only bars [0, end) (used to prove causality).
  BarSeries Truncated(int end) const;
};

}  // namespace pcs

#endif  // PCS_CORE_BAR_H_
