#include "training/promotion_gate.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace pcs {
namespace {

nlohmann::json Num(double v) {
  if (!std::isfinite(v)) return nullptr;
  return v;
}

std::string Pct(double v) { return absl::StrFormat("%+.1f%%", 100 * v); }
std::string Points(double v) {
  return absl::StrFormat("%+.2f points", 100 * v);
}

// NaN never passes: every comparison below is written so NaN is false.
std::vector<GateCheck> Checks(const GateDecision& d, const GateOptions& o) {
  const PolicyEvidence& m = d.policy.model;
  const GatePolicyFigures& p = d.policy;
  std::vector<GateCheck> c;
  c.push_back({"policy_found", p.policy_found,
               p.policy_found
                   ? "a policy meets the precision constraint"
                   : "no (blend weight, threshold) keeps the precision "
                     "difference's lower bound >= 0"});
  c.push_back(
      {"tp_lift",
       m.tp_lift >= o.min_tp_lift && m.tp_lift_ci_low > o.min_tp_lift_ci_low,
       absl::StrCat("true positives vs rule-only ", Pct(m.tp_lift), " (95% CI ",
                    Pct(m.tp_lift_ci_low), "..", Pct(m.tp_lift_ci_high),
                    "; required >= ", Pct(o.min_tp_lift),
                    " with the lower bound above ", Pct(o.min_tp_lift_ci_low),
                    ")")});
  c.push_back({"precision_diff",
               m.precision_diff >= o.min_precision_diff &&
                   m.precision_diff_ci_low >= o.min_precision_diff_ci_low,
               absl::StrCat("precision vs rule-only ", Points(m.precision_diff),
                            " (95% CI ", Points(m.precision_diff_ci_low), "..",
                            Points(m.precision_diff_ci_high),
                            "; required >= ", Points(o.min_precision_diff),
                            " with the lower bound >= ",
                            Points(o.min_precision_diff_ci_low), ")")});
  c.push_back(
      {"ece", d.ece <= o.max_ece,
       absl::StrFormat("ECE %.4f (required <= %.4f)", d.ece, o.max_ece)});
  c.push_back(
      {"coverage_lift", d.coverage_lift_ci.low > o.min_coverage_lift_ci_low,
       absl::StrCat(
           "precision lift vs rule at ", o.coverage_row, " coverage ",
           Pct(d.coverage_lift), " (95% CI ", Pct(d.coverage_lift_ci.low), "..",
           Pct(d.coverage_lift_ci.high), "; lower bound required above ",
           Pct(o.min_coverage_lift_ci_low), ")")});
  c.push_back(
      {"tp_vs_analytic", p.tp_vs_analytic_ci.low > o.min_tp_vs_analytic_ci_low,
       absl::StrCat(
           "true positives vs the analytic baseline at its own policy ",
           Pct(p.tp_vs_analytic), " (95% CI ", Pct(p.tp_vs_analytic_ci.low),
           "..", Pct(p.tp_vs_analytic_ci.high), "; lower bound required above ",
           Pct(o.min_tp_vs_analytic_ci_low), ")")});
  return c;
}

}  // namespace

GateDecision EvaluateGate(const EvaluationReport& pooled,
                          const GatePolicyFigures& policy,
                          const GateOptions& o) {
  GateDecision d;
  d.policy = policy;
  d.coverage_lift = d.coverage_lift_ci.low = d.coverage_lift_ci.high = NAN;
  d.ece = NAN;
  if (const CoverageRow* row = pooled.Row(o.coverage_row)) {
    d.coverage_lift = LiftOf(*row, "model", "rule");
    if (const ScorerAtCoverage* m = FindScorer(*row, "model")) {
      for (const LiftVs& l : m->lifts) {
        if (l.reference == "rule") d.coverage_lift_ci = l.ci;
      }
    }
  }
  if (const ScorerSummary* model = pooled.Scorer("model")) d.ece = model->ece;
  d.coverage_goal_met = d.coverage_lift >= o.coverage_lift_goal;
  if (!policy.policy_found) {
    d.policy.model.tp_lift = d.policy.model.tp_lift_ci_low = NAN;
    d.policy.model.precision_diff = d.policy.model.precision_diff_ci_low = NAN;
  }
  d.checks = Checks(d, o);
  std::vector<std::string> failed, facts;
  for (const GateCheck& c : d.checks) {
    if (!c.passed) failed.push_back(c.name);
    if (c.name != "policy_found") facts.push_back(c.text);
  }
  d.promote = failed.empty();
  const std::string goal = absl::StrCat(
      "goal (not gated): ", Pct(o.coverage_lift_goal), " at ", o.coverage_row,
      " coverage, ", d.coverage_goal_met ? "met" : "not met");
  d.reason = absl::StrCat(
      d.promote ? "promoted: "
                : absl::StrCat(
                      "rejected (failed: ", absl::StrJoin(failed, ", "), "): "),
      absl::StrJoin(facts, "; "), "; ", goal);
  return d;
}

nlohmann::json GateJson(const GateDecision& d, const GateOptions& o) {
  nlohmann::json checks = nlohmann::json::array();
  for (const GateCheck& c : d.checks) {
    checks.push_back(
        {{"name", c.name}, {"passed", c.passed}, {"text", c.text}});
  }
  const PolicyEvidence& m = d.policy.model;
  return {
      {"passed", d.promote},
      {"reason", d.reason},
      {"evaluated_on", "pooled walk-forward out-of-sample predictions"},
      {"checks", checks},
      {"bars",
       {{"min_tp_lift", o.min_tp_lift},
        {"min_tp_lift_ci_low_exclusive", o.min_tp_lift_ci_low},
        {"min_precision_diff", o.min_precision_diff},
        {"min_precision_diff_ci_low", o.min_precision_diff_ci_low},
        {"max_ece", o.max_ece},
        {"coverage_row", o.coverage_row},
        {"min_coverage_lift_ci_low_exclusive", o.min_coverage_lift_ci_low},
        {"min_tp_vs_analytic_ci_low_exclusive", o.min_tp_vs_analytic_ci_low},
        {"coverage_lift_goal", o.coverage_lift_goal}}},
      {"policy_found", d.policy.policy_found},
      {"tp_lift", Num(m.tp_lift)},
      {"tp_lift_ci95", {Num(m.tp_lift_ci_low), Num(m.tp_lift_ci_high)}},
      {"precision_diff", Num(m.precision_diff)},
      {"precision_diff_ci95",
       {Num(m.precision_diff_ci_low), Num(m.precision_diff_ci_high)}},
      {"ece", Num(d.ece)},
      {"coverage_lift_vs_rule", Num(d.coverage_lift)},
      {"coverage_lift_vs_rule_ci95",
       {Num(d.coverage_lift_ci.low), Num(d.coverage_lift_ci.high)}},
      {"coverage_goal_met", d.coverage_goal_met},
      {"analytic_policy",
       {{"found", d.policy.analytic_found},
        {"blend_weight", d.policy.analytic_blend_weight},
        {"threshold", d.policy.analytic_threshold},
        {"confirmed", d.policy.analytic.policy.confirmed},
        {"true_positives", d.policy.analytic.policy.true_positives},
        {"precision", Num(d.policy.analytic.policy.precision)}}},
      {"tp_vs_analytic", Num(d.policy.tp_vs_analytic)},
      {"tp_vs_analytic_ci95",
       {Num(d.policy.tp_vs_analytic_ci.low),
        Num(d.policy.tp_vs_analytic_ci.high)}}};
}

}  // namespace pcs
