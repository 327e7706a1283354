#include "training/report_writer.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "training/svg_plot.h"

namespace pcs {
namespace {

const char* ColorOf(const std::string& scorer) {
  if (scorer == "model") return "#d62728";
  if (scorer == "rule") return "#1f77b4";
  if (scorer == "blend") return "#9467bd";
  if (scorer == "type_base_rate") return "#7f7f7f";
  return "#2ca02c";  // analytic
}

std::string Label(const std::string& scorer) {
  if (scorer == "type_base_rate") return "type base rate";
  if (scorer == "analytic") return "analytic (Brownian)";
  return scorer;
}

std::string Pct(double v) {
  if (std::isnan(v)) return "n/a";
  return absl::StrFormat("%.1f%%", 100 * v);
}
std::string SignedPct(double v) {
  if (std::isnan(v)) return "n/a";
  return absl::StrFormat("%+.1f%%", 100 * v);
}
std::string Num3(double v) {
  if (std::isnan(v)) return "n/a";
  return absl::StrFormat("%.3f", v);
}
std::string Ci(const Interval& ci, bool signed_pct) {
  auto f = signed_pct ? SignedPct : Pct;
  return absl::StrCat("[", f(ci.low), ", ", f(ci.high), "]");
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

std::vector<SvgSeries> AllScorers(
    const EvaluationReport& r, std::vector<CurvePoint> ScorerSummary::*curve) {
  std::vector<SvgSeries> out;
  for (const ScorerSummary& s : r.scorers) {
    SvgSeries ser;
    ser.name = Label(s.name);
    ser.points = s.*curve;
    ser.color = ColorOf(s.name);
    ser.dashed = s.name == "type_base_rate" || s.name == "analytic";
    out.push_back(std::move(ser));
  }
  return out;
}

SvgPlotOptions Plot(const std::string& title, const std::string& x_label,
                    const std::string& y_label,
                    const std::string& legend_corner) {
  SvgPlotOptions o;
  o.title = title;
  o.x_label = x_label;
  o.y_label = y_label;
  o.legend_corner = legend_corner;
  return o;
}

// A dashed reference line.
SvgSeries Line(const std::string& name, std::vector<CurvePoint> points,
               const std::string& color) {
  SvgSeries s;
  s.name = name;
  s.points = std::move(points);
  s.color = color;
  s.dashed = true;
  return s;
}

SvgSeries ReliabilitySeries(const std::string& name,
                            const std::vector<ReliabilityBin>& bins) {
  SvgSeries s;
  s.name = name;
  s.color = ColorOf(name);
  s.markers = true;
  for (const ReliabilityBin& b : bins) {
    if (b.count > 0) s.points.push_back({b.mean_predicted, b.observed_rate});
  }
  return s;
}

void AppendHeadline(const EvaluationReport& r, const std::string& set,
                    std::string& md) {
  absl::StrAppend(
      &md, "## Headline: true-positive confirmations at matched coverage (",
      set, ")\n\n");
  absl::StrAppend(
      &md,
      "Every scorer confirms the same number of evaluated patterns (its "
      "highest-scored ones). Precision = true positives / confirmed. 95% "
      "intervals: bootstrap resampling whole symbols (",
      r.resamples, " resamples, fixed seed).\n\n");
  md += "| coverage | n | model | rule | blend | type base rate | analytic |\n";
  md += "|---|---|---|---|---|---|---|\n";
  for (const CoverageRow& row : r.coverage) {
    absl::StrAppend(&md, "| ", row.name, " (", Pct(row.coverage), ") | ",
                    row.count);
    for (const std::string& name : EvaluationScorerNames()) {
      const ScorerAtCoverage* s = FindScorer(row, name);
      absl::StrAppend(&md, " | ", s ? Pct(s->precision) : "n/a", " ",
                      s ? Ci(s->precision_ci, false) : "");
    }
    md += " |\n";
  }
  md += "\nRelative lift in precision (precision / reference - 1):\n\n";
  md +=
      "| coverage | model vs rule | model vs type base rate | model vs "
      "analytic | "
      "blend vs rule |\n|---|---|---|---|---|\n";
  for (const CoverageRow& row : r.coverage) {
    absl::StrAppend(&md, "| ", row.name);
    auto cell = [&](const std::string& scorer, const std::string& ref) {
      const ScorerAtCoverage* s = FindScorer(row, scorer);
      if (s == nullptr) return std::string("n/a");
      for (const LiftVs& l : s->lifts) {
        if (l.reference == ref)
          return absl::StrCat(SignedPct(l.lift), " ", Ci(l.ci, true));
      }
      return std::string("n/a");
    };
    absl::StrAppend(&md, " | ", cell("model", "rule"), " | ",
                    cell("model", "type_base_rate"), " | ",
                    cell("model", "analytic"), " | ", cell("blend", "rule"),
                    " |\n");
  }
  md += "\n";
}

void AppendVerdicts(const EvaluationReport& r, std::string& md) {
  const CoverageRow* row = r.Row("30%");
  if (row == nullptr) return;
  const ScorerAtCoverage* m = FindScorer(*row, "model");
  if (m == nullptr) return;
  for (const LiftVs& l : m->lifts) {
    std::string verdict;
    if (std::isnan(l.ci.low)) {
      verdict = "cannot be compared (reference precision 0)";
    } else if (l.ci.low > 0) {
      verdict = "the model is better (interval above 0)";
    } else if (l.ci.high < 0) {
      verdict = "the model is WORSE (interval below 0)";
    } else {
      verdict = "the model TIES with it (interval includes 0)";
    }
    absl::StrAppend(&md, "- At 30% coverage vs ", Label(l.reference), ": lift ",
                    SignedPct(l.lift), " ", Ci(l.ci, true), " - ", verdict,
                    ".\n");
  }
  md += "\n";
}

void AppendScorerTable(const EvaluationReport& r, const std::string& set,
                       std::string& md) {
  absl::StrAppend(&md, "## Ranking and calibration (", set, ")\n\n");
  md +=
      "| scorer | ROC-AUC | PR-AUC | Brier | ECE (10 bins) "
      "|\n|---|---|---|---|---|\n";
  for (const ScorerSummary& s : r.scorers) {
    absl::StrAppend(&md, "| ", Label(s.name), " | ", Num3(s.roc_auc), " | ",
                    Num3(s.pr_auc), " | ", Num3(s.brier), " | ", Num3(s.ece),
                    " |\n");
  }
  md +=
      "\nThe rule confidence is a score, not a probability: its Brier/ECE are "
      "shown "
      "for completeness only. The analytic baseline is a driftless Brownian "
      "motion "
      "with the pattern's 20-bar volatility, target and stop as barriers, "
      "horizon "
      "as the time limit; it has no fitted parameters.\n\n";
  md +=
      "Reliability of the calibrated model (equal-width bins):\n\n"
      "| bin | n | mean predicted | observed |\n|---|---|---|---|\n";
  for (const ReliabilityBin& b : r.model_reliability) {
    if (b.count == 0) continue;
    absl::StrAppend(&md, "| ", absl::StrFormat("%.1f-%.1f", b.lower, b.upper),
                    " | ", b.count, " | ", Num3(b.mean_predicted), " | ",
                    Num3(b.observed_rate), " |\n");
  }
  md += "\n";
}

void AppendPerType(const EvaluationReport& r, const std::string& set,
                   std::string& md) {
  absl::StrAppend(&md, "## Per pattern type (", set, ")\n\n");
  md +=
      "| type | n | positives | model AUC | rule AUC | "
      "model prec@30% | rule prec@30% | mean model p "
      "|\n|---|---|---|---|---|---|---|---|\n";
  for (const PatternTypeSummary& t : r.per_type) {
    absl::StrAppend(&md, "| ", t.pattern_type, " | ", t.count, " | ",
                    t.positives, " | ", Num3(t.model_roc_auc), " | ",
                    Num3(t.rule_roc_auc), " | ", Pct(t.model_precision_at_30),
                    " | ", Pct(t.rule_precision_at_30), " | ",
                    Num3(t.mean_model_probability), " |\n");
  }
  md += "\n";
}

void AppendContext(const ReportContext& c, std::string& md) {
  if (!c.top_features.empty()) {
    md +=
        "## Top features (training set)\n\n| feature | total gain | mean abs "
        "SHAP |\n"
        "|---|---|---|\n";
    for (const FeatureImportance& f : c.top_features) {
      absl::StrAppend(&md, "| ", f.name, " | ",
                      absl::StrFormat("%.1f", f.total_gain), " | ",
                      absl::StrFormat("%.4f", f.mean_abs_shap), " |\n");
    }
    md += "\n";
  }
  if (c.shuffle.has_value()) {
    const ShuffleCheck& s = *c.shuffle;
    md +=
        "## Label-shuffle check\n\nThe same pipeline trained on randomly "
        "permuted "
        "training labels (same hyperparameters, same validation-based early "
        "stopping "
        "and calibration). If the features leaked the label, this model would "
        "still "
        "beat the rule.\n\n";
    absl::StrAppend(&md, "- evaluated ROC-AUC ", Num3(s.roc_auc),
                    "\n- precision at 30% coverage: shuffled model ",
                    Pct(s.model_precision_at_30), " vs rule ",
                    Pct(s.rule_precision_at_30), "; lift ",
                    SignedPct(s.lift_vs_rule_at_30), " ", Ci(s.lift_ci, true),
                    "\n- verdict: ",
                    s.lift_vanished ? "the lift vanished (as it must)"
                                    : "THE LIFT DID NOT VANISH - investigate",
                    "\n\n");
  }
}

}  // namespace

nlohmann::json ShuffleCheckJson(const ShuffleCheck& s) {
  auto num = [](double v) -> nlohmann::json {
    if (std::isnan(v)) return nullptr;
    return v;
  };
  return {{"model_precision_at_30", num(s.model_precision_at_30)},
          {"rule_precision_at_30", num(s.rule_precision_at_30)},
          {"lift_vs_rule_at_30", num(s.lift_vs_rule_at_30)},
          {"lift_ci95", {num(s.lift_ci.low), num(s.lift_ci.high)}},
          {"roc_auc", num(s.roc_auc)},
          {"best_iteration", s.best_iteration},
          {"lift_vanished", s.lift_vanished}};
}

std::string RenderMarkdown(const EvaluationReport& r, const ReportContext& c) {
  std::string md = absl::StrCat("# ", c.title, "\n\n");
  if (!c.model_version.empty())
    absl::StrAppend(&md, "- model version: `", c.model_version, "`\n");
  if (!c.status.empty()) absl::StrAppend(&md, "- status: **", c.status, "**\n");
  if (!c.gate_reason.empty())
    absl::StrAppend(&md, "- promotion gate: ", c.gate_reason, "\n");
  if (!c.data_description.empty())
    absl::StrAppend(&md, "- data: ", c.data_description, "\n");
  absl::StrAppend(&md, "- evaluated patterns: ", r.rows, " from ", r.symbols,
                  " symbols; positives ", r.positives, " (base rate ",
                  Pct(r.rows ? static_cast<double>(r.positives) / r.rows : 0),
                  ")\n");
  absl::StrAppend(&md, "- blend: ", absl::StrFormat("%.2f", 1 - r.blend_weight),
                  " x rule + ", absl::StrFormat("%.2f", r.blend_weight),
                  " x model\n");
  if (!c.reproduce_command.empty()) {
    absl::StrAppend(&md, "- reproduce: `", c.reproduce_command, "`\n");
  }
  md += "\n";
  AppendHeadline(r, c.evaluated_set, md);
  AppendVerdicts(r, md);
  for (const std::string& section : c.markdown_sections) md += section;
  AppendScorerTable(r, c.evaluated_set, md);
  AppendPerType(r, c.evaluated_set, md);
  AppendContext(c, md);
  md +=
      "## Plots\n\n![reliability](reliability.svg)\n![roc](roc.svg)\n"
      "![precision-recall](precision_recall.svg)\n![precision vs coverage]"
      "(precision_coverage.svg)\n";
  return md;
}

absl::Status WriteReport(const std::string& dir, const EvaluationReport& r,
                         const ReportContext& c) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return absl::InternalError(
        absl::StrCat("cannot create ", dir, ": ", ec.message()));
  nlohmann::json j = ToJson(r);
  j["model_version"] = c.model_version;
  j["status"] = c.status;
  j["gate_reason"] = c.gate_reason;
  j["data_description"] = c.data_description;
  for (const FeatureImportance& f : c.top_features) {
    j["top_features"].push_back({{"name", f.name},
                                 {"total_gain", f.total_gain},
                                 {"mean_abs_shap", f.mean_abs_shap}});
  }
  if (c.shuffle.has_value()) j["shuffle_check"] = ShuffleCheckJson(*c.shuffle);
  for (auto it = c.extra.begin(); it != c.extra.end(); ++it)
    j[it.key()] = it.value();
  if (absl::Status s = WriteFile(dir + "/evaluation.json", j.dump(2) + "\n");
      !s.ok())
    return s;
  if (absl::Status s = WriteFile(dir + "/report.md", RenderMarkdown(r, c));
      !s.ok())
    return s;

