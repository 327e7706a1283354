#include "features/feature_reasons.h"

#include <array>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "features/usual_ranges.h"

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
  // Said when the value is below / above its usual range
  // (features/usual_ranges.h).
  const char* low_word = "";
  const char* high_word = "";
};

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
    {kPatKeyPointCount, Unit::kCount, "{v} key points", "few", "many"},
    {kPatHeightAtr, Unit::kAtr, "pattern {v} tall", "short", "tall"},
    {kPatHeightPct, Unit::kPercent, "pattern height {v} of the price", "small", "large"},
    {kPatWidthBars, Unit::kBars, "formation {v} long", "short", "long"},
    {kPatBreakoutDelayBars, Unit::kBars, "breakout {v} after the formation ended", "soon", "late"},
    {kPatSubwidthMaxFrac, Unit::kPercent, "longest leg {v} of the formation's width", "even legs", "one long leg"},
    {kPatSubwidthMinFrac, Unit::kPercent, "shortest leg {v} of the formation's width", "one cramped leg", "even legs"},
    {kPatExtremePosition, Unit::kPercent, "outer extreme (e.g. the head) at {v} of the formation, from first to last key point", "early", "late"},
    {kPatBoundarySpreadAtr, Unit::kAtr, "breakout-side key points {v} apart", "level", "uneven"},
    {kPatOuterSpreadAtr, Unit::kAtr, "outer key points (peaks, troughs, shoulders) {v} apart", "balanced", "unbalanced"},
    {kPatBoundarySlopeAtr, Unit::kAtrPerBar, "neckline slope {v} per bar in the trade's direction", "against the trade", "with the trade"},
    {kPatOuterSlopeAtr, Unit::kAtrPerBar, "outer key points slope {v} per bar in the trade's direction", "against the trade", "with the trade"},
    {kPatTargetDistAtr, Unit::kAtr, "target {v} away", "near", "far"},
    {kPatTargetDistPct, Unit::kPercent, "target {v} away", "near", "far"},
    {kPatStopDistAtr, Unit::kAtr, "stop {v} away", "tight", "wide"},
    {kPatStopDistPct, Unit::kPercent, "stop {v} away", "tight", "wide"},
    {kPatRewardRisk, Unit::kRatio, "reward/risk {v}", "low", "high"},
    {kPatBreakoutDistAtr, Unit::kAtr, "close {v} beyond the breakout level", "barely through", "well through"},
    {kPatBreakoutDistPct, Unit::kPercent, "close {v} beyond the breakout level", "barely through", "well through"},
    {kPatBreakoutRangeAtr, Unit::kAtr, "breakout bar's range {v}", "narrow", "wide"},
    {kPatBreakoutCloseLocation, Unit::kPercent, "breakout bar closed at {v} of its range in the trade's direction", "weak close", "strong close"},
    {kPatBreakoutGapAtr, Unit::kAtr, "breakout-day gap {v} in the trade's direction", "against the trade", "with the trade"},
    {kPatFormationMoveAtr, Unit::kAtr, "price moved {v} in the trade's direction since the formation began", "small move", "large move"},
    {kCtxRet5, Unit::kPercent, "5-day return {v} in the trade's direction", "weak", "strong"},
    {kCtxRet20, Unit::kPercent, "20-day return {v} in the trade's direction", "weak", "strong"},
    {kCtxRet60, Unit::kPercent, "60-day return {v} in the trade's direction", "against the trade", "strongly with the trade"},
    {kCtxRet120, Unit::kPercent, "120-day return {v} in the trade's direction", "against the trade", "strongly with the trade"},
    {kCtxRet250, Unit::kPercent, "1-year return {v} in the trade's direction", "against the trade", "strongly with the trade"},
    {kCtxPriorTrend20, Unit::kPercent, "20-day trend before the formation {v} in the trade's direction", "a strong move to reverse", "already with the trade"},
    {kCtxDistSma20Atr, Unit::kAtr, "close {v} past the 20-day average in the trade's direction", "close to it", "stretched"},
    {kCtxDistSma50Atr, Unit::kAtr, "close {v} past the 50-day average in the trade's direction", "close to it", "stretched"},
    {kCtxDistSma200Atr, Unit::kAtr, "close {v} past the 200-day average in the trade's direction", "against the trade", "stretched"},
    {kCtxSma20Slope, Unit::kAtrPerBar, "20-day average slope {v} per bar in the trade's direction", "flat", "steep"},
    {kCtxSma50Slope, Unit::kAtrPerBar, "50-day average slope {v} per bar in the trade's direction", "against the trade", "with the trade"},
    {kCtxSma200Slope, Unit::kAtrPerBar, "200-day average slope {v} per bar in the trade's direction", "against the trade", "with the trade"},
    {kCtxSma50VsSma200, Unit::kAtr, "50-day average {v} past the 200-day in the trade's direction", "against the trade", "with the trade"},
    {kCtxRange250Pos, Unit::kPercent, "price at {v} of its 1-year range in the trade's direction", "low in the range", "near the extreme"},
    {kCtxDrawdown250, Unit::kPercent, "price {v} from its 1-year high", "deep drawdown", "near the high"},
    {kCtxRally250, Unit::kPercent, "price {v} above its 1-year low", "near the low", "far above it"},
    {kCtxEfficiency20, Unit::kScore, "20-day trend efficiency {v} (1 = straight line)", "choppy", "clean"},
    {kVolAtrPct, Unit::kPercent, "average daily range (ATR) {v} of the price", "calm", "volatile"},
    {kVolRealized20, Unit::kPercent, "20-day volatility {v} a year", "low", "high"},
    {kVolRealized60, Unit::kPercent, "60-day volatility {v} a year", "low", "high"},
    {kVolRatio20To60, Unit::kRatio, "20-day volatility {v} the 60-day", "calming", "rising"},
    {kVolAtr5To50, Unit::kRatio, "5-day range {v} the 50-day range", "compressed", "expanding"},
    {kVolBbWidth, Unit::kPercent, "Bollinger band width {v} of the price", "narrow", "wide"},
    {kVolBbWidthPctile, Unit::kPercent, "Bollinger band width wider than {v} of the last year's days", "squeezed", "wide"},
    {kVolGapCount60, Unit::kCount, "{v} gap days in the last 60", "few", "many"},
    {kVolMaxMoveAtr60, Unit::kAtr, "largest daily move in 60 days {v}", "small", "jumpy"},
    {kVolumeBreakoutRatio, Unit::kRatio, "breakout-day volume {v} the 20-day average", "light", "heavy"},
    {kVolumeTrend5To50, Unit::kRatio, "5-day volume {v} the 50-day average", "drying up", "rising"},
    {kVolumeFormationVsBefore, Unit::kRatio, "volume during the formation {v} the volume before it", "quieter", "busier"},
    {kVolumeObvSlope20, Unit::kScore, "on-balance volume slope {v} in the trade's direction", "against the trade", "with the trade"},
    {kVolumeZeroShare60, Unit::kPercent, "{v} of the last 60 days without volume", "none", "thinly traded"},
    {kVolumeUpDownLog20, Unit::kScore, "up-day vs down-day volume (log ratio) {v} in the trade's direction", "against the trade", "with the trade"},
    {kMomRsi14, Unit::kPoints, "RSI(14) {v} past 50 in the trade's direction", "mild", "stretched"},
    {kMomRsi14Change5, Unit::kPoints, "RSI(14) moved {v} in 5 days in the trade's direction", "fading", "surging"},
    {kMomMacdAtr, Unit::kAtr, "MACD line {v} in the trade's direction", "weak", "strong"},
    {kMomMacdHistAtr, Unit::kAtr, "MACD histogram {v} in the trade's direction", "weak", "strong"},
    {kMomMacdHistPct, Unit::kPercent, "MACD histogram {v} of the price in the trade's direction", "weak", "strong"},
    {kMomAdx14, Unit::kIndex, "ADX(14) {v}", "no clear trend", "strong trend"},
    {kMomDiDiff14, Unit::kPoints, "+DI minus -DI {v} in the trade's direction", "weak", "strong"},
    {kMomBbPercentB, Unit::kScore, "Bollinger %B {v} in the trade's direction (1 = on the outer band)", "inside the bands", "beyond the band"},
    {kMomStochK14, Unit::kIndex, "stochastic %K(14) {v} in the trade's direction", "mid-range", "at the extreme"},
    {kMomRoc10, Unit::kPercent, "10-day change {v} in the trade's direction", "small", "large"},
    {kMktRet20, Unit::kPercent, "market (DIA) 20-day return {v} in the trade's direction", "against the trade", "with the trade"},
    {kMktRet60, Unit::kPercent, "market (DIA) 60-day return {v} in the trade's direction", "against the trade", "with the trade"},
    {kMktAboveSma200, Unit::kFavours, "the market's 200-day trend (DIA against its 200-day average)"},
    {kMktDistSma200Pct, Unit::kPercent, "market (DIA) {v} past its 200-day average in the trade's direction", "against the trade", "with the trade"},
    {kMktRealized20, Unit::kPercent, "market (DIA) volatility {v} a year", "calm", "turbulent"},
    {kMktRelStrength60, Unit::kPercent, "60-day return {v} ahead of the market (DIA) in the trade's direction", "lagging", "leading"},
    {kMktCorr60, Unit::kScore, "correlation with the market (DIA) {v}", "independent", "follows the market"},
    {kMktBeta60, Unit::kRatio, "beta to the market (DIA) {v}", "low", "high"},
    {kRuleConfidence, Unit::kScore, "rule confidence {v}", "low", "high"},
    {kRuleSymmetry, Unit::kScore, "rule's symmetry score {v}", "low", "high"},
    {kRuleBreakoutVolume, Unit::kScore, "rule's breakout-volume score {v}", "low", "high"},
    {kRulePriorTrend, Unit::kScore, "rule's prior-trend score {v}", "low", "high"},
    {kRuleSizeAtr, Unit::kScore, "rule's pattern-size score {v}", "low", "high"},
    {kRuleDuration, Unit::kScore, "rule's duration score {v}", "low", "high"},
    {kRuleBreakoutStrength, Unit::kScore, "rule's breakout-strength score {v}", "low", "high"},
    {kRuleTargetReach, Unit::kScore, "rule's chance of reaching the target in time {v}", "low", "high"},
    {kRuleBarrierOdds, Unit::kScore, "rule's chance of the target before the stop {v}", "low", "high"},
    {kRuleValleyDepth, Unit::kScore, "rule's valley-depth score {v}", "low", "high"},
    {kRuleNecklineFlatness, Unit::kScore, "rule's neckline-flatness score {v}", "low", "high"},
    {kRuleFlatness, Unit::kScore, "rule's flatness score {v}", "low", "high"},
    {kRuleConvergence, Unit::kScore, "rule's convergence score {v}", "low", "high"},
    {kRulePoleStrength, Unit::kScore, "rule's pole-strength score {v}", "low", "high"},
    {kRuleTypeSpecific, Unit::kScore, "rule's type-specific score {v}", "low", "high"},
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

