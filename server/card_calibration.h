#ifndef PCS_SERVER_CARD_CALIBRATION_H_
#define PCS_SERVER_CARD_CALIBRATION_H_

#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace pcs {

// The calibration map of a model card ({"method": "isotonic", "x": [...],
// "y": [...]}): piecewise-linear interpolation between the (x, y) knots,
// clamped to the end values outside [x.front(), x.back()]. "identity" (or an
// absent method with no knots) maps p to p.
//
// This is the server's reader of the card; model/calibrator.h is the
// trainer's writer. Agreement between the two is checked at load time by
// the warm-up (reference rows carry the trainer's calibrated probabilities),
// so a divergence refuses the model rather than serving skewed scores.
//
// Immutable after FromJson; thread-safe.
class CardCalibration {
 public:
  static absl::StatusOr<CardCalibration> FromJson(const nlohmann::json& json);
  double Apply(double p) const;
  size_t knots() const { return x_.size(); }

 private:
  std::vector<double> x_;
  std::vector<double> y_;
};

}  // namespace pcs

#endif  // PCS_SERVER_CARD_CALIBRATION_H_
