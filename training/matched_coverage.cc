#include "training/matched_coverage.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pcs {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Precision of the top `n` (possibly fractional copies) of `order`, where row
// i appears weight[i] times. Returns {true positives, precision}.
std::pair<double, double> TopPrecision(const std::vector<int>& order,
                                       const std::vector<int>& labels,
                                       const std::vector<double>& weight,
                                       double n) {
  if (n <= 0) return {0, kNaN};
  double taken = 0, tp = 0;
  for (int i : order) {
    const double w = weight[i];
    if (w <= 0) continue;
    const double take = std::min(w, n - taken);
    taken += take;
    tp += take * labels[i];
    if (taken >= n - 1e-9) break;
  }
  return {tp, tp / n};
}

double Lift(double p, double ref) {
  if (!(ref > 0) || std::isnan(p)) return kNaN;
  return p / ref - 1.0;
}

Interval Percentiles(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(),
                         [](double x) { return std::isnan(x); }),
          v.end());
  if (v.empty()) return {kNaN, kNaN};
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    const double pos = q * (v.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (pos - lo) * (v[hi] - v[lo]);
  };
  return {at(0.025), at(0.975)};
}

struct RowSpec {
  std::string name;
  double coverage;  // < 0: threshold row
};

// Number of confirmed patterns for a row spec under weights.
double CountFor(const RowSpec& spec, const std::vector<double>& weight,
                const std::vector<double>& threshold_scores, double threshold) {
  const double total = std::accumulate(weight.begin(), weight.end(), 0.0);
  // Same rule as metrics::CoverageCount: ceil(k N), at least 1 (the 1e-9
  // keeps 0.3 * 10 at 3 rather than 4).
  if (spec.coverage >= 0)
    return std::max(1.0, std::ceil(spec.coverage * total - 1e-9));
  double n = 0;
  for (size_t i = 0; i < weight.size(); ++i) {
    if (threshold_scores[i] >= threshold) n += weight[i];
  }
  return n;
}

}  // namespace

std::vector<int> RankDescending(const std::vector<double>& scores) {
  std::vector<int> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    const bool na = std::isnan(scores[a]), nb = std::isnan(scores[b]);
    if (na != nb) return nb;  // non-NaN first
    if (na) return false;
    return scores[a] > scores[b];
  });
  return order;
}

