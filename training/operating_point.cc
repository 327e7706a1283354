#include "training/operating_point.h"

#include <cmath>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pcs {
namespace {

nlohmann::json Num(double v) {
  if (!std::isfinite(v)) return nullptr;
  return v;
}

nlohmann::json PointJson(const OperatingPointFigures& p) {
  return {{"threshold", Num(p.threshold)},
          {"confirmed", p.confirmed},
          {"true_positives", p.true_positives},
          {"precision", Num(p.precision)}};
}

nlohmann::json MoneyJson(const MoneyFigures& m) {
  return {{"confirmed", m.confirmed},         {"mean_pnl", Num(m.mean_pnl)},
          {"sum_pnl", Num(m.sum_pnl)},        {"with_r_multiple", m.with_r},
          {"mean_r_multiple", Num(m.mean_r)}, {"sum_r_multiple", Num(m.sum_r)}};
}

MoneyFigures Money(const std::vector<double>& decision_score, double threshold,
                   const std::vector<double>& pnl,
                   const std::vector<double>& r) {
  MoneyFigures m;
  for (size_t i = 0; i < decision_score.size(); ++i) {
    if (!(decision_score[i] >= threshold)) continue;
    ++m.confirmed;
    m.sum_pnl += pnl[i];
    if (std::isfinite(r[i])) {
      ++m.with_r;
      m.sum_r += r[i];
    }
  }
  m.mean_pnl = m.confirmed ? m.sum_pnl / m.confirmed : NAN;
  m.mean_r = m.with_r ? m.sum_r / m.with_r : NAN;
  return m;
}

std::vector<double> Blend(const EvaluationInput& in,
                          const std::vector<double>& score, double w) {
  std::vector<double> out(score.size());
  for (size_t i = 0; i < score.size(); ++i)
    out[i] = PolicyBlend(in.rule[i], score[i], w);
  return out;
}

std::string Prec(double v) {
  return std::isnan(v) ? "n/a" : absl::StrFormat("%.2f%%", 100 * v);
}
std::string Pct(double v) {
  return std::isfinite(v) ? absl::StrFormat("%+.1f%%", 100 * v) : "n/a";
}

}  // namespace

AppliedPolicies PoliciesOf(const ModelCard& card) {
  AppliedPolicies a;
  const ServedPolicy served = card.Served();
  a.blend_weight = served.blend_weight;
  a.threshold = served.threshold;
  a.from_card = served.from_card;
  a.analytic_blend_weight = served.blend_weight;
  a.analytic_threshold = served.threshold;
  if (card.policy.has_value()) {
    a.rule_threshold = card.policy->rule_threshold;
    if (card.policy->has_analytic) {
      a.analytic_from_card = true;
      a.analytic_blend_weight = card.policy->analytic_blend_weight;
      a.analytic_threshold = card.policy->analytic_threshold;
    }
  }
  return a;
}

absl::StatusOr<OperatingPoint> MeasureOperatingPoint(
    const EvaluationInput& in, const std::vector<double>& pnl,
    const std::vector<double>& r, const AppliedPolicies& a) {
  if (pnl.size() != in.labels.size() || r.size() != in.labels.size()) {
    return absl::InvalidArgumentError("pnl / R columns do not match the rows");
  }
  PolicyOptions o;
  o.rule_threshold = a.rule_threshold;
  o.resamples = in.resamples > 0 ? in.resamples : 1000;
  o.seed = in.seed;
  const PolicyRows rows{in.symbols, in.labels, in.rule};
  OperatingPoint op;
  op.policies = a;
  absl::StatusOr<PolicyEvidence> model =
      MeasurePolicy(rows, in.model, a.blend_weight, a.threshold, o);
  if (!model.ok()) return model.status();
  op.model = *std::move(model);
  absl::StatusOr<TruePositiveComparison> vs = CompareTruePositives(
      rows, in.model, a.blend_weight, a.threshold, in.analytic,
      a.analytic_blend_weight, a.analytic_threshold, o);
  if (!vs.ok()) return vs.status();
  op.tp_lift_vs_analytic = vs->lift;
  op.tp_lift_vs_analytic_ci = vs->ci;
  const std::vector<double> model_blend = Blend(in, in.model, a.blend_weight);
  const std::vector<double> analytic_blend =
      Blend(in, in.analytic, a.analytic_blend_weight);
  const std::vector<double> rule = Blend(in, in.model, 0);
  op.money_rule = Money(rule, a.rule_threshold, pnl, r);
  op.money_model = Money(model_blend, a.threshold, pnl, r);
  op.money_analytic = Money(analytic_blend, a.analytic_threshold, pnl, r);
  op.analytic.threshold = a.analytic_threshold;
  for (size_t i = 0; i < analytic_blend.size(); ++i) {
    if (analytic_blend[i] >= a.analytic_threshold) {
      ++op.analytic.confirmed;
      op.analytic.true_positives += in.labels[i];
    }
  }
  op.analytic.precision =
      op.analytic.confirmed ? static_cast<double>(op.analytic.true_positives) /
                                  op.analytic.confirmed
                            : NAN;
  return op;
}

