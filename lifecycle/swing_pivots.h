#ifndef PCS_LIFECYCLE_SWING_PIVOTS_H_
#define PCS_LIFECYCLE_SWING_PIVOTS_H_

#include <vector>

#include "core/bar.h"

namespace pcs::rules {

// A confirmed swing high or low.
struct Pivot {
  int index = 0;      // bar of the extreme
  int confirmed = 0;  // first bar at which the reversal was confirmed (> index)
  double price = 0;   // high of a swing high, low of a swing low
  bool is_high = false;
};

// Causal ATR-scaled zigzag. At bar t the reversal threshold is
// `atr_multiple * atr[t]`. While an up-leg is open the running highest high
// is the candidate swing high; it becomes a pivot at the first later bar t
// whose low is at least the threshold below it (ties keep the earlier bar);
// the lowest low after it (up to t) becomes the new candidate swing low, and
// symmetrically for down-legs. Before the first pivot the highest high and
// lowest low seen so far compete; whichever is left behind by a threshold
// move becomes the first pivot. Bars with NaN ATR only update candidates.
//
// Pivots alternate high/low, have strictly increasing `index` and
// `confirmed`, and the pivots with confirmed <= t depend on bars[0..t] only
// (so truncating the series never changes an already confirmed pivot).
std::vector<Pivot> ZigzagPivots(const std::vector<Bar>& bars,
                                const std::vector<double>& atr,
                                double atr_multiple);

// The same pivots as seen on the price-negated series (highs <-> lows).
std::vector<Pivot> MirrorPivots(const std::vector<Pivot>& pivots);

// The price-negated series: open/close/adj_close negated, high = -low,
// low = -high; day and volume kept. Lets one "top" or "bullish" detector
// also find the mirrored pattern.
std::vector<Bar> MirrorBars(const std::vector<Bar>& bars);

}  // namespace pcs::rules

#endif  // PCS_LIFECYCLE_SWING_PIVOTS_H_
