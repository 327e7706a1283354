#include "training/iso_precision.h"

#include <cmath>
#include <vector>

#include "model/metrics.h"

namespace pcs {
namespace {

nlohmann::json JsonNumber(double v) {
  if (std::isnan(v) || std::isinf(v)) return nullptr;
  return v;
}

// Iso-precision statistic on `rows` of `in` (with repetitions).
IsoPrecision IsoPrecisionOf(const EvaluationInput& in,
                            const std::vector<int>& rows, double threshold) {
  IsoPrecision r;
  std::vector<double> model;
  std::vector<int> y;
  for (int i : rows) {
    model.push_back(in.model[i]);
    y.push_back(in.labels[i]);
    if (in.rule[i] >= threshold) {
      ++r.rule_count;
      r.rule_true_positives += in.labels[i];
    }
  }
  r.rule_precision =
      r.rule_count ? static_cast<double>(r.rule_true_positives) / r.rule_count
                   : std::nan("");
  const std::vector<int> order = RankDescending(model);
  int tp = 0;
  for (size_t n = 1; n <= order.size(); ++n) {
    tp += y[order[n - 1]];
    if (std::isnan(model[order[n - 1]])) break;
    if (r.rule_count > 0 &&
        tp >= r.rule_precision * static_cast<double>(n) - 1e-9) {
      r.model_count = static_cast<int>(n);
      r.model_true_positives = tp;
    }
  }
  r.model_precision =
      r.model_count
          ? static_cast<double>(r.model_true_positives) / r.model_count
          : std::nan("");
  r.extra_true_positives = r.model_true_positives - r.rule_true_positives;
  r.extra_relative = r.rule_true_positives
                         ? static_cast<double>(r.model_true_positives) /
                                   r.rule_true_positives -
                               1
                         : std::nan("");
  return r;
}

}  // namespace

absl::StatusOr<IsoPrecision> ComputeIsoPrecision(const EvaluationInput& in,
                                                 double threshold,
                                                 int resamples, uint64_t seed) {
  std::vector<int> all(in.labels.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  IsoPrecision r = IsoPrecisionOf(in, all, threshold);
  if (resamples > 0) {
    metrics::BootstrapOptions b;
    b.replicates = resamples;
    b.seed = seed;
    absl::StatusOr<metrics::BootstrapInterval> ci = metrics::GroupBootstrap(
        in.symbols,
        [&](const std::vector<int>& rows) {
          return IsoPrecisionOf(in, rows, threshold).extra_relative;
        },
        b);
    if (ci.ok()) r.extra_relative_ci = {ci->lower, ci->upper};
  }
  return r;
}

nlohmann::json IsoPrecisionJson(const IsoPrecision& r, double threshold) {
  return {
      {"rule_threshold", threshold},
      {"rule_count", r.rule_count},
      {"rule_true_positives", r.rule_true_positives},
      {"rule_precision", JsonNumber(r.rule_precision)},
      {"model_count", r.model_count},
      {"model_true_positives", r.model_true_positives},
      {"model_precision", JsonNumber(r.model_precision)},
      {"extra_true_positives", r.extra_true_positives},
      {"extra_relative", JsonNumber(r.extra_relative)},
      {"extra_relative_ci95",
       {JsonNumber(r.extra_relative_ci.low),
        JsonNumber(r.extra_relative_ci.high)}},
      {"definition",
       "the model's largest top-n with precision >= the rule's precision at "
       "its own threshold; extra = model TP - rule TP"}};
}

}  // namespace pcs
