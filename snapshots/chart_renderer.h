#ifndef PCS_SNAPSHOTS_CHART_RENDERER_H_
#define PCS_SNAPSHOTS_CHART_RENDERER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/bar.h"
#include "db/snapshot_kind.h"
#include "lifecycle/pattern.h"

namespace pcs {

// Bumped whenever the drawing changes, so the catalog records which renderer
// made each snapshot (chart_snapshots.renderer_version).
inline constexpr char kChartRendererVersion[] = "svg-3";

struct ChartRenderOptions {
  int width = 760;
  int height = 380;
  // Bars drawn before the formation's first key point.
  int context_bars = 20;
};

// One rendered chart (an SVG document) and what it covers.
struct RenderedChart {
  SnapshotKind kind = SnapshotKind::kDecision;
  std::string svg;
  Day first_bar = 0;  // first bar drawn
  Day last_bar = 0;   // last bar drawn
  int bar_count = 0;
  // The price -> y mapping used; YOf() is what every level was drawn at
  // (tests compare the drawn levels with the stored pattern through it).
  double price_low = 0;
  double price_high = 0;
  double plot_top = 0;
  double plot_bottom = 0;
  double YOf(double price) const;
};

// Renders the decision chart of `p` from `bars` (the symbol's series; bars
// after p.confirmation_day may be present and are ignored: the chart reads
// only bars[begin .. IndexOf(confirmation_day)]). Draws the candles, the
// formation's pivots (circles labelled with their role) joined in day order,
// the neckline or boundaries of its type, the breakout bar (shaded), and
// horizontal breakout, target and stop levels. Each level is an SVG <line>
// with class "level <name>" and data-price holding the stored value; its
// label sits in the right margin. Labels are placed by LabelLayout
// (snapshots/label_layout.h) so no two texts overlap.
//
// Errors: FailedPrecondition when the series has no bar on the confirmation
// day. Pure function; thread-safe; the same input gives the same bytes.
absl::StatusOr<RenderedChart> RenderDecisionChart(
    const Pattern& p, const BarSeries& bars,
    const ChartRenderOptions& options = {});

// Renders the outcome chart of a resolved pattern: the decision chart's bars
// continued up to outcome.resolved_day (no later bar), the confirmation day
// marked, and the exit (reason, day) marked. FailedPrecondition when the
// outcome is unresolved or the resolved day has no bar.
absl::StatusOr<RenderedChart> RenderOutcomeChart(
    const Pattern& p, const Outcome& outcome, const BarSeries& bars,
    const ChartRenderOptions& options = {});

}  // namespace pcs

#endif  // PCS_SNAPSHOTS_CHART_RENDERER_H_
