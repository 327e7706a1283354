#include "snapshots/chart_renderer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "snapshots/label_layout.h"

namespace pcs {
namespace {

constexpr double kPlotLeft = 58;
constexpr double kPlotTop = 30;
constexpr double kPlotBottomMargin = 30;
constexpr double kFontPx = 13;
// The levels' labels ("stop 36.72") sit in the right margin, like price
// axis labels, in a smaller face.
constexpr double kLevelFontPx = 12;
constexpr double kLevelLabelGap = 14;  // between stacked level baselines

// Coordinates with one decimal keep the files small and deterministic.
std::string C(double v) { return absl::StrFormat("%.1f", v); }
// Prices as stored (full precision) for data-price attributes.
std::string P(double v) { return absl::StrFormat("%.17g", v); }
// Prices for labels.
std::string L(double v) { return absl::StrFormat("%.2f", v); }

std::string Escape(absl::string_view text) {
  return absl::StrReplaceAll(
      text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

// Maps bars [begin, end] and prices onto the plot.
class Frame {
 public:
  Frame(const BarSeries& bars, int begin, int end, double lo, double hi,
        double right_margin, const ChartRenderOptions& o)
      : bars_(bars),
        begin_(begin),
        end_(end),
        lo_(lo),
        hi_(hi),
        right_(o.width - right_margin),
        bottom_(o.height - kPlotBottomMargin),
        slot_((right_ - kPlotLeft) / (end - begin + 1)) {}

  double X(int index) const {
    return kPlotLeft + (index - begin_ + 0.5) * slot_;
  }
  // x of the bar on `day` (or the last bar before it).
  double XOfDay(Day day) const {
    int i = std::clamp(bars_.IndexAtOrBefore(day), begin_, end_);
    return X(i);
  }
  double Y(double price) const {
    return bottom_ - (price - lo_) / (hi_ - lo_) * (bottom_ - kPlotTop);
  }
  double slot() const { return slot_; }
  double right() const { return right_; }
  double bottom() const { return bottom_; }

 private:
  const BarSeries& bars_;
  int begin_, end_;
  double lo_, hi_;
  double right_, bottom_, slot_;
};

int FirstIndexOnOrAfter(const BarSeries& bars, Day day) {
  return bars.IndexAtOrBefore(day - 1) + 1;
}

std::string Line(const Frame& f, double x1, double y1, double x2, double y2,
                 absl::string_view cls, absl::string_view style) {
  (void)f;
  return absl::StrCat("<line class=\"", cls, "\" x1=\"", C(x1), "\" y1=\"",
                      C(y1), "\" x2=\"", C(x2), "\" y2=\"", C(y2), "\" ", style,
                      "/>\n");
}

struct LevelSpec {
  absl::string_view name;
  double price;
  absl::string_view color;
  absl::string_view dash;
};

std::string LevelText(const LevelSpec& l) {
  return absl::StrCat(l.name, " ", L(l.price));
}

// The right margin: wide enough for the widest level label.
double RightMargin(const std::vector<LevelSpec>& levels) {
  const LabelLayout measure(kLevelFontPx);
  double width = 0;
  for (const LevelSpec& l : levels) {
    const LabelBox box = measure.BoxOf(LevelText(l), {});
    width = std::max(width, box.x1 - box.x0);
  }
  return width + 10;
}

// A horizontal level from x_from to the plot's right edge.
std::string LevelLine(const Frame& f, const LevelSpec& l, double x_from) {
  const double y = f.Y(l.price);
  return absl::StrCat("<line class=\"level ", l.name, "\" x1=\"", C(x_from),
                      "\" y1=\"", C(y), "\" x2=\"", C(f.right()), "\" y2=\"",
                      C(y), "\" stroke=\"", l.color, "\" stroke-width=\"1.5\"",
                      l.dash.empty() ? "" : " stroke-dasharray=\"", l.dash,
                      l.dash.empty() ? "" : "\"", " data-price=\"", P(l.price),
                      "\"/>\n");
}

// The levels' labels in the right margin, each at its level's height unless
// that would print over a neighbour: then pushed apart (kLevelLabelGap) and
// kept within the plot's height, in price order.
std::string LevelLabels(const Frame& f, std::vector<LevelSpec> levels,
                        LabelLayout& labels) {
  std::sort(
      levels.begin(), levels.end(),
      [](const LevelSpec& a, const LevelSpec& b) { return a.price > b.price; });
  std::vector<double> y(levels.size());
  for (size_t i = 0; i < levels.size(); ++i) {
    y[i] = f.Y(levels[i].price) + 4;
    if (i > 0) y[i] = std::max(y[i], y[i - 1] + kLevelLabelGap);
  }
  const double below = y.empty() ? 0 : y.back() - (f.bottom() + 4);
  const LabelLayout measure(kLevelFontPx);
  std::string out;
  for (size_t i = 0; i < levels.size(); ++i) {
    const LabelSpot spot{f.right() + 4, y[i] - std::max(0.0, below),
                         TextAnchor::kStart};
    labels.Take(measure.BoxOf(LevelText(levels[i]), spot));
    absl::StrAppend(&out, "<text class=\"level-label\" x=\"", C(spot.x),
                    "\" y=\"", C(spot.y), "\" font-size=\"", kLevelFontPx,
                    "\" fill=\"", levels[i].color, "\">", LevelText(levels[i]),
                    "</text>\n");
  }
  return out;
}

// Also records each bar's box for `labels` to avoid.
std::string Candles(const BarSeries& bars, int begin, int end, const Frame& f,
                    LabelLayout& labels) {
  std::string wicks, up, down;
  const double w = std::max(1.0, f.slot() * 0.7);
  for (int i = begin; i <= end; ++i) {
    const Bar& b = bars.bars[i];
    const double x = f.X(i);
    labels.Avoid({x - w / 2, f.Y(b.high), x + w / 2, f.Y(b.low)});
    absl::StrAppend(&wicks, "M", C(x), " ", C(f.Y(b.high)), "V", C(f.Y(b.low)));
    const double top = f.Y(std::max(b.open, b.close));
    const double h = std::max(0.6, f.Y(std::min(b.open, b.close)) - top);
    absl::StrAppend(b.close >= b.open ? &up : &down, "M", C(x - w / 2), " ",
                    C(top), "h", C(w), "v", C(h), "h", C(-w), "z");
  }
  return absl::StrCat(
      "<path class=\"wicks\" stroke=\"#555\" stroke-width=\"1\" d=\"", wicks,
      "\"/>\n<path class=\"candles-up\" fill=\"#26a69a\" d=\"", up,
      "\"/>\n<path class=\"candles-down\" fill=\"#ef5350\" d=\"", down,
      "\"/>\n");
}

std::string Grid(const Frame& f, double lo, double hi, LabelLayout& labels) {
  std::string out = "<g class=\"grid\" stroke=\"#eee\">\n";
  std::string ticks = "<g class=\"axis\" fill=\"#666\">\n";
  for (int k = 0; k <= 4; ++k) {
    const double price = lo + (hi - lo) * k / 4;
    const double y = f.Y(price);
    absl::StrAppend(&out, "<line x1=\"", C(kPlotLeft), "\" y1=\"", C(y),
                    "\" x2=\"", C(f.right()), "\" y2=\"", C(y), "\"/>\n");
    const LabelSpot spot{kPlotLeft - 4, y + 4, TextAnchor::kEnd};
    labels.Take(labels.BoxOf(L(price), spot));
    absl::StrAppend(&ticks, "<text x=\"", C(spot.x), "\" y=\"", C(spot.y),
                    "\" text-anchor=\"end\">", L(price), "</text>\n");
  }
  return absl::StrCat(out, "</g>\n", ticks, "</g>\n");
}

// Neckline / boundaries of the pattern's type, ending at the breakout level
// on the confirmation day where the type's geometry says so.
std::string Boundaries(const Pattern& p, const Frame& f) {
  std::string out;
  const double xc = f.XOfDay(p.confirmation_day);
  const double yc = f.Y(p.breakout_level);
  constexpr absl::string_view kStyle =
      "stroke=\"#6a1b9a\" stroke-width=\"1.5\"";
  auto point = [&](absl::string_view role) -> const KeyPoint* {
    for (const KeyPoint& k : p.key_points) {
      if (k.role == role) return &k;
    }
    return nullptr;
  };
  switch (p.type) {
    case PatternType::kDoubleTop:
    case PatternType::kDoubleBottom:
      if (p.key_points.size() >= 2) {
        const KeyPoint& mid = p.key_points[1];
        absl::StrAppend(&out, Line(f, f.XOfDay(mid.day), yc, xc, yc,
                                   "boundary neckline", kStyle));
      }
      break;
    case PatternType::kHeadAndShouldersTop:
    case PatternType::kInverseHeadAndShoulders:
      if (const KeyPoint* left = point("neckline_left")) {
        absl::StrAppend(&out, Line(f, f.XOfDay(left->day), f.Y(left->price), xc,
                                   yc, "boundary neckline", kStyle));
      }
      break;
    case PatternType::kBullFlag:
    case PatternType::kBearFlag:
      if (const KeyPoint* top = point("pole_end")) {
        absl::StrAppend(&out, Line(f, f.XOfDay(top->day), f.Y(top->price), xc,
                                   yc, "boundary flag", kStyle));
      }
      break;
    default: {  // triangles and rectangles: a line through each side's touches
      for (absl::string_view side : {"high", "low"}) {
        const KeyPoint* first = nullptr;
        const KeyPoint* last = nullptr;
        for (const KeyPoint& k : p.key_points) {
          if (absl::string_view(k.role).substr(0, side.size()) != side)
            continue;
          if (first == nullptr) first = &k;
          last = &k;
        }
        if (first != nullptr && last != first) {
          absl::StrAppend(&out, Line(f, f.XOfDay(first->day), f.Y(first->price),
                                     f.XOfDay(last->day), f.Y(last->price),
                                     absl::StrCat("boundary ", side), kStyle));
        }
      }
    }
  }
  return out;
}

// Where a key point's label may go, best first: above an upper point
// (below a lower one), the other side, then further out row by row, then
// beside the circle.
std::vector<LabelSpot> PivotLabelSpots(double x, double y, bool upper) {
  std::vector<LabelSpot> spots;
  for (int row = 0; row < 4; ++row) {
    const double above = y - 7 - 14 * row;
    const double below = y + 15 + 14 * row;
    spots.push_back({x, upper ? above : below, TextAnchor::kMiddle});
    spots.push_back({x, upper ? below : above, TextAnchor::kMiddle});
    if (row == 0) {
      spots.push_back({x + 7, y + 4, TextAnchor::kStart});
      spots.push_back({x - 7, y + 4, TextAnchor::kEnd});
    }
  }
  return spots;
}

std::string Pivots(const Pattern& p, const Frame& f, LabelLayout& labels) {
  std::vector<KeyPoint> points = p.key_points;
  std::stable_sort(
      points.begin(), points.end(),
      [](const KeyPoint& a, const KeyPoint& b) { return a.day < b.day; });
  // A point in the upper half of the key-point range prefers its label
  // above the circle, one in the lower half below it.
  double lo = points.empty() ? 0 : points.front().price, hi = lo;
  for (const KeyPoint& k : points) {
    lo = std::min(lo, k.price);
    hi = std::max(hi, k.price);
  }
  for (const KeyPoint& k : points) {  // every circle before any label
    const double x = f.XOfDay(k.day), y = f.Y(k.price);
    labels.Take({x - 4.5, y - 4.5, x + 4.5, y + 4.5});
  }
  std::string line, marks;
  for (const KeyPoint& k : points) {
    const double x = f.XOfDay(k.day);
    const double y = f.Y(k.price);
    absl::StrAppend(&line, line.empty() ? "" : " ", C(x), ",", C(y));
    absl::StrAppend(&marks, "<circle class=\"pivot\" cx=\"", C(x), "\" cy=\"",
                    C(y), "\" r=\"3.5\" fill=\"#1e88e5\" data-role=\"",
                    Escape(k.role), "\" data-day=\"", FormatDay(k.day),
                    "\" data-price=\"", P(k.price), "\"><title>",
                    Escape(k.role), "</title></circle>\n");
    // A label that fits nowhere is left out (the circle's tooltip names it).
    const auto spot =
        labels.Place(k.role, PivotLabelSpots(x, y, k.price >= (lo + hi) / 2),
                     kPlotLeft, f.right());
    if (!spot) continue;
    absl::StrAppend(&marks, "<text class=\"pivot-label\" x=\"", C(spot->x),
                    "\" y=\"", C(spot->y), "\" text-anchor=\"",
                    spot->anchor == TextAnchor::kMiddle ? "middle"
                    : spot->anchor == TextAnchor::kEnd  ? "end"
                                                        : "start",
                    "\" fill=\"#1e88e5\">", Escape(k.role), "</text>\n");
  }
  return absl::StrCat(
      "<polyline class=\"formation\" fill=\"none\" "
      "stroke=\"#1e88e5\" stroke-width=\"1.2\" points=\"",
      line, "\"/>\n", marks);
}

struct Window {
  int begin = 0;
  int confirm = 0;
  int end = 0;
};

absl::StatusOr<Window> FindWindow(const Pattern& p, const BarSeries& bars,
                                  Day last_day, const ChartRenderOptions& o) {
  Window w;
  w.confirm = bars.IndexOf(p.confirmation_day);
  if (w.confirm < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("no ", bars.symbol, " bar on the confirmation day ",
                     FormatDay(p.confirmation_day)));
  }
  w.end = bars.IndexAtOrBefore(last_day);
  Day first_day = p.formation_start;
  for (const KeyPoint& k : p.key_points) first_day = std::min(first_day, k.day);
  w.begin = std::max(0, FirstIndexOnOrAfter(bars, first_day) - o.context_bars);
  w.begin = std::min(w.begin, w.confirm);
  return w;
}

// The title line and the date axis: the first bar, the decision day and
// the last bar (the decision day's date is left out where it would print
// over another; the shaded bar still marks it).
std::string TitleAndDates(const Pattern& p,
                          const std::optional<Outcome>& outcome,
                          const RenderedChart& chart, const Frame& f,
                          const Window& w, LabelLayout& labels) {
  const std::string title = absl::StrCat(
      Escape(p.symbol), " ", PatternTypeName(p.type), " ",
      DirectionName(p.direction), "  rule ",
      absl::StrFormat("%.3f", p.rule_confidence), "  ",
      outcome ? absl::StrCat("outcome: ", Escape(outcome->exit_reason), " ",
                             FormatDay(chart.last_bar))
              : absl::StrCat("as of ", FormatDay(p.confirmation_day)));
  LabelBox box = labels.BoxOf(title, {kPlotLeft, 18, TextAnchor::kStart});
  box.x1 += 0.12 * (box.x1 - box.x0);  // bold
  labels.Take(box);
  std::string out = absl::StrCat("<text x=\"", C(kPlotLeft),
                                 "\" y=\"18\" font-weight=\"bold\">", title,
                                 "</text>\n<g class=\"axis\" fill=\"#666\">\n");
  const double y = f.bottom() + 16;
  auto date = [&](Day day, const LabelSpot& spot) {
    labels.Take(labels.BoxOf(FormatDay(day), spot));
    absl::StrAppend(&out, "<text x=\"", C(spot.x), "\" y=\"", C(y),
                    "\" text-anchor=\"",
                    spot.anchor == TextAnchor::kStart    ? "start"
                    : spot.anchor == TextAnchor::kMiddle ? "middle"
                                                         : "end",
                    "\">", FormatDay(day), "</text>\n");
  };
  date(chart.first_bar, {kPlotLeft, y, TextAnchor::kStart});
  if (w.end != w.confirm)
    date(chart.last_bar, {f.right(), y, TextAnchor::kEnd});
  const LabelSpot decision{
      f.X(w.confirm), y,
      w.confirm == w.end ? TextAnchor::kEnd : TextAnchor::kMiddle};
  if (labels.Free(labels.BoxOf(FormatDay(p.confirmation_day), decision))) {
    date(p.confirmation_day, decision);
  }
  return out + "</g>\n";
}

absl::StatusOr<RenderedChart> Render(const Pattern& p,
                                     const std::optional<Outcome>& outcome,
                                     const BarSeries& bars, Day last_day,
                                     const ChartRenderOptions& o) {
  auto found = FindWindow(p, bars, last_day, o);
  if (!found.ok()) return found.status();
  const Window w = *found;
  // Only bars[begin .. end] are read from here on (causality).
  double lo = std::min({p.target, p.stop, p.breakout_level});
  double hi = std::max({p.target, p.stop, p.breakout_level});
  for (const KeyPoint& k : p.key_points) {
    lo = std::min(lo, k.price);
    hi = std::max(hi, k.price);
  }
  for (int i = w.begin; i <= w.end; ++i) {
    lo = std::min(lo, bars.bars[i].low);
    hi = std::max(hi, bars.bars[i].high);
  }
  const double pad = std::max((hi - lo) * 0.04, 1e-6);
  lo -= pad;
  hi += pad;
  const std::vector<LevelSpec> levels = {
      {"breakout", p.breakout_level, "#6a1b9a", "2,2"},
      {"target", p.target, "#2e7d32", "6,3"},
      {"stop", p.stop, "#c62828", "6,3"}};
  Frame f(bars, w.begin, w.end, lo, hi, RightMargin(levels), o);

  RenderedChart chart;
  chart.kind = outcome ? SnapshotKind::kOutcome : SnapshotKind::kDecision;
  chart.first_bar = bars.bars[w.begin].day;
  chart.last_bar = bars.bars[w.end].day;
  chart.bar_count = w.end - w.begin + 1;
  chart.price_low = lo;
  chart.price_high = hi;
  chart.plot_top = kPlotTop;
  chart.plot_bottom = f.bottom();

  const std::string kind(SnapshotKindName(chart.kind));
  std::string& s = chart.svg;
  absl::StrAppend(
      &s, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"", o.width,
      "\" height=\"", o.height, "\" viewBox=\"0 0 ", o.width, " ", o.height,
      "\" font-family=\"sans-serif\" font-size=\"13\" data-pattern-id=\"",
      p.Id(), "\" data-kind=\"", kind, "\" data-first-bar=\"",
      FormatDay(chart.first_bar), "\" data-last-bar=\"",
      FormatDay(chart.last_bar), "\" data-renderer=\"", kChartRendererVersion,
      "\">\n<title>", Escape(p.symbol), " ", PatternTypeName(p.type), " (",
      DirectionName(p.direction), "), ", kind, " chart to ",
      FormatDay(chart.last_bar), "</title>\n<rect width=\"", o.width,
      "\" height=\"", o.height, "\" fill=\"#fff\"/>\n");
  // Labels are placed in this order; each later one avoids the earlier.
  LabelLayout labels(kFontPx);
  const std::string grid = Grid(f, lo, hi, labels);
  const std::string titles = TitleAndDates(p, outcome, chart, f, w, labels);
  const std::string level_labels = LevelLabels(f, levels, labels);
  std::string exit_mark;
  if (outcome) {
    const Bar& exit_bar = bars.bars[w.end];
    const double ye = outcome->exit_reason == "target" ? f.Y(p.target)
                      : outcome->exit_reason == "stop" ? f.Y(p.stop)
                                                       : f.Y(exit_bar.close);
    labels.Take({f.X(w.end) - 6, ye - 6, f.X(w.end) + 6, ye + 6});
    absl::StrAppend(&exit_mark, "<circle class=\"exit\" cx=\"", C(f.X(w.end)),
                    "\" cy=\"", C(ye),
                    "\" r=\"5\" fill=\"none\" "
                    "stroke=\"#000\" stroke-width=\"2\" data-reason=\"",
                    Escape(outcome->exit_reason), "\" data-day=\"",
                    FormatDay(exit_bar.day), "\"/>\n");
  }
  const std::string candles = Candles(bars, w.begin, w.end, f, labels);
  const std::string pivots = Pivots(p, f, labels);
  absl::StrAppend(&s, grid);
  // The breakout bar, shaded behind the candles.
  absl::StrAppend(&s, "<rect class=\"breakout-bar\" x=\"",
                  C(f.X(w.confirm) - f.slot() / 2), "\" y=\"", C(kPlotTop),
                  "\" width=\"", C(f.slot()), "\" height=\"",
                  C(f.bottom() - kPlotTop),
                  "\" fill=\"#ffca28\" "
                  "fill-opacity=\"0.35\" data-day=\"",
                  FormatDay(p.confirmation_day), "\"/>\n");
  absl::StrAppend(&s, candles, Boundaries(p, f));
  for (const LevelSpec& l : levels) {
    absl::StrAppend(&s, LevelLine(f, l, f.XOfDay(p.formation_end)));
  }
  absl::StrAppend(&s, pivots, exit_mark, level_labels, titles, "</svg>\n");
  return chart;
}

}  // namespace

double RenderedChart::YOf(double price) const {
  return plot_bottom - (price - price_low) / (price_high - price_low) *
                           (plot_bottom - plot_top);
}

absl::StatusOr<RenderedChart> RenderDecisionChart(
    const Pattern& p, const BarSeries& bars,
    const ChartRenderOptions& options) {
  return Render(p, std::nullopt, bars, p.confirmation_day, options);
}

absl::StatusOr<RenderedChart> RenderOutcomeChart(
    const Pattern& p, const Outcome& outcome, const BarSeries& bars,
    const ChartRenderOptions& options) {
  if (!outcome.resolved_day.has_value() || outcome.exit_reason.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("pattern ", p.Id(), " has no resolved outcome"));
  }
  if (bars.IndexOf(*outcome.resolved_day) < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("no ", bars.symbol, " bar on the outcome day ",
                     FormatDay(*outcome.resolved_day)));
  }
  return Render(p, outcome, bars, *outcome.resolved_day, options);
}

}  // namespace pcs
