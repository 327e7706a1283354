#include "training/experiment_columns.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace pcs {
namespace {

constexpr int kRelativeStrengthBars[] = {5, 20, 120, 250};
// The market's bar must be at most this many calendar days older than the
// pattern's bar it stands for (else the market is stale there: NaN).
constexpr int kMaxMarketLagDays = 5;

double MarketCloseAt(const BarSeries& market, Day day) {
  const int i = market.IndexAtOrBefore(day);
  if (i < 0 || day - market.bars[i].day > kMaxMarketLagDays) return NAN;
  return market.bars[i].close;
}

double RelativeStrength(const BarSeries& bars, int index,
                        const BarSeries* market, int k, double dir) {
  if (market == nullptr || index < k) return NAN;
  const double c = bars.bars[index].close;
  const double c0 = bars.bars[index - k].close;
  const double m = MarketCloseAt(*market, bars.bars[index].day);
  const double m0 = MarketCloseAt(*market, bars.bars[index - k].day);
  if (!(c > 0 && c0 > 0 && m > 0 && m0 > 0)) return NAN;
  return dir * ((c / c0 - 1) - (m / m0 - 1));
}

}  // namespace

std::vector<std::string> ExperimentColumnNames(const ExperimentColumns& e) {
  std::vector<std::string> out;
  if (e.analytic_feature) out.push_back("exp_analytic_probability");
  if (e.relative_strength) {
    for (int k : kRelativeStrengthBars)
      out.push_back(absl::StrCat("exp_rel_strength_", k));
  }
  return out;
}

std::vector<float> ExperimentColumnValues(const ExperimentColumns& e,
                                          const Pattern& pattern,
                                          const BarSeries& bars, int index,
                                          const BarSeries* market,
                                          double analytic_probability) {
  std::vector<float> out;
  if (e.analytic_feature)
    out.push_back(static_cast<float>(analytic_probability));
  if (e.relative_strength) {
    const double dir = Sign(pattern.direction);
    for (int k : kRelativeStrengthBars) {
      out.push_back(
          static_cast<float>(RelativeStrength(bars, index, market, k, dir)));
    }
  }
  return out;
}

float AnalyticBaseMargin(double analytic_probability) {
  if (std::isnan(analytic_probability)) return 0;
  const double p = std::clamp(analytic_probability, 0.001, 0.999);
  return static_cast<float>(std::log(p / (1 - p)));
}

std::string ExperimentColumnsText(const ExperimentColumns& e) {
  std::string out;
  auto add = [&](bool on, const char* name) {
    if (on) absl::StrAppend(&out, out.empty() ? "" : ",", name);
  };
  add(e.analytic_feature, "analytic_feature");
  add(e.analytic_base_margin, "analytic_base_margin");
  add(e.relative_strength, "relative_strength");
  return out.empty() ? "none" : out;
}

}  // namespace pcs
