#include "features/feature_builder.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/sha256.h"
#include "features/feature_context.h"
#include "features/indicators.h"

namespace pcs {
namespace {

using features_internal::kFeatureInfo;
using features_internal::kNumFeatures;

// Bump on any change to feature_list.h or to a feature's computation.
constexpr char kFeatureSchemaVersion[] = "features-v1";

// The market series is ignored when its last bar on or before the
// confirmation day is older than this (a gap in DIA, not a weekend).
constexpr Day kMaxMarketStalenessDays = 7;

FeatureSchema MakeSchema() {
  FeatureSchema schema;
  schema.version = kFeatureSchemaVersion;
  for (const auto& info : kFeatureInfo) schema.names.push_back(info.name);
  schema.hash = Sha256Hex(
      absl::StrCat(schema.version, "\n", absl::StrJoin(schema.names, "\n")));
  return schema;
}

absl::Span<const Bar> MarketView(const BarSeries* market, Day day) {
  if (market == nullptr) return {};
  const absl::Span<const Bar> all(market->bars);
  const int m = features_internal::IndexAtOrBefore(all, day);
  if (m < 0 || day - all[m].day > kMaxMarketStalenessDays) return {};
  return all.first(static_cast<size_t>(m) + 1)
      .last(std::min<size_t>(m + 1, FeatureBuilder::kHistoryBars));
}

}  // namespace

namespace features_internal {

int IndexAtOrBefore(absl::Span<const Bar> bars, Day day) {
  auto it = std::upper_bound(bars.begin(), bars.end(), day,
                             [](Day d, const Bar& b) { return d < b.day; });
  return static_cast<int>(it - bars.begin()) - 1;
}

double SafeDiv(double x, double y) {
  if (y == 0 || std::isnan(x) || std::isnan(y)) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return x / y;
}

void AddRuleFeatures(const FeatureContext& ctx, FeatureRow row) {
  static constexpr struct {
    FeatureId id;
    const char* criterion;
  } kCriteria[] = {
      {kRuleSymmetry, "symmetry"},
      {kRuleBreakoutVolume, "breakout_volume"},
      {kRulePriorTrend, "prior_trend"},
      {kRuleSizeAtr, "size_atr"},
      {kRuleDuration, "duration"},
      {kRuleBreakoutStrength, "breakout_strength"},
      {kRuleTargetReach, "target_reach"},
      {kRuleBarrierOdds, "barrier_odds"},
  };
  // Criteria that only one family of pattern types carries
  // (lifecycle/rule_confidence.h).
  static constexpr struct {
    FeatureId id;
    const char* criterion;
  } kTypeSpecific[] = {
      {kRuleValleyDepth, "valley_depth"},
      {kRuleNecklineFlatness, "neckline_flatness"},
      {kRuleFlatness, "flatness"},
      {kRuleConvergence, "convergence"},
      {kRulePoleStrength, "pole_strength"},
  };
  row[kRuleConfidence] = ctx.pattern->rule_confidence;
  for (const auto& c : kCriteria) {
    if (auto v = ctx.pattern->Criterion(c.criterion)) row[c.id] = *v;
  }
  for (const auto& c : kTypeSpecific) {
    if (auto v = ctx.pattern->Criterion(c.criterion)) {
      row[c.id] = *v;
      row[kRuleTypeSpecific] = *v;
    }
  }
}

void FillRow(const Pattern& pattern, absl::Span<const Bar> history,
             absl::Span<const Bar> market, FeatureRow row) {
  FeatureContext ctx;
  ctx.pattern = &pattern;
  ctx.history = history;
  ctx.window = history.last(std::min<size_t>(history.size(), kIndicatorWindow));
  ctx.last = static_cast<int>(ctx.window.size()) - 1;
  ctx.closes.reserve(ctx.window.size());
  for (const Bar& b : ctx.window) ctx.closes.push_back(b.close);
  ctx.atr14 = WilderAtrSeries(ctx.window, 14);
  ctx.dir = Sign(pattern.direction);
  ctx.close = ctx.window.back().close;
  ctx.atr = ctx.atr14[ctx.last] > 0 ? ctx.atr14[ctx.last]
                                    : std::numeric_limits<double>::quiet_NaN();
  ctx.market = market;

  std::fill(row, row + kNumFeatures, std::numeric_limits<double>::quiet_NaN());
  AddPatternIdentity(ctx, row);
  AddPatternGeometry(ctx, row);
  AddPatternLevels(ctx, row);
  AddTrendFeatures(ctx, row);
  AddVolatilityFeatures(ctx, row);
  AddVolumeFeatures(ctx, row);
  AddMomentumFeatures(ctx, row);
  AddMarketFeatures(ctx, row);  // after AddTrendFeatures (uses ctx_ret_60)
  AddRuleFeatures(ctx, row);
}

}  // namespace features_internal

const FeatureSchema& FeatureBuilder::Schema() {
  static const FeatureSchema* const schema = new FeatureSchema(MakeSchema());
  return *schema;
}

absl::StatusOr<std::vector<float>> FeatureBuilder::Build(
    const Pattern& pattern, const BarSeries& bars,
    const BarSeries* market) const {
  if (!bars.symbol.empty() && !pattern.symbol.empty() &&
      bars.symbol != pattern.symbol) {
    return absl::InvalidArgumentError(absl::StrCat(
        "pattern ", pattern.Id(), " is for symbol '", pattern.symbol,
        "' but the bars are for '", bars.symbol, "'"));
  }
  const int t = bars.IndexOf(pattern.confirmation_day);
  if (t < 0) {
    return absl::NotFoundError(absl::StrCat(
        "no bar of '", bars.symbol, "' on the confirmation day ",
        FormatDay(pattern.confirmation_day), " of pattern ", pattern.Id()));
  }
  // The causal cut: nothing below can reach a bar after t (nor more than
  // kHistoryBars back, so serving with that much history matches training).
  const absl::Span<const Bar> history =
      absl::Span<const Bar>(bars.bars)
          .first(static_cast<size_t>(t) + 1)
          .last(std::min<size_t>(t + 1, kHistoryBars));
  double row[kNumFeatures];
  features_internal::FillRow(pattern, history,
                             MarketView(market, pattern.confirmation_day), row);
  std::vector<float> out(kNumFeatures);
  for (int i = 0; i < kNumFeatures; ++i) {
    // Infinite or out-of-float-range values (degenerate data) count as
    // missing; "+ 0.0" turns the -0 of dir * 0 into 0 so equal rows are
    // bit-identical.
    const float v = static_cast<float>(row[i] + 0.0);
    out[i] = std::isfinite(v) ? v : std::numeric_limits<float>::quiet_NaN();
  }
  return out;
}

}  // namespace pcs
