#ifndef PCS_TRAINING_SVG_PLOT_H_
#define PCS_TRAINING_SVG_PLOT_H_

#include <string>
#include <vector>

#include "training/curves.h"

namespace pcs {

// A minimal hand-written SVG line chart (no plotting library is available):
// a framed plot area with ticks and grid lines on both axes, axis labels, a
// title, one polyline per series (optionally dashed, optionally with point
// markers) and a legend box. Output is a standalone, valid SVG 1.1 document
// that browsers render directly; all text is XML-escaped.
//
// Pure function, thread-safe.
struct SvgSeries {
  std::string name;
  std::vector<CurvePoint> points;  // NaN points are skipped
  std::string color = "#1f77b4";
  bool dashed = false;
  bool markers = false;
};

struct SvgPlotOptions {
  std::string title;
  std::string x_label;
  std::string y_label;
  double x_min = 0, x_max = 1;
  double y_min = 0, y_max = 1;
  int ticks = 5;  // intervals per axis
  int width = 640, height = 480;
  // Legend corner inside the plot area: "bottom_right", "bottom_left",
  // "top_right" or "top_left".
  std::string legend_corner = "bottom_right";
};

std::string RenderLinePlot(const SvgPlotOptions& options,
                           const std::vector<SvgSeries>& series);

// "&<>\"'" -> XML entities.
std::string XmlEscape(const std::string& text);

}  // namespace pcs

#endif  // PCS_TRAINING_SVG_PLOT_H_
