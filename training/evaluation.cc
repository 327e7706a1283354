#include "training/evaluation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lifecycle/confidence_blender.h"
#include "model/metrics.h"

namespace pcs {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// JSON has no NaN: write null.
nlohmann::json Num(double v) {
  if (std::isnan(v) || std::isinf(v)) return nullptr;
  return v;
}

nlohmann::json CurveJson(const std::vector<CurvePoint>& c) {
  nlohmann::json a = nlohmann::json::array();
  for (const CurvePoint& p : c) a.push_back({Num(p.x), Num(p.y)});
  return a;
}

nlohmann::json BinsJson(const std::vector<ReliabilityBin>& bins) {
  nlohmann::json a = nlohmann::json::array();
  for (const ReliabilityBin& b : bins) {
    a.push_back({{"lower", b.lower},
                 {"upper", b.upper},
                 {"count", b.count},
                 {"mean_predicted", b.mean_predicted},
                 {"observed_rate", b.observed_rate}});
  }
  return a;
}

// Scalar metrics come from model/metrics.h (shared with monitoring);
// training/curves.h only draws the plots.
double RocAuc(const std::vector<double>& s, const std::vector<int>& y) {
  return metrics::RocAuc(s, y);
}

double PrecisionAt(const std::vector<double>& s, const std::vector<int>& y,
                   double coverage) {
  return metrics::PrecisionAtCoverage(s, y, coverage);
}

std::vector<PatternTypeSummary> PerType(const EvaluationInput& in) {
  std::map<std::string, std::vector<int>> rows;
  for (size_t i = 0; i < in.labels.size(); ++i)
    rows[in.pattern_types[i]].push_back(i);
  std::vector<PatternTypeSummary> out;
  for (const auto& [type, idx] : rows) {
    std::vector<double> m, r;
    std::vector<int> y;
    for (int i : idx) {
      m.push_back(in.model[i]);
      r.push_back(in.rule[i]);
      y.push_back(in.labels[i]);
    }
    PatternTypeSummary t;
    t.pattern_type = type;
    t.count = static_cast<int>(idx.size());
    for (int l : y) t.positives += l;
    t.model_roc_auc = RocAuc(m, y);
    t.rule_roc_auc = RocAuc(r, y);
    t.model_precision_at_30 = PrecisionAt(m, y, 0.3);
    t.rule_precision_at_30 = PrecisionAt(r, y, 0.3);
    double sum = 0;
    for (double v : m) sum += v;
    t.mean_model_probability = sum / m.size();
    out.push_back(t);
  }
  return out;
}

}  // namespace

const std::vector<std::string>& EvaluationScorerNames() {
  static const std::vector<std::string>* names = new std::vector<std::string>{
      "model", "rule", "blend", "type_base_rate", "analytic"};
  return *names;
}

