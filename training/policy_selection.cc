#include "training/policy_selection.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lifecycle/confidence_blender.h"
#include "model/metrics.h"

namespace pcs {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

metrics::BootstrapOptions Bootstrap(const PolicyOptions& o) {
  metrics::BootstrapOptions b;
  b.replicates = o.resamples;
  b.seed = o.seed;
  return b;
}

absl::Status Check(const PolicyRows& rows, const std::vector<double>& score) {
  const size_t n = rows.labels.size();
  if (n == 0)
    return absl::InvalidArgumentError("no rows to choose a policy on");
  if (rows.symbols.size() != n || rows.rule.size() != n || score.size() != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "policy rows: ", n, " labels, ", rows.symbols.size(), " symbols, ",
        rows.rule.size(), " rule and ", score.size(), " scores"));
  }
  return absl::OkStatus();
}

double Ratio(double a, double b) { return b > 0 ? a / b : kNaN; }

// Weighted confirmed / TP counts of `decide` over the rows.
struct Counts {
  double confirmed = 0;
  double tp = 0;
  double Precision() const { return Ratio(tp, confirmed); }
};

OperatingPointFigures Figures(double threshold, const Counts& c) {
  return {threshold, static_cast<int>(c.confirmed), static_cast<int>(c.tp),
          c.Precision()};
}

Counts CountAbove(const std::vector<double>& values,
                  const std::vector<int>& labels, double threshold,
                  const std::vector<int>* weights) {
  Counts c;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!(values[i] >= threshold)) continue;
    const double w = weights ? (*weights)[i] : 1;
    c.confirmed += w;
    c.tp += w * labels[i];
  }
  return c;
}

std::vector<double> Blended(const PolicyRows& rows,
                            const std::vector<double>& score, double w) {
  std::vector<double> out(score.size());
  for (size_t i = 0; i < score.size(); ++i)
    out[i] = PolicyBlend(rows.rule[i], score[i], w);
  return out;
}

std::vector<double> RuleColumn(const PolicyRows& rows) {
  std::vector<double> out(rows.rule.size());
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = PolicyBlend(rows.rule[i], 0, 0);
  return out;
}

std::vector<double> ThresholdGrid(const PolicyOptions& o) {
  std::vector<double> grid;
  const int steps = static_cast<int>(std::floor(
      (o.threshold_high - o.threshold_low) / o.threshold_step + 1e-9));
  for (int k = 0; k <= steps; ++k) {
    // Rounded to 1e-6 so thresholds print and compare exactly.
    grid.push_back(std::round((o.threshold_low + k * o.threshold_step) * 1e6) /
                   1e6);
  }
  return grid;
}

// Lower bounds of the precision difference (policy - rule) at every grid
// threshold, for one blend weight's blended column.
absl::StatusOr<std::vector<double>> DiffLowerBounds(
    const PolicyRows& rows, const std::vector<double>& blended,
    const std::vector<double>& rule, const std::vector<double>& grid,
    const PolicyOptions& o) {
  const size_t g = grid.size();
  // bin[i]: the number of grid thresholds <= blended[i].
  std::vector<int> bin(blended.size());
  for (size_t i = 0; i < blended.size(); ++i) {
    bin[i] = static_cast<int>(
        std::upper_bound(grid.begin(), grid.end(), blended[i]) - grid.begin());
  }
  std::vector<std::vector<double>> diffs(g);
  std::vector<double> conf(g + 1), tp(g + 1);
  absl::Status st = metrics::ForEachGroupResample(
      rows.symbols, Bootstrap(o), [&](const std::vector<int>& w) {
        std::fill(conf.begin(), conf.end(), 0);
        std::fill(tp.begin(), tp.end(), 0);
        for (size_t i = 0; i < bin.size(); ++i) {
          conf[bin[i]] += w[i];
          tp[bin[i]] += w[i] * rows.labels[i];
        }
        const double rule_precision =
            CountAbove(rule, rows.labels, o.rule_threshold, &w).Precision();
        double c = 0, t = 0;
        for (size_t j = g; j-- > 0;) {  // threshold grid[j]: bins > j
          c += conf[j + 1];
          t += tp[j + 1];
          diffs[j].push_back(Ratio(t, c) - rule_precision);
        }
      });
  if (!st.ok()) return st;
  std::vector<double> low(g);
  for (size_t j = 0; j < g; ++j) {
    low[j] = metrics::PercentileInterval(std::move(diffs[j])).lower;
  }
  return low;
}