// "a double top", "an inverse head and shoulders".
std::string WithArticle(std::string_view noun) {
  const bool vowel = !noun.empty() && std::string_view("aeiou").find(noun[0]) !=
                                          std::string_view::npos;
  return absl::StrCat(vowel ? "an " : "a ", std::string(noun));
}

// PatternType's phrase: the template of its one-hot feature. The one-hot
// features follow the enum's order (features/feature_list.h, never
// renumbered).
static_assert(kPatBearFlag == kPatDoubleTop + kNumPatternTypes - 1);
std::string TypePhrase(PatternType type) {
  return WithArticle(
      TemplatesById()[kPatDoubleTop + static_cast<int>(type)]->phrase);
}

// The part before the effect, for a template with a usual range: the
// type's own range ("— far for a double top, usual 0.9 to 2.1 ATR") or,
// without one, the all-types range ("across all pattern types").
std::string RangedReason(const ReasonTemplate& t, FeatureId id, double value,
                         std::optional<PatternType> type) {
  const std::string shown =
      absl::StrReplaceAll(t.phrase, {{"{v}", FormatValue(t.unit, value)}});
  const std::optional<UsualRange> r = UsualRangeFor(id, type);
  if (!r.has_value()) return shown;  // a stale table; usual_ranges_test fails
  const std::string high = FormatValue(t.unit, r->high);
  const bool one_value = FormatValue(t.unit, r->low) == high;
  const std::string usual =
      one_value ? high : absl::StrCat(UsualLow(t.unit, r->low), " to ", high);
  const std::string for_type =
      r->type.has_value() ? absl::StrCat(" for ", TypePhrase(*r->type)) : "";
  const std::string across =
      r->type.has_value() ? "" : " across all pattern types";
  if (value < r->low || value > r->high) {
    const char* word = value < r->low ? t.low_word : t.high_word;
    return absl::StrCat(shown, " — ", word, for_type, ", usual ", usual,
                        across);
  }
  if (one_value) return absl::StrCat(shown, ", as usual", for_type, across);
  return absl::StrCat(shown, ", within the usual ", usual, for_type, across);
}

