#include "model/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>

#include "absl/strings/str_cat.h"

namespace pcs::metrics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool Valid(const std::vector<double>& scores, const std::vector<int>& labels) {
  return ValidateBinary(scores, labels).ok();
}

// NaN ranks below everything: map it to -inf for ordering and tie grouping.
double RankKey(double score) {
  return std::isnan(score) ? -std::numeric_limits<double>::infinity() : score;
}

// Row indices by descending score, NaN last, ties by ascending index.
std::vector<int> DescendingOrder(const std::vector<double>& scores) {
  std::vector<int> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return RankKey(scores[a]) > RankKey(scores[b]);
  });
  return order;
}

// Walks the descending order one distinct score at a time, calling
// visit(threshold, cumulative_tp, cumulative_fp) after each tie group.
template <typename Visit>
void ForEachThreshold(const std::vector<double>& scores,
                      const std::vector<int>& labels, Visit visit) {
  const std::vector<int> order = DescendingOrder(scores);
  int tp = 0, fp = 0;
  for (size_t i = 0; i < order.size();) {
    const double key = RankKey(scores[order[i]]);
    size_t j = i;
    for (; j < order.size() && RankKey(scores[order[j]]) == key; ++j) {
      (labels[order[j]] == 1 ? tp : fp) += 1;
    }
    visit(key, tp, fp);
    i = j;
  }
}

int CountPositives(const std::vector<int>& labels) {
  return static_cast<int>(std::count(labels.begin(), labels.end(), 1));
}

// Linear-interpolated percentile of sorted values, q in [0, 1].
double Percentile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] +
         (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

// Uniform integer in [0, n) from a 64-bit engine, unbiased (rejection) and
// identical on every standard library (unlike std::uniform_int_distribution).
uint64_t UniformBelow(std::mt19937_64& gen, uint64_t n) {
  const uint64_t limit = std::numeric_limits<uint64_t>::max() -
                         std::numeric_limits<uint64_t>::max() % n;
  uint64_t v;
  do {
    v = gen();
  } while (v >= limit);
  return v % n;
}

}  // namespace

absl::Status ValidateBinary(const std::vector<double>& scores,
                            const std::vector<int>& labels) {
  if (scores.size() != labels.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(scores.size(), " scores but ", labels.size(), " labels"));
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] != 0 && labels[i] != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "label of row ", i, " is ", labels[i], ", expected 0 or 1"));
    }
  }
  return absl::OkStatus();
}

double RocAuc(const std::vector<double>& scores,
              const std::vector<int>& labels) {
  if (!Valid(scores, labels)) return kNaN;
  const double n = static_cast<double>(labels.size());
  const double pos = CountPositives(labels);
  const double neg = n - pos;
  if (pos == 0 || neg == 0) return kNaN;
  // Ascending ranks with midranks for ties; AUC = (R+ - P(P+1)/2) / (P N).
  std::vector<int> order = DescendingOrder(scores);
  std::reverse(order.begin(), order.end());
  double positive_rank_sum = 0;
  for (size_t i = 0; i < order.size();) {
    const double key = RankKey(scores[order[i]]);
    size_t j = i;
    int group_pos = 0;
    for (; j < order.size() && RankKey(scores[order[j]]) == key; ++j)
      group_pos += labels[order[j]];
    const double midrank =
        (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    positive_rank_sum += group_pos * midrank;
    i = j;
  }
  return (positive_rank_sum - pos * (pos + 1) / 2.0) / (pos * neg);
}

double AveragePrecision(const std::vector<double>& scores,
                        const std::vector<int>& labels) {
  if (!Valid(scores, labels)) return kNaN;
  const int pos = CountPositives(labels);
  if (pos == 0) return kNaN;
  double ap = 0, previous_recall = 0;
  ForEachThreshold(scores, labels, [&](double, int tp, int fp) {
    const double recall = static_cast<double>(tp) / pos;
    ap += (recall - previous_recall) * static_cast<double>(tp) / (tp + fp);
    previous_recall = recall;
  });
  return ap;
}

double BrierScore(const std::vector<double>& probabilities,
                  const std::vector<int>& labels) {
  if (!Valid(probabilities, labels) || labels.empty()) return kNaN;
  double sum = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double d = probabilities[i] - labels[i];
    sum += d * d;
  }
  return sum / static_cast<double>(labels.size());
}

