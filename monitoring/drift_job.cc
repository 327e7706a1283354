#include "monitoring/drift_job.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "db/database.h"
#include "db/prediction_trace_store.h"
#include "db/price_bar_store.h"
#include "monitoring/pattern_feature_loader.h"
#include "monitoring/prometheus_text.h"

namespace pcs {
namespace {

absl::StatusOr<Day> LatestBarDayOrError(DbConnection& conn) {
  absl::StatusOr<std::optional<Day>> latest = LatestBarDay(conn);
  if (!latest.ok()) return latest.status();
  if (!latest->has_value()) {
    return absl::FailedPreconditionError(
        "price_bars is empty: give --as-of or ingest bars");
  }
  return **latest;
}

// Steps 2-3: recent features, scores and PSI.
absl::Status ComputeDrift(DbConnection& conn, const DriftJobOptions& o,
                          const MonitoredModel* serving,
                          DriftJobReport& report) {
  PatternFilter filter;
  filter.from = report.since;
  filter.to = report.until;
  filter.symbols = o.symbols;
  auto set = LoadPatternFeatures(conn, filter, o.market_symbol);
  if (!set.ok()) return set.status();
  report.patterns = static_cast<int>(set->rows.size());
  report.feature_failures = set->failures;
  report.failure_samples = set->failure_samples;
  if (serving == nullptr) {
    report.drift_skipped =
        "no model serving (rule confidence alone): no model reference to "
        "compare with";
    return absl::OkStatus();
  }
  const MonitoredModel& model = *serving;
  if (!model.reference()) {
    report.drift_skipped =
        absl::StrCat("no drift reference: ", model.reference_note());
    return absl::OkStatus();
  }
  if (set->rows.empty()) {
    report.drift_skipped = "no patterns confirmed in the period";
    return absl::OkStatus();
  }
  std::vector<double> scores;
  scores.reserve(set->rows.size());
  for (const std::vector<float>& row : set->rows)
    scores.push_back(model.Probability(row.data()));
  auto drift = AnalyzeDrift(*model.reference(), set->rows, scores, o.drift);
  if (!drift.ok()) return drift.status();
  report.drift = std::move(*drift);
  return absl::OkStatus();
}

absl::Status ComputeAccuracy(DbConnection& conn, const DriftJobOptions& o,
                             const MonitoredModel* model,
                             DriftJobReport& report) {
  ScoredOutcomeFilter filter;
  // Rule confidence alone: every traced prediction (they carry no version).
  if (model != nullptr) filter.model_version = model->version();
  auto rows = LoadScoredOutcomes(conn, filter);
  if (!rows.ok()) return rows.status();
  RollingAccuracyOptions ro = ServedAccuracyOptions(model, o.rule_threshold);
  ro.last_n = o.last_n;
  ro.window_days = o.window_days;
  ro.as_of = report.as_of;
  report.accuracy = ComputeRollingAccuracy(
      std::move(*rows), ro,
      model != nullptr ? model->card_metrics() : CardMetrics{}, o.tolerances);
  return absl::OkStatus();
}

void DecideAndAlert(const DriftJobOptions& o, DriftJobReport& report) {
  if (report.drift && report.drift->alert) {
    report.alert_reasons.push_back(
        absl::StrCat("PSI > ", o.drift.alert_psi, " on ",
                     absl::StrJoin(report.drift->over_threshold, ", ")));
  }
  for (const AccuracyFinding& f : report.accuracy.degraded) {
    report.alert_reasons.push_back(absl::StrCat(f.window, ": ", f.detail));
  }
  report.alert = !report.alert_reasons.empty();
  if (!report.alert) return;
  if (o.webhook_url.empty()) {
    report.alert_outcome = "not_configured";
    return;
  }
  WebhookOptions wo;
  wo.url = o.webhook_url;
  wo.max_attempts = o.webhook_attempts;
  wo.base_delay = o.webhook_base_delay;
  auto notifier = WebhookNotifier::Create(wo);
  absl::Status sent = notifier.ok() ? (*notifier)->Send(DriftAlertJson(report))
                                    : notifier.status();
  report.alert_outcome = sent.ok() ? "sent" : "failed";
  if (!sent.ok()) report.alert_error = std::string(sent.message());
}

MonitoringRunRecord RunRecord(const DriftJobOptions& o,
                              const DriftJobReport& r) {
  MonitoringRunRecord run;
  run.kind = "drift";
  run.model_version = r.model_version;
  run.since = r.since;
  run.as_of = r.as_of;
  run.window_days = o.window_days;
  run.recent_rows = r.patterns;
  if (r.drift) {
    run.max_feature = r.drift->max_feature;
    run.max_psi = r.drift->max_feature_psi;
    if (r.drift->score) run.score_psi = r.drift->score->psi;
    for (const PsiResult& p : r.drift->features) {
      run.psi.push_back({p.name, p.psi, std::string(DriftLevelName(p.level))});
    }
    if (const auto& s = r.drift->score) {
      run.psi.push_back(
          {s->name, s->psi, std::string(DriftLevelName(s->level))});
    }
  }
  run.alert = r.alert;
  if (!r.alert_outcome.empty()) run.alert_outcome = r.alert_outcome;
  if (!r.alert_error.empty()) run.alert_error = r.alert_error;
  run.details = r.ToJson(o.drift);
  return run;
}

// Steps 1-5 on the database: the period, drift, accuracy, the alert and the
// monitoring_runs row.
absl::Status RunOnDatabase(DbConnection& conn, const DriftJobOptions& o,
                           const MonitoredModel* model,
                           DriftJobReport& report) {
  if (o.as_of) {
    report.as_of = *o.as_of;
  } else {
    auto latest = LatestBarDayOrError(conn);
    if (!latest.ok()) return latest.status();
    report.as_of = *latest;
  }
  report.until = o.until.value_or(report.as_of);
  report.since = o.since.value_or(report.until - o.window_days + 1);
  if (report.since > report.until) {
    return absl::InvalidArgumentError(
        absl::StrCat("--since ", FormatDay(report.since), " is after ",
                     FormatDay(report.until)));
  }
  if (absl::Status s = ComputeDrift(conn, o, model, report); !s.ok()) return s;
  if (absl::Status s = ComputeAccuracy(conn, o, model, report); !s.ok())
    return s;
  DecideAndAlert(o, report);
  report.finished_unix_seconds =
      absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  if (o.write_to_db) {
    auto id = InsertMonitoringRun(conn, RunRecord(o, report));
    if (!id.ok()) return id.status();
    report.run_id = *id;
    auto totals = LoadAlertTotals(conn);
    if (!totals.ok()) return totals.status();
    report.alert_totals = *totals;
  } else {
    report.alert_totals.sent = report.alert_outcome == "sent";
    report.alert_totals.failed = report.alert_outcome == "failed";
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DriftJobReport> RunDriftJob(const DriftJobOptions& o) {
  DriftJobReport report;
  absl::StatusOr<ServedModelChoice> served =
      LoadServedModel(o.model, o.pin_version);
  if (!served.ok()) return served.status();
  std::unique_ptr<MonitoredModel> model = std::move(served->model);
  if (model != nullptr) report.model_version = model->version();
  report.model_dir = served->dir;
  report.reference_note = served->note;
  absl::StatusOr<std::unique_ptr<DbConnection>> conn =
      Database::ConnectTo(o.conninfo);
  if (!conn.ok()) return conn.status();
  if (absl::Status s = RunOnDatabase(**conn, o, model.get(), report); !s.ok()) {
    return s;
  }
  return report;
}

nlohmann::json DriftAlertJson(const DriftJobReport& r) {
  nlohmann::json drift = nullptr;
  if (r.drift) {
    drift = {{"rows", r.drift->rows},
             {"max_feature", r.drift->max_feature},
             {"max_feature_psi", r.drift->max_feature_psi},
             {"over_threshold", r.drift->over_threshold}};
    if (r.drift->score) drift["score_psi"] = r.drift->score->psi;
  }
  return {{"source", "pcs drift"},
          {"kind", "pcs_model_monitoring_alert"},
          {"model_version", r.model_version},
          {"since", FormatDay(r.since)},
          {"until", FormatDay(r.until)},
          {"reasons", r.alert_reasons},
          {"drift", drift},
          {"accuracy", RollingAccuracyReportToJson(r.accuracy)}};
}

nlohmann::json DriftJobReport::ToJson(const DriftOptions& drift_options) const {
  return {{"model_version", model_version},
          {"model_dir", model_dir},
          {"reference", reference_note},
          {"since", FormatDay(since)},
          {"until", FormatDay(until)},
          {"as_of", FormatDay(as_of)},
          {"patterns", patterns},
          {"feature_failures", feature_failures},
          {"failure_samples", failure_samples},
          {"drift", drift ? DriftAnalysisToJson(*drift, drift_options)
                          : nlohmann::json(nullptr)},
          {"drift_skipped", drift_skipped},
          {"accuracy", RollingAccuracyReportToJson(accuracy)},
          {"alert", alert},
          {"alert_reasons", alert_reasons},
          {"alert_outcome", alert_outcome},
          {"alert_error", alert_error},
          {"run_id", run_id}};
}

std::string DriftJobReport::ToPrometheusText() const {
  MonitoringSnapshot s;
  s.model_version = model_version;
  s.drift = drift ? &*drift : nullptr;
  s.accuracy = &accuracy;
  s.alerts_sent_total = alert_totals.sent;
  s.alerts_failed_total = alert_totals.failed;
  s.run_timestamp_seconds = finished_unix_seconds;
  s.alert = alert;
  return RenderMonitoringMetrics(s);
}

}  // namespace pcs

namespace pcs {
namespace {

std::string Fmt(const std::optional<double>& v) {
  return v ? absl::StrFormat("%.4f", *v) : std::string("n/a");
}

void AppendDriftText(const DriftAnalysis& d, std::string& out) {
  absl::StrAppendFormat(
      &out, "drift: %d patterns, max feature PSI %.4f (%s)%s\n", d.rows,
      d.max_feature_psi, d.max_feature,
      d.insufficient_rows ? " [too few rows for a verdict]" : "");
  if (d.score) {
    absl::StrAppendFormat(&out, "  score PSI %.4f (%s)\n", d.score->psi,
                          DriftLevelName(d.score->level));
  }
  std::vector<const PsiResult*> sorted;
  for (const PsiResult& r : d.features) sorted.push_back(&r);
  std::sort(
      sorted.begin(), sorted.end(),
      [](const PsiResult* a, const PsiResult* b) { return a->psi > b->psi; });
  int moderate = 0, significant = 0;
  for (const PsiResult* r : sorted) {
    moderate += r->level == DriftLevel::kModerate;
    significant += r->level == DriftLevel::kSignificant;
  }
  absl::StrAppendFormat(
      &out, "  features: %d significant (>0.25), %d moderate, %d stable\n",
      significant, moderate,
      static_cast<int>(sorted.size()) - significant - moderate);
  for (size_t i = 0; i < sorted.size() && i < 10; ++i) {
    absl::StrAppendFormat(&out, "  %-36s PSI %.4f %s\n", sorted[i]->name,
                          sorted[i]->psi, DriftLevelName(sorted[i]->level));
  }
}

}  // namespace

std::string DriftJobReport::ToText() const {
  std::string out = absl::StrFormat(
      "model %s (%s)\nreference: %s\nperiod %s .. %s, accuracy as of %s\n",
      model_version, model_dir, reference_note, FormatDay(since),
      FormatDay(until), FormatDay(as_of));
  if (feature_failures > 0) {
    absl::StrAppendFormat(&out, "features failed for %d patterns, e.g. %s\n",
                          feature_failures,
                          failure_samples.empty() ? "" : failure_samples[0]);
  }
  if (drift) {
    AppendDriftText(*drift, out);
  } else {
    absl::StrAppend(&out, "drift: not computed (", drift_skipped, ")\n");
  }
  for (const WindowAccuracy& w : accuracy.windows) {
    absl::StrAppendFormat(&out,
                          "accuracy %-9s rows %d (scored %d, fallback %d): "
                          "precision ml %s (%d) rule %s (%d), "
                          "AUC %s, Brier %s, ECE %s\n",
                          w.window, w.rows, w.scored_rows, w.fallback_rows,
                          Fmt(w.ml.precision), w.ml.confirmed,
                          Fmt(w.rule.precision), w.rule.confirmed,
                          Fmt(w.roc_auc), Fmt(w.brier), Fmt(w.ece));
    absl::StrAppendFormat(
        &out,
        "  decision policy: confirms %s of rows, precision %s (%d), TP rate "
        "%s; rule-only: confirms %s, precision %s (%d), TP rate %s\n",
        Fmt(w.policy_confirmation_rate), Fmt(w.policy.precision),
        w.policy.confirmed, Fmt(w.policy_tp_rate),
        Fmt(w.rule_confirmation_rate), Fmt(w.rule.precision), w.rule.confirmed,
        Fmt(w.rule_tp_rate));
  }
  absl::StrAppendFormat(&out, "card: AUC %s, Brier %s, ECE %s\n",
                        Fmt(accuracy.card.roc_auc), Fmt(accuracy.card.brier),
                        Fmt(accuracy.card.ece));
  if (alert) {
    absl::StrAppend(
        &out, "ALERT: ", absl::StrJoin(alert_reasons, "; "),
        "\n  delivery: ", alert_outcome,
        alert_error.empty() ? "" : absl::StrCat(" (", alert_error, ")"), "\n");
  } else {
    absl::StrAppend(&out, "no alert\n");
  }
  if (run_id > 0)
    absl::StrAppend(&out, "recorded as monitoring_runs.id ", run_id, "\n");
  return out;
}

}  // namespace pcs
