#ifndef PCS_LIFECYCLE_OUTCOME_LABELER_H_
#define PCS_LIFECYCLE_OUTCOME_LABELER_H_

#include "core/bar.h"
#include "lifecycle/pattern.h"

namespace pcs {

struct LabelerOptions {
  // Bars after the confirmation bar that the trade may be held.
  int horizon_bars = 40;
};

// Triple-barrier outcome of a confirmed pattern, entered at the close of the
// confirmation bar (entry = close of bars[IndexOf(p.confirmation_day)]).
// For each of the next `horizon_bars` bars, in order:
//   * stop touched (low <= stop for bullish, high >= stop for bearish):
//     label 0, exit_reason "stop". Exit price = the stop, or the open when
//     the bar opened beyond the stop (a gap: worse than the stop).
//     A bar touching both stop and target counts as a stop (pessimistic).
//   * else target touched (high >= target bullish, low <= target bearish):
//     label 1, exit_reason "target". Exit price = the target, or the open
//     when the bar opened beyond the target (a gap: better than the target).
//   * after the last horizon bar with neither: label 0, exit_reason
//     "horizon", exit at that bar's close.
// If the data end before the horizon and no barrier was touched: label
// nullopt, exit_reason "", resolved_day nullopt; realized_pnl and
// max_drawdown then describe the bars seen so far (mark-to-market at the
// last close), bars_to_outcome = bars seen.
// realized_pnl = Sign(direction) * (exit - entry) / entry.
// max_drawdown = max adverse excursion over the held bars (lows for bullish,
// highs for bearish, including the exit bar, capped at the stop unless the
// bar gapped through it) / entry, >= 0.
// bars_to_outcome = index of the exit bar - index of the confirmation bar.
// A pattern whose confirmation day is not in `bars` (or bad entry price)
// is returned unresolved with exit_reason "" and all zeros.
// Pure function; thread-safe.
Outcome LabelOutcome(const BarSeries& bars, const Pattern& p,
                     const LabelerOptions& o = {});

}  // namespace pcs

#endif  // PCS_LIFECYCLE_OUTCOME_LABELER_H_
