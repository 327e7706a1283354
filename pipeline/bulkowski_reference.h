#ifndef PCS_PIPELINE_BULKOWSKI_REFERENCE_H_
#define PCS_PIPELINE_BULKOWSKI_REFERENCE_H_

#include <optional>
#include <string>

#include "core/bar.h"
#include "lifecycle/pattern.h"

namespace pcs {

// Published "meets price target" figures for bull markets from
// Thomas N. Bulkowski, Encyclopedia of Chart Patterns, 2nd ed., Wiley, 2005,
// as recorded in the project brief (issue 3). Page numbers were not checked
// here; a range means the book gives different figures for the variants of
// the pattern (e.g. Adam/Eve double tops, rectangle tops/bottoms).
struct BulkowskiReference {
  // Share of patterns meeting the measured-move target, in [0, 1]; nullopt
  // when the brief gives no figure for this pattern ("n/a").
  std::optional<double> target_low;
  std::optional<double> target_high;
  std::string label;      // how it prints: "66%", "64-72%", "n/a"
  std::string book_name;  // Bulkowski's name for the pattern, or "" if n/a
};

// The reference row for a pattern type and breakout direction.
// Rectangles: one range for every rectangle variant and breakout direction.
BulkowskiReference BulkowskiReferenceFor(PatternType type, Direction direction);

inline constexpr char kBulkowskiCitation[] =
    "Bulkowski, T. N., Encyclopedia of Chart Patterns, 2nd ed., Wiley, 2005 "
    "(bull-market figures; as recorded in the project brief)";

// What happens after a pattern's breakout under Bulkowski-style definitions
// (no horizon, no stop-and-exit), computed from the symbol's bars.
//
// For a bullish pattern (bearish mirrored: lows for highs, signs flipped),
// with c the confirmation bar and B the breakout level:
//  * The trend runs from bar c+1 and ends at the first bar i that reverses
//    it: low[i] <= best * (1 - reversal) (a 20% decline from the best high
//    so far, Bulkowski's trend-change rule), or close[i] < stop (the close
//    back through the pattern's invalidation level; unless
//    reverse_on_stop_close is false). The best price starts
//    at close[c]; the reversing bar's own high is not counted (the bar's
//    order of high and low is unknown, so we assume the worse).
//  * ultimate = best high before the reversal (or before the data end, then
//    trend_open = true).
//  * target_before_reversal: ultimate >= target (Bulkowski's
//    "meets price target").
//  * target_any_time: any high[i], i > c, up to the last bar >= target.
//  * failure: (ultimate - B) / B < failure_move (5%), Bulkowski's
//    "break-even failure".
struct BulkowskiOutcome {
  bool valid = false;  // false: confirmation bar not in the series
  bool target_before_reversal = false;
  bool target_any_time = false;
  bool failure = false;
  bool trend_open = false;   // data ended before a reversal
  double ultimate_move = 0;  // signed by direction: (ultimate - B) / B
  int bars_to_ultimate = 0;
};

struct BulkowskiOptions {
  double failure_move = 0.05;  // "less than 5% beyond the breakout level"
  double reversal = 0.20;      // trend change: 20% off the best price
  // Also end the trend at the first close back through the pattern's stop.
  // false = the 20% rule alone (closer to the book for patterns whose stop
  // sits near the breakout, e.g. flags).
  bool reverse_on_stop_close = true;
};

// Pure; thread-safe.
BulkowskiOutcome MeasureBulkowski(const BarSeries& bars, const Pattern& p,
                                  const BulkowskiOptions& options = {});

}  // namespace pcs

#endif  // PCS_PIPELINE_BULKOWSKI_REFERENCE_H_
