// Bull flag (and, on the mirrored view, bear flag): a steep pole between two
// swing pivots, then a short, shallow consolidation that drifts sideways or
// against the pole, then a close above the flag's upper boundary. See
// docs/PATTERNS.md.

#include <algorithm>
#include <cmath>
#include <limits>

#include "lifecycle/detector_internal.h"
#include "lifecycle/rule_indicators.h"

namespace pcs::rules {
namespace {

constexpr double kNoLow = std::numeric_limits<double>::infinity();

// Upper flag boundary from bars [from, to]: the least-squares line of the
// highs, raised so that no high of the flag is above it.
Line UpperBoundary(const SeriesView& v, int from, int to) {
  std::vector<double> x, y;
  for (int i = from; i <= to; ++i) {
    x.push_back(i);
    y.push_back(v.bar(i).high);
  }
  Line line = FitLine(x, y);
  double lift = 0;
  for (size_t k = 0; k < x.size(); ++k)
    lift = std::max(lift, y[k] - line.At(x[k]));
  line.intercept += lift;
  return line;
}

// Least-squares slope of the closes of bars [from, to].
double CloseSlope(const SeriesView& v, int from, int to) {
  std::vector<double> x, y;
  for (int i = from; i <= to; ++i) {
    x.push_back(i);
    y.push_back(v.bar(i).close);
  }
  return FitLine(x, y).slope;
}

}  // namespace

// For each confirmed swing low (the pole base) scan the following bars. At
// bar t the pole top is the highest high after the base and before t, and the
// flag is everything between the pole top and t. Uses bars <= t and a base
// confirmed at or before t only.
void DetectFlags(const SeriesView& v, std::vector<Candidate>& out) {
  const DetectorOptions& o = *v.options;
  const std::vector<Pivot>& pv = *v.pivots;
  for (int j = 0; j < static_cast<int>(pv.size()); ++j) {
    const Pivot& base = pv[j];
    if (base.is_high) continue;
    const int last = std::min(
        base.index + o.pole_max_bars + o.flag_max_bars + 1, v.size() - 1);
    int top = base.index;      // pole top: highest high in (base, t)
    double flag_low = kNoLow;  // lowest low in (top, t)
    for (int t = base.index + 1; t <= last; ++t) {
      const Bar& b = v.bar(t);
      const int flag_bars = t - top - 1;
      const double pole = v.bar(top).high - base.price;
      const double atr = v.Atr(top);
      if (top > base.index && flag_bars >= o.flag_min_bars && atr > 0 &&
          pole >= o.pole_min_atr * atr) {
        const Line upper = UpperBoundary(v, top, t - 1);
        if (b.close > upper.At(t)) {
          if (t < base.confirmed) break;  // base not known yet at the breakout
          const double drift = CloseSlope(v, top + 1, t - 1) / atr;
          if (drift > o.flag_max_drift_atr) break;  // rising: not a flag
          const double retrace = (v.bar(top).high - flag_low) / pole;
          Candidate c;
          c.type = v.mirrored ? PatternType::kBearFlag : PatternType::kBullFlag;
          c.view_sign = +1;
          c.first_pivot = j;
          c.last_pivot = j;
          c.start = base.index;
          c.end = top;
          c.confirm = t;
          c.points = {{"pole_start", base.index, base.price},
                      {"pole_end", top, v.bar(top).high}};
          c.height = pole;
          c.level = upper.At(t);
          c.target = c.level + pole;
          c.stop = std::min(flag_low, b.low);
          c.symmetry = Clamp01(1 - retrace / o.flag_max_retrace);
          c.specific_name = "pole_strength";
          c.specific =
              Clamp01((pole / atr - o.pole_min_atr) / (1.5 * o.pole_min_atr));
          out.push_back(std::move(c));
          break;
        }
      }
      if (b.high > v.bar(top).high) {  // the pole is still rising
        if (t - base.index > o.pole_max_bars) break;  // too slow for a pole
        top = t;
        flag_low = kNoLow;  // only bars after the top form the flag
        continue;
      }
      flag_low = std::min(flag_low, b.low);
      if (flag_bars + 1 > o.flag_max_bars) break;
      if (top > base.index &&
          v.bar(top).high - flag_low >
              o.flag_max_retrace * (v.bar(top).high - base.price))
        break;  // pulled back too deep: not a flag
    }
  }
}

}  // namespace pcs::rules
