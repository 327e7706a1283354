// Ascending / descending / symmetrical triangles and rectangles: two
// least-squares boundary lines through the highs and lows of a window of 4..6
// alternating pivots. Written for the upward breakout; the mirrored view
// finds descending triangles and the downward breakouts of symmetrical
// triangles and rectangles. See docs/PATTERNS.md.

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "lifecycle/detector_internal.h"
#include "lifecycle/rule_indicators.h"

namespace pcs::rules {
namespace {

enum class Shape { kNone, kRectangle, kAscending, kSymmetrical };

struct Window {
  int first = 0, last = 0;  // pivot numbers
  Line upper, lower;
  double atr = 0;
  double start_width = 0, end_width = 0;
  double max_residual = 0;                    // in ATR
  double upper_change = 0, lower_change = 0;  // in ATR over the window
  Shape shape = Shape::kNone;
};

std::optional<Window> FitWindow(const SeriesView& v, int first, int last) {
  const DetectorOptions& o = *v.options;
  const std::vector<Pivot>& pv = *v.pivots;
  Window w;
  w.first = first;
  w.last = last;
  const int x0 = pv[first].index, x1 = pv[last].index;
  if (x1 - x0 < o.boundary_min_bars || x1 - x0 > o.boundary_max_bars)
    return std::nullopt;
  w.atr = v.Atr(x1);
  if (!(w.atr > 0)) return std::nullopt;
  // The swing into the formation is the prior trend, not part of it: the
  // first swing of the window may be at most this much larger than the next.
  const double leg1 = std::abs(pv[first + 1].price - pv[first].price);
  const double leg2 = std::abs(pv[first + 2].price - pv[first + 1].price);
  if (leg1 > o.boundary_max_first_swing * leg2) return std::nullopt;
  std::vector<double> hx, hy, lx, ly;
  for (int k = first; k <= last; ++k) {
    (pv[k].is_high ? hx : lx).push_back(pv[k].index);
    (pv[k].is_high ? hy : ly).push_back(pv[k].price);
  }
  w.upper = FitLine(hx, hy);
  w.lower = FitLine(lx, ly);
  for (int k = first; k <= last; ++k) {
    const Line& line = pv[k].is_high ? w.upper : w.lower;
    w.max_residual = std::max(
        w.max_residual, std::abs(pv[k].price - line.At(pv[k].index)) / w.atr);
  }
  if (w.max_residual > o.boundary_max_residual_atr) return std::nullopt;
  w.start_width = w.upper.At(x0) - w.lower.At(x0);
  w.end_width = w.upper.At(x1) - w.lower.At(x1);
  if (w.start_width < o.boundary_min_height_atr * w.atr || !(w.end_width > 0))
    return std::nullopt;
  const double tol = o.boundary_containment_atr * w.atr;
  for (int i = x0; i <= x1; ++i) {
    const double c = v.bar(i).close;
    if (c > w.upper.At(i) + tol || c < w.lower.At(i) - tol) return std::nullopt;
  }
  w.upper_change = w.upper.slope * (x1 - x0) / w.atr;
  w.lower_change = w.lower.slope * (x1 - x0) / w.atr;
  const bool flat_u = std::abs(w.upper_change) <= o.boundary_flat_atr;
  const bool flat_l = std::abs(w.lower_change) <= o.boundary_flat_atr;
  const bool narrows = w.end_width <= o.triangle_max_end_width * w.start_width;
  if (flat_u && flat_l) {
    w.shape = Shape::kRectangle;
  } else if (flat_u && w.lower_change >= o.boundary_min_slope_atr && narrows) {
    w.shape = Shape::kAscending;
  } else if (w.upper_change <= -o.sym_min_slope_atr &&
             w.lower_change >= o.sym_min_slope_atr && narrows) {
    w.shape = Shape::kSymmetrical;
  }
  if (w.shape == Shape::kNone) return std::nullopt;
  // Rectangles and symmetrical triangles are common in noise: they need one
  // more touch (5+ pivots) than the flat-sided ascending triangle.
  if (w.shape != Shape::kAscending &&
      last - first + 1 < o.boundary_min_pivots_two_sided)
    return std::nullopt;
  return w;
}

PatternType TypeOf(Shape s, bool mirrored) {
  switch (s) {
    case Shape::kAscending:
      return mirrored ? PatternType::kDescendingTriangle
                      : PatternType::kAscendingTriangle;
    case Shape::kSymmetrical:
      return PatternType::kSymmetricalTriangle;
    default:
      return PatternType::kRectangle;
  }
}

void EmitIfBroken(const SeriesView& v, const Window& w,
                  std::vector<Candidate>& out) {
  const DetectorOptions& o = *v.options;
  const std::vector<Pivot>& pv = *v.pivots;
  const Pivot& lastp = pv[w.last];
  const int x0 = pv[w.first].index;
  // Triangles must break before the apex (where the lines meet).
  int limit = std::min(lastp.index + o.max_breakout_wait_bars, v.size() - 1);
  if (w.shape != Shape::kRectangle && w.lower.slope > w.upper.slope) {
    const double apex = x0 + w.start_width / (w.lower.slope - w.upper.slope);
    limit = std::min(limit, static_cast<int>(std::ceil(apex)) - 1);
  }
  // Stop: the lowest low since the window's last touch of the upper line
  // (the most recent swing low), updated up to the breakout bar.
  int last_high = w.last;
  while (!pv[last_high].is_high) --last_high;
  double lowest_since = std::numeric_limits<double>::infinity();
  for (int i = pv[last_high].index + 1; i <= lastp.index; ++i)
    lowest_since = std::min(lowest_since, v.bar(i).low);
  for (int t = lastp.index + 1; t <= limit; ++t) {
    const Bar& b = v.bar(t);
    lowest_since = std::min(lowest_since, b.low);
    if (b.close < w.lower.At(t)) return;  // broke the wrong way: failed
    if (b.close <= w.upper.At(t)) continue;
    // The first close through came before the formation was known.
    if (t < lastp.confirmed) return;
    Candidate c;
    c.type = TypeOf(w.shape, v.mirrored);
    c.view_sign = +1;
    c.first_pivot = w.first;
    c.last_pivot = w.last;
    c.start = x0;
    c.end = lastp.index;
    c.confirm = t;
    int highs = 0, lows = 0;
    for (int k = w.first; k <= w.last; ++k) {
      const bool up = pv[k].is_high != v.mirrored;  // original orientation
      c.points.push_back({up ? "high" + std::to_string(++highs)
                             : "low" + std::to_string(++lows),
                          pv[k].index, pv[k].price});
    }
    c.height = w.start_width;
    c.level = w.upper.At(t);
    c.target = c.level + w.start_width;
    c.stop = lowest_since;
    c.symmetry = Clamp01(1 - w.max_residual / o.boundary_max_residual_atr);
    if (w.shape == Shape::kRectangle) {
      c.specific_name = "flatness";
      c.specific =
          Clamp01(1 - (std::abs(w.upper_change) + std::abs(w.lower_change)) /
                          (2 * o.boundary_flat_atr));
    } else {
      c.specific_name = "convergence";
      c.specific = Clamp01(1 - w.end_width / w.start_width);
    }
    out.push_back(std::move(c));
    return;
  }
}

}  // namespace

void DetectBoundaryPatterns(const SeriesView& v, std::vector<Candidate>& out) {
  const int n = static_cast<int>(v.pivots->size());
  for (int j = 3; j < n; ++j) {
    for (int m = 4; m <= 6; ++m) {
      const int first = j - m + 1;
      if (first < 0) break;
      std::optional<Window> w = FitWindow(v, first, j);
      if (w.has_value()) EmitIfBroken(v, *w, out);
    }
  }
}

}  // namespace pcs::rules
