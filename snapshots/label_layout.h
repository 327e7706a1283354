#ifndef PCS_SNAPSHOTS_LABEL_LAYOUT_H_
#define PCS_SNAPSHOTS_LABEL_LAYOUT_H_

#include <optional>
#include <vector>

#include "absl/strings/string_view.h"

namespace pcs {

// An axis-aligned box in SVG coordinates (y grows downwards).
struct LabelBox {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool Meets(const LabelBox& other) const;
};

enum class TextAnchor { kStart, kMiddle, kEnd };

// Where one label goes: its anchor point (SVG x, baseline y) and anchor.
struct LabelSpot {
  double x = 0;
  double y = 0;
  TextAnchor anchor = TextAnchor::kMiddle;
};

// Collision avoidance for a chart's text. Every label, circle and axis tick
// drawn is recorded; a new label takes the first of its candidate spots
// whose box meets none of them (and, if one exists, none of the "soft"
// obstacles: candles), so no two texts print over each other.
// console_browser_test checks the result with the browser's getBBox.
class LabelLayout {
 public:
  explicit LabelLayout(double font_px) : font_px_(font_px) {}

  // The box of `text` drawn at `spot`: the width from per-character
  // estimates of a sans-serif face (on the wide side), ascent 0.8 and
  // descent 0.25 of the font size.
  LabelBox BoxOf(absl::string_view text, const LabelSpot& spot) const;

  // Records a box nothing may overlap (a drawn label, a circle).
  void Take(const LabelBox& box) { taken_.push_back(box); }
  // Records a box labels avoid when they can (a candle).
  void Avoid(const LabelBox& box) { soft_.push_back(box); }
  bool Free(const LabelBox& box) const;

  // The first candidate free of everything, else the first free of labels
  // and circles (over a candle), else nullopt; the chosen box is taken.
  // Each candidate is shifted inside [x_min, x_max] first.
  std::optional<LabelSpot> Place(absl::string_view text,
                                 std::vector<LabelSpot> candidates,
                                 double x_min, double x_max);

 private:
  double font_px_;
  std::vector<LabelBox> taken_;
  std::vector<LabelBox> soft_;
};

}  // namespace pcs

#endif  // PCS_SNAPSHOTS_LABEL_LAYOUT_H_
