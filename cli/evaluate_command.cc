// `pcs evaluate --model DIR --data FOLDER [--since DATE]`: score a saved
// model on any OHLCV folder and write the same report as `pcs train`.
// Uses its own throwaway embedded PostgreSQL (never the configured database):
// ingest FOLDER, backfill, build features, score with the model's own
// calibration, evaluate the patterns confirmed on or after --since (earlier
// bars only warm up indicators and detection), apply the card's decision
// policy unchanged (operating point, money view) and write predictions.csv.

#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/command_registry.h"
#include "db/embedded_postgres.h"
#include "db/migrator.h"
#include "pipeline/data_preparation.h"
#include "training/labeled_dataset.h"
#include "training/model_registry.h"
#include "training/model_scoring.h"
#include "training/operating_point.h"
#include "training/report_writer.h"

namespace pcs::cli {
namespace {

class EvaluateCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--model", model_dir_,
                   "Model folder (models/phase5/<version>)")
        ->required();
    app.add_option("--data", data_dir_, "Folder of OHLCV CSVs")->required();
    app.add_option("--since", since_,
                   "Evaluate patterns confirmed on/after (YYYY-MM-DD)");
    app.add_option(
        "--report-dir", report_dir_,
        "Output folder (default: reports/phase5/evaluations/<model>-<utc>)");
    app.add_option("--bootstrap-resamples", resamples_, "Bootstrap resamples")
        ->capture_default_str();
  }

  absl::Status Run(const GlobalFlags& flags) override {
    std::optional<Day> since;
    if (!since_.empty()) {
      absl::StatusOr<Day> d = ParseDay(since_);
      if (!d.ok())
        return UsageError(absl::StrCat("--since: ", d.status().message()));
      since = *d;
    }
    absl::StatusOr<LoadedModel> model = LoadModelDir(model_dir_);
    if (!model.ok()) return model.status();
    absl::StatusOr<std::unique_ptr<EmbeddedPostgres>> pg =
        EmbeddedPostgres::Start({});
    if (!pg.ok()) return pg.status();
    const std::string conninfo = (*pg)->ConnInfo();
    if (absl::Status s = Migrate(conninfo, flags.migrations_dir); !s.ok())
      return s;
    PreparationOptions p;
    p.conninfo = conninfo;
    p.folder = data_dir_;
    absl::StatusOr<PreparationSummary> prep = PrepareDatabase(p);
    if (!prep.ok()) return prep.status();
    std::cout << prep->ingest_text << prep->backfill_text;
    DatasetLoadOptions load;
    load.conninfo = conninfo;
    load.from = since;
    absl::StatusOr<LabeledDataset> ds = LoadLabeledDataset(load);
    if (!ds.ok()) return ds.status();
    std::cout << absl::StrFormat(
        "evaluating %d resolved patterns (%d feature failures)\n",
        ds->examples.size(), ds->feature_failures.size());
    absl::StatusOr<EvaluationInput> input =
        LoadedModelInput(*model, *ds, resamples_);
    if (!input.ok()) return input.status();
    absl::StatusOr<EvaluationReport> report = Evaluate(*input);
    if (!report.ok()) return report.status();
    // The card's decision policy, applied unchanged.
    const AppliedPolicies policies = PoliciesOf(model->card);
    std::vector<double> pnl, r_multiple;
    std::vector<std::string> days;
    for (const LabeledExample& e : ds->examples) {
      pnl.push_back(e.realized_pnl);
      r_multiple.push_back(e.r_multiple);
      days.push_back(FormatDay(e.confirmation_day));
    }
    absl::StatusOr<OperatingPoint> op =
        MeasureOperatingPoint(*input, pnl, r_multiple, policies);
    if (!op.ok()) return op.status();
    const std::string version =
        model->card.version.empty() ? "unknown" : model->card.version;
    if (report_dir_.empty()) {
      report_dir_ = absl::StrCat("reports/phase5/evaluations/", version, "-",
                                 UtcVersionNow());
    }
    ReportContext ctx;
    ctx.title = "Pattern confidence model: offline evaluation";
    ctx.model_version = version;
    ctx.data_description =
        absl::StrCat(data_dir_, ", patterns confirmed since ",
                     since_.empty() ? "the start" : since_);
    ctx.extra["model_dir"] = model_dir_;
    ctx.extra["data_dir"] = data_dir_;
    ctx.extra["since"] = since_;
    ctx.extra["feature_failures"] = ds->feature_failures.size();
    ctx.reproduce_command =
        absl::StrCat("pcs evaluate --model ", model_dir_, " --data ", data_dir_,
                     since_.empty() ? "" : " --since ", since_);
    ctx.extra["operating_point"] = OperatingPointJson(*op);
    ctx.markdown_sections.push_back(OperatingPointMarkdown(*op));
    if (absl::Status s = WriteReport(report_dir_, *report, ctx); !s.ok())
      return s;
    if (absl::Status s = WritePredictionsCsv(report_dir_ + "/predictions.csv",
                                             *input, days, policies);
        !s.ok())
      return s;
    const PolicyEvidence& e = op->model;
    std::cout << absl::StrFormat(
        "operating point (%s): rule-only %d confirmed, %d TP, precision "
        "%.2f%%; policy w=%.2f t=%.3f %d confirmed, %d TP, precision %.2f%%; "
        "TP lift %+.1f%% [%+.1f%%, %+.1f%%], precision %+.2f points "
        "[%+.2f, %+.2f]; TP vs analytic %+.1f%% [%+.1f%%, %+.1f%%]\n",
        policies.from_card ? "the card's policy"
                           : "NO policy in the card: pre-policy default",
        e.rule.confirmed, e.rule.true_positives, 100 * e.rule.precision,
        policies.blend_weight, policies.threshold, e.policy.confirmed,
        e.policy.true_positives, 100 * e.policy.precision, 100 * e.tp_lift,
        100 * e.tp_lift_ci_low, 100 * e.tp_lift_ci_high, 100 * e.precision_diff,
        100 * e.precision_diff_ci_low, 100 * e.precision_diff_ci_high,
        100 * op->tp_lift_vs_analytic, 100 * op->tp_lift_vs_analytic_ci.low,
        100 * op->tp_lift_vs_analytic_ci.high);
    std::cout << absl::StrFormat(
        "money view (mean / sum R multiple): rule-only %+.3f / %+.1f, policy "
        "%+.3f / %+.1f\n",
        op->money_rule.mean_r, op->money_rule.sum_r, op->money_model.mean_r,
        op->money_model.sum_r);
    const CoverageRow* row = report->Row("30%");
    if (row != nullptr) {
      std::cout << absl::StrFormat(
          "precision at 30%% coverage: model %.1f%%, rule %.1f%% (lift "
          "%+.1f%%); AUC %.3f\n",
          100 * FindScorer(*row, "model")->precision,
          100 * FindScorer(*row, "rule")->precision,
          100 * LiftOf(*row, "model", "rule"),
          report->Scorer("model")->roc_auc);
    }
    std::cout << "report: " << report_dir_ << "\n";
    (void)(*pg)->Stop();
    return absl::OkStatus();
  }

 private:
  std::string model_dir_;
  std::string data_dir_;
  std::string since_;
  std::string report_dir_;
  int resamples_ = 1000;
};

PCS_REGISTER_COMMAND(
    EvaluateCommand, "evaluate",
    "Score a saved model on an OHLCV folder and write its report");

}  // namespace
}  // namespace pcs::cli