const ScorerSummary* EvaluationReport::Scorer(const std::string& name) const {
  for (const ScorerSummary& s : scorers) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const CoverageRow* EvaluationReport::Row(const std::string& name) const {
  for (const CoverageRow& r : coverage) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

const ScorerAtCoverage* FindScorer(const CoverageRow& row,
                                   const std::string& name) {
  for (const ScorerAtCoverage& s : row.scorers) {
    if (s.scorer == name) return &s;
  }
  return nullptr;
}

double LiftOf(const CoverageRow& row, const std::string& scorer,
              const std::string& reference) {
  const ScorerAtCoverage* s = FindScorer(row, scorer);
  if (s == nullptr) return kNaN;
  for (const LiftVs& l : s->lifts) {
    if (l.reference == reference) return l.lift;
  }
  return kNaN;
}

absl::StatusOr<EvaluationReport> Evaluate(const EvaluationInput& in) {
  const size_t n = in.labels.size();
  if (n == 0) return absl::InvalidArgumentError("no patterns to evaluate");
  for (const auto* v :
       {&in.model, &in.rule, &in.type_base_rate, &in.analytic}) {
    if (v->size() != n)
      return absl::InvalidArgumentError("score column size mismatch");
  }
  if (in.ids.size() != n || in.symbols.size() != n ||
      in.pattern_types.size() != n) {
    return absl::InvalidArgumentError("id/symbol/type column size mismatch");
  }
  std::vector<double> blend(n);
  for (size_t i = 0; i < n; ++i) {
    // The serving blend, clamping included (lifecycle/confidence_blender.h).
    blend[i] = BlendConfidence(in.rule[i], in.model[i], {true, in.blend_weight})
                   .blended;
  }
  const std::vector<const std::vector<double>*> cols = {
      &in.model, &in.rule, &blend, &in.type_base_rate, &in.analytic};
  std::vector<ScorerColumn> columns;
  for (size_t c = 0; c < cols.size(); ++c) {
    columns.push_back({EvaluationScorerNames()[c], *cols[c]});
  }
  MatchedCoverageOptions mo;
  mo.coverages = in.coverages;
  mo.threshold_scorer = "rule";
  mo.threshold = in.rule_threshold;
  mo.references = {"rule", "type_base_rate", "analytic"};
  mo.resamples = in.resamples;
  mo.seed = in.seed;
  absl::StatusOr<std::vector<CoverageRow>> coverage =
      EvaluateMatchedCoverage(in.labels, in.symbols, columns, mo);
  if (!coverage.ok()) return coverage.status();

  EvaluationReport r;
  r.rows = static_cast<int>(n);
  for (int l : in.labels) r.positives += l;
  r.symbols = static_cast<int>(
      std::set<std::string>(in.symbols.begin(), in.symbols.end()).size());
  r.blend_weight = in.blend_weight;
  r.resamples = in.resamples;
  r.coverage = *std::move(coverage);
  for (const ScorerColumn& c : columns) {
    ScorerSummary s;
    s.name = c.name;
    s.roc = RocCurve(c.scores, in.labels);
    s.roc_auc = RocAuc(c.scores, in.labels);
    s.pr = PrecisionRecallCurve(c.scores, in.labels);
    s.pr_auc = metrics::AveragePrecision(c.scores, in.labels);
    s.brier = metrics::BrierScore(c.scores, in.labels);
    s.ece = metrics::ExpectedCalibrationError(c.scores, in.labels);
    s.precision_coverage = PrecisionCoverageCurve(c.scores, in.labels);
    r.scorers.push_back(std::move(s));
  }
  r.model_reliability = Reliability(in.model, in.labels);
  r.blend_reliability = Reliability(blend, in.labels);
  r.per_type = PerType(in);
  return r;
}

nlohmann::json ToJson(const EvaluationReport& r) {
  nlohmann::json j;
  j["rows"] = r.rows;
  j["positives"] = r.positives;
  j["base_rate"] = r.rows ? static_cast<double>(r.positives) / r.rows : 0.0;
  j["symbols"] = r.symbols;
  j["blend_weight"] = r.blend_weight;
  j["bootstrap_resamples"] = r.resamples;
  nlohmann::json cov = nlohmann::json::array();
  for (const CoverageRow& row : r.coverage) {
    nlohmann::json jr = {
        {"name", row.name}, {"coverage", row.coverage}, {"count", row.count}};
    for (const ScorerAtCoverage& s : row.scorers) {
      nlohmann::json js = {
          {"precision", Num(s.precision)},
          {"precision_ci95",
           {Num(s.precision_ci.low), Num(s.precision_ci.high)}},
          {"true_positives", s.true_positives}};
      for (const LiftVs& l : s.lifts) {
        js["lift_vs_" + l.reference] = {
            {"lift", Num(l.lift)}, {"ci95", {Num(l.ci.low), Num(l.ci.high)}}};
      }
      jr["scorers"][s.scorer] = js;
    }
    cov.push_back(jr);
  }
  j["matched_coverage"] = cov;
  for (const ScorerSummary& s : r.scorers) {
    j["scorers"][s.name] = {
        {"roc_auc", Num(s.roc_auc)},
        {"pr_auc", Num(s.pr_auc)},
        {"brier", Num(s.brier)},
        {"ece", Num(s.ece)},
        {"precision_coverage", CurveJson(s.precision_coverage)}};
  }
  j["reliability"]["model"] = BinsJson(r.model_reliability);
  j["reliability"]["blend"] = BinsJson(r.blend_reliability);
  nlohmann::json types = nlohmann::json::array();
  for (const PatternTypeSummary& t : r.per_type) {
    types.push_back(
        {{"pattern_type", t.pattern_type},
         {"count", t.count},
         {"positives", t.positives},
         {"model_roc_auc", Num(t.model_roc_auc)},
         {"rule_roc_auc", Num(t.rule_roc_auc)},
         {"model_precision_at_30", Num(t.model_precision_at_30)},
         {"rule_precision_at_30", Num(t.rule_precision_at_30)},
         {"mean_model_probability", Num(t.mean_model_probability)}});
  }
  j["per_pattern_type"] = types;
  return j;
}

}  // namespace pcs
