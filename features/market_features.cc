// Market-regime features from DIA bars on or before the confirmation day;
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
constexpr int kCorrBars = 60;
constexpr int kMinMatchedReturns = 40;

double Return(absl::Span<const Bar> bars, int n) {
  const int last = static_cast<int>(bars.size()) - 1;
  if (last < n || !(bars[last - n].close > 0)) return kNaN;
  return bars[last].close / bars[last - n].close - 1;
}

// Daily log returns of the symbol and the market over the last kCorrBars
// symbol bars, on days where both have a bar; a return spans two consecutive
// matched days.
void MatchedReturns(const FeatureContext& ctx, std::vector<double>& sym,
                    std::vector<double>& mkt) {
  const int first =
      std::max(0, static_cast<int>(ctx.history.size()) - 1 - kCorrBars);
  const absl::Span<const Bar> s = ctx.history.subspan(first);
  const absl::Span<const Bar> m = ctx.market;
  size_t j = static_cast<size_t>(std::max(0, IndexAtOrBefore(m, s[0].day)));
  double prev_s = kNaN, prev_m = kNaN;
  for (const Bar& bar : s) {
    while (j < m.size() && m[j].day < bar.day) ++j;
    if (j == m.size()) break;
    if (m[j].day != bar.day) continue;
    if (prev_s > 0 && prev_m > 0 && bar.close > 0 && m[j].close > 0) {
      sym.push_back(std::log(bar.close / prev_s));
      mkt.push_back(std::log(m[j].close / prev_m));
    }
    prev_s = bar.close;
    prev_m = m[j].close;
  }
}

void AddCorrelationFeatures(const FeatureContext& ctx, FeatureRow row) {
  std::vector<double> sym, mkt;
  sym.reserve(kCorrBars);
  mkt.reserve(kCorrBars);
  MatchedReturns(ctx, sym, mkt);
  if (static_cast<int>(sym.size()) < kMinMatchedReturns) return;
  row[kMktCorr60] = Correlation(sym, mkt);
  const double n = static_cast<double>(sym.size());
  double ms = 0, mm = 0;
  for (size_t i = 0; i < sym.size(); ++i) {
    ms += sym[i];
    mm += mkt[i];
  }
  ms /= n;
  mm /= n;
  double cov = 0, var = 0;
  for (size_t i = 0; i < sym.size(); ++i) {
    cov += (sym[i] - ms) * (mkt[i] - mm);
    var += (mkt[i] - mm) * (mkt[i] - mm);
  }
  row[kMktBeta60] = SafeDiv(cov, var);
}

}  // namespace

void AddMarketFeatures(const FeatureContext& ctx, FeatureRow row) {
  if (ctx.market.empty()) return;
  const absl::Span<const Bar> m =
      ctx.market.last(std::min<size_t>(ctx.market.size(), kIndicatorWindow));
  const int last = static_cast<int>(m.size()) - 1;
  row[kMktRet20] = ctx.dir * Return(m, 20);
  row[kMktRet60] = ctx.dir * Return(m, 60);
  std::vector<double> closes;
  closes.reserve(m.size());
  for (const Bar& b : m) closes.push_back(b.close);
  const double sma200 = SmaAt(closes, 200, last);
  if (!std::isnan(sma200)) {
    row[kMktAboveSma200] = ctx.dir * (closes[last] > sma200 ? 1.0 : -1.0);
    row[kMktDistSma200Pct] = ctx.dir * (SafeDiv(closes[last], sma200) - 1);
  }
  row[kMktRealized20] = RealizedVolAt(closes, 20, last);
  // Both are already signed by dir (AddTrendFeatures runs first).
  row[kMktRelStrength60] = row[kCtxRet60] - row[kMktRet60];
  AddCorrelationFeatures(ctx, row);
}

}  // namespace pcs::features_internal