WeightChoice ChooseThreshold(double w, const std::vector<double>& grid,
                             const std::vector<double>& low,
                             const std::vector<double>& blended,
                             const PolicyRows& rows, const PolicyOptions& o) {
  WeightChoice c;
  c.blend_weight = w;
  auto feasible = [&](size_t j) {
    return std::isfinite(low[j]) && low[j] >= o.min_precision_diff_ci_low &&
           CountAbove(blended, rows.labels, grid[j], nullptr).confirmed > 0;
  };
  for (size_t j = 0; j < grid.size(); ++j) {
    bool stable = true;
    for (size_t k = j;
         k < grid.size() && grid[k] <= grid[j] + o.stable_width + 1e-9; ++k) {
      stable = stable && feasible(k);
    }
    if (!stable) continue;
    c.found = true;
    c.point =
        Figures(grid[j], CountAbove(blended, rows.labels, grid[j], nullptr));
    c.precision_diff_ci_low = low[j];
    return c;
  }
  return c;
}

}  // namespace

double PolicyBlend(double rule, double score, double blend_weight) {
  return BlendConfidence(rule, score,
                         {.enabled = true, .ml_weight = blend_weight})
      .blended;
}

absl::StatusOr<PolicyChoice> ChoosePolicy(const PolicyRows& rows,
                                          const std::vector<double>& score,
                                          const PolicyOptions& o) {
  if (absl::Status s = Check(rows, score); !s.ok()) return s;
  if (o.blend_weights.empty() || !(o.threshold_step > 0)) {
    return absl::InvalidArgumentError("policy: no blend weights or step");
  }
  const std::vector<double> grid = ThresholdGrid(o);
  const std::vector<double> rule = RuleColumn(rows);
  PolicyChoice out;
  const WeightChoice* best = nullptr;
  for (double w : o.blend_weights) {
    const std::vector<double> blended = Blended(rows, score, w);
    absl::StatusOr<std::vector<double>> low =
        DiffLowerBounds(rows, blended, rule, grid, o);
    if (!low.ok()) return low.status();
    out.per_weight.push_back(ChooseThreshold(w, grid, *low, blended, rows, o));
  }
  for (const WeightChoice& c : out.per_weight) {
    if (!c.found) continue;
    if (best == nullptr ||
        c.point.true_positives > best->point.true_positives ||
        (c.point.true_positives == best->point.true_positives &&
         c.point.precision >= best->point.precision)) {
      best = &c;
    }
  }
  if (best == nullptr) return out;
  out.found = true;
  DecisionPolicy& p = out.policy;
  p.blend_weight = best->blend_weight;
  p.threshold = best->point.threshold;
  p.rule_threshold = o.rule_threshold;
  p.precision_tolerance = o.precision_tolerance;
  p.procedure = absl::StrCat(
      "for each blend weight, the lowest threshold (grid step ",
      o.threshold_step, ") at which, and up to +", o.stable_width,
      " above which, the 95% symbol-bootstrap lower bound of precision(policy) "
      "- precision(rule >= ",
      o.rule_threshold, ") is >= ", o.min_precision_diff_ci_low,
      "; then the weight with the most true positives");
  absl::StatusOr<PolicyEvidence> e =
      MeasurePolicy(rows, score, p.blend_weight, p.threshold, o);
  if (!e.ok()) return e.status();
  p.evidence = *std::move(e);
  return out;
}

