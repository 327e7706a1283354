#ifndef PCS_FEATURES_FEATURE_LIST_H_
#define PCS_FEATURES_FEATURE_LIST_H_

// The one list of features, in schema order. Each entry:
//   X(Id, "name", "category", "definition", "NaN when")
// The FeatureId enum, FeatureBuilder::Schema() and docs/FEATURES.md (checked
// by tests/features/feature_docs_test.cc) are all derived from this list, so
// they cannot drift apart. Appending, removing or reordering entries changes
// the schema hash: bump kFeatureSchemaVersion in feature_builder.cc.
//
// Notation: t = confirmation bar, c = its close, dir = +1 bullish / -1
// bearish, ATR = Wilder ATR(14) at t, "window" = the last 300 bars ending at t
// (indicators are computed on the window only), "readable history" = the
// last FeatureBuilder::kHistoryBars (500) bars ending at t (nothing older is
// ever read). "Signed by dir" means the
// value is multiplied by dir, so positive always means "in the trade's
// favour" and bullish and bearish patterns share one scale.
// Common NaN causes not repeated per row: ATR NaN or 0 (fewer than 14 bars or
// no range) makes every "/ATR" feature NaN; non-positive prices make returns
// NaN.

#define PCS_FEATURE_LIST(X)                                                    \
  X(kPatDoubleTop, "pat_is_double_top", "geometry",                            \
    "1 if the pattern type is double_top else 0", "never")                     \
  X(kPatDoubleBottom, "pat_is_double_bottom", "geometry",                      \
    "1 if double_bottom else 0", "never")                                      \
  X(kPatHeadShouldersTop, "pat_is_head_and_shoulders_top", "geometry",         \
    "1 if head_and_shoulders_top else 0", "never")                             \
  X(kPatInverseHeadShoulders, "pat_is_inverse_head_and_shoulders", "geometry", \
    "1 if inverse_head_and_shoulders else 0", "never")                         \
  X(kPatAscendingTriangle, "pat_is_ascending_triangle", "geometry",            \
    "1 if ascending_triangle else 0", "never")                                 \
  X(kPatDescendingTriangle, "pat_is_descending_triangle", "geometry",          \
    "1 if descending_triangle else 0", "never")                                \
  X(kPatSymmetricalTriangle, "pat_is_symmetrical_triangle", "geometry",        \
    "1 if symmetrical_triangle else 0", "never")                               \
  X(kPatRectangle, "pat_is_rectangle", "geometry", "1 if rectangle else 0",    \
    "never")                                                                   \
  X(kPatBullFlag, "pat_is_bull_flag", "geometry", "1 if bull_flag else 0",     \
    "never")                                                                   \
  X(kPatBearFlag, "pat_is_bear_flag", "geometry", "1 if bear_flag else 0",     \
    "never")                                                                   \
  X(kPatDirection, "pat_direction", "geometry", "dir: +1 bullish, -1 bearish", \
    "never")                                                                   \
  X(kPatKeyPointCount, "pat_key_point_count", "geometry",                      \
    "number of key points", "never")                                           \
  X(kPatHeightAtr, "pat_height_atr", "geometry",                               \
    "(max - min key point price) / ATR", "no key points")                      \
  X(kPatHeightPct, "pat_height_pct", "geometry",                               \
    "(max - min key point price) / c", "no key points")                        \
  X(kPatWidthBars, "pat_width_bars", "geometry",                               \
    "bars from formation_start to formation_end",                              \
    "formation_start not in the readable history")                             \
  X(kPatBreakoutDelayBars, "pat_breakout_delay_bars", "geometry",              \
    "bars from formation_end to t",                                            \
    "formation_end not in the readable history")                               \
  X(kPatSubwidthMaxFrac, "pat_subwidth_max_frac", "geometry",                  \
    "largest bar gap between consecutive key points / width",                  \
    "fewer than 2 key points or width 0")                                      \
  X(kPatSubwidthMinFrac, "pat_subwidth_min_frac", "geometry",                  \
    "smallest bar gap between consecutive key points / width",                 \
    "fewer than 2 key points or width 0")                                      \
  X(kPatExtremePosition, "pat_extreme_position", "geometry",                   \
    "time position (0 = first, 1 = last key point) of the outer key point "    \
    "farthest from the breakout side (e.g. the head)",                         \
    "key points all on one bar or no outer points")                            \
  X(kPatBoundarySpreadAtr, "pat_boundary_spread_atr", "geometry",              \
    "(max - min) of boundary key points / ATR; boundary = key points on the "  \
    "breakout side of the key-point mid-range (highs if bullish)",             \
    "fewer than 2 boundary points")                                            \
  X(kPatOuterSpreadAtr, "pat_outer_spread_atr", "geometry",                    \
    "(max - min) of outer key points (the other side) / ATR: balance of "      \
    "peaks/troughs/shoulders",                                                 \
    "fewer than 2 outer points")                                               \
  X(kPatBoundarySlopeAtr, "pat_boundary_slope_atr", "geometry",                \
    "least-squares slope of boundary (neckline) key points, ATR per bar, "     \
    "signed by dir",                                                           \
    "fewer than 2 boundary points on distinct bars")                           \
  X(kPatOuterSlopeAtr, "pat_outer_slope_atr", "geometry",                      \
    "least-squares slope of outer key points, ATR per bar, signed by dir",     \
    "fewer than 2 outer points on distinct bars")                              \
  X(kPatTargetDistAtr, "pat_target_dist_atr", "geometry",                      \
    "dir * (target - c) / ATR", "ATR NaN")                                     \
  X(kPatTargetDistPct, "pat_target_dist_pct", "geometry",                      \
    "dir * (target - c) / c", "c <= 0")                                        \
  X(kPatStopDistAtr, "pat_stop_dist_atr", "geometry",                          \
    "dir * (c - stop) / ATR", "ATR NaN")                                       \
  X(kPatStopDistPct, "pat_stop_dist_pct", "geometry", "dir * (c - stop) / c",  \
    "c <= 0")                                                                  \
  X(kPatRewardRisk, "pat_reward_risk", "geometry",                             \
    "dir * (target - c) / (dir * (c - stop))", "stop distance <= 0")           \
  X(kPatBreakoutDistAtr, "pat_breakout_dist_atr", "geometry",                  \
    "dir * (c - breakout_level) / ATR", "ATR NaN")                             \
  X(kPatBreakoutDistPct, "pat_breakout_dist_pct", "geometry",                  \
    "dir * (c - breakout_level) / breakout_level", "breakout_level <= 0")      \
  X(kPatBreakoutRangeAtr, "pat_breakout_bar_range_atr", "geometry",            \
    "(high - low) of bar t / ATR", "ATR NaN")                                  \
  X(kPatBreakoutCloseLocation, "pat_breakout_close_location", "geometry",      \
    "where c sits in bar t's range in the trade direction: (c - low) / "       \
    "(high - low) if bullish, (high - c) / (high - low) if bearish",           \
    "high == low")                                                             \
  X(kPatBreakoutGapAtr, "pat_breakout_gap_atr", "geometry",                    \
    "dir * (open(t) - close(t-1)) / ATR", "t is the first bar")                \
  X(kPatFormationMoveAtr, "pat_formation_move_atr", "geometry",                \
    "dir * (c - close at formation_start) / ATR",                              \
    "formation_start not in the readable history")                             \
  X(kCtxRet5, "ctx_ret_5", "trend", "dir * (c / close(t-5) - 1)",              \
    "fewer than 6 bars")                                                       \
  X(kCtxRet20, "ctx_ret_20", "trend", "dir * (c / close(t-20) - 1)",           \
    "fewer than 21 bars")                                                      \
  X(kCtxRet60, "ctx_ret_60", "trend", "dir * (c / close(t-60) - 1)",           \
    "fewer than 61 bars")                                                      \
  X(kCtxRet120, "ctx_ret_120", "trend", "dir * (c / close(t-120) - 1)",        \
    "fewer than 121 bars")                                                     \
  X(kCtxRet250, "ctx_ret_250", "trend", "dir * (c / close(t-250) - 1)",        \
    "fewer than 251 bars")                                                     \
  X(kCtxPriorTrend20, "ctx_prior_trend_20", "trend",                           \
    "dir * return over the 20 bars ending at formation_start (negative = "     \
    "the move a reversal pattern reverses)",                                   \
    "fewer than 20 readable bars before formation_start")                      \
  X(kCtxDistSma20Atr, "ctx_dist_sma20_atr", "trend",                           \
    "dir * (c - SMA20) / ATR", "fewer than 20 bars")                           \
  X(kCtxDistSma50Atr, "ctx_dist_sma50_atr", "trend",                           \
    "dir * (c - SMA50) / ATR", "fewer than 50 bars")                           \
  X(kCtxDistSma200Atr, "ctx_dist_sma200_atr", "trend",                         \
    "dir * (c - SMA200) / ATR", "fewer than 200 bars")                         \
  X(kCtxSma20Slope, "ctx_sma20_slope_atr", "trend",                            \
    "dir * (SMA20(t) - SMA20(t-5)) / (5 ATR)", "fewer than 25 bars")           \
  X(kCtxSma50Slope, "ctx_sma50_slope_atr", "trend",                            \
    "dir * (SMA50(t) - SMA50(t-10)) / (10 ATR)", "fewer than 60 bars")         \
  X(kCtxSma200Slope, "ctx_sma200_slope_atr", "trend",                          \
    "dir * (SMA200(t) - SMA200(t-20)) / (20 ATR)", "fewer than 220 bars")      \
  X(kCtxSma50VsSma200, "ctx_sma50_vs_sma200_atr", "trend",                     \
    "dir * (SMA50 - SMA200) / ATR", "fewer than 200 bars")                     \
  X(kCtxRange250Pos, "ctx_range_250_pos", "trend",                             \
    "position of c in the 250-bar high-low range, in the trade direction: "    \
    "(c - low) / (high - low) if bullish, (high - c) / (high - low) if "       \
    "bearish",                                                                 \
    "fewer than 250 bars or high == low")                                      \
  X(kCtxDrawdown250, "ctx_drawdown_250", "trend",                              \
    "c / (250-bar highest high) - 1 (<= 0, not signed)",                       \
    "fewer than 250 bars")                                                     \
  X(kCtxRally250, "ctx_rally_250", "trend",                                    \
    "c / (250-bar lowest low) - 1 (>= 0, not signed)", "fewer than 250 bars")  \
  X(kCtxEfficiency20, "ctx_efficiency_20", "trend",                            \
    "Kaufman efficiency: dir * (c - close(t-20)) / sum |daily change| over "   \
    "20 bars",                                                                 \
    "fewer than 21 bars or no change at all")                                  \
  X(kVolAtrPct, "vol_atr_pct", "volatility", "ATR / c", "fewer than 14 bars")  \
  X(kVolRealized20, "vol_realized_20", "volatility",                           \
    "annualised stdev of 20 daily log returns", "fewer than 21 bars")          \
  X(kVolRealized60, "vol_realized_60", "volatility",                           \
    "annualised stdev of 60 daily log returns", "fewer than 61 bars")          \
  X(kVolRatio20To60, "vol_ratio_20_60", "volatility",                          \
    "vol_realized_20 / vol_realized_60", "either NaN or vol_realized_60 = 0")  \
  X(kVolAtr5To50, "vol_atr5_atr50", "volatility",                              \
    "range compression: Wilder ATR(5) / Wilder ATR(50)",                       \
    "fewer than 50 bars or ATR(50) = 0")                                       \
  X(kVolBbWidth, "vol_bb_width", "volatility",                                 \
    "Bollinger(20, 2) width: (upper - lower) / middle", "fewer than 20 bars")  \
  X(kVolBbWidthPctile, "vol_bb_width_pctile_250", "volatility",                \
    "percentile rank (0..1) of today's Bollinger width among the last 250 "    \
    "daily widths",                                                            \
    "fewer than 120 widths (139 bars)")                                        \
  X(kVolGapCount60, "vol_gap_count_60", "volatility",                          \
    "bars among the last 60 whose open is outside the previous bar's "         \
    "high-low range",                                                          \
    "fewer than 61 bars")                                                      \
  X(kVolMaxMoveAtr60, "vol_max_move_atr_60", "volatility",                     \
    "largest |close-to-close change| in the last 60 bars / ATR (jumps)",       \
    "fewer than 61 bars")                                                      \
  X(kVolumeBreakoutRatio, "volu_breakout_ratio", "volume",                     \
    "volume(t) / mean volume of the 20 bars before t",                         \
    "fewer than 21 bars or that mean is 0")                                    \
  X(kVolumeTrend5To50, "volu_trend_5_50", "volume",                            \
    "mean volume of the last 5 bars / mean of the last 50",                    \
    "fewer than 50 bars or the 50-bar mean is 0")                              \
  X(kVolumeFormationVsBefore, "volu_formation_vs_before", "volume",            \
    "mean volume from formation_start to formation_end / mean volume of the "  \
    "max(20, width) bars before formation_start",                              \
    "fewer than 20 readable bars before formation_start or a mean is 0")       \
  X(kVolumeObvSlope20, "volu_obv_slope_20", "volume",                          \
    "dir * least-squares slope of OBV over 20 bars / mean volume of those "    \
    "bars",                                                                    \
    "fewer than 20 bars or zero mean volume")                                  \
  X(kVolumeZeroShare60, "volu_zero_share_60", "volume",                        \
    "share of bars with volume 0 among the last 60", "fewer than 60 bars")     \
  X(kVolumeUpDownLog20, "volu_updown_log_20", "volume",                        \
    "dir * ln(volume on up-close days / volume on down-close days) over 20 "   \
    "bars",                                                                    \
    "fewer than 21 bars or either sum is 0")                                   \
  X(kMomRsi14, "mom_rsi14_dir", "momentum",                                    \
    "dir * (Wilder RSI(14) - 50); flat prices give RSI 50",                    \
    "fewer than 15 bars")                                                      \
  X(kMomRsi14Change5, "mom_rsi14_change_5", "momentum",                        \
    "dir * (RSI14(t) - RSI14(t-5))", "fewer than 20 bars")                     \
  X(kMomMacdAtr, "mom_macd_atr", "momentum", "dir * MACD(12, 26) line / ATR",  \
    "fewer than 34 bars")                                                      \
  X(kMomMacdHistAtr, "mom_macd_hist_atr", "momentum",                          \
    "dir * MACD(12, 26, 9) histogram / ATR", "fewer than 34 bars")             \
  X(kMomMacdHistPct, "mom_macd_hist_pct", "momentum",                          \
    "dir * MACD(12, 26, 9) histogram / c", "fewer than 34 bars")               \
  X(kMomAdx14, "mom_adx14", "momentum", "Wilder ADX(14), 0..100 (not signed)", \
    "fewer than 28 bars")                                                      \
  X(kMomDiDiff14, "mom_di_diff14", "momentum", "dir * (+DI14 - -DI14)",        \
    "fewer than 15 bars or no range")                                          \
  X(kMomBbPercentB, "mom_bb_percent_b", "momentum",                            \
    "Bollinger %B in the trade direction: %B if bullish, 1 - %B if bearish",   \
    "fewer than 20 bars or zero stdev")                                        \
  X(kMomStochK14, "mom_stoch_k14", "momentum",                                 \
    "stochastic %K(14) in the trade direction: K if bullish, 100 - K if "      \
    "bearish",                                                                 \
    "fewer than 14 bars or high == low")                                       \
  X(kMomRoc10, "mom_roc_10", "momentum", "dir * (c / close(t-10) - 1)",        \
    "fewer than 11 bars")                                                      \
  X(kMktRet20, "mkt_ret_20", "market",                                         \
    "dir * DIA return over 20 DIA bars ending at the last DIA bar <= t",       \
    "no DIA, DIA stale (> 7 days old) or fewer than 21 DIA bars")              \
  X(kMktRet60, "mkt_ret_60", "market", "dir * DIA return over 60 bars",        \
    "as mkt_ret_20, fewer than 61 DIA bars")                                   \
  X(kMktAboveSma200, "mkt_above_sma200", "market",                             \
    "dir * (+1 if DIA close > DIA SMA200 else -1)",                            \
    "as mkt_ret_20, fewer than 200 DIA bars")                                  \
  X(kMktDistSma200Pct, "mkt_dist_sma200_pct", "market",                        \
    "dir * (DIA close / DIA SMA200 - 1)", "as mkt_above_sma200")               \
  X(kMktRealized20, "mkt_realized_vol_20", "market",                           \
    "DIA annualised realised volatility over 20 returns", "as mkt_ret_20")     \
  X(kMktRelStrength60, "mkt_rel_strength_60", "market",                        \
    "dir * (symbol 60-bar return - DIA 60-bar return)",                        \
    "ctx_ret_60 or mkt_ret_60 NaN")                                            \
  X(kMktCorr60, "mkt_corr_60", "market",                                       \
    "correlation of daily log returns of symbol and DIA over the last 60 "     \
    "symbol bars, on days both have bars",                                     \
    "no DIA or fewer than 40 matched returns")                                 \
  X(kMktBeta60, "mkt_beta_60", "market",                                       \
    "beta of symbol daily log returns on DIA's over the same pairs",           \
    "as mkt_corr_60 or DIA returns have no variance")                          \
  X(kRuleConfidence, "rule_confidence", "rule",                                \
    "Pattern::rule_confidence (0..1)", "never")                                \
  X(kRuleSymmetry, "rule_symmetry", "rule",                                    \
    "rule criterion \"symmetry\" (0..1)", "the pattern lacks the criterion")   \
  X(kRuleBreakoutVolume, "rule_breakout_volume", "rule",                       \
    "rule criterion \"breakout_volume\" (0..1)",                               \
    "the pattern lacks the criterion")                                         \
  X(kRulePriorTrend, "rule_prior_trend", "rule",                               \
    "rule criterion \"prior_trend\" (0..1)",                                   \
    "the pattern lacks the criterion")                                         \
  X(kRuleSizeAtr, "rule_size_atr", "rule",                                     \
    "rule criterion \"size_atr\" (0..1)", "the pattern lacks the criterion")   \
  X(kRuleDuration, "rule_duration", "rule",                                    \
    "rule criterion \"duration\" (0..1)", "the pattern lacks the criterion")   \
  X(kRuleBreakoutStrength, "rule_breakout_strength", "rule",                   \
    "rule criterion \"breakout_strength\" (0..1)",                             \
    "the pattern lacks the criterion")                                         \
  X(kRuleTargetReach, "rule_target_reach", "rule",                             \
    "rule criterion \"target_reach\" (0..1): random-walk chance of "           \
    "reaching the target within the horizon",                                  \
    "the pattern lacks the criterion")                                         \
  X(kRuleBarrierOdds, "rule_barrier_odds", "rule",                             \
    "rule criterion \"barrier_odds\" (0..1): random-walk chance of "           \
    "the target before the stop",                                              \
    "the pattern lacks the criterion")                                         \
  X(kRuleValleyDepth, "rule_valley_depth", "rule",                             \
    "rule criterion \"valley_depth\" (0..1), type-specific",                   \
    "the pattern lacks the criterion")                                         \
  X(kRuleNecklineFlatness, "rule_neckline_flatness", "rule",                   \
    "rule criterion \"neckline_flatness\" (0..1), type-specific",              \
    "the pattern lacks the criterion")                                         \
  X(kRuleFlatness, "rule_flatness", "rule",                                    \
    "rule criterion \"flatness\" (0..1), type-specific",                       \
    "the pattern lacks the criterion")                                         \
  X(kRuleConvergence, "rule_convergence", "rule",                              \
    "rule criterion \"convergence\" (0..1), type-specific",                    \
    "the pattern lacks the criterion")                                         \
  X(kRulePoleStrength, "rule_pole_strength", "rule",                           \
    "rule criterion \"pole_strength\" (0..1), type-specific",                  \
    "the pattern lacks the criterion")                                         \
  X(kRuleTypeSpecific, "rule_type_specific", "rule",                           \
    "the pattern's one type-specific criterion (whichever of valley_depth, "   \
    "neckline_flatness, flatness, convergence, pole_strength it has)",         \
    "the pattern has none of them")

namespace pcs::features_internal {

enum FeatureId : int {
#define PCS_FEATURE_ENUM(id, name, category, definition, nan_when) id,
  PCS_FEATURE_LIST(PCS_FEATURE_ENUM)
#undef PCS_FEATURE_ENUM
      kNumFeatures
};

struct FeatureInfo {
  const char* name;
  const char* category;
  const char* definition;
  const char* nan_when;
};

inline constexpr FeatureInfo kFeatureInfo[] = {
#define PCS_FEATURE_INFO(id, name, category, definition, nan_when) \
  {name, category, definition, nan_when},
    PCS_FEATURE_LIST(PCS_FEATURE_INFO)
#undef PCS_FEATURE_INFO
};
static_assert(sizeof(kFeatureInfo) / sizeof(kFeatureInfo[0]) == kNumFeatures);

}  // namespace pcs::features_internal

#endif  // PCS_FEATURES_FEATURE_LIST_H_
