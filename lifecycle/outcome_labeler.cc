#include "lifecycle/outcome_labeler.h"

#include <algorithm>
#include <cmath>

namespace pcs {
namespace {

// Price of the bar that goes against a position with sign `s`.
double AdversePrice(const Bar& b, int s) { return s > 0 ? b.low : b.high; }

}  // namespace

Outcome LabelOutcome(const BarSeries& bars, const Pattern& p,
                     const LabelerOptions& o) {
  Outcome out;
  const int c = bars.IndexOf(p.confirmation_day);
  if (c < 0) return out;
  const double entry = bars.bars[c].close;
  if (!(entry > 0) || !std::isfinite(entry)) return out;
  const int s = Sign(p.direction);
  const int n = static_cast<int>(bars.bars.size());
  const int horizon = std::max(1, o.horizon_bars);
  double worst = 0;  // max adverse excursion, as a fraction of entry
  auto excursion = [&](double price) {
    worst = std::max(worst, s * (entry - price) / entry);
  };
  for (int i = c + 1; i <= c + horizon; ++i) {
    if (i >= n) {  // data end before the horizon: unresolved
      out.bars_to_outcome = n - 1 - c;
      out.realized_pnl = s * (bars.bars[n - 1].close - entry) / entry;
      out.max_drawdown = worst;
      return out;
    }
    const Bar& b = bars.bars[i];
    const bool stop_hit = s > 0 ? b.low <= p.stop : b.high >= p.stop;
    const bool target_hit = s > 0 ? b.high >= p.target : b.low <= p.target;
    double exit = 0;
    if (stop_hit) {
      const bool gap = s > 0 ? b.open < p.stop : b.open > p.stop;
      exit = gap ? b.open : p.stop;
      // Held until the exit: the excursion beyond the exit price never
      // happened to the position.
      excursion(s > 0 ? std::max(b.low, exit) : std::min(b.high, exit));
      out.label = 0;
      out.exit_reason = "stop";
    } else if (target_hit) {
      const bool gap = s > 0 ? b.open > p.target : b.open < p.target;
      exit = gap ? b.open : p.target;
      excursion(AdversePrice(b, s));
      out.label = 1;
      out.exit_reason = "target";
    } else {
      excursion(AdversePrice(b, s));
      if (i < c + horizon) continue;
      exit = b.close;
      out.label = 0;
      out.exit_reason = "horizon";
    }
    out.realized_pnl = s * (exit - entry) / entry;
    out.max_drawdown = worst;
    out.bars_to_outcome = i - c;
    out.resolved_day = b.day;
    return out;
  }
  return out;
}

}  // namespace pcs
