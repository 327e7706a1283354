#include "snapshots/label_layout.h"

#include <algorithm>
#include <cctype>

namespace pcs {
namespace {

// Advance widths in em, rounded up from DejaVu Sans (Debian's default
// sans-serif); other sans faces are narrower.
double EmWidth(char c) {
  if (c == ' ' || c == '.' || c == ',' || c == ':' || c == 'i' || c == 'l' ||
      c == 'j' || c == '\'' || c == '|' || c == '!') {
    return 0.34;
  }
  if (c == 'm' || c == 'w' || c == 'M' || c == 'W') return 1.0;
  if (std::isupper(static_cast<unsigned char>(c))) return 0.78;
  return 0.66;  // lower case, digits, '_', '-'
}

}  // namespace

bool LabelBox::Meets(const LabelBox& other) const {
  return x0 < other.x1 && other.x0 < x1 && y0 < other.y1 && other.y0 < y1;
}

LabelBox LabelLayout::BoxOf(absl::string_view text,
                            const LabelSpot& spot) const {
  double width = 0;
  for (char c : text) width += EmWidth(c) * font_px_;
  const double x0 = spot.anchor == TextAnchor::kStart ? spot.x
                    : spot.anchor == TextAnchor::kEnd ? spot.x - width
                                                      : spot.x - width / 2;
  return {x0, spot.y - 0.8 * font_px_, x0 + width, spot.y + 0.25 * font_px_};
}

bool LabelLayout::Free(const LabelBox& box) const {
  return std::none_of(taken_.begin(), taken_.end(),
                      [&](const LabelBox& t) { return t.Meets(box); });
}

std::optional<LabelSpot> LabelLayout::Place(absl::string_view text,
                                            std::vector<LabelSpot> candidates,
                                            double x_min, double x_max) {
  std::optional<LabelSpot> fallback;
  for (LabelSpot& spot : candidates) {
    const LabelBox box = BoxOf(text, spot);
    spot.x += std::max(0.0, x_min - box.x0) - std::max(0.0, box.x1 - x_max);
    const LabelBox shifted = BoxOf(text, spot);
    if (!Free(shifted)) continue;
    const bool clear =
        std::none_of(soft_.begin(), soft_.end(),
                     [&](const LabelBox& s) { return s.Meets(shifted); });
    if (clear) {
      Take(shifted);
      return spot;
    }
    if (!fallback) fallback = spot;
  }
  if (fallback) Take(BoxOf(text, *fallback));
  return fallback;
}

}  // namespace pcs
