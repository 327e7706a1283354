#include "training/svg_plot.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pcs {
namespace {

constexpr int kLeft = 70, kRight = 20, kTop = 40, kBottom = 60;

std::string F(double v) { return absl::StrFormat("%.2f", v); }

std::string TickLabel(double v) {
  std::string s = absl::StrFormat("%.2f", v);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

std::string XmlEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderLinePlot(const SvgPlotOptions& o,
                           const std::vector<SvgSeries>& series) {
  const double pw = o.width - kLeft - kRight;
  const double ph = o.height - kTop - kBottom;
  const double xr = o.x_max > o.x_min ? o.x_max - o.x_min : 1;
  const double yr = o.y_max > o.y_min ? o.y_max - o.y_min : 1;
  auto sx = [&](double x) {
    return kLeft + (std::clamp(x, o.x_min, o.x_max) - o.x_min) / xr * pw;
  };
  auto sy = [&](double y) {
    return kTop + ph - (std::clamp(y, o.y_min, o.y_max) - o.y_min) / yr * ph;
  };

  std::string s = absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"",
      o.width, "\" height=\"", o.height, "\" viewBox=\"0 0 ", o.width, " ",
      o.height, "\" font-family=\"sans-serif\" font-size=\"12\">\n",
      "<rect x=\"0\" y=\"0\" width=\"", o.width, "\" height=\"", o.height,
      "\" fill=\"white\"/>\n", "<text x=\"", o.width / 2,
      "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">",
      XmlEscape(o.title), "</text>\n");
  // Grid, ticks and tick labels.
  s += "<g class=\"axes\" stroke=\"#dddddd\" stroke-width=\"1\">\n";
  for (int t = 0; t <= o.ticks; ++t) {
    const double fx = o.x_min + xr * t / o.ticks,
                 fy = o.y_min + yr * t / o.ticks;
    absl::StrAppend(&s, "<line x1=\"", F(sx(fx)), "\" y1=\"", kTop, "\" x2=\"",
                    F(sx(fx)), "\" y2=\"", F(kTop + ph), "\"/>\n");
    absl::StrAppend(&s, "<line x1=\"", kLeft, "\" y1=\"", F(sy(fy)), "\" x2=\"",
                    F(kLeft + pw), "\" y2=\"", F(sy(fy)), "\"/>\n");
  }
  s += "</g>\n<g class=\"ticks\" fill=\"black\">\n";
  for (int t = 0; t <= o.ticks; ++t) {
    const double fx = o.x_min + xr * t / o.ticks,
                 fy = o.y_min + yr * t / o.ticks;
    absl::StrAppend(&s, "<text x=\"", F(sx(fx)), "\" y=\"", F(kTop + ph + 18),
                    "\" text-anchor=\"middle\">", TickLabel(fx), "</text>\n");
    absl::StrAppend(&s, "<text x=\"", kLeft - 8, "\" y=\"", F(sy(fy) + 4),
                    "\" text-anchor=\"end\">", TickLabel(fy), "</text>\n");
  }
  s += "</g>\n";
  absl::StrAppend(&s, "<rect x=\"", kLeft, "\" y=\"", kTop, "\" width=\"",
                  F(pw), "\" height=\"", F(ph),
                  "\" fill=\"none\" stroke=\"black\"/>\n");
  absl::StrAppend(&s, "<text x=\"", F(kLeft + pw / 2), "\" y=\"", o.height - 18,
                  "\" text-anchor=\"middle\">", XmlEscape(o.x_label),
                  "</text>\n");
  absl::StrAppend(&s, "<text x=\"18\" y=\"", F(kTop + ph / 2),
                  "\" text-anchor=\"middle\" transform=\"rotate(-90 18 ",
                  F(kTop + ph / 2), ")\">", XmlEscape(o.y_label), "</text>\n");
  // Series.
  for (const SvgSeries& ser : series) {
    std::string pts;
    std::string marks;
    for (const CurvePoint& p : ser.points) {
      if (std::isnan(p.x) || std::isnan(p.y)) continue;
      absl::StrAppend(&pts, pts.empty() ? "" : " ", F(sx(p.x)), ",",
                      F(sy(p.y)));
      if (ser.markers) {
        absl::StrAppend(&marks, "<circle cx=\"", F(sx(p.x)), "\" cy=\"",
                        F(sy(p.y)), "\" r=\"3.5\" fill=\"", ser.color,
                        "\"/>\n");
      }
    }
    absl::StrAppend(&s, "<g class=\"series\"><title>", XmlEscape(ser.name),
                    "</title>\n");
    if (!pts.empty()) {
      absl::StrAppend(&s, "<polyline fill=\"none\" stroke=\"", ser.color,
                      "\" stroke-width=\"2\"",
                      ser.dashed ? " stroke-dasharray=\"6 4\"" : "",
                      " points=\"", pts, "\"/>\n");
    }
    absl::StrAppend(&s, marks, "</g>\n");
  }
  // Legend.
  const int lh = 18, lw = 190;
  const bool right = o.legend_corner.find("right") != std::string::npos;
  const bool bottom = o.legend_corner.find("bottom") != std::string::npos;
  const double lx = right ? kLeft + pw - lw - 10 : kLeft + 10;
  const double ly = bottom ? kTop + ph - lh * series.size() - 16 : kTop + 10;
  absl::StrAppend(
      &s, "<g class=\"legend\">\n<rect x=\"", F(lx), "\" y=\"", F(ly),
      "\" width=\"", lw, "\" height=\"", lh * series.size() + 8,
      "\" fill=\"white\" fill-opacity=\"0.9\" stroke=\"#888888\"/>\n");
  for (size_t i = 0; i < series.size(); ++i) {
    const double y = ly + 4 + lh * i + lh / 2.0;
    absl::StrAppend(&s, "<line x1=\"", F(lx + 8), "\" y1=\"", F(y), "\" x2=\"",
                    F(lx + 36), "\" y2=\"", F(y), "\" stroke=\"",
                    series[i].color, "\" stroke-width=\"2\"",
                    series[i].dashed ? " stroke-dasharray=\"6 4\"" : "",
                    "/>\n");
    absl::StrAppend(&s, "<text x=\"", F(lx + 44), "\" y=\"", F(y + 4), "\">",
                    XmlEscape(series[i].name), "</text>\n");
  }
  s += "</g>\n</svg>\n";
  return s;
}

}  // namespace pcs
