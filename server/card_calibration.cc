#include "server/card_calibration.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace pcs {

absl::StatusOr<CardCalibration> CardCalibration::FromJson(
    const nlohmann::json& json) {
  if (!json.is_object()) {
    return absl::InvalidArgumentError("calibration is not a JSON object");
  }
  std::string method = json.value("method", "");
  CardCalibration c;
  if (method == "identity") return c;
  if (method != "isotonic") {
    return absl::InvalidArgumentError(
        absl::StrCat("calibration.method '", method, "' is not supported"));
  }
  const auto& x = json.value("x", nlohmann::json::array());
  const auto& y = json.value("y", nlohmann::json::array());
  if (!x.is_array() || !y.is_array() || x.size() != y.size() || x.empty()) {
    return absl::InvalidArgumentError(
        "calibration.x and calibration.y must be non-empty arrays of equal "
        "length");
  }
  for (size_t i = 0; i < x.size(); ++i) {
    if (!x[i].is_number() || !y[i].is_number()) {
      return absl::InvalidArgumentError(
          absl::StrCat("calibration knot ", i, " is not numeric"));
    }
    c.x_.push_back(x[i].get<double>());
    c.y_.push_back(y[i].get<double>());
    if (i > 0 && c.x_[i] < c.x_[i - 1]) {
      return absl::InvalidArgumentError(
          absl::StrCat("calibration.x decreases at knot ", i));
    }
  }
  return c;
}

double CardCalibration::Apply(double p) const {
  if (x_.empty()) return p;
  if (std::isnan(p)) return p;
  if (p <= x_.front()) return y_.front();
  if (p >= x_.back()) return y_.back();
  size_t hi = std::upper_bound(x_.begin(), x_.end(), p) - x_.begin();
  size_t lo = hi - 1;
  double span = x_[hi] - x_[lo];
  if (span <= 0) return y_[hi];
  double t = (p - x_[lo]) / span;
  return y_[lo] + t * (y_[hi] - y_[lo]);
}

}  // namespace pcs