absl::StatusOr<std::vector<CoverageRow>> EvaluateMatchedCoverage(
    const std::vector<int>& labels, const std::vector<std::string>& groups,
    const std::vector<ScorerColumn>& columns,
    const MatchedCoverageOptions& options) {
  const size_t n_rows = labels.size();
  if (n_rows == 0) return absl::InvalidArgumentError("no rows to evaluate");
  if (groups.size() != n_rows) {
    return absl::InvalidArgumentError("groups and labels differ in size");
  }
  std::map<std::string, int> col_index;
  for (size_t c = 0; c < columns.size(); ++c) {
    if (columns[c].scores.size() != n_rows) {
      return absl::InvalidArgumentError(absl::StrCat(
          "scorer '", columns[c].name, "' has ", columns[c].scores.size(),
          " scores for ", n_rows, " rows"));
    }
    col_index[columns[c].name] = static_cast<int>(c);
  }
  std::vector<int> ref_index;
  for (const std::string& r : options.references) {
    auto it = col_index.find(r);
    if (it == col_index.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown reference scorer '", r, "'"));
    }
    ref_index.push_back(it->second);
  }
  std::vector<RowSpec> specs;
  for (double k : options.coverages) {
    specs.push_back(
        {absl::StrCat(static_cast<int>(std::lround(k * 100)), "%"), k});
  }
  const std::vector<double>* threshold_scores = nullptr;
  if (options.threshold.has_value()) {
    auto it = col_index.find(options.threshold_scorer);
    if (it == col_index.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown threshold scorer '", options.threshold_scorer, "'"));
    }
    threshold_scores = &columns[it->second].scores;
    specs.push_back({absl::StrCat(options.threshold_scorer, "_threshold"), -1});
  }
  const double threshold = options.threshold.value_or(0);
  std::vector<std::vector<int>> orders;
  for (const ScorerColumn& c : columns)
    orders.push_back(RankDescending(c.scores));

  // Symbol clusters.
  std::map<std::string, int> group_id;
  std::vector<int> row_group(n_rows);
  for (size_t i = 0; i < n_rows; ++i) {
    row_group[i] =
        group_id.emplace(groups[i], static_cast<int>(group_id.size()))
            .first->second;
  }
  const int n_groups = static_cast<int>(group_id.size());

  // precision[spec][col] for the full sample and each resample.
  auto evaluate = [&](const std::vector<double>& weight,
                      std::vector<std::vector<double>>* prec,
                      std::vector<std::vector<double>>* tp, double* counts) {
    prec->assign(specs.size(), std::vector<double>(columns.size()));
    if (tp) tp->assign(specs.size(), std::vector<double>(columns.size()));
    for (size_t s = 0; s < specs.size(); ++s) {
      const double n = CountFor(
          specs[s], weight,
          threshold_scores ? *threshold_scores : columns[0].scores, threshold);
      if (counts) counts[s] = n;
      for (size_t c = 0; c < columns.size(); ++c) {
        auto [t, p] = TopPrecision(orders[c], labels, weight, n);
        (*prec)[s][c] = p;
        if (tp) (*tp)[s][c] = t;
      }
    }
  };
  std::vector<double> ones(n_rows, 1.0);
  std::vector<std::vector<double>> base_prec, base_tp;
  std::vector<double> base_counts(specs.size());
  evaluate(ones, &base_prec, &base_tp, base_counts.data());

  // Bootstrap draws: boot[spec][col][b], lift_boot[spec][col][ref][b].
  const int b_count = std::max(0, options.resamples);
  std::vector<std::vector<std::vector<double>>> boot(
      specs.size(), std::vector<std::vector<double>>(columns.size()));
  std::vector<std::vector<std::vector<std::vector<double>>>> lift_boot(
      specs.size(),
      std::vector<std::vector<std::vector<double>>>(
          columns.size(), std::vector<std::vector<double>>(ref_index.size())));
  std::mt19937_64 rng(options.seed);
  std::uniform_int_distribution<int> pick(0, n_groups - 1);
  std::vector<double> group_weight(n_groups), weight(n_rows);
  std::vector<std::vector<double>> prec;
  for (int b = 0; b < b_count; ++b) {
    std::fill(group_weight.begin(), group_weight.end(), 0.0);
    for (int g = 0; g < n_groups; ++g) group_weight[pick(rng)] += 1.0;
    for (size_t i = 0; i < n_rows; ++i) weight[i] = group_weight[row_group[i]];
    evaluate(weight, &prec, nullptr, nullptr);
    for (size_t s = 0; s < specs.size(); ++s) {
      for (size_t c = 0; c < columns.size(); ++c) {
        boot[s][c].push_back(prec[s][c]);
        for (size_t r = 0; r < ref_index.size(); ++r) {
          lift_boot[s][c][r].push_back(Lift(prec[s][c], prec[s][ref_index[r]]));
        }
      }
    }
  }

  std::vector<CoverageRow> rows;
  for (size_t s = 0; s < specs.size(); ++s) {
    CoverageRow row;
    row.name = specs[s].name;
    row.count = static_cast<int>(base_counts[s]);
    row.coverage = base_counts[s] / static_cast<double>(n_rows);
    for (size_t c = 0; c < columns.size(); ++c) {
      ScorerAtCoverage sc;
      sc.scorer = columns[c].name;
      sc.precision = base_prec[s][c];
      sc.true_positives = static_cast<int>(std::lround(base_tp[s][c]));
      sc.precision_ci = Percentiles(boot[s][c]);
      for (size_t r = 0; r < ref_index.size(); ++r) {
        LiftVs l;
        l.reference = options.references[r];
        l.lift = Lift(base_prec[s][c], base_prec[s][ref_index[r]]);
        l.ci = Percentiles(lift_boot[s][c][r]);
        sc.lifts.push_back(l);
      }
      row.scorers.push_back(std::move(sc));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace pcs
