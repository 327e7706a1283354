// Double top / double bottom and head-and-shoulders (top / inverse). Written
// for the top (bearish) form; the bottom forms are the same code on the
// mirrored view. See docs/PATTERNS.md.

#include <algorithm>
#include <cmath>

#include "lifecycle/detector_internal.h"

namespace pcs::rules {
namespace {

// The breakout bar: the first bar after the last pivot (`pivot`) whose close
// is below `neck(t)`, if it comes within the wait and no earlier than the
// bar confirming the pivot (`confirmed`; before it the formation is not
// known yet, so an earlier close through means no pattern). -1 when the wait
// ends, or when a high exceeds `stop` first (the formation failed).
template <typename NeckFn>
int FindBreakdown(const SeriesView& v, const Pivot& pivot, int last,
                  double stop, NeckFn neck) {
  last = std::min(last, v.size() - 1);
  for (int t = pivot.index + 1; t <= last; ++t) {
    const Bar& b = v.bar(t);
    if (b.high > stop) return -1;
    if (b.close < neck(t)) return t >= pivot.confirmed ? t : -1;
  }
  return -1;
}

}  // namespace

void DetectTwinTops(const SeriesView& v, std::vector<Candidate>& out) {
  const DetectorOptions& o = *v.options;
  const std::vector<Pivot>& pv = *v.pivots;
  for (int j = 3; j < static_cast<int>(pv.size()); ++j) {
    const Pivot& p2 = pv[j];
    if (!p2.is_high) continue;
    const Pivot& trough = pv[j - 1];
    const Pivot& p1 = pv[j - 2];
    const Pivot& before =
        pv[j - 3];  // low the rise into the formation began at
    const int bars = p2.index - p1.index;
    if (bars < o.twin_min_bars || bars > o.twin_max_bars) continue;
    const double atr = v.Atr(p2.index);
    if (!(atr > 0)) continue;
    const double diff = RelativeDiff(p1.price, p2.price);
    if (diff > o.twin_tolerance) continue;
    const double top = std::max(p1.price, p2.price);
    const double depth = std::min(p1.price, p2.price) - trough.price;
    if (depth < o.twin_min_depth_atr * atr) continue;
    if (!(before.price < trough.price)) continue;  // must rise into the top
    const double neck = trough.price;
    const int t = FindBreakdown(v, p2, p2.index + o.max_breakout_wait_bars, top,
                                [&](int) { return neck; });
    if (t < 0) continue;
    Candidate c;
    c.type = v.mirrored ? PatternType::kDoubleBottom : PatternType::kDoubleTop;
    c.view_sign = -1;
    c.first_pivot = j - 2;
    c.last_pivot = j;
    c.start = p1.index;
    c.end = p2.index;
    c.confirm = t;
    const bool bottom = v.mirrored;
    c.points = {{bottom ? "trough1" : "peak1", p1.index, p1.price},
                {bottom ? "peak" : "trough", trough.index, trough.price},
                {bottom ? "trough2" : "peak2", p2.index, p2.price}};
    c.height = top - neck;
    c.level = neck;
    c.target = neck - c.height;
    c.stop = top;
    c.symmetry = Clamp01(1 - diff / o.twin_tolerance);
    // Deeper valley between the twins (vs the minimum) = clearer formation.
    c.specific_name = "valley_depth";
    c.specific = Clamp01((depth / atr - o.twin_min_depth_atr) /
                         (2 * o.twin_min_depth_atr));
    out.push_back(std::move(c));
  }
}

void DetectHeadAndShoulders(const SeriesView& v, std::vector<Candidate>& out) {
  const DetectorOptions& o = *v.options;
  const std::vector<Pivot>& pv = *v.pivots;
  for (int j = 5; j < static_cast<int>(pv.size()); ++j) {
    const Pivot& rs = pv[j];
    if (!rs.is_high) continue;
    const Pivot& t2 = pv[j - 1];
    const Pivot& head = pv[j - 2];
    const Pivot& t1 = pv[j - 3];
    const Pivot& ls = pv[j - 4];
    const Pivot& before = pv[j - 5];
    const int bars = rs.index - ls.index;
    if (bars < o.hs_min_bars || bars > o.hs_max_bars) continue;
    const double atr = v.Atr(rs.index);
    if (!(atr > 0)) continue;
    const double slope = (t2.price - t1.price) / (t2.index - t1.index);
    auto neck = [&](int i) { return t1.price + slope * (i - t1.index); };
    const double height = head.price - neck(head.index);
    if (height < o.hs_min_height_atr * atr) continue;
    if (head.price - std::max(ls.price, rs.price) <
        o.hs_min_head_excess_atr * atr)
      continue;
    const double shoulder_diff = std::abs(ls.price - rs.price) / height;
    if (shoulder_diff > o.hs_max_shoulder_diff) continue;
    if (ls.price - neck(ls.index) < o.hs_min_shoulder_height * height) continue;
    if (rs.price - neck(rs.index) < o.hs_min_shoulder_height * height) continue;
    const double left = head.index - ls.index, right = rs.index - head.index;
    const double time_ratio = std::max(left, right) / std::min(left, right);
    if (time_ratio > o.hs_max_time_ratio) continue;
    const double tilt = std::abs(t2.price - t1.price) / height;
    if (tilt > o.hs_max_neckline_tilt) continue;
    if (!(before.price < std::min(t1.price, t2.price))) continue;
    const int t = FindBreakdown(v, rs, rs.index + o.max_breakout_wait_bars,
                                rs.price, neck);
    if (t < 0) continue;
    Candidate c;
    c.type = v.mirrored ? PatternType::kInverseHeadAndShoulders
                        : PatternType::kHeadAndShouldersTop;
    c.view_sign = -1;
    c.first_pivot = j - 4;
    c.last_pivot = j;
    c.start = ls.index;
    c.end = rs.index;
    c.confirm = t;
    c.points = {{"left_shoulder", ls.index, ls.price},
                {"neckline_left", t1.index, t1.price},
                {"head", head.index, head.price},
                {"neckline_right", t2.index, t2.price},
                {"right_shoulder", rs.index, rs.price}};
    c.height = height;
    c.level = neck(t);
    c.target = c.level - height;
    c.stop = rs.price;
    c.symmetry =
        0.5 * Clamp01(1 - shoulder_diff / o.hs_max_shoulder_diff) +
        0.5 * Clamp01(1 - (time_ratio - 1) / (o.hs_max_time_ratio - 1));
    c.specific_name = "neckline_flatness";
    c.specific = Clamp01(1 - tilt / o.hs_max_neckline_tilt);
    out.push_back(std::move(c));
  }
}

}  // namespace pcs::rules
