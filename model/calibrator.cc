#include "model/calibrator.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pcs {
namespace {

struct WeightedPoint {
  double score;
  double label;
  double weight;
};

absl::StatusOr<std::vector<WeightedPoint>> CheckedPoints(
    const std::vector<double>& scores, const std::vector<int>& labels,
    const std::vector<double>* weights, double eps) {
  if (!(eps >= 0 && eps < 0.5)) {
    return absl::InvalidArgumentError(
        absl::StrCat("eps must be in [0, 0.5), got ", eps));
  }
  if (scores.size() != labels.size() ||
      (weights && weights->size() != scores.size())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "calibration input sizes differ: ", scores.size(), " scores, ",
        labels.size(), " labels",
        weights ? absl::StrCat(", ", weights->size(), " weights") : ""));
  }
  std::vector<WeightedPoint> points;
  points.reserve(scores.size());
  double total = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    const double w = weights ? (*weights)[i] : 1.0;
    if (labels[i] != 0 && labels[i] != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "calibration row ", i, ": label ", labels[i], " is not 0/1"));
    }
    if (!std::isfinite(scores[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "calibration row ", i, ": score ", scores[i], " is not finite"));
    }
    if (!std::isfinite(w) || w < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "calibration row ", i, ": weight ", w, " is negative or not finite"));
    }
    if (w == 0) continue;
    points.push_back({scores[i], static_cast<double>(labels[i]), w});
    total += w;
  }
  if (!(total > 0))
    return absl::InvalidArgumentError(
        "calibration data has no positive weight");
  return points;
}

double Clamp(double p, double eps) { return std::clamp(p, eps, 1.0 - eps); }

double Logit(double p, double eps) {
  const double q = Clamp(p, std::max(eps, 1e-12));
  return std::log(q / (1.0 - q));
}

}  // namespace

double Logistic(double margin) { return 1.0 / (1.0 + std::exp(-margin)); }

absl::StatusOr<Calibrator> Calibrator::FitIsotonic(
    const std::vector<double>& scores, const std::vector<int>& labels,
    const std::vector<double>* weights, double eps) {
  auto points = CheckedPoints(scores, labels, weights, eps);
  if (!points.ok()) return points.status();
  std::stable_sort(points->begin(), points->end(),
                   [](const WeightedPoint& a, const WeightedPoint& b) {
                     return a.score < b.score;
                   });
  // A block accumulates weight, weight*score and weight*label.
  struct Block {
    double weight, score_sum, label_sum;
    double Mean() const { return label_sum / weight; }
  };
  std::vector<Block> blocks;
  for (size_t i = 0; i < points->size();) {
    Block block{0, 0, 0};
    const double score = (*points)[i].score;
    for (; i < points->size() && (*points)[i].score == score;
         ++i) {  // pool equal scores
      block.weight += (*points)[i].weight;
      block.score_sum += (*points)[i].weight * score;
      block.label_sum += (*points)[i].weight * (*points)[i].label;
    }
    blocks.push_back(block);
    // Pool adjacent violators (non-increasing means) backwards.
    while (blocks.size() > 1 &&
           blocks[blocks.size() - 2].Mean() >= blocks.back().Mean()) {
      Block last = blocks.back();
      blocks.pop_back();
      blocks.back().weight += last.weight;
      blocks.back().score_sum += last.score_sum;
      blocks.back().label_sum += last.label_sum;
    }
  }
  std::vector<double> x, y;
  for (const Block& b : blocks) {
    x.push_back(b.score_sum / b.weight);
    y.push_back(b.Mean());
  }
  return FromPoints(std::move(x), std::move(y), eps);
}

absl::StatusOr<Calibrator> Calibrator::FromPoints(std::vector<double> x,
                                                  std::vector<double> y,
                                                  double eps) {
  if (x.empty() || x.size() != y.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("isotonic calibration needs equal, non-empty x/y (",
                     x.size(), " vs ", y.size(), ")"));
  }
  if (!(eps >= 0 && eps < 0.5)) {
    return absl::InvalidArgumentError(
        absl::StrCat("eps must be in [0, 0.5), got ", eps));
  }
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !(y[i] >= 0 && y[i] <= 1)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "isotonic point ", i, " is invalid (x=", x[i], ", y=", y[i], ")"));
    }
    if (i > 0 && (x[i] <= x[i - 1] || y[i] < y[i - 1])) {
      return absl::InvalidArgumentError(
          absl::StrCat("isotonic point ", i,
                       " breaks monotonicity (x must increase strictly, "
                       "y must not decrease)"));
    }
  }
  Calibrator c;
  c.method_ = Method::kIsotonic;
  c.x_ = std::move(x);
  c.y_ = std::move(y);
  c.eps_ = eps;
  return c;
}

