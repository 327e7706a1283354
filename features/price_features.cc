// Trend, volatility, volume and momentum features of the symbol's own bars;
// see features/feature_list.h for definitions and NaN rules.

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "features/feature_context.h"
#include "features/indicators.h"

namespace pcs::features_internal {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// dir * (close(last) / close(last - n) - 1), NaN without n earlier bars.
double DirReturn(const FeatureContext& ctx, int n) {
  if (ctx.last < n || !(ctx.closes[ctx.last - n] > 0)) return kNaN;
  return ctx.dir * (ctx.close / ctx.closes[ctx.last - n] - 1);
}

// (SMA(period) at last - SMA(period) at last - lag) / (lag * ATR), signed.
double SmaSlope(const FeatureContext& ctx, int period, int lag) {
  const double now = SmaAt(ctx.closes, period, ctx.last);
  const double before = SmaAt(ctx.closes, period, ctx.last - lag);
  return ctx.dir * (now - before) / (lag * ctx.atr);
}

// Mean volume of window bars [from, to]; NaN when from < 0.
double MeanVolume(absl::Span<const Bar> bars, int from, int to) {
  if (from < 0 || to < from) return kNaN;
  double sum = 0;
  for (int i = from; i <= to; ++i) sum += bars[i].volume;
  return sum / (to - from + 1);
}

void AddRangeFeatures(const FeatureContext& ctx, FeatureRow row) {
  constexpr int kRange = 250;
  if (ctx.last < kRange - 1) return;
  double hi = ctx.window[ctx.last].high, lo = ctx.window[ctx.last].low;
  for (int i = ctx.last - kRange + 1; i <= ctx.last; ++i) {
    hi = std::max(hi, ctx.window[i].high);
    lo = std::min(lo, ctx.window[i].low);
  }
  if (hi > lo) {
    row[kCtxRange250Pos] =
        (ctx.dir > 0 ? ctx.close - lo : hi - ctx.close) / (hi - lo);
  }
  row[kCtxDrawdown250] = SafeDiv(ctx.close, hi) - 1;
  row[kCtxRally250] = SafeDiv(ctx.close, lo) - 1;
}

}  // namespace

void AddTrendFeatures(const FeatureContext& ctx, FeatureRow row) {
  row[kCtxRet5] = DirReturn(ctx, 5);
  row[kCtxRet20] = DirReturn(ctx, 20);
  row[kCtxRet60] = DirReturn(ctx, 60);
  row[kCtxRet120] = DirReturn(ctx, 120);
  row[kCtxRet250] = DirReturn(ctx, 250);
  const int s = IndexAtOrBefore(ctx.history, ctx.pattern->formation_start);
  if (s >= 20 && ctx.history[s - 20].close > 0) {
    row[kCtxPriorTrend20] =
        ctx.dir * (ctx.history[s].close / ctx.history[s - 20].close - 1);
  }
  const double sma20 = SmaAt(ctx.closes, 20, ctx.last);
  const double sma50 = SmaAt(ctx.closes, 50, ctx.last);
  const double sma200 = SmaAt(ctx.closes, 200, ctx.last);
  row[kCtxDistSma20Atr] = ctx.dir * (ctx.close - sma20) / ctx.atr;
  row[kCtxDistSma50Atr] = ctx.dir * (ctx.close - sma50) / ctx.atr;
  row[kCtxDistSma200Atr] = ctx.dir * (ctx.close - sma200) / ctx.atr;
  row[kCtxSma20Slope] = SmaSlope(ctx, 20, 5);
  row[kCtxSma50Slope] = SmaSlope(ctx, 50, 10);
  row[kCtxSma200Slope] = SmaSlope(ctx, 200, 20);
  row[kCtxSma50VsSma200] = ctx.dir * (sma50 - sma200) / ctx.atr;
  AddRangeFeatures(ctx, row);
  if (ctx.last >= 20) {
    double path = 0;
    for (int i = ctx.last - 19; i <= ctx.last; ++i) {
      path += std::fabs(ctx.closes[i] - ctx.closes[i - 1]);
    }
    row[kCtxEfficiency20] =
        ctx.dir * SafeDiv(ctx.close - ctx.closes[ctx.last - 20], path);
  }
}

