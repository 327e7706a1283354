#include "training/analytic_baseline.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace pcs {

double TwoBarrierHitProbability(double up, double down, double sigma,
                                double horizon) {
  if (!(up > 0)) return 1.0;
  if (!(down > 0)) return 0.0;
  if (!(sigma > 0) || !(horizon > 0)) return 0.0;
  const double l = up + down;
  const double x = down;
  const double pi = std::numbers::pi;
  const double decay = pi * pi * sigma * sigma * horizon / (2.0 * l * l);
  if (decay < 1e-5) {
    // Too little time for the series to converge in 2000 terms; the lower
    // barrier is then irrelevant and the one-barrier reflection formula
    // 2 * (1 - Phi(u / (sigma sqrt(T)))) is accurate.
    return std::clamp(std::erfc(up / (sigma * std::sqrt(2.0 * horizon))), 0.0,
                      1.0);
  }
  double p = x / l;
  for (int n = 1; n <= 2000; ++n) {
    const double e = std::exp(-decay * n * n);
    const double term = 2.0 / (n * pi) * (n % 2 == 0 ? 1.0 : -1.0) *
                        std::sin(n * pi * x / l) * e;
    p += term;
    if (2.0 / (n * pi) * e < 1e-12) break;
  }
  return std::clamp(p, 0.0, 1.0);
}

double RecentLogReturnStd(const BarSeries& bars, int index, int window) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (index <= 0 || index >= static_cast<int>(bars.bars.size())) return nan;
  double sum = 0, sum_sq = 0;
  int n = 0;
  for (int i = std::max(1, index - window + 1); i <= index; ++i) {
    const double a = bars.bars[i - 1].close;
    const double b = bars.bars[i].close;
    if (!(a > 0) || !(b > 0)) continue;
    const double r = std::log(b / a);
    sum += r;
    sum_sq += r * r;
    ++n;
  }
  if (n < 5) return nan;
  const double mean = sum / n;
  return std::sqrt(std::max(0.0, (sum_sq - n * mean * mean) / (n - 1)));
}

double AnalyticHitProbability(const Pattern& pattern, const BarSeries& bars,
                              int index, int horizon_bars, int window) {
  const double sigma = RecentLogReturnStd(bars, index, window);
  if (std::isnan(sigma)) return sigma;
  const double entry = bars.bars[index].close;
  if (!(entry > 0) || !(pattern.target > 0) || !(pattern.stop > 0)) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  const double s = Sign(pattern.direction);
  const double up = s * std::log(pattern.target / entry);
  const double down = -s * std::log(pattern.stop / entry);
  return TwoBarrierHitProbability(up, down, sigma, horizon_bars);
}

}  // namespace pcs
