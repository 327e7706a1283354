#ifndef PCS_TESTS_LIFECYCLE_SYNTHETIC_BARS_H_
#define PCS_TESTS_LIFECYCLE_SYNTHETIC_BARS_H_

#include <utility>
#include <vector>

#include "core/bar.h"

namespace pcs::testing {

// A waypoint of a piecewise-linear close path: (bar index, close).
using Waypoint = std::pair<int, double>;

// Bars whose closes follow straight lines between `waypoints` (the first
// must be at index 0). open = previous close, high = max(open, close) +
// `wick`, low = min(open, close) - `wick`, volume 1e6, days consecutive from
// 2010-01-04 (every calendar day; gaps are irrelevant to the detectors).
inline BarSeries PathBars(const std::vector<Waypoint>& waypoints,
                          double wick = 0.3) {
  BarSeries s;
  s.symbol = "SYN";
  const Day day0 = 14613;  // 2010-01-04
  double prev = waypoints.front().second;
  for (size_t w = 1; w < waypoints.size(); ++w) {
    const auto [i0, p0] = waypoints[w - 1];
    const auto [i1, p1] = waypoints[w];
    for (int i = (w == 1 ? i0 : i0 + 1); i <= i1; ++i) {
      const double close = p0 + (p1 - p0) * (i - i0) / (i1 - i0);
      Bar b;
      b.day = day0 + i;
      b.open = prev;
      b.close = close;
      b.adj_close = close;
      b.high = std::max(b.open, b.close) + wick;
      b.low = std::min(b.open, b.close) - wick;
      b.volume = 1e6;
      s.bars.push_back(b);
      prev = close;
    }
  }
  return s;
}

// The same path reflected around `axis` (p -> 2 * axis - p): turns a top
// into a bottom, an up-breakout into a down-breakout.
inline std::vector<Waypoint> Reflect(std::vector<Waypoint> waypoints,
                                     double axis = 100) {
  for (auto& w : waypoints) w.second = 2 * axis - w.second;
  return waypoints;
}

}  // namespace pcs::testing

#endif  // PCS_TESTS_LIFECYCLE_SYNTHETIC_BARS_H_
