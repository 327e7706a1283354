#include "training/walk_forward_report.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace pcs {
namespace {

std::string Pct(double v) {
  return std::isnan(v) ? "n/a" : absl::StrFormat("%.1f%%", 100 * v);
}
std::string Signed(double v) {
  return std::isnan(v) ? "n/a" : absl::StrFormat("%+.1f%%", 100 * v);
}
std::string Ci(const Interval& ci) {
  return absl::StrCat("[", Signed(ci.low), ", ", Signed(ci.high), "]");
}

std::string ParamsText(const TrainParams& p, const std::vector<int>& rounds) {
  return absl::StrCat(p.objective,
                      p.monotone_constraints.empty() ? "" : " monotone",
                      ", depth ", p.max_depth, ", mcw ", p.min_child_weight,
                      ", eta ", p.eta, ", trees ", absl::StrJoin(rounds, "+"));
}

std::string Prec(double v) {
  return std::isnan(v) ? "n/a" : absl::StrFormat("%.2f%%", 100 * v);
}
std::string PointsText(double v) {
  return std::isnan(v) ? "n/a" : absl::StrFormat("%+.2f", 100 * v);
}

std::string PointRow(const std::string& name, double w,
                     const OperatingPointFigures& p, double diff_low) {
  return absl::StrCat("| ", name, " | ", absl::StrFormat("%.2f", w), " | ",
                      absl::StrFormat("%.3f", p.threshold), " | ", p.confirmed,
                      " | ", p.true_positives, " | ", Prec(p.precision), " | ",
                      PointsText(diff_low), " |\n");
}

}  // namespace

std::string PolicyMarkdown(const TrainRunResult& r, const TrainerConfig& c) {
  std::string md =
      "## Decision policy (chosen on the pooled out-of-sample predictions)\n\n"
      "Confirm when w * model + (1 - w) * rule >= t. For each w, the lowest t "
      "at which (and up to +0.02 above which) the 95% symbol-bootstrap lower "
      "bound of precision(policy) - precision(rule >= ";
  absl::StrAppend(&md, c.rule_threshold,
                  ") is >= 0; then the w with the most true positives. "
                  "Diff low = that lower bound, in points.\n\n"
                  "| scorer | w | t | confirmed | TP | precision | diff low "
                  "|\n|---|---|---|---|---|---|---|\n");
  for (const WeightChoice& w : r.policy.per_weight) {
    if (w.found)
      absl::StrAppend(&md, PointRow("model", w.blend_weight, w.point,
                                    w.precision_diff_ci_low));
  }
  for (const WeightChoice& w : r.analytic_policy.per_weight) {
    if (w.found)
      absl::StrAppend(&md, PointRow("analytic", w.blend_weight, w.point,
                                    w.precision_diff_ci_low));
  }
  if (!r.policy.found) {
    absl::StrAppend(&md, "\nNo policy meets the precision constraint.\n\n");
    return md;
  }
  const DecisionPolicy& p = r.policy.policy;
  const PolicyEvidence& e = p.evidence;
  absl::StrAppend(
      &md, "\n**Chosen: w = ", p.blend_weight, ", t = ", p.threshold,
      ".** Rule-only (rule >= ", e.rule.threshold, "): ", e.rule.confirmed,
      " confirmed, ", e.rule.true_positives, " TP, precision ",
      Prec(e.rule.precision), ". Policy: ", e.policy.confirmed, " confirmed, ",
      e.policy.true_positives, " TP, precision ", Prec(e.policy.precision),
      ". TP lift ", Signed(e.tp_lift), " [", Signed(e.tp_lift_ci_low), ", ",
      Signed(e.tp_lift_ci_high), "], precision difference ",
      PointsText(e.precision_diff), " points [",
      PointsText(e.precision_diff_ci_low), ", ",
      PointsText(e.precision_diff_ci_high),
      "].\n\n"
      "Sensitivity (same w):\n\n| t | confirmed | TP | precision | diff "
      "low |\n|---|---|---|---|---|\n");
  for (size_t i = 0; i < e.sensitivity.size(); ++i) {
    const OperatingPointFigures& s = e.sensitivity[i];
    absl::StrAppend(&md, "| ", absl::StrFormat("%.3f", s.threshold), " | ",
                    s.confirmed, " | ", s.true_positives, " | ",
                    Prec(s.precision), " | ",
                    PointsText(e.sensitivity_precision_diff_ci_low[i]), " |\n");
  }
  absl::StrAppend(&md,
                  "\n## Gate checks\n\n| check | passed | figures "
                  "|\n|---|---|---|\n");
  for (const GateCheck& g : r.gate.checks) {
    absl::StrAppend(&md, "| ", g.name, " | ", g.passed ? "yes" : "NO", " | ",
                    g.text, " |\n");
  }
  absl::StrAppend(&md, "\n");
  return md;
}

