#include "features/feature_reasons.h"

#include <array>
#include <cmath>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace pcs {
namespace {

// The table below names features by their FeatureId enumerators.
using namespace features_internal;  // NOLINT(build/namespaces)

// How a value is written. The feature builder stores fractions (0.05 = 5%).
enum class Unit {
  kPatternType,  // one-hot pattern type: "a double top" / "not a ..."
  kDirection,    // +1 bullish, -1 bearish
  kFavours,      // +1 with the trade, -1 against it
  kCount,        // whole number
  kBars,         // "12 bars"
  kAtr,          // "2.4 ATR"
  kAtrPerBar,    // "0.012 ATR"
  kPercent,      // fraction written as "5.1%"
  kRatio,        // "1.8×"
  kScore,        // plain number, 0..1 or a log ratio
  kPoints,       // RSI / DI points: "12 points"
  kIndex,        // 0..100 indicator: plain
};

struct ReasonTemplate {
  FeatureId id;
  Unit unit;
  // "{v}" is replaced by the formatted value; for kPatternType the type's
  // name, for kDirection / kFavours the subject of the sentence.
  const char* phrase;
  // The usual range: 20th and 80th percentile of the training rows.
  double low = 0;
  double high = 0;
  const char* low_word = "";   // below `low`
  const char* high_word = "";  // above `high`
};

// Usual ranges: 20th / 80th percentile (deciles 2 and 8 of
// feature_reference.features[i].edges) of models/phase5/20261126T235550Z's
// model card (15,910 training rows, all pattern types):
//   python3 -c "import json; c = json.load(open('models/phase5/'
//     '20261126T235550Z/model_card.json')); [print(f['name'], f['edges'][1],
//     f['edges'][7]) for f in c['feature_reference']['features']]"
// Where the deciles collapse (counts, scores capped at 1, mostly-zero
// features) the range is the smallest honest one read from the same edges.
// clang-format off
constexpr ReasonTemplate kTemplates[] = {
    {kPatDoubleTop, Unit::kPatternType, "double top"},
    {kPatDoubleBottom, Unit::kPatternType, "double bottom"},
    {kPatHeadShouldersTop, Unit::kPatternType, "head and shoulders top"},
    {kPatInverseHeadShoulders, Unit::kPatternType, "inverse head and shoulders"},
    {kPatAscendingTriangle, Unit::kPatternType, "ascending triangle"},
    {kPatDescendingTriangle, Unit::kPatternType, "descending triangle"},
    {kPatSymmetricalTriangle, Unit::kPatternType, "symmetrical triangle"},
    {kPatRectangle, Unit::kPatternType, "rectangle"},
    {kPatBullFlag, Unit::kPatternType, "bull flag"},
    {kPatBearFlag, Unit::kPatternType, "bear flag"},
    {kPatDirection, Unit::kDirection, "pattern"},
    {kPatKeyPointCount, Unit::kCount, "{v} key points", 3.0, 5.0, "few", "many"},
    {kPatHeightAtr, Unit::kAtr, "pattern {v} tall", 3.506, 6.549, "short", "tall"},
    {kPatHeightPct, Unit::kPercent, "pattern height {v} of the price", 0.07944, 0.2553, "small", "large"},
    {kPatWidthBars, Unit::kBars, "formation {v} long", 11.0, 31.0, "short", "long"},
    {kPatBreakoutDelayBars, Unit::kBars, "breakout {v} after the formation ended", 4.0, 11.0, "soon", "late"},
    {kPatSubwidthMaxFrac, Unit::kPercent, "longest leg {v} of the formation's width", 0.45, 0.97, "even legs", "one long leg"},
    {kPatSubwidthMinFrac, Unit::kPercent, "shortest leg {v} of the formation's width", 0.088, 0.5, "one cramped leg", "even legs"},
    {kPatExtremePosition, Unit::kPercent, "outer extreme (e.g. the head) at {v} of the formation, from first to last key point", 0.28, 0.59, "early", "late"},
    {kPatBoundarySpreadAtr, Unit::kAtr, "breakout-side key points {v} apart", 0.2247, 2.084, "level", "uneven"},
    {kPatOuterSpreadAtr, Unit::kAtr, "outer key points (peaks, troughs, shoulders) {v} apart", 0.2977, 1.843, "balanced", "unbalanced"},
    {kPatBoundarySlopeAtr, Unit::kAtrPerBar, "neckline slope {v} per bar in the trade's direction", -0.04737, 0.007657, "against the trade", "with the trade"},
    {kPatOuterSlopeAtr, Unit::kAtrPerBar, "outer key points slope {v} per bar in the trade's direction", -0.01733, 0.07669, "against the trade", "with the trade"},
    {kPatTargetDistAtr, Unit::kAtr, "target {v} away", 2.958, 6.296, "near", "far"},
    {kPatTargetDistPct, Unit::kPercent, "target {v} away", 0.06679, 0.2405, "near", "far"},
    {kPatStopDistAtr, Unit::kAtr, "stop {v} away", 1.474, 4.063, "tight", "wide"},
    {kPatStopDistPct, Unit::kPercent, "stop {v} away", 0.03734, 0.1413, "tight", "wide"},
    {kPatRewardRisk, Unit::kRatio, "reward/risk {v}", 0.8096, 4.208, "low", "high"},
    {kPatBreakoutDistAtr, Unit::kAtr, "close {v} beyond the breakout level", 0.1245, 0.8525, "barely through", "well through"},
    {kPatBreakoutDistPct, Unit::kPercent, "close {v} beyond the breakout level", 0.003216, 0.02778, "barely through", "well through"},
    {kPatBreakoutRangeAtr, Unit::kAtr, "breakout bar's range {v}", 0.6796, 1.692, "narrow", "wide"},
    {kPatBreakoutCloseLocation, Unit::kPercent, "breakout bar closed at {v} of its range in the trade's direction", 0.625, 0.953, "weak close", "strong close"},
    {kPatBreakoutGapAtr, Unit::kAtr, "breakout-day gap {v} in the trade's direction", -0.04853, 0.5319, "against the trade", "with the trade"},
    {kPatFormationMoveAtr, Unit::kAtr, "price moved {v} in the trade's direction since the formation began", 1.361, 4.68, "small move", "large move"},
    {kCtxRet5, Unit::kPercent, "5-day return {v} in the trade's direction", 0.008322, 0.0809, "weak", "strong"},
    {kCtxRet20, Unit::kPercent, "20-day return {v} in the trade's direction", 0.02817, 0.1393, "weak", "strong"},
    {kCtxRet60, Unit::kPercent, "60-day return {v} in the trade's direction", -0.03667, 0.1664, "against the trade", "strongly with the trade"},
    {kCtxRet120, Unit::kPercent, "120-day return {v} in the trade's direction", -0.09998, 0.2452, "against the trade", "strongly with the trade"},
    {kCtxRet250, Unit::kPercent, "1-year return {v} in the trade's direction", -0.2107, 0.353, "against the trade", "strongly with the trade"},
    {kCtxPriorTrend20, Unit::kPercent, "20-day trend before the formation {v} in the trade's direction", -0.115, 0.0437, "a strong move to reverse", "already with the trade"},
    {kCtxDistSma20Atr, Unit::kAtr, "close {v} past the 20-day average in the trade's direction", 1.242, 2.544, "close to it", "stretched"},
    {kCtxDistSma50Atr, Unit::kAtr, "close {v} past the 50-day average in the trade's direction", 1.015, 3.202, "close to it", "stretched"},
    {kCtxDistSma200Atr, Unit::kAtr, "close {v} past the 200-day average in the trade's direction", -1.843, 6.096, "against the trade", "stretched"},
    {kCtxSma20Slope, Unit::kAtrPerBar, "20-day average slope {v} per bar in the trade's direction", 0.005715, 0.1489, "flat", "steep"},
    {kCtxSma50Slope, Unit::kAtrPerBar, "50-day average slope {v} per bar in the trade's direction", -0.04778, 0.07221, "against the trade", "with the trade"},
    {kCtxSma200Slope, Unit::kAtrPerBar, "200-day average slope {v} per bar in the trade's direction", -0.0388, 0.04239, "against the trade", "with the trade"},
    {kCtxSma50VsSma200, Unit::kAtr, "50-day average {v} past the 200-day in the trade's direction", -3.461, 3.522, "against the trade", "with the trade"},
    {kCtxRange250Pos, Unit::kPercent, "price at {v} of its 1-year range in the trade's direction", 0.3362, 0.9086, "low in the range", "near the extreme"},
    {kCtxDrawdown250, Unit::kPercent, "price {v} from its 1-year high", -0.3458, -0.05685, "deep drawdown", "near the high"},
    {kCtxRally250, Unit::kPercent, "price {v} above its 1-year low", 0.1377, 0.7183, "near the low", "far above it"},
    {kCtxEfficiency20, Unit::kScore, "20-day trend efficiency {v} (1 = straight line)", 0.1183, 0.3771, "choppy", "clean"},
    {kVolAtrPct, Unit::kPercent, "average daily range (ATR) {v} of the price", 0.01775, 0.04889, "calm", "volatile"},
    {kVolRealized20, Unit::kPercent, "20-day volatility {v} a year", 0.1927, 0.5556, "low", "high"},
    {kVolRealized60, Unit::kPercent, "60-day volatility {v} a year", 0.2128, 0.5763, "low", "high"},
    {kVolRatio20To60, Unit::kRatio, "20-day volatility {v} the 60-day", 0.764, 1.159, "calming", "rising"},
    {kVolAtr5To50, Unit::kRatio, "5-day range {v} the 50-day range", 0.8331, 1.243, "compressed", "expanding"},
    {kVolBbWidth, Unit::kPercent, "Bollinger band width {v} of the price", 0.06674, 0.222, "narrow", "wide"},
    {kVolBbWidthPctile, Unit::kPercent, "Bollinger band width wider than {v} of the last year's days", 0.176, 0.792, "squeezed", "wide"},
    {kVolGapCount60, Unit::kCount, "{v} gap days in the last 60", 10.0, 22.0, "few", "many"},
    {kVolMaxMoveAtr60, Unit::kAtr, "largest daily move in 60 days {v}", 1.735, 3.388, "small", "jumpy"},
    {kVolumeBreakoutRatio, Unit::kRatio, "breakout-day volume {v} the 20-day average", 0.6288, 2.029, "light", "heavy"},
    {kVolumeTrend5To50, Unit::kRatio, "5-day volume {v} the 50-day average", 0.6835, 1.363, "drying up", "rising"},
    {kVolumeFormationVsBefore, Unit::kRatio, "volume during the formation {v} the volume before it", 0.7274, 1.491, "quieter", "busier"},
    {kVolumeObvSlope20, Unit::kScore, "on-balance volume slope {v} in the trade's direction", -0.05267, 0.3535, "against the trade", "with the trade"},
    {kVolumeZeroShare60, Unit::kPercent, "{v} of the last 60 days without volume", 0.0, 0.05, "none", "thinly traded"},
    {kVolumeUpDownLog20, Unit::kScore, "up-day vs down-day volume (log ratio) {v} in the trade's direction", -0.004812, 0.8085, "against the trade", "with the trade"},
    {kMomRsi14, Unit::kPoints, "RSI(14) {v} past 50 in the trade's direction", 8.15, 16.78, "mild", "stretched"},
    {kMomRsi14Change5, Unit::kPoints, "RSI(14) moved {v} in 5 days in the trade's direction", -0.576, 15.59, "fading", "surging"},
    {kMomMacdAtr, Unit::kAtr, "MACD line {v} in the trade's direction", 0.0522, 0.735, "weak", "strong"},
    {kMomMacdHistAtr, Unit::kAtr, "MACD histogram {v} in the trade's direction", 0.06726, 0.2932, "weak", "strong"},
    {kMomMacdHistPct, Unit::kPercent, "MACD histogram {v} of the price in the trade's direction", 0.001584, 0.009887, "weak", "strong"},
    {kMomAdx14, Unit::kIndex, "ADX(14) {v}", 14.58, 28.39, "no clear trend", "strong trend"},
    {kMomDiDiff14, Unit::kPoints, "+DI minus -DI {v} in the trade's direction", 4.964, 20.01, "weak", "strong"},
    {kMomBbPercentB, Unit::kScore, "Bollinger %B {v} in the trade's direction (1 = on the outer band)", 0.7908, 1.117, "inside the bands", "beyond the band"},
    {kMomStochK14, Unit::kIndex, "stochastic %K(14) {v} in the trade's direction", 79.0, 98.81, "mid-range", "at the extreme"},
    {kMomRoc10, Unit::kPercent, "10-day change {v} in the trade's direction", 0.02264, 0.1074, "small", "large"},
    {kMktRet20, Unit::kPercent, "market (DIA) 20-day return {v} in the trade's direction", -0.01723, 0.04827, "against the trade", "with the trade"},
    {kMktRet60, Unit::kPercent, "market (DIA) 60-day return {v} in the trade's direction", -0.04506, 0.07099, "against the trade", "with the trade"},
    {kMktAboveSma200, Unit::kFavours, "the market's 200-day trend (DIA against its 200-day average)"},
    {kMktDistSma200Pct, Unit::kPercent, "market (DIA) {v} past its 200-day average in the trade's direction", -0.04933, 0.07892, "against the trade", "with the trade"},
    {kMktRealized20, Unit::kPercent, "market (DIA) volatility {v} a year", 0.0948, 0.2137, "calm", "turbulent"},
    {kMktRelStrength60, Unit::kPercent, "60-day return {v} ahead of the market (DIA) in the trade's direction", -0.04954, 0.1481, "lagging", "leading"},
    {kMktCorr60, Unit::kScore, "correlation with the market (DIA) {v}", 0.09112, 0.6132, "independent", "follows the market"},
    {kMktBeta60, Unit::kRatio, "beta to the market (DIA) {v}", 0.1892, 1.412, "low", "high"},
    {kRuleConfidence, Unit::kScore, "rule confidence {v}", 0.2237, 0.5306, "low", "high"},
    {kRuleSymmetry, Unit::kScore, "rule's symmetry score {v}", 0.231, 0.8813, "low", "high"},
    {kRuleBreakoutVolume, Unit::kScore, "rule's breakout-volume score {v}", 0.11, 0.63, "low", "high"},
    {kRulePriorTrend, Unit::kScore, "rule's prior-trend score {v}", 0.13, 0.85, "low", "high"},
    {kRuleSizeAtr, Unit::kScore, "rule's pattern-size score {v}", 0.81, 1.0, "low", "high"},
    {kRuleDuration, Unit::kScore, "rule's duration score {v}", 0.6, 1.0, "low", "high"},
    {kRuleBreakoutStrength, Unit::kScore, "rule's breakout-strength score {v}", 0.1245, 0.8525, "low", "high"},
    {kRuleTargetReach, Unit::kScore, "rule's chance of reaching the target in time {v}", 0.1373, 0.4851, "low", "high"},
    {kRuleBarrierOdds, Unit::kScore, "rule's chance of the target before the stop {v}", 0.192, 0.5526, "low", "high"},
    {kRuleValleyDepth, Unit::kScore, "rule's valley-depth score {v}", 0.03704, 0.2362, "low", "high"},
    {kRuleNecklineFlatness, Unit::kScore, "rule's neckline-flatness score {v}", 0.3785, 0.8806, "low", "high"},
    {kRuleFlatness, Unit::kScore, "rule's flatness score {v}", 0.3286, 0.6981, "low", "high"},
    {kRuleConvergence, Unit::kScore, "rule's convergence score {v}", 0.436, 0.7078, "low", "high"},
    {kRulePoleStrength, Unit::kScore, "rule's pole-strength score {v}", 0.04407, 0.2743, "low", "high"},
    {kRuleTypeSpecific, Unit::kScore, "rule's type-specific score {v}", 0.07043, 0.6023, "low", "high"},
};
// clang-format on

// Templates indexed by FeatureId; nullptr where one is missing.
const std::array<const ReasonTemplate*, kNumFeatures>& TemplatesById() {
  static const auto* table = [] {
    auto* t = new std::array<const ReasonTemplate*, kNumFeatures>{};
    for (const ReasonTemplate& r : kTemplates) (*t)[r.id] = &r;
    return t;
  }();
  return *table;
}

// Two significant decimals below 1, one below 10, none above.
std::string Number(double v) {
  const double a = std::fabs(v);
  if (a >= 10) return absl::StrFormat("%.0f", v);
  if (a >= 1) return absl::StrFormat("%.1f", v);
  return absl::StrFormat("%.2f", v);
}

std::string FormatValue(Unit unit, double v) {
  switch (unit) {
    case Unit::kCount:
      return absl::StrFormat("%.0f", v);
    case Unit::kBars:
      return absl::StrFormat("%.0f bars", v);
    case Unit::kAtr:
      return absl::StrCat(Number(v), " ATR");
    case Unit::kAtrPerBar:
      return absl::StrFormat("%.3f ATR", v);
    case Unit::kPercent:
      return absl::StrCat(Number(100 * v), "%");
    case Unit::kRatio:
      return absl::StrCat(Number(v), "×");
    case Unit::kPoints:
      return absl::StrCat(Number(v), " points");
    case Unit::kScore:
    case Unit::kIndex:
    default:
      return Number(v);
  }
}

// The low end of a range: without a trailing unit word, which the high end
// carries ("3.0 to 6.3 ATR"); % and × stay on both ends.
std::string UsualLow(Unit unit, double v) {
  switch (unit) {
    case Unit::kBars:
      return absl::StrFormat("%.0f", v);
    case Unit::kAtr:
    case Unit::kPoints:
      return Number(v);
    case Unit::kAtrPerBar:
      return absl::StrFormat("%.3f", v);
    default:
      return FormatValue(unit, v);
  }
}

std::string Effect(double contribution) {
  if (contribution > 0) return "raises confidence";
  if (contribution < 0) return "lowers confidence";
  return "no effect on confidence";
}

// The part before the effect, for a template with a usual range.
std::string RangedReason(const ReasonTemplate& t, double value) {
  const std::string shown =
      absl::StrReplaceAll(t.phrase, {{"{v}", FormatValue(t.unit, value)}});
  const std::string usual = absl::StrCat(UsualLow(t.unit, t.low), " to ",
                                         FormatValue(t.unit, t.high));
  if (value < t.low) {
    return absl::StrCat(shown, " — ", t.low_word, ", usual ", usual);
  }
  if (value > t.high) {
    return absl::StrCat(shown, " — ", t.high_word, ", usual ", usual);
  }
  return absl::StrCat(shown, ", within the usual ", usual);
}

std::string Reason(const ReasonTemplate& t, double value) {
  switch (t.unit) {
    case Unit::kPatternType:
      return value >= 0.5 ? absl::StrCat("the pattern is a ", t.phrase)
                          : absl::StrCat("the pattern is not a ", t.phrase);
    case Unit::kDirection:
      return absl::StrCat(value >= 0 ? "bullish " : "bearish ", t.phrase);
    case Unit::kFavours:
      return absl::StrCat(t.phrase, value >= 0 ? " is with the trade"
                                               : " is against the trade");
    default:
      return RangedReason(t, value);
  }
}

}  // namespace

