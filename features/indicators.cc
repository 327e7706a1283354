#include "features/indicators.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace pcs {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

int Size(absl::Span<const double> v) { return static_cast<int>(v.size()); }
int Size(absl::Span<const Bar> v) { return static_cast<int>(v.size()); }

bool RangeOk(int size, int period, int end) {
  return period >= 1 && end >= period - 1 && end < size;
}

}  // namespace

double SmaAt(absl::Span<const double> values, int period, int end) {
  if (!RangeOk(Size(values), period, end)) return kNaN;
  double sum = 0;
  for (int i = end - period + 1; i <= end; ++i) sum += values[i];
  return sum / period;  // a NaN input propagates
}

double StdevAt(absl::Span<const double> values, int period, int end) {
  const double mean = SmaAt(values, period, end);
  if (std::isnan(mean)) return kNaN;
  double ss = 0;
  for (int i = end - period + 1; i <= end; ++i) {
    ss += (values[i] - mean) * (values[i] - mean);
  }
  return std::sqrt(ss / period);
}

std::vector<double> EmaSeries(absl::Span<const double> values, int period) {
  const int n = Size(values);
  std::vector<double> out(n, kNaN);
  int first = 0;
  while (first < n && std::isnan(values[first])) ++first;
  if (period < 1 || first + period > n) return out;
  const double alpha = 2.0 / (period + 1);
  double ema = 0;
  for (int i = first; i < first + period; ++i) ema += values[i];
  ema /= period;
  out[first + period - 1] = ema;
  for (int i = first + period; i < n; ++i) {
    ema += alpha * (values[i] - ema);
    out[i] = ema;
  }
  return out;
}

std::vector<double> WilderRsiSeries(absl::Span<const double> closes,
                                    int period) {
  const int n = Size(closes);
  std::vector<double> out(n, kNaN);
  if (period < 1 || n < period + 1) return out;
  std::vector<double> gains(n, 0), losses(n, 0);
  for (int i = 1; i < n; ++i) {
    const double change = closes[i] - closes[i - 1];
    gains[i] = change > 0 ? change : 0;
    losses[i] = change < 0 ? -change : 0;
  }
  const std::vector<double> avg_gain = WilderSmoothing(gains, 1, period);
  const std::vector<double> avg_loss = WilderSmoothing(losses, 1, period);
  for (int i = period; i < n; ++i) {
    const double g = avg_gain[i], l = avg_loss[i];
    if (l == 0) {
      out[i] = g == 0 ? 50.0 : 100.0;
    } else {
      out[i] = 100.0 - 100.0 / (1.0 + g / l);
    }
  }
  return out;
}

MacdPoint MacdLast(absl::Span<const double> closes, int fast, int slow,
                   int signal) {
  MacdPoint out{kNaN, kNaN, kNaN};
  const int n = Size(closes);
  if (n < slow + signal - 1) return out;
  const std::vector<double> ema_fast = EmaSeries(closes, fast);
  const std::vector<double> ema_slow = EmaSeries(closes, slow);
  std::vector<double> macd(n);
  for (int i = 0; i < n; ++i) macd[i] = ema_fast[i] - ema_slow[i];
  const std::vector<double> sig = EmaSeries(macd, signal);
  out.macd = macd[n - 1];
  out.signal = sig[n - 1];
  out.histogram = out.macd - out.signal;
  return out;
}

AdxPoint AdxLast(absl::Span<const Bar> bars, int period) {
  AdxPoint out{kNaN, kNaN, kNaN};
  const int n = Size(bars);
  if (period < 1 || n < period + 1) return out;
  const std::vector<double> tr = TrueRangeSeries(bars);
  const double inv_period = 1.0 / period;
  double s_tr = 0, s_plus = 0, s_minus = 0;
  double adx = 0;
  int dx_count = 0;
  for (int i = 1; i < n; ++i) {
    const double up = bars[i].high - bars[i - 1].high;
    const double down = bars[i - 1].low - bars[i].low;
    const double plus_dm = (up > down && up > 0) ? up : 0;
    const double minus_dm = (down > up && down > 0) ? down : 0;
    if (i <= period) {  // seed: plain sums of the first `period` values
      s_tr += tr[i];
      s_plus += plus_dm;
      s_minus += minus_dm;
      if (i < period) continue;
    } else {
      s_tr += tr[i] - s_tr * inv_period;
      s_plus += plus_dm - s_plus * inv_period;
      s_minus += minus_dm - s_minus * inv_period;
    }
    // A stretch without any range (flat, untraded days) has DI 0 and DX 0
    // so it does not poison the smoothed ADX; the reported DI are NaN then.
    const double pdi = s_tr > 0 ? 100.0 * s_plus / s_tr : 0.0;
    const double mdi = s_tr > 0 ? 100.0 * s_minus / s_tr : 0.0;
    out.plus_di = s_tr > 0 ? pdi : kNaN;
    out.minus_di = s_tr > 0 ? mdi : kNaN;
    const double di_sum = pdi + mdi;
    const double dx = di_sum > 0 ? 100.0 * std::fabs(pdi - mdi) / di_sum : 0.0;
    ++dx_count;
    if (dx_count <= period) {
      adx += dx / period;  // mean of the first `period` DX values
    } else {
      adx += (dx - adx) * inv_period;
    }
  }
  if (dx_count >= period) out.adx = adx;
  return out;
}