std::string WalkForwardMarkdown(const TrainRunResult& r,
                                const TrainerConfig& c) {
  const std::string& row = c.gate.coverage_row;
  std::string md = absl::StrCat(
      "## Walk-forward folds\n\nEach fold's model is chosen on the ",
      c.walk_forward.validation_years,
      " validation years before its test period and trained on "
      "everything earlier (purge + embargo at both boundaries); the test "
      "period is only scored. "
      "Lift = model precision / rule precision - 1 at ",
      row,
      " coverage within the fold.\n\n"
      "| fold | test period | train | validation | test | purged (train+valid) "
      "| chosen on "
      "validation | model AUC | rule AUC | model ECE | model prec | rule prec "
      "| lift vs rule |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const FoldSummary& f : r.folds) {
    const CoverageRow* cr = f.test.Row(row);
    double mp = NAN, rp = NAN, lift = NAN;
    Interval ci;
    if (cr) {
      mp = FindScorer(*cr, "model")->precision;
      rp = FindScorer(*cr, "rule")->precision;
      lift = LiftOf(*cr, "model", "rule");
      for (const LiftVs& l : FindScorer(*cr, "model")->lifts) {
        if (l.reference == "rule") ci = l.ci;
      }
    }
    absl::StrAppend(
        &md, "| ", f.name, " | ", f.test_first, "..", f.test_last, " | ",
        f.counts.train, " | ", f.counts.validation, " | ", f.counts.holdout,
        " | ", f.counts.purged_train, "+", f.counts.purged_validation, " | ",
        f.chosen, " (", ParamsText(f.params, f.member_rounds), ") | ",
        absl::StrFormat("%.3f", f.test.Scorer("model")->roc_auc), " | ",
        absl::StrFormat("%.3f", f.test.Scorer("rule")->roc_auc), " | ",
        absl::StrFormat("%.4f", f.test.Scorer("model")->ece), " | ", Pct(mp),
        " | ", Pct(rp), " | ", Signed(lift), " ", Ci(ci), " |\n");
  }
  const IsoPrecision& iso = r.iso_precision;
  absl::StrAppend(&md,
                  "\n## Iso-precision (second figure)\n\nAt the rule's own "
                  "operating point (rule "
                  "confidence >= ",
                  c.rule_threshold, "): the rule confirms ", iso.rule_count,
                  " patterns at precision ", Pct(iso.rule_precision), " (",
                  iso.rule_true_positives,
                  " true positives). The model's largest top-n with precision "
                  "at least as high confirms ",
                  iso.model_count, " patterns at ", Pct(iso.model_precision),
                  " (", iso.model_true_positives, " true positives): ",
                  absl::StrFormat("%+d", iso.extra_true_positives),
                  " true positives, ", Signed(iso.extra_relative), " ",
                  Ci(iso.extra_relative_ci), " (95% symbol bootstrap).\n\n");
  absl::StrAppend(
      &md,
      "## Levers (pooled out-of-sample, each fitted in every fold)\n\n"
      "Every lever is fitted in every fold on the same rows; the procedure "
      "picks one per fold "
      "on validation only (column 'chosen in'). These test figures are "
      "reported, never used "
      "to choose.\n\n| lever | chosen in folds | AUC | ECE | precision at ",
      row,
      " | lift vs rule | per-fold lifts |\n|---|---|---|---|---|---|---|\n");
  for (const LeverSummary& l : r.levers) {
    std::vector<std::string> folds;
    for (double v : l.fold_lifts) folds.push_back(Signed(v));
    absl::StrAppend(&md, "| ", l.name, " | ", l.folds_chosen, " | ",
                    absl::StrFormat("%.3f", l.roc_auc), " | ",
                    absl::StrFormat("%.4f", l.ece), " | ",
                    Pct(l.precision_at_gate), " | ",
                    Signed(l.lift_vs_rule_at_gate), " ", Ci(l.lift_ci), " | ",
                    absl::StrJoin(folds, ", "), " |\n");
  }
  absl::StrAppend(
      &md, "\n## Served model\n\nChosen on the final window (validation = the ",
      c.walk_forward.validation_years, " years up to ",
      FormatDay(c.walk_forward.test_end), "): ", r.chosen, " (",
      ParamsText(r.selected, r.member_rounds), "), refit on ", r.refit_rows,
      " rows. The refit has no holdout of its own: the figures above are the "
      "evidence for the procedure that produced it.\n\n");
  return md;
}

}  // namespace pcs