double LogLoss(const std::vector<double>& probabilities,
               const std::vector<int>& labels, double eps) {
  if (!Valid(probabilities, labels) || labels.empty()) return kNaN;
  double sum = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (std::isnan(probabilities[i])) return kNaN;
    const double p = std::clamp(probabilities[i], eps, 1.0 - eps);
    sum -= labels[i] == 1 ? std::log(p) : std::log(1.0 - p);
  }
  return sum / static_cast<double>(labels.size());
}

std::vector<CalibrationBin> ReliabilityBins(
    const std::vector<double>& probabilities, const std::vector<int>& labels,
    int bins) {
  if (!Valid(probabilities, labels) || bins <= 0) return {};
  std::vector<CalibrationBin> out(static_cast<size_t>(bins));
  std::vector<double> sum_p(out.size(), 0), sum_y(out.size(), 0);
  for (size_t i = 0; i < labels.size(); ++i) {
    const double p = probabilities[i];
    if (std::isnan(p)) return {};
    const int b =
        std::clamp(static_cast<int>(std::floor(p * bins)), 0, bins - 1);
    out[b].count += 1;
    sum_p[b] += p;
    sum_y[b] += labels[i];
  }
  for (int b = 0; b < bins; ++b) {
    out[b].lower = static_cast<double>(b) / bins;
    out[b].upper = static_cast<double>(b + 1) / bins;
    out[b].mean_predicted = out[b].count > 0 ? sum_p[b] / out[b].count : kNaN;
    out[b].observed_rate = out[b].count > 0 ? sum_y[b] / out[b].count : kNaN;
  }
  return out;
}

double ExpectedCalibrationError(const std::vector<double>& probabilities,
                                const std::vector<int>& labels, int bins) {
  const std::vector<CalibrationBin> rel =
      ReliabilityBins(probabilities, labels, bins);
  if (rel.empty() || labels.empty()) return kNaN;
  double ece = 0;
  for (const CalibrationBin& b : rel) {
    if (b.count == 0) continue;
    ece += static_cast<double>(b.count) / static_cast<double>(labels.size()) *
           std::fabs(b.observed_rate - b.mean_predicted);
  }
  return ece;
}

std::vector<CurvePoint> RocPoints(const std::vector<double>& scores,
                                  const std::vector<int>& labels) {
  if (!Valid(scores, labels)) return {};
  const int pos = CountPositives(labels);
  const int neg = static_cast<int>(labels.size()) - pos;
  if (pos == 0 || neg == 0) return {};
  std::vector<CurvePoint> points = {
      {0, 0, std::numeric_limits<double>::infinity()}};
  ForEachThreshold(scores, labels, [&](double threshold, int tp, int fp) {
    points.push_back({static_cast<double>(fp) / neg,
                      static_cast<double>(tp) / pos, threshold});
  });
  return points;
}

std::vector<CurvePoint> PrecisionRecallPoints(const std::vector<double>& scores,
                                              const std::vector<int>& labels) {
  if (!Valid(scores, labels)) return {};
  const int pos = CountPositives(labels);
  if (pos == 0) return {};
  std::vector<CurvePoint> points;
  ForEachThreshold(scores, labels, [&](double threshold, int tp, int fp) {
    points.push_back({static_cast<double>(tp) / pos,
                      static_cast<double>(tp) / (tp + fp), threshold});
  });
  return points;
}

ThresholdStats AtThreshold(const std::vector<double>& scores,
                           const std::vector<int>& labels, double threshold) {
  ThresholdStats s;
  if (!Valid(scores, labels)) return {0, 0, kNaN, kNaN};
  const int pos = CountPositives(labels);
  for (size_t i = 0; i < scores.size(); ++i) {
    if (scores[i] >= threshold) {  // false for NaN
      ++s.selected;
      s.true_positives += labels[i];
    }
  }
  s.precision = s.selected > 0
                    ? static_cast<double>(s.true_positives) / s.selected
                    : kNaN;
  s.recall = pos > 0 ? static_cast<double>(s.true_positives) / pos : kNaN;
  return s;
}

std::vector<int> TopKByScore(const std::vector<double>& scores, int k) {
  std::vector<int> order = DescendingOrder(scores);
  order.resize(
      static_cast<size_t>(std::clamp(k, 0, static_cast<int>(order.size()))));
  return order;
}

int CoverageCount(int n, double coverage) {
  if (n <= 0) return 0;
  const double raw =
      std::ceil(coverage * n - 1e-9);  // 1e-9: 0.1 * 30 is 3, not 4
  return std::clamp(static_cast<int>(raw), 1, n);
}

