#ifndef PCS_MODEL_CALIBRATOR_H_
#define PCS_MODEL_CALIBRATOR_H_

// Calibrator: maps a model probability to a calibrated probability, fitted on
// held-out (probability, label[, weight]) pairs.
//
// Isotonic (default): weighted pool-adjacent-violators. Rows are sorted by
// score, rows with equal scores are pooled first, then adjacent blocks are
// merged while a block's mean label is >= the next one's, so block means are
// strictly increasing. Each block is summarised by its centre (weighted mean
// score) and its weighted mean label. Apply() interpolates linearly between
// consecutive block centres and holds the end values outside them. Why
// centres and not a step function: a step function maps nearby scores on
// either side of a block edge to very different probabilities and collapses
// the ranking inside a block; interpolation keeps the output continuous and
// monotone (non-decreasing), and preserves most of the model's ranking.
//
// Platt: p' = sigmoid(a * logit(p) + b), fitted by Newton's method on the
// weighted log loss with Platt's smoothed targets (N+ + 1) / (N+ + 2) and
// 1 / (N- + 2), which keeps a, b finite on separable data.
//
// Every output is clamped to [eps, 1 - eps] (eps default 1e-6), so a blended
// or logged confidence is never exactly 0 or 1. Apply(NaN) returns NaN.
//
// Serialisation (model_card.json "calibration"):
//   {"method": "isotonic", "x": [...], "y": [...], "eps": 1e-6}
//   {"method": "platt", "a": ..., "b": ..., "eps": 1e-6}
//
// Threading: immutable after construction; Apply is thread-safe.
//
// Example:
//   auto cal = Calibrator::FitIsotonic(valid_probabilities, valid_labels);
//   if (!cal.ok()) return cal.status();
//   card["calibration"] = cal->ToJson();
//   double p = cal->Apply(raw_probability);

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pcs {

// The one probability formula: the logistic 1 / (1 + exp(-margin)) of a raw
// XGBoost margin (binary:logistic). Training, serving and monitoring all
// call this (through CalibratedProbability, model/model_card.h).
double Logistic(double margin);

class Calibrator {
 public:
  enum class Method { kIsotonic, kPlatt };
  static constexpr double kDefaultEps = 1e-6;

  // `weights` may be nullptr (all 1); zero-weight rows are ignored. Errors
  // name the offending row (size mismatch, label not 0/1, non-finite score,
  // negative or non-finite weight, no positive weight).
  static absl::StatusOr<Calibrator> FitIsotonic(
      const std::vector<double>& scores, const std::vector<int>& labels,
      const std::vector<double>* weights = nullptr, double eps = kDefaultEps);
  static absl::StatusOr<Calibrator> FitPlatt(
      const std::vector<double>& scores, const std::vector<int>& labels,
      const std::vector<double>* weights = nullptr, double eps = kDefaultEps);
  // Builds an isotonic calibrator from its points (x strictly increasing,
  // y non-decreasing in [0, 1]).
  static absl::StatusOr<Calibrator> FromPoints(std::vector<double> x,
                                               std::vector<double> y,
                                               double eps = kDefaultEps);

  static absl::StatusOr<Calibrator> FromJson(const nlohmann::json& json);
  nlohmann::json ToJson() const;

  // Calibrated probability of a model probability `p`.
  double Apply(double p) const;

  Method method() const { return method_; }
  const std::vector<double>& x() const { return x_; }  // isotonic block centres
  const std::vector<double>& y() const { return y_; }  // isotonic block means
  double a() const { return a_; }                      // Platt slope
  double b() const { return b_; }                      // Platt intercept
  double eps() const { return eps_; }

 private:
  Calibrator() = default;

  Method method_ = Method::kIsotonic;
  std::vector<double> x_;
  std::vector<double> y_;
  double a_ = 1;
  double b_ = 0;
  double eps_ = kDefaultEps;
};

}  // namespace pcs

#endif  // PCS_MODEL_CALIBRATOR_H_
