#ifndef PCS_LIFECYCLE_PATTERN_DETECTOR_H_
#define PCS_LIFECYCLE_PATTERN_DETECTOR_H_

#include <array>
#include <vector>

#include "core/bar.h"
#include "lifecycle/pattern.h"

namespace pcs {

// Version of the rule set; stored with every pattern event. Bump whenever a
// rule, threshold or weight below changes (docs/PATTERNS.md).
inline constexpr char kDetectorVersion[] = "rules-1.0.0";

// Every threshold of the rule detectors. Defaults are the documented rule
// set (docs/PATTERNS.md); "ATR" is Wilder's ATR(atr_period) at the bar the
// rule is evaluated on. Prices are compared in the series' own units.
struct DetectorOptions {
  // --- indicators and swing pivots ---
  int atr_period = 14;
  // Zigzag reversal threshold: a swing high/low is confirmed at the first
  // bar whose low/high is this many ATR (ATR at that bar) beyond it.
  double pivot_atr_multiple = 2.0;
  int volume_average_bars = 20;  // breakout volume vs this trailing mean
  int prior_trend_bars = 40;     // lookback for the prior-trend criterion
  int reach_horizon_bars = 40;   // horizon of the "target_reach" criterion

  // --- breakout (all types except flags) ---
  // The breakout close must come within this many bars after the last pivot.
  int max_breakout_wait_bars = 30;

  // --- double top / double bottom ---
  double twin_tolerance = 0.03;     // |p1 - p2| / max(p1, p2)
  double twin_min_depth_atr = 2.5;  // lower twin - trough, in ATR
  int twin_min_bars = 10;           // first to second twin
  int twin_max_bars = 120;

  // --- head and shoulders (top / inverse) ---
  double hs_min_head_excess_atr = 0.5;  // head above the higher shoulder
  double hs_max_shoulder_diff = 0.5;    // |ls - rs| / height
  double hs_min_shoulder_height = 0.3;  // each shoulder above neckline / height
  double hs_max_time_ratio = 2.5;       // longer side / shorter side (bars)
  double hs_max_neckline_tilt = 0.5;    // |t2 - t1| / height
  double hs_min_height_atr = 3.0;       // head - neckline at head, in ATR
  int hs_min_bars = 15;                 // left shoulder to right shoulder
  int hs_max_bars = 200;

  // --- triangles and rectangle (pivot windows of 4..6 pivots) ---
  double boundary_flat_atr = 0.75;      // |line change over formation| <= this
  double boundary_min_slope_atr = 1.5;  // sloped side changes >= this
  double sym_min_slope_atr = 1.5;       // symmetrical: each side >= this
  double boundary_max_residual_atr = 0.6;  // pivot distance to its line
  double boundary_containment_atr = 0.5;   // closes inside lines +- this
  double boundary_min_height_atr = 3.0;    // start width, in ATR
  double triangle_max_end_width = 0.7;     // end width / start width
  int boundary_min_pivots_two_sided = 5;   // rectangle, symmetrical triangle
  double boundary_max_first_swing = 1.5;   // first swing / second swing
  int boundary_min_bars = 15;
  int boundary_max_bars = 150;

  // --- bull / bear flags ---
  double pole_min_atr = 5.0;  // pole height in ATR (ATR at pole end)
  int pole_max_bars = 15;     // pole start pivot to pole end pivot
  int flag_min_bars = 3;      // bars after the pole end before breakout
  int flag_max_bars = 15;
  double flag_max_retrace = 0.5;     // deepest flag extreme / pole height
  double flag_max_drift_atr = 0.05;  // flag close slope with the pole, ATR/bar
};

// What the detectors saw and skipped (for reports; never needed for
// correctness).
struct DetectionStats {
  int bars = 0;
  int pivots = 0;
  std::array<int, kNumPatternTypes> reported{};  // by PatternType
  int skipped_invalid_levels = 0;  // target/stop on the wrong side, NaN, <= 0
  int skipped_duplicates = 0;      // same type, same formation or breakout
  int skipped_bad_bars = 0;        // bars with non-finite / non-positive prices
};

// All patterns confirmed in `bars`, sorted by (confirmation_day, type,
// formation_start), strictly causal: every field of a pattern confirmed on
// day d is computed from bars with day <= d only, so detection on
// bars.Truncated(k) returns exactly the patterns of the full run confirmed
// on or before bars[k-1].day. Series with fewer than ~2 * atr_period bars
// yield nothing. Bars with non-positive or non-finite prices are skipped
// (counted in stats). Pure function; thread-safe.
std::vector<Pattern> DetectPatterns(const BarSeries& bars,
                                    const DetectorOptions& options = {});
// Same, also filling `stats` (may be nullptr).
std::vector<Pattern> DetectPatterns(const BarSeries& bars,
                                    const DetectorOptions& options,
                                    DetectionStats* stats);

}  // namespace pcs

#endif  // PCS_LIFECYCLE_PATTERN_DETECTOR_H_
