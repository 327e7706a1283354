#include "core/indicators.h"

#include <algorithm>
#include <limits>

namespace pcs {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

std::vector<double> WilderSmoothing(const std::vector<double>& raw, int first,
                                    int period) {
  std::vector<double> out(raw.size(), kNaN);
  const int n = static_cast<int>(raw.size());
  if (period < 1 || first + period > n) return out;
  double sum = 0;
  for (int i = first; i < first + period; ++i) sum += raw[i];
  double avg = sum / period;
  out[first + period - 1] = avg;
  // (avg * (period - 1) + x) / period, written with multiplications: a
  // division in this loop-carried chain dominated the whole feature build.
  const double decay = (period - 1.0) / period, weight = 1.0 / period;
  for (int i = first + period; i < n; ++i) {
    avg = avg * decay + raw[i] * weight;
    out[i] = avg;
  }
  return out;
}

std::vector<double> TrueRangeSeries(absl::Span<const Bar> bars) {
  const int n = static_cast<int>(bars.size());
  std::vector<double> tr(n);
  for (int i = 0; i < n; ++i) {
    if (i == 0) {
      tr[i] = bars[i].high - bars[i].low;
    } else {
      const double pc = bars[i - 1].close;
      tr[i] = std::max(bars[i].high, pc) - std::min(bars[i].low, pc);
    }
  }
  return tr;
}

std::vector<double> WilderAtrSeries(absl::Span<const Bar> bars, int period) {
  return WilderSmoothing(TrueRangeSeries(bars), 0, period);
}

Line FitLine(absl::Span<const double> x, absl::Span<const double> y) {
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

}  // namespace pcs