nlohmann::json OperatingPointJson(const OperatingPoint& op) {
  const AppliedPolicies& a = op.policies;
  const PolicyEvidence& e = op.model;
  nlohmann::json model = PointJson(e.policy);
  model["blend_weight"] = a.blend_weight;
  model["policy_from_card"] = a.from_card;
  nlohmann::json analytic = PointJson(op.analytic);
  analytic["blend_weight"] = a.analytic_blend_weight;
  analytic["policy_from_card"] = a.analytic_from_card;
  nlohmann::json sensitivity = nlohmann::json::array();
  for (const OperatingPointFigures& s : e.sensitivity)
    sensitivity.push_back(PointJson(s));
  return {{"rule", PointJson(e.rule)},
          {"model", model},
          {"analytic", analytic},
          {"tp_lift",
           {{"lift", Num(e.tp_lift)},
            {"ci95", {Num(e.tp_lift_ci_low), Num(e.tp_lift_ci_high)}}}},
          {"precision_diff",
           {{"diff", Num(e.precision_diff)},
            {"ci95",
             {Num(e.precision_diff_ci_low), Num(e.precision_diff_ci_high)}}}},
          {"tp_lift_vs_analytic",
           {{"lift", Num(op.tp_lift_vs_analytic)},
            {"ci95",
             {Num(op.tp_lift_vs_analytic_ci.low),
              Num(op.tp_lift_vs_analytic_ci.high)}}}},
          {"sensitivity", sensitivity},
          {"money",
           {{"rule", MoneyJson(op.money_rule)},
            {"model", MoneyJson(op.money_model)},
            {"analytic", MoneyJson(op.money_analytic)},
            {"definition",
             "realized_pnl = signed (exit - entry) / entry of each confirmed "
             "pattern (triple-barrier exit); R multiple = realized_pnl / "
             "(|entry - stop| / entry)"}}}};
}

std::string OperatingPointMarkdown(const OperatingPoint& op) {
  const AppliedPolicies& a = op.policies;
  const PolicyEvidence& e = op.model;
  std::string md = absl::StrCat(
      "## Operating point (the card's decision policy, applied unchanged)\n\n",
      a.from_card ? "Policy from the model card"
                  : "The card has NO decision policy: the pre-policy default "
                    "(serving.blend_weight, serving.decision_threshold) is "
                    "applied",
      ": confirm when ", a.blend_weight, " * model + ", 1 - a.blend_weight,
      " * rule >= ", a.threshold, ". Analytic: ", a.analytic_blend_weight,
      " * analytic + ", 1 - a.analytic_blend_weight,
      " * rule >= ", a.analytic_threshold,
      a.analytic_from_card ? " (its own policy from the card)"
                           : " (the model's policy reused)",
      ".\n\n| decision | confirmed | true positives | precision |\n"
      "|---|---|---|---|\n");
  auto row = [&](const std::string& name, const OperatingPointFigures& p) {
    absl::StrAppend(&md, "| ", name, " | ", p.confirmed, " | ",
                    p.true_positives, " | ", Prec(p.precision), " |\n");
  };
  row(absl::StrCat("rule-only (rule >= ", e.rule.threshold, ")"), e.rule);
  row("model policy", e.policy);
  row("analytic policy", op.analytic);
  absl::StrAppend(
      &md, "\nTrue positives vs rule-only: ", Pct(e.tp_lift), " (95% CI ",
      Pct(e.tp_lift_ci_low), "..", Pct(e.tp_lift_ci_high),
      "); precision difference: ",
      absl::StrFormat("%+.2f points (95%% CI %+.2f..%+.2f)",
                      100 * e.precision_diff, 100 * e.precision_diff_ci_low,
                      100 * e.precision_diff_ci_high),
      "; true positives vs the analytic policy: ", Pct(op.tp_lift_vs_analytic),
      " (95% CI ", Pct(op.tp_lift_vs_analytic_ci.low), "..",
      Pct(op.tp_lift_vs_analytic_ci.high),
      "). Intervals: symbol bootstrap.\n\n"
      "## Money view\n\nRealized PnL per confirmed pattern (signed "
      "(exit - entry) / entry at the triple-barrier exit) and R multiple "
      "(PnL / stop distance).\n\n| confirmations of | n | mean PnL | sum PnL "
      "| mean R | sum R |\n|---|---|---|---|---|---|\n");
  auto money = [&](const std::string& name, const MoneyFigures& m) {
    absl::StrAppend(&md, "| ", name, " | ", m.confirmed, " | ",
                    absl::StrFormat("%+.4f", m.mean_pnl), " | ",
                    absl::StrFormat("%+.2f", m.sum_pnl), " | ",
                    absl::StrFormat("%+.3f", m.mean_r), " | ",
                    absl::StrFormat("%+.1f", m.sum_r), " |\n");
  };
  money("rule-only", op.money_rule);
  money("model policy", op.money_model);
  money("analytic policy", op.money_analytic);
  absl::StrAppend(&md, "\n");
  return md;
}

absl::Status WritePredictionsCsv(const std::string& path,
                                 const EvaluationInput& in,
                                 const std::vector<std::string>& days,
                                 const AppliedPolicies& a) {
  std::ofstream out(path, std::ios::trunc);
  auto num = [](double v) {
    return std::isfinite(v) ? absl::StrFormat("%.6f", v) : std::string();
  };
  out << "id,symbol,type,decision_day,label,rule,analytic,model,blended,"
         "decision\n";
  for (size_t i = 0; i < in.labels.size(); ++i) {
    const double blended = PolicyBlend(in.rule[i], in.model[i], a.blend_weight);
    out << in.ids[i] << ',' << in.symbols[i] << ',' << in.pattern_types[i]
        << ',' << (i < days.size() ? days[i] : "") << ',' << in.labels[i] << ','
        << num(in.rule[i]) << ',' << num(in.analytic[i]) << ','
        << num(in.model[i]) << ',' << num(blended) << ','
        << (blended >= a.threshold ? "confirm" : "reject") << '\n';
  }
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace pcs