double PrecisionAtCoverage(const std::vector<double>& scores,
                           const std::vector<int>& labels, double coverage) {
  if (!Valid(scores, labels) || labels.empty() ||
      !(coverage > 0 && coverage <= 1))
    return kNaN;
  const std::vector<int> top = TopKByScore(
      scores, CoverageCount(static_cast<int>(labels.size()), coverage));
  int tp = 0;
  for (int r : top) tp += labels[r];
  return static_cast<double>(tp) / static_cast<double>(top.size());
}

absl::StatusOr<BootstrapInterval> GroupBootstrap(
    const std::vector<std::string>& row_groups,
    const std::function<double(const std::vector<int>& rows)>& statistic,
    const BootstrapOptions& options) {
  if (row_groups.empty())
    return absl::InvalidArgumentError("bootstrap over no rows");
  if (options.replicates <= 0 ||
      !(options.confidence > 0 && options.confidence < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad bootstrap options: replicates=", options.replicates,
                     " confidence=", options.confidence));
  }
  std::map<std::string, std::vector<int>>
      by_group;  // ordered by name: deterministic
  for (size_t i = 0; i < row_groups.size(); ++i)
    by_group[row_groups[i]].push_back(static_cast<int>(i));
  std::vector<const std::vector<int>*> groups;
  for (const auto& [name, rows] : by_group) groups.push_back(&rows);

  std::vector<int> all(row_groups.size());
  std::iota(all.begin(), all.end(), 0);
  BootstrapInterval out;
  out.estimate = statistic(all);

  std::mt19937_64 gen(options.seed);
  std::vector<double> values;
  values.reserve(static_cast<size_t>(options.replicates));
  std::vector<int> sample;
  for (int rep = 0; rep < options.replicates; ++rep) {
    sample.clear();
    for (size_t g = 0; g < groups.size(); ++g) {
      const auto& rows = *groups[UniformBelow(gen, groups.size())];
      sample.insert(sample.end(), rows.begin(), rows.end());
    }
    const double v = statistic(sample);
    if (std::isfinite(v)) {
      values.push_back(v);
    } else {
      ++out.replicates_skipped;
    }
  }
  out.replicates_used = static_cast<int>(values.size());
  if (values.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("no finite statistic in ",
                                                      options.replicates,
                                                      " bootstrap replicates"));
  }
  std::sort(values.begin(), values.end());
  const double alpha = (1.0 - options.confidence) / 2.0;
  out.lower = Percentile(values, alpha);
  out.upper = Percentile(values, 1.0 - alpha);
  return out;
}

absl::Status ForEachGroupResample(
    const std::vector<std::string>& row_groups, const BootstrapOptions& options,
    const std::function<void(const std::vector<int>& row_weights)>& visit) {
  if (row_groups.empty())
    return absl::InvalidArgumentError("bootstrap over no rows");
  if (options.replicates <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad bootstrap replicates: ", options.replicates));
  }
  std::map<std::string, int> index;  // ordered by name, as GroupBootstrap
  for (const std::string& g : row_groups) index.emplace(g, 0);
  int next = 0;
  for (auto& [name, i] : index) i = next++;
  std::vector<int> group_of(row_groups.size());
  for (size_t i = 0; i < row_groups.size(); ++i)
    group_of[i] = index[row_groups[i]];
  const uint64_t groups = index.size();
  std::mt19937_64 gen(options.seed);
  std::vector<int> drawn(groups), weights(row_groups.size());
  for (int rep = 0; rep < options.replicates; ++rep) {
    std::fill(drawn.begin(), drawn.end(), 0);
    for (uint64_t g = 0; g < groups; ++g) ++drawn[UniformBelow(gen, groups)];
    for (size_t i = 0; i < weights.size(); ++i) weights[i] = drawn[group_of[i]];
    visit(weights);
  }
  return absl::OkStatus();
}

BootstrapInterval PercentileInterval(std::vector<double> values,
                                     double confidence) {
  BootstrapInterval out;
  std::vector<double> finite;
  for (double v : values) {
    if (std::isfinite(v)) {
      finite.push_back(v);
    } else {
      ++out.replicates_skipped;
    }
  }
  out.replicates_used = static_cast<int>(finite.size());
  if (finite.empty()) {
    out.lower = out.upper = kNaN;
    return out;
  }
  std::sort(finite.begin(), finite.end());
  const double alpha = (1.0 - confidence) / 2.0;
  out.lower = Percentile(finite, alpha);
  out.upper = Percentile(finite, 1.0 - alpha);
  return out;
}

}  // namespace pcs::metrics
