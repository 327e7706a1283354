#ifndef PCS_CORE_INDICATORS_H_
#define PCS_CORE_INDICATORS_H_

#include <vector>

#include "absl/types/span.h"
#include "core/bar.h"

// The indicators both the rule detectors (lifecycle/) and the feature builder
// (features/) use, written once: true range, Wilder smoothing and ATR, and
// the least-squares line. All are causal (the value at index i depends on
// inputs [0..i] only) and pure (thread-safe).
//
// Example:
//   std::vector<double> atr = WilderAtrSeries(series.bars, 14);
//   Line line = FitLine(x, y);  // y = line.intercept + line.slope * x
namespace pcs {

// Wilder smoothing of raw[first..]: NaN before index first + period - 1,
// there the mean of raw[first .. first + period - 1], then
// avg = avg * (period - 1) / period + x / period. All NaN when period < 1 or
// the input is too short.
std::vector<double> WilderSmoothing(const std::vector<double>& raw, int first,
                                    int period);

// True range: max(high, prev close) - min(low, prev close) (equal to
// max(high - low, |high - prev close|, |low - prev close|)); bar 0 uses
// high - low.
std::vector<double> TrueRangeSeries(absl::Span<const Bar> bars);

// Wilder ATR: mean of the first `period` true ranges at index period-1, then
// Wilder-smoothed (WilderSmoothing). NaN before index period-1, and for every
// index when period < 1.
std::vector<double> WilderAtrSeries(absl::Span<const Bar> bars, int period);

// Least-squares line y = intercept + slope * x over the first
// min(x.size(), y.size()) points. With one point (or all x equal) the slope
// is 0 and the intercept the mean of y; with none both are 0.
struct Line {
  double intercept = 0;
  double slope = 0;
  double At(double x) const { return intercept + slope * x; }
};
Line FitLine(absl::Span<const double> x, absl::Span<const double> y);

}  // namespace pcs

#endif  // PCS_CORE_INDICATORS_H_
