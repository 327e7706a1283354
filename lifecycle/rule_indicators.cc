#include "lifecycle/rule_indicators.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace pcs::rules {

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

}  // namespace pcs::rules