BollingerPoint BollingerAt(absl::Span<const double> closes, int end, int period,
                           double k) {
  BollingerPoint out{kNaN, kNaN};
  const double mid = SmaAt(closes, period, end);
  if (std::isnan(mid)) return out;
  const double sd = StdevAt(closes, period, end);
  const double band = 2.0 * k * sd;
  if (mid != 0) out.width = band / mid;
  if (band > 0) out.percent_b = (closes[end] - (mid - k * sd)) / band;
  return out;
}

std::vector<double> BollingerWidthSeries(absl::Span<const double> closes,
                                         int period, double k) {
  const int n = Size(closes);
  std::vector<double> out(n, kNaN);
  if (period < 1) return out;
  double sum = 0, sum_sq = 0;
  for (int i = 0; i < n; ++i) {
    sum += closes[i];
    sum_sq += closes[i] * closes[i];
    if (i >= period) {
      sum -= closes[i - period];
      sum_sq -= closes[i - period] * closes[i - period];
    }
    if (i < period - 1) continue;
    const double mean = sum / period;
    const double var = std::max(0.0, sum_sq / period - mean * mean);
    if (mean != 0) out[i] = 2.0 * k * std::sqrt(var) / mean;
  }
  return out;
}

double RealizedVolAt(absl::Span<const double> closes, int period, int end) {
  if (period < 2 || end < period || end >= Size(closes)) return kNaN;
  double sum = 0, sum_sq = 0;
  for (int i = end - period + 1; i <= end; ++i) {
    if (!(closes[i] > 0) || !(closes[i - 1] > 0)) return kNaN;
    const double r = std::log(closes[i] / closes[i - 1]);
    sum += r;
    sum_sq += r * r;
  }
  const double mean = sum / period;
  const double var = std::max(0.0, sum_sq / period - mean * mean);
  return std::sqrt(var * 252.0);
}

std::vector<double> ObvSeries(absl::Span<const Bar> bars) {
  const int n = Size(bars);
  std::vector<double> obv(n, 0);
  for (int i = 1; i < n; ++i) {
    double step = 0;
    if (bars[i].close > bars[i - 1].close) step = bars[i].volume;
    if (bars[i].close < bars[i - 1].close) step = -bars[i].volume;
    obv[i] = obv[i - 1] + step;
  }
  return obv;
}

double SlopeAt(absl::Span<const double> values, int period, int end) {
  if (period < 2 || !RangeOk(Size(values), period, end)) return kNaN;
  std::vector<double> x(period);
  for (int i = 0; i < period; ++i) x[i] = i;
  return FitLine(x, values.subspan(end - period + 1, period)).slope;
}

double StochasticKLast(absl::Span<const Bar> bars, int period) {
  const int n = Size(bars);
  if (period < 1 || n < period) return kNaN;
  double hi = bars[n - period].high, lo = bars[n - period].low;
  for (int i = n - period + 1; i < n; ++i) {
    hi = std::max(hi, bars[i].high);
    lo = std::min(lo, bars[i].low);
  }
  if (!(hi > lo)) return kNaN;
  return 100.0 * (bars[n - 1].close - lo) / (hi - lo);
}

double PercentileRank(absl::Span<const double> values, double value) {
  if (std::isnan(value)) return kNaN;
  int total = 0, below = 0;
  for (double v : values) {
    if (std::isnan(v)) continue;
    ++total;
    if (v <= value) ++below;
  }
  return total == 0 ? kNaN : static_cast<double>(below) / total;
}

double Correlation(absl::Span<const double> x, absl::Span<const double> y) {
  const int n = Size(x);
  if (n != Size(y) || n < 3) return kNaN;
  double mx = 0, my = 0;
  for (int i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  double sxy = 0, sxx = 0, syy = 0;
  for (int i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (!(sxx > 0) || !(syy > 0)) return kNaN;
  return sxy / std::sqrt(sxx * syy);
}

}  // namespace pcs
