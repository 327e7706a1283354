#include "lifecycle/pattern_detector.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>
#include <utility>

#include "lifecycle/detector_internal.h"
#include "lifecycle/rule_confidence.h"
#include "lifecycle/rule_indicators.h"
#include "lifecycle/swing_pivots.h"

namespace pcs {
namespace rules {

double Clamp01(double x) {
  if (!std::isfinite(x)) return 0;
  return std::clamp(x, 0.0, 1.0);
}

double RelativeDiff(double a, double b) {
  const double m = std::max(std::abs(a), std::abs(b));
  return m > 0 ? std::abs(a - b) / m : 0;
}

}  // namespace rules

namespace {

using rules::Candidate;
using rules::Clamp01;
using rules::SeriesView;

// Typical daily close-to-close standard deviation as a multiple of ATR(14):
// the median of (20-bar sd of close changes) / ATR(14) over the 2000-2012
// shared data is 0.672 (quartiles 0.58 / 0.79). Used by "target_reach".
constexpr double kVolPerAtr = 0.67;

bool UsableBar(const Bar& b) {
  for (double x : {b.open, b.high, b.low, b.close}) {
    if (!std::isfinite(x) || x <= 0) return false;
  }
  return std::isfinite(b.volume) && b.volume >= 0 && b.high >= b.low;
}

// 1 inside [lo, hi] bars, falling linearly outside (0 at 0 and at 2 * hi).
double DurationScore(int bars, int lo, int hi) {
  if (bars < lo) return Clamp01(static_cast<double>(bars) / lo);
  if (bars > hi) return Clamp01(1 - static_cast<double>(bars - hi) / hi);
  return 1;
}

double DurationOf(const Candidate& c) {
  switch (c.type) {
    case PatternType::kDoubleTop:
    case PatternType::kDoubleBottom:
      return DurationScore(c.end - c.start, 20, 80);
    case PatternType::kHeadAndShouldersTop:
    case PatternType::kInverseHeadAndShoulders:
      return DurationScore(c.end - c.start, 30, 120);
    case PatternType::kBullFlag:
    case PatternType::kBearFlag:
      return DurationScore(c.confirm - c.end - 1, 5, 15);
    default:
      return DurationScore(c.end - c.start, 20, 80);
  }
}

// The criteria of docs/PATTERNS.md, computed in view coordinates (scale-free,
// so the mirrored view scores exactly like the original).
std::vector<std::pair<std::string, double>> Criteria(const SeriesView& v,
                                                     const Candidate& c) {
  const DetectorOptions& o = *v.options;
  const Bar& cb = v.bar(c.confirm);
  const double atr_end = v.Atr(c.end);
  const double atr_t = v.Atr(c.confirm);
  const double mv = (*v.mean_volume)[c.confirm];
  const double volume = mv > 0 ? Clamp01((cb.volume / mv - 0.8) / 1.2) : 0.5;
  double trend = 0.5;
  if (c.start > 0) {
    const int from = std::max(0, c.start - o.prior_trend_bars);
    const double atr = std::isfinite(v.Atr(c.start)) ? v.Atr(c.start) : atr_end;
    // Canonical views want a prior rise: tops reverse it, breakouts up
    // continue it.
    trend = Clamp01((v.bar(c.start).close - v.bar(from).close) / atr / 5.0);
  }
  // Moderate formations score best: at least 3 ATR tall to matter, beyond
  // 6 ATR the measured move is rarely reached within the horizon.
  const double height_atr = c.height / atr_end;
  const double size = height_atr < 3 ? Clamp01(height_atr - 2)
                                     : Clamp01(1 - (height_atr - 6) / 9);
  const double strength = Clamp01(c.view_sign * (cb.close - c.level) / atr_t);
  const double to_target = std::abs(c.target - cb.close);
  const double to_stop = std::abs(cb.close - c.stop);
  // Driftless random walk with daily sd kVolPerAtr * ATR: probability of
  // touching the target within the horizon (reflection principle), and of
  // touching the target before the stop (gambler's ruin).
  const double reach = std::erfc(
      to_target / atr_t /
      (kVolPerAtr * std::sqrt(2.0 * std::max(1, o.reach_horizon_bars))));
  const double odds = to_stop / (to_stop + to_target);
  return {{"symmetry", Clamp01(c.symmetry)},
          {"breakout_volume", volume},
          {"prior_trend", trend},
          {"size_atr", size},
          {"duration", DurationOf(c)},
          {"breakout_strength", strength},
          {"target_reach", Clamp01(reach)},
          {"barrier_odds", Clamp01(odds)},
          {c.specific_name, Clamp01(c.specific)}};
}

bool LevelsValid(const Pattern& p, double close) {
  for (double x : {p.breakout_level, p.target, p.stop, close}) {
    if (!std::isfinite(x) || x <= 0) return false;
  }
  if (!std::isfinite(p.rule_confidence)) return false;
  if (p.direction == Direction::kBullish)
    return p.target > close && p.stop < close;
  return p.target < close && p.stop > close;
}

Pattern ToPattern(const SeriesView& v, const Candidate& c,
                  const std::string& symbol) {
  const double m = v.mirrored ? -1 : 1;
  Pattern p;
  p.symbol = symbol;
  p.type = c.type;
  p.direction = c.view_sign * m > 0 ? Direction::kBullish : Direction::kBearish;
  p.formation_start = v.bar(c.start).day;
  p.formation_end = v.bar(c.end).day;
  p.confirmation_day = v.bar(c.confirm).day;
  for (const rules::CandidatePoint& kp : c.points) {
    p.key_points.push_back({kp.role, v.bar(kp.index).day, m * kp.price});
  }
  p.breakout_level = m * c.level;
  p.target = m * c.target;
  p.stop = m * c.stop;
  p.rule_criteria = Criteria(v, c);
  p.rule_confidence = CombineRuleCriteria(p.rule_criteria);
  return p;
}

struct Scored {
  Pattern pattern;
  int confirm = 0;
  int first_pivot = 0;
  int last_pivot = 0;
};

// One pattern per type per formation: per (type, breakout bar) and per
// (type, pivot span) keep the highest rule confidence (ties: the later,
// shorter formation). Only patterns of the same breakout bar compete, so
// this stays causal.
std::vector<Pattern> Dedupe(std::vector<Scored> all, DetectionStats* stats) {
  std::sort(all.begin(), all.end(), [](const Scored& a, const Scored& b) {
    return std::make_tuple(a.confirm, -a.pattern.rule_confidence,
                           -a.pattern.formation_start, a.first_pivot) <
           std::make_tuple(b.confirm, -b.pattern.rule_confidence,
                           -b.pattern.formation_start, b.first_pivot);
  });
  std::set<std::pair<int, int>> by_breakout;
  std::set<std::tuple<int, int, int>> by_span;
  std::vector<Pattern> out;
  for (Scored& s : all) {
    const int type = static_cast<int>(s.pattern.type);
    const bool fresh_breakout = by_breakout.insert({type, s.confirm}).second;
    const bool fresh_span =
        by_span.insert({type, s.first_pivot, s.last_pivot}).second;
    if (!fresh_breakout || !fresh_span) {
      if (stats != nullptr) ++stats->skipped_duplicates;
      continue;
    }
    out.push_back(std::move(s.pattern));
  }
  std::stable_sort(
      out.begin(), out.end(), [](const Pattern& a, const Pattern& b) {
        return std::make_tuple(a.confirmation_day, static_cast<int>(a.type),
                               a.formation_start) <
               std::make_tuple(b.confirmation_day, static_cast<int>(b.type),
                               b.formation_start);
      });
  return out;
}

}  // namespace

std::vector<Pattern> DetectPatterns(const BarSeries& bars,
                                    const DetectorOptions& options) {
  return DetectPatterns(bars, options, nullptr);
}

std::vector<Pattern> DetectPatterns(const BarSeries& bars,
                                    const DetectorOptions& options,
                                    DetectionStats* stats) {
  DetectionStats local;
  DetectionStats* st = stats != nullptr ? stats : &local;
  *st = DetectionStats{};
  st->bars = static_cast<int>(bars.bars.size());
  std::vector<Bar> clean;
  clean.reserve(bars.bars.size());
  for (const Bar& b : bars.bars) {
    if (!UsableBar(b) || (!clean.empty() && b.day <= clean.back().day)) {
      ++st->skipped_bad_bars;
      continue;
    }
    clean.push_back(b);
  }
  if (static_cast<int>(clean.size()) < 2 * std::max(1, options.atr_period))
    return {};
  const std::vector<double> atr = WilderAtrSeries(clean, options.atr_period);
  const std::vector<double> volume =
      rules::TrailingMeanVolume(clean, options.volume_average_bars);
  const std::vector<rules::Pivot> pivots =
      rules::ZigzagPivots(clean, atr, options.pivot_atr_multiple);
  st->pivots = static_cast<int>(pivots.size());
  const std::vector<Bar> mirrored_bars = rules::MirrorBars(clean);
  const std::vector<rules::Pivot> mirrored_pivots = rules::MirrorPivots(pivots);

  std::vector<Scored> scored;
  for (const bool mirrored : {false, true}) {
    SeriesView v;
    v.bars = mirrored ? &mirrored_bars : &clean;
    v.atr = &atr;
    v.mean_volume = &volume;
    v.pivots = mirrored ? &mirrored_pivots : &pivots;
    v.mirrored = mirrored;
    v.options = &options;
    std::vector<Candidate> found;
    rules::DetectTwinTops(v, found);
    rules::DetectHeadAndShoulders(v, found);
    rules::DetectBoundaryPatterns(v, found);
    rules::DetectFlags(v, found);
    for (const Candidate& c : found) {
      Pattern p = ToPattern(v, c, bars.symbol);
      if (!LevelsValid(p, clean[c.confirm].close)) {
        ++st->skipped_invalid_levels;
        continue;
      }
      scored.push_back({std::move(p), c.confirm, c.first_pivot, c.last_pivot});
    }
  }
  std::vector<Pattern> out = Dedupe(std::move(scored), st);
  for (const Pattern& p : out) ++st->reported[static_cast<int>(p.type)];
  return out;
}

}  // namespace pcs
