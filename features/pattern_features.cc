// Pattern identity, key-point geometry and price levels (target, stop,
// breakout) of one pattern; see features/feature_list.h for definitions.

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/indicators.h"
#include "features/feature_context.h"

namespace pcs::features_internal {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Point {
  double x;  // bar index in history
  double y;  // price
};

// Least-squares slope of y on x (core FitLine); NaN with fewer than 2
// distinct x.
double LineSlope(const std::vector<Point>& pts) {
  if (pts.size() < 2) return kNaN;
  std::vector<double> x, y;
  x.reserve(pts.size());
  y.reserve(pts.size());
  bool distinct = false;
  for (const Point& p : pts) {
    distinct = distinct || p.x != pts[0].x;
    x.push_back(p.x);
    y.push_back(p.y);
  }
  return distinct ? FitLine(x, y).slope : kNaN;
}

double Spread(const std::vector<Point>& pts) {
  if (pts.size() < 2) return kNaN;
  double lo = pts[0].y, hi = pts[0].y;
  for (const Point& p : pts) {
    lo = std::min(lo, p.y);
    hi = std::max(hi, p.y);
  }
  return hi - lo;
}

// Bar index in history of `day`, NaN when the day precedes the first bar.
double BarIndex(const FeatureContext& ctx, Day day) {
  const int i = IndexAtOrBefore(ctx.history, day);
  return i < 0 ? kNaN : static_cast<double>(i);
}

// Time structure of the key points: width and the gaps between them.
void AddKeyPointTiming(const FeatureContext& ctx, const std::vector<Point>& pts,
                       FeatureRow row) {
  const Pattern& p = *ctx.pattern;
  const double t = static_cast<double>(ctx.history.size() - 1);
  const double start = BarIndex(ctx, p.formation_start);
  const double end = BarIndex(ctx, p.formation_end);
  const double width = end - start;
  row[kPatWidthBars] = width;
  row[kPatBreakoutDelayBars] = t - end;
  if (pts.size() < 2 || !(width > 0)) return;
  double max_gap = 0, min_gap = std::numeric_limits<double>::infinity();
  for (size_t i = 1; i < pts.size(); ++i) {
    const double gap = pts[i].x - pts[i - 1].x;
    max_gap = std::max(max_gap, gap);
    min_gap = std::min(min_gap, gap);
  }
  row[kPatSubwidthMaxFrac] = max_gap / width;
  row[kPatSubwidthMinFrac] = min_gap / width;
}

}  // namespace

void AddPatternIdentity(const FeatureContext& ctx, FeatureRow row) {
  static constexpr FeatureId kTypeIds[kNumPatternTypes] = {
      kPatDoubleTop,
      kPatDoubleBottom,
      kPatHeadShouldersTop,
      kPatInverseHeadShoulders,
      kPatAscendingTriangle,
      kPatDescendingTriangle,
      kPatSymmetricalTriangle,
      kPatRectangle,
      kPatBullFlag,
      kPatBearFlag};
  for (FeatureId id : kTypeIds) row[id] = 0;
  row[kTypeIds[static_cast<int>(ctx.pattern->type)]] = 1;
  row[kPatDirection] = ctx.dir;
  row[kPatKeyPointCount] = static_cast<double>(ctx.pattern->key_points.size());
}

void AddPatternGeometry(const FeatureContext& ctx, FeatureRow row) {
  const Pattern& p = *ctx.pattern;
  if (p.key_points.empty()) {
    AddKeyPointTiming(ctx, {}, row);
    return;
  }
  double lo = p.key_points[0].price, hi = lo;
  std::vector<Point> pts;  // key points that fall on or after the first bar
  pts.reserve(p.key_points.size());
  for (const KeyPoint& kp : p.key_points) {
    lo = std::min(lo, kp.price);
    hi = std::max(hi, kp.price);
    const double x = BarIndex(ctx, kp.day);
    if (!std::isnan(x)) pts.push_back({x, kp.price});
  }
  std::sort(pts.begin(), pts.end(),
            [](const Point& a, const Point& b) { return a.x < b.x; });
  AddKeyPointTiming(ctx, pts, row);
  row[kPatHeightAtr] = (hi - lo) / ctx.atr;
  row[kPatHeightPct] = SafeDiv(hi - lo, ctx.close);

  // Boundary = key points on the breakout side of the key-point mid-range
  // (highs for bullish, lows for bearish); outer = the others.
  const double mid = (hi + lo) / 2;
  std::vector<Point> boundary, outer;
  for (const Point& pt : pts) {
    const bool high_side = pt.y >= mid;
    ((high_side == (ctx.dir > 0)) ? boundary : outer).push_back(pt);
  }
  row[kPatBoundarySpreadAtr] = Spread(boundary) / ctx.atr;
  row[kPatOuterSpreadAtr] = Spread(outer) / ctx.atr;
  row[kPatBoundarySlopeAtr] = ctx.dir * LineSlope(boundary) / ctx.atr;
  row[kPatOuterSlopeAtr] = ctx.dir * LineSlope(outer) / ctx.atr;
  if (!outer.empty()) {
    // Farthest from the breakout side: the lowest outer point if bullish.
    const Point* extreme = &outer[0];
    for (const Point& pt : outer) {
      if (ctx.dir * (extreme->y - pt.y) > 0) extreme = &pt;
    }
    row[kPatExtremePosition] =
        SafeDiv(extreme->x - pts.front().x, pts.back().x - pts.front().x);
  }
}

void AddPatternLevels(const FeatureContext& ctx, FeatureRow row) {
  const Pattern& p = *ctx.pattern;
  const Bar& bar = ctx.window.back();
  const double c = ctx.close;
  const double to_target = ctx.dir * (p.target - c);
  const double to_stop = ctx.dir * (c - p.stop);
  const double past_breakout = ctx.dir * (c - p.breakout_level);
  row[kPatTargetDistAtr] = to_target / ctx.atr;
  row[kPatTargetDistPct] = c > 0 ? to_target / c : kNaN;
  row[kPatStopDistAtr] = to_stop / ctx.atr;
  row[kPatStopDistPct] = c > 0 ? to_stop / c : kNaN;
  row[kPatRewardRisk] = to_stop > 0 ? to_target / to_stop : kNaN;
  row[kPatBreakoutDistAtr] = past_breakout / ctx.atr;
  row[kPatBreakoutDistPct] =
      p.breakout_level > 0 ? past_breakout / p.breakout_level : kNaN;
  const double range = bar.high - bar.low;
  row[kPatBreakoutRangeAtr] = range / ctx.atr;
  if (range > 0) {
    row[kPatBreakoutCloseLocation] =
        ctx.dir > 0 ? (c - bar.low) / range : (bar.high - c) / range;
  }
  if (ctx.last >= 1) {
    row[kPatBreakoutGapAtr] =
        ctx.dir * (bar.open - ctx.window[ctx.last - 1].close) / ctx.atr;
  }
  const int start = IndexAtOrBefore(ctx.history, p.formation_start);
  if (start >= 0) {
    row[kPatFormationMoveAtr] =
        ctx.dir * (c - ctx.history[start].close) / ctx.atr;
  }
}

}  // namespace pcs::features_internal