std::string Reason(const ReasonTemplate& t, FeatureId id, double value,
                   std::optional<PatternType> type) {
  switch (t.unit) {
    case Unit::kPatternType:
      return absl::StrCat(
          value >= 0.5 ? "the pattern is " : "the pattern is not ",
          WithArticle(t.phrase));
    case Unit::kDirection:
      return absl::StrCat(value >= 0 ? "bullish " : "bearish ", t.phrase);
    case Unit::kFavours:
      return absl::StrCat(t.phrase, value >= 0 ? " is with the trade"
                                               : " is against the trade");
    default:
      return RangedReason(t, id, value, type);
  }
}

}  // namespace

std::string FeatureReason(FeatureId id, double value, double contribution,
                          std::optional<PatternType> type) {
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
  return absl::StrCat(Reason(*t, id, value, type), "; ", Effect(contribution));
}

std::string FeatureReasonByName(std::string_view name, double value,
                                double contribution,
                                std::optional<PatternType> type) {
  static const auto* by_name = [] {
    auto* m = new absl::flat_hash_map<std::string_view, FeatureId>();
    for (int i = 0; i < kNumFeatures; ++i) {
      m->emplace(kFeatureInfo[i].name, static_cast<FeatureId>(i));
    }
    return m;
  }();
  const auto it = by_name->find(name);
  if (it == by_name->end()) return "";
  return FeatureReason(it->second, value, contribution, type);
}

bool HasReasonTemplate(FeatureId id) {
  return id >= 0 && id < kNumFeatures && TemplatesById()[id] != nullptr;
}

}  // namespace pcs