void AddVolatilityFeatures(const FeatureContext& ctx, FeatureRow row) {
  row[kVolAtrPct] = SafeDiv(ctx.atr, ctx.close);
  const double rv20 = RealizedVolAt(ctx.closes, 20, ctx.last);
  const double rv60 = RealizedVolAt(ctx.closes, 60, ctx.last);
  row[kVolRealized20] = rv20;
  row[kVolRealized60] = rv60;
  row[kVolRatio20To60] = SafeDiv(rv20, rv60);
  const std::vector<double> atr5 = WilderAtrSeries(ctx.window, 5);
  const std::vector<double> atr50 = WilderAtrSeries(ctx.window, 50);
  row[kVolAtr5To50] = SafeDiv(atr5[ctx.last], atr50[ctx.last]);
  row[kVolBbWidth] = BollingerAt(ctx.closes, ctx.last).width;
  constexpr int kPctileSpan = 250, kMinWidths = 120;
  const std::vector<double> widths = BollingerWidthSeries(ctx.closes);
  const absl::Span<const double> recent = absl::MakeConstSpan(widths).last(
      std::min<size_t>(widths.size(), kPctileSpan));
  const int valid = static_cast<int>(std::count_if(
      recent.begin(), recent.end(), [](double w) { return !std::isnan(w); }));
  if (valid >= kMinWidths) {
    row[kVolBbWidthPctile] = PercentileRank(recent, recent.back());
  }
  if (ctx.last >= 60) {
    int gaps = 0;
    double max_move = 0;
    for (int i = ctx.last - 59; i <= ctx.last; ++i) {
      const Bar& prev = ctx.window[i - 1];
      const double open = ctx.window[i].open;
      if (open > prev.high || open < prev.low) ++gaps;
      max_move = std::max(max_move, std::fabs(ctx.closes[i] - prev.close));
    }
    row[kVolGapCount60] = gaps;
    row[kVolMaxMoveAtr60] = max_move / ctx.atr;
  }
}

void AddVolumeFeatures(const FeatureContext& ctx, FeatureRow row) {
  const absl::Span<const Bar> w = ctx.window;
  const int t = ctx.last;
  if (t >= 20) {
    row[kVolumeBreakoutRatio] =
        SafeDiv(w[t].volume, MeanVolume(w, t - 20, t - 1));
  }
  row[kVolumeTrend5To50] =
      SafeDiv(MeanVolume(w, t - 4, t), MeanVolume(w, t - 49, t));
  const int s = IndexAtOrBefore(ctx.history, ctx.pattern->formation_start);
  const int e = IndexAtOrBefore(ctx.history, ctx.pattern->formation_end);
  if (s >= 20 && e >= s) {
    const int before = std::min(std::max(20, e - s), s);
    row[kVolumeFormationVsBefore] =
        SafeDiv(MeanVolume(ctx.history, s, e),
                MeanVolume(ctx.history, s - before, s - 1));
  }
  if (t >= 19) {
    const std::vector<double> obv = ObvSeries(w.last(20));
    row[kVolumeObvSlope20] =
        ctx.dir * SafeDiv(SlopeAt(obv, 20, 19), MeanVolume(w, t - 19, t));
  }
  if (t >= 59) {
    int zeros = 0;
    for (int i = t - 59; i <= t; ++i) zeros += w[i].volume == 0 ? 1 : 0;
    row[kVolumeZeroShare60] = zeros / 60.0;
  }
  if (t >= 20) {
    double up = 0, down = 0;
    for (int i = t - 19; i <= t; ++i) {
      if (w[i].close > w[i - 1].close) up += w[i].volume;
      if (w[i].close < w[i - 1].close) down += w[i].volume;
    }
    if (up > 0 && down > 0) {
      row[kVolumeUpDownLog20] = ctx.dir * std::log(up / down);
    }
  }
}

void AddMomentumFeatures(const FeatureContext& ctx, FeatureRow row) {
  const int t = ctx.last;
  const std::vector<double> rsi = WilderRsiSeries(ctx.closes, 14);
  row[kMomRsi14] = ctx.dir * (rsi[t] - 50);
  if (t >= 5) row[kMomRsi14Change5] = ctx.dir * (rsi[t] - rsi[t - 5]);
  const MacdPoint macd = MacdLast(ctx.closes);
  row[kMomMacdAtr] = ctx.dir * macd.macd / ctx.atr;
  row[kMomMacdHistAtr] = ctx.dir * macd.histogram / ctx.atr;
  row[kMomMacdHistPct] = ctx.dir * SafeDiv(macd.histogram, ctx.close);
  const AdxPoint adx = AdxLast(ctx.window, 14);
  row[kMomAdx14] = adx.adx;
  row[kMomDiDiff14] = ctx.dir * (adx.plus_di - adx.minus_di);
  const double pct_b = BollingerAt(ctx.closes, t).percent_b;
  row[kMomBbPercentB] = ctx.dir > 0 ? pct_b : 1 - pct_b;
  const double k = StochasticKLast(ctx.window, 14);
  row[kMomStochK14] = ctx.dir > 0 ? k : 100 - k;
  row[kMomRoc10] = DirReturn(ctx, 10);
}

}  // namespace pcs::features_internal
