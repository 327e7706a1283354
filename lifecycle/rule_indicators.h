#ifndef PCS_LIFECYCLE_RULE_INDICATORS_H_
#define PCS_LIFECYCLE_RULE_INDICATORS_H_

#include <vector>

#include "lifecycle/bar.h"

// Indicators used by the rule detectors. All are causal: the value at index i
// depends on bars[0..i] only. Kept in pcs::rules so they cannot collide with
// the feature builder's indicators (features/indicators.h).
namespace pcs::rules {

// Wilder's average true range. TR[0] = high - low; TR[i] = max(high - low,
// |high - close[i-1]|, |low - close[i-1]|). ATR[period-1] = mean(TR[0..period-1]),
// then ATR[i] = (ATR[i-1] * (period - 1) + TR[i]) / period. NaN before
// index period-1 (and for every index when period < 1).
std::vector<double> WilderAtr(const std::vector<Bar>& bars, int period);

// Mean volume of the `period` bars before i (bars[i-period..i-1], bar i
// excluded). NaN when fewer than `period` earlier bars exist.
std::vector<double> TrailingMeanVolume(const std::vector<Bar>& bars,
                                       int period);

// Least-squares line y = intercept + slope * x. With one point (or all x
// equal) the slope is 0 and the intercept the mean.
struct Line {
  double intercept = 0;
  double slope = 0;
  double At(double x) const { return intercept + slope * x; }
};
Line FitLine(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace pcs::rules

#endif  // PCS_LIFECYCLE_RULE_INDICATORS_H_