  std::string svg =
      RenderLinePlot(Plot(absl::StrCat("Reliability (", c.evaluated_set, ")"),
                          "mean predicted probability",
                          "observed positive rate", "bottom_right"),
                     {Line("perfect calibration", {{0, 0}, {1, 1}}, "#aaaaaa"),
                      ReliabilitySeries("model", r.model_reliability),
                      ReliabilitySeries("blend", r.blend_reliability)});
  if (absl::Status s = WriteFile(dir + "/reliability.svg", svg); !s.ok())
    return s;

  std::vector<SvgSeries> roc = AllScorers(r, &ScorerSummary::roc);
  roc.push_back(Line("chance", {{0, 0}, {1, 1}}, "#cccccc"));
  svg = RenderLinePlot(
      Plot(absl::StrCat("ROC (", c.evaluated_set, ")"), "false positive rate",
           "true positive rate", "bottom_right"),
      roc);
  if (absl::Status s = WriteFile(dir + "/roc.svg", svg); !s.ok()) return s;
  svg = RenderLinePlot(
      Plot(absl::StrCat("Precision-recall (", c.evaluated_set, ")"), "recall",
           "precision", "bottom_left"),
      AllScorers(r, &ScorerSummary::pr));
  if (absl::Status s = WriteFile(dir + "/precision_recall.svg", svg); !s.ok())
    return s;
  svg = RenderLinePlot(
      Plot(absl::StrCat("Precision of the top k% (", c.evaluated_set, ")"),
           "coverage k (fraction of patterns confirmed)", "precision",
           "top_right"),
      AllScorers(r, &ScorerSummary::precision_coverage));
  return WriteFile(dir + "/precision_coverage.svg", svg);
}

}  // namespace pcs