std::string FeatureReason(FeatureId id, double value, double contribution) {
  if (id < 0 || id >= kNumFeatures) return "";
  const ReasonTemplate* t = TemplatesById()[id];
  if (t == nullptr) return "";
  if (std::isnan(value)) {
    // The phrase up to the value names the quantity ("target", "5-day
    // return"); a phrase that starts with the value falls back to the name.
    std::string topic(t->phrase);
    const size_t at = topic.find(" {v}");
    topic = (at == std::string::npos || at == 0) ? kFeatureInfo[id].name
                                                 : topic.substr(0, at);
    return absl::StrCat(topic, ": no value here (", kFeatureInfo[id].nan_when,
                        "); ", Effect(contribution));
  }
  return absl::StrCat(Reason(*t, value), "; ", Effect(contribution));
}

std::string FeatureReasonByName(std::string_view name, double value,
                                double contribution) {
  static const auto* by_name = [] {
    auto* m = new absl::flat_hash_map<std::string_view, FeatureId>();
    for (int i = 0; i < kNumFeatures; ++i) {
      m->emplace(kFeatureInfo[i].name, static_cast<FeatureId>(i));
    }
    return m;
  }();
  const auto it = by_name->find(name);
  if (it == by_name->end()) return "";
  return FeatureReason(it->second, value, contribution);
}

bool HasReasonTemplate(FeatureId id) {
  return id >= 0 && id < kNumFeatures && TemplatesById()[id] != nullptr;
}

}  // namespace pcs