absl::StatusOr<PolicyEvidence> MeasurePolicy(const PolicyRows& rows,
                                             const std::vector<double>& score,
                                             double w, double t,
                                             const PolicyOptions& o) {
  if (absl::Status s = Check(rows, score); !s.ok()) return s;
  const std::vector<double> blended = Blended(rows, score, w);
  const std::vector<double> rule = RuleColumn(rows);
  const std::vector<double> ts = {t - o.sensitivity_step, t,
                                  t + o.sensitivity_step};
  PolicyEvidence e;
  e.rows = static_cast<int>(rows.labels.size());
  const Counts rule_all =
      CountAbove(rule, rows.labels, o.rule_threshold, nullptr);
  e.rule = Figures(o.rule_threshold, rule_all);
  std::vector<std::vector<double>> diffs(ts.size());
  std::vector<double> lifts;
  for (double s : ts) {
    e.sensitivity.push_back(
        Figures(s, CountAbove(blended, rows.labels, s, nullptr)));
  }
  e.policy = e.sensitivity[1];
  e.tp_lift = Ratio(e.policy.true_positives, e.rule.true_positives) - 1;
  e.precision_diff = e.policy.precision - e.rule.precision;
  absl::Status st = metrics::ForEachGroupResample(
      rows.symbols, Bootstrap(o), [&](const std::vector<int>& wt) {
        const Counts r = CountAbove(rule, rows.labels, o.rule_threshold, &wt);
        for (size_t k = 0; k < ts.size(); ++k) {
          const Counts p = CountAbove(blended, rows.labels, ts[k], &wt);
          diffs[k].push_back(p.Precision() - r.Precision());
          if (k == 1) lifts.push_back(Ratio(p.tp, r.tp) - 1);
        }
      });
  if (!st.ok()) return st;
  for (size_t k = 0; k < ts.size(); ++k) {
    const metrics::BootstrapInterval ci =
        metrics::PercentileInterval(std::move(diffs[k]));
    e.sensitivity_precision_diff_ci_low.push_back(ci.lower);
    if (k == 1) {
      e.precision_diff_ci_low = ci.lower;
      e.precision_diff_ci_high = ci.upper;
    }
  }
  const metrics::BootstrapInterval lift =
      metrics::PercentileInterval(std::move(lifts));
  e.tp_lift_ci_low = lift.lower;
  e.tp_lift_ci_high = lift.upper;
  return e;
}

absl::StatusOr<TruePositiveComparison> CompareTruePositives(
    const PolicyRows& rows, const std::vector<double>& score_a, double w_a,
    double t_a, const std::vector<double>& score_b, double w_b, double t_b,
    const PolicyOptions& o) {
  if (absl::Status s = Check(rows, score_a); !s.ok()) return s;
  if (absl::Status s = Check(rows, score_b); !s.ok()) return s;
  const std::vector<double> a = Blended(rows, score_a, w_a);
  const std::vector<double> b = Blended(rows, score_b, w_b);
  TruePositiveComparison out;
  out.true_positives_a =
      static_cast<int>(CountAbove(a, rows.labels, t_a, nullptr).tp);
  out.true_positives_b =
      static_cast<int>(CountAbove(b, rows.labels, t_b, nullptr).tp);
  out.lift = Ratio(out.true_positives_a, out.true_positives_b) - 1;
  std::vector<double> lifts;
  absl::Status st = metrics::ForEachGroupResample(
      rows.symbols, Bootstrap(o), [&](const std::vector<int>& wt) {
        lifts.push_back(Ratio(CountAbove(a, rows.labels, t_a, &wt).tp,
                              CountAbove(b, rows.labels, t_b, &wt).tp) -
                        1);
      });
  if (!st.ok()) return st;
  const metrics::BootstrapInterval ci =
      metrics::PercentileInterval(std::move(lifts));
  out.ci = {ci.lower, ci.upper};
  return out;
}

nlohmann::json WeightChoicesJson(const std::vector<WeightChoice>& choices) {
  auto num = [](double v) -> nlohmann::json {
    if (!std::isfinite(v)) return nullptr;
    return v;
  };
  nlohmann::json out = nlohmann::json::array();
  for (const WeightChoice& c : choices) {
    nlohmann::json j = {{"blend_weight", c.blend_weight}, {"found", c.found}};
    if (c.found) {
      j["threshold"] = c.point.threshold;
      j["confirmed"] = c.point.confirmed;
      j["true_positives"] = c.point.true_positives;
      j["precision"] = num(c.point.precision);
      j["precision_diff_ci95_low"] = num(c.precision_diff_ci_low);
    }
    out.push_back(j);
  }
  return out;
}

}  // namespace pcs
