#ifndef PCS_FEATURES_INDICATORS_H_
#define PCS_FEATURES_INDICATORS_H_

#include <vector>

#include "absl/types/span.h"
#include "core/bar.h"
#include "core/indicators.h"

namespace pcs {

// Technical indicators used by the feature builder (true range, Wilder ATR
// and the least-squares line are in core/indicators.h, shared with the rule
// detectors), written for one window of
// bars (the feature builder passes at most ~300 bars ending at the
// confirmation bar, so every call is O(window)).
//
// Conventions (shared by every function here):
// - A "series" result has the same length as its input; entries before the
//   indicator has enough history are NaN. Nothing is silently zero.
// - Recursive indicators (EMA, Wilder smoothing) are seeded at the start of
//   the input with the simple mean of the first `period` values, so the result
//   depends only on the input span (callers pass a fixed-length window to be
//   reproducible regardless of how much older history they hold).
// - Periods must be >= 1; a span shorter than needed yields NaN, never a crash.
// Thread-safe: pure functions.

// Simple mean of values[end - period + 1 .. end]; NaN if end < period - 1, if
// end is out of range, or if any value in the range is NaN.
double SmaAt(absl::Span<const double> values, int period, int end);

// Population standard deviation over the same range as SmaAt.
double StdevAt(absl::Span<const double> values, int period, int end);

// Exponential moving average, alpha = 2 / (period + 1), seeded at index
// period-1 with the SMA of the first `period` values. NaN inputs are skipped
// only at the start (leading NaNs shift the seed), as MACD's signal line needs.
std::vector<double> EmaSeries(absl::Span<const double> values, int period);

// Wilder RSI: first average gain/loss = mean of the first `period` changes,
// then avg = (avg * (period - 1) + x) / period. Value at index >= period.
// Flat prices (avg gain = avg loss = 0) give 50 (neutral), only gains give
// 100, only losses give 0.
std::vector<double> WilderRsiSeries(absl::Span<const double> closes,
                                    int period);

struct MacdPoint {
  double macd;       // EMA(fast) - EMA(slow)
  double signal;     // EMA(signal) of macd
  double histogram;  // macd - signal
};
// MACD at the last index of `closes` (NaN members when too short: needs
// slow + signal - 1 closes).
MacdPoint MacdLast(absl::Span<const double> closes, int fast = 12,
                   int slow = 26, int signal = 9);

struct AdxPoint {
  double adx;
  double plus_di;
  double minus_di;
};
// Wilder's ADX with +DI/-DI at the last bar. +DM/-DM/TR are Wilder-smoothed
// from bar 1 (first value = sum of the first `period` raw values, then
// s = s - s / period + x); DX = 100 |+DI - -DI| / (+DI + -DI), taken as 0
// when both DI are 0 or the smoothed range is 0 (flat, untraded stretches);
// ADX = mean of the first `period` DX, then Wilder-smoothed. DI need
// period + 1 bars (NaN when the smoothed range is 0), ADX needs 2 * period.
AdxPoint AdxLast(absl::Span<const Bar> bars, int period = 14);

struct BollingerPoint {
  double percent_b;  // (close - lower) / (upper - lower); NaN if bands collapse
  double width;      // (upper - lower) / middle
};
// Bollinger bands (SMA `period`, k population standard deviations) at `end`.
BollingerPoint BollingerAt(absl::Span<const double> closes, int end,
                           int period = 20, double k = 2.0);

// Bollinger width (2 k sd / mean) for every index >= period - 1 (NaN before
// and where the mean is 0), in O(n) with rolling sums.
std::vector<double> BollingerWidthSeries(absl::Span<const double> closes,
                                         int period = 20, double k = 2.0);

// Annualised (sqrt 252) standard deviation of daily log returns over the last
// `period` returns ending at `end` (needs period + 1 closes; NaN if any close
// is not positive).
double RealizedVolAt(absl::Span<const double> closes, int period, int end);

// On-balance volume, starting at 0 on bar 0.
std::vector<double> ObvSeries(absl::Span<const Bar> bars);

// Least-squares slope (core FitLine) of values[end - period + 1 .. end]
// against 0..period-1 (units of value per bar); NaN if too short or
// period < 2.
double SlopeAt(absl::Span<const double> values, int period, int end);

// Stochastic %K (0..100) over `period` bars ending at the last bar; NaN if the
// high-low range is zero or the span is too short.
double StochasticKLast(absl::Span<const Bar> bars, int period = 14);

// Share (0..1) of values[0..n) that are <= value (the empirical percentile
// rank of `value`); NaN values are ignored; NaN if none remain.
double PercentileRank(absl::Span<const double> values, double value);

// Pearson correlation of two equally long spans; NaN if either has zero
// variance or fewer than 3 points.
double Correlation(absl::Span<const double> x, absl::Span<const double> y);

}  // namespace pcs

#endif  // PCS_FEATURES_INDICATORS_H_