absl::StatusOr<Calibrator> Calibrator::FitPlatt(
    const std::vector<double>& scores, const std::vector<int>& labels,
    const std::vector<double>* weights, double eps) {
  auto points = CheckedPoints(scores, labels, weights, eps);
  if (!points.ok()) return points.status();
  double pos = 0, neg = 0;
  for (const WeightedPoint& p : *points) (p.label == 1 ? pos : neg) += p.weight;
  const double target_pos = (pos + 1) / (pos + 2), target_neg = 1 / (neg + 2);
  std::vector<double> f, t, w;
  for (const WeightedPoint& p : *points) {
    f.push_back(Logit(p.score, eps));
    t.push_back(p.label == 1 ? target_pos : target_neg);
    w.push_back(p.weight);
  }
  auto loss = [&](double a, double b) {
    double l = 0;
    for (size_t i = 0; i < f.size(); ++i) {
      const double z = a * f[i] + b;
      // log(1 + e^z) - t z, computed stably.
      l += w[i] *
           ((z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z))) -
            t[i] * z);
    }
    return l;
  };
  double a = 1, b = 0, current = loss(a, b);
  for (int iter = 0; iter < 100; ++iter) {
    double ga = 0, gb = 0, haa = 1e-12, hab = 0, hbb = 1e-12;
    for (size_t i = 0; i < f.size(); ++i) {
      const double q = Logistic(a * f[i] + b);
      const double r = w[i] * (q - t[i]), h = w[i] * q * (1 - q);
      ga += r * f[i];
      gb += r;
      haa += h * f[i] * f[i];
      hab += h * f[i];
      hbb += h;
    }
    const double det = haa * hbb - hab * hab;
    if (!(std::fabs(det) > 0)) break;
    const double da = (hbb * ga - hab * gb) / det,
                 db = (haa * gb - hab * ga) / det;
    double step = 1;
    double next = loss(a - da, b - db);
    while (next > current && step > 1e-10) {  // backtracking
      step /= 2;
      next = loss(a - step * da, b - step * db);
    }
    if (next > current) break;
    a -= step * da;
    b -= step * db;
    const bool converged = current - next < 1e-12 * std::max(1.0, current);
    current = next;
    if (converged) break;
  }
  Calibrator c;
  c.method_ = Method::kPlatt;
  c.a_ = a;
  c.b_ = b;
  c.eps_ = eps;
  return c;
}

double Calibrator::Apply(double p) const {
  if (std::isnan(p)) return p;
  if (method_ == Method::kPlatt)
    return Clamp(Logistic(a_ * Logit(p, eps_) + b_), eps_);
  if (p <= x_.front()) return Clamp(y_.front(), eps_);
  if (p >= x_.back()) return Clamp(y_.back(), eps_);
  const size_t hi = static_cast<size_t>(
      std::upper_bound(x_.begin(), x_.end(), p) - x_.begin());
  const size_t lo = hi - 1;
  const double t = (p - x_[lo]) / (x_[hi] - x_[lo]);
  return Clamp(y_[lo] + t * (y_[hi] - y_[lo]), eps_);
}

nlohmann::json Calibrator::ToJson() const {
  if (method_ == Method::kPlatt) {
    return {{"method", "platt"}, {"a", a_}, {"b", b_}, {"eps", eps_}};
  }
  return {{"method", "isotonic"}, {"x", x_}, {"y", y_}, {"eps", eps_}};
}

absl::StatusOr<Calibrator> Calibrator::FromJson(const nlohmann::json& json) {
  try {
    const std::string method = json.at("method").get<std::string>();
    const double eps =
        json.contains("eps") ? json.at("eps").get<double>() : kDefaultEps;
    if (method == "isotonic") {
      return FromPoints(json.at("x").get<std::vector<double>>(),
                        json.at("y").get<std::vector<double>>(), eps);
    }
    if (method == "platt") {
      Calibrator c;
      c.method_ = Method::kPlatt;
      c.a_ = json.at("a").get<double>();
      c.b_ = json.at("b").get<double>();
      c.eps_ = eps;
      if (!std::isfinite(c.a_) || !std::isfinite(c.b_) ||
          !(eps >= 0 && eps < 0.5)) {
        return absl::InvalidArgumentError(
            "platt calibration has non-finite a/b or bad eps");
      }
      return c;
    }
    return absl::InvalidArgumentError(
        absl::StrCat("unknown calibration method '", method, "'"));
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed calibration JSON: ", e.what()));
  }
}

}  // namespace pcs
