#ifndef PCS_TRAINING_ANALYTIC_BASELINE_H_
#define PCS_TRAINING_ANALYTIC_BASELINE_H_

#include "core/bar.h"
#include "lifecycle/pattern.h"

namespace pcs {

// A geometry-aware baseline with no fitted parameters: the probability that a
// driftless Brownian motion in log price, started at the confirmation close,
// reaches the pattern's target before its stop within the label horizon.
//
// With the log distances u = |log(target/entry)| (to the target) and
// d = |log(stop/entry)| (to the stop), L = u + d, x = d (distance from the
// stop barrier) and per-bar volatility sigma, the probability of leaving the
// strip (0, L) through the upper side before time T is the classical series
//   P(T) = x/L + sum_{n>=1} 2/(n pi) (-1)^n sin(n pi x / L)
//                            exp(-n^2 pi^2 sigma^2 T / (2 L^2)),
// (the solution of the heat equation with absorbing barriers; P(inf) = x/L,
// P(0) = 0). The series is summed until its terms fall below 1e-12 (at most
// 2000 terms); when sigma sqrt(T) is so small against L that it would not
// converge, the one-barrier formula 2 (1 - Phi(u / (sigma sqrt(T)))) is used.
// This ignores drift, gaps, and that the labeler checks prices once a day
// instead of continuously - it is a baseline, not a model; the report says so.
//
// Pure functions, thread-safe.

// P(hit +up before -down within `horizon` time units) for a driftless BM with
// standard deviation `sigma` per unit time. up, down > 0, sigma > 0,
// horizon >= 0; degenerate inputs: up <= 0 -> 1, down <= 0 -> 0,
// sigma <= 0 or horizon <= 0 -> 0 (nothing moves). Result clamped to [0, 1].
double TwoBarrierHitProbability(double up, double down, double sigma,
                                double horizon);

// Standard deviation of the last `window` daily log returns of close ending at
// bar `index` (inclusive), or NaN when fewer than 5 valid returns exist.
double RecentLogReturnStd(const BarSeries& bars, int index, int window = 20);

// The baseline for `pattern` whose confirmation bar is bars[index]; entry is
// that bar's close, direction from the pattern. NaN when the volatility is
// unavailable (ranked last by every evaluation).
double AnalyticHitProbability(const Pattern& pattern, const BarSeries& bars,
                              int index, int horizon_bars, int window = 20);

}  // namespace pcs

#endif  // PCS_TRAINING_ANALYTIC_BASELINE_H_
