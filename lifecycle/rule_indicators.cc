#include "lifecycle/rule_indicators.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace pcs::rules {

std::vector<double> WilderAtr(const std::vector<Bar>& bars, int period) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const int n = static_cast<int>(bars.size());
  std::vector<double> atr(n, nan);
  if (period < 1) return atr;
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    const Bar& b = bars[i];
    double tr = b.high - b.low;
    if (i > 0) {
      const double pc = bars[i - 1].close;
      tr = std::max({tr, std::abs(b.high - pc), std::abs(b.low - pc)});
    }
    if (i < period - 1) {
      sum += tr;
    } else if (i == period - 1) {
      atr[i] = (sum + tr) / period;
    } else {
      atr[i] = (atr[i - 1] * (period - 1) + tr) / period;
    }
  }
  return atr;
}

std::vector<double> TrailingMeanVolume(const std::vector<Bar>& bars,
                                       int period) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const int n = static_cast<int>(bars.size());
  std::vector<double> out(n, nan);
  if (period < 1) return out;
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    if (i >= period) out[i] = sum / period;
    sum += bars[i].volume;
    if (i >= period) sum -= bars[i - period].volume;
  }
  return out;
}

Line FitLine(const std::vector<double>& x, const std::vector<double>& y) {
  Line line;
  const size_t n = std::min(x.size(), y.size());
  if (n == 0) return line;
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  double sxx = 0, sxy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
  }
  line.slope = sxx > 0 ? sxy / sxx : 0;
  line.intercept = my - line.slope * mx;
  return line;
}

}  // namespace pcs::rules
