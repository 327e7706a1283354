#include "monitoring/outcome_job.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "db/database.h"
#include "db/monitoring_run_store.h"
#include "db/pattern_event_store.h"
#include "db/prediction_trace_store.h"
#include "db/price_bar_store.h"
#include "monitoring/prometheus_text.h"
#include "pipeline/backfill_job.h"

namespace pcs {
namespace {

// The unresolved patterns need re-labelling; anything confirmed after the
// latest stored pattern is new. The scan starts at the earlier of the two
// (and at --from when that is earlier still).
std::optional<Day> ScanFrom(const UnresolvedPatterns& before,
                            std::optional<Day> from_flag) {
  std::optional<Day> from = before.earliest_confirmation;
  if (before.latest_confirmation) {
    from = from ? std::min(*from, *before.latest_confirmation)
                : before.latest_confirmation;
  }
  if (from_flag) from = from ? std::min(*from, *from_flag) : from_flag;
  return from;
}

// Step 4: the served policy next to rule-only over resolved outcomes.
absl::Status JudgeServedPolicy(DbConnection& conn, const OutcomeJobOptions& o,
                               OutcomeJobReport& report) {
  if (o.model.model_dir.empty() && o.model.models_dir.empty()) {
    report.policy_note =
        "not computed: give --models-dir (or --model) to judge the served "
        "policy";
    return absl::OkStatus();
  }
  absl::StatusOr<ServedModelChoice> served =
      LoadServedModel(o.model, o.pin_version);
  if (!served.ok()) return served.status();
  const MonitoredModel* model = served->model.get();
  ScoredOutcomeFilter filter;
  // Rule confidence alone: every traced prediction (they carry no version).
  if (model != nullptr) {
    filter.model_version = model->version();
    report.model_version = model->version();
  }
  absl::StatusOr<std::vector<ScoredOutcome>> rows =
      LoadScoredOutcomes(conn, filter);
  if (!rows.ok()) return rows.status();
  RollingAccuracyOptions ro = ServedAccuracyOptions(model, o.rule_threshold);
  ro.last_n = o.last_n;
  ro.window_days = o.window_days;
  if (o.as_of) {
    ro.as_of = *o.as_of;
  } else {
    absl::StatusOr<std::optional<Day>> latest = LatestBarDay(conn);
    if (!latest.ok()) return latest.status();
    ro.as_of = latest->value_or(0);
  }
  report.policy = ComputeRollingAccuracy(
      *std::move(rows), ro,
      model != nullptr ? model->card_metrics() : CardMetrics{});
  report.policy_note = model == nullptr
                           ? served->note
                           : absl::StrFormat(
                                 "version %s decides by %s: blend weight %.2f, "
                                 "threshold %.3f",
                                 model->version(),
                                 model->card().policy ? "its card's policy"
                                                      : "serving.* (no policy)",
                                 ro.policy_blend_weight, ro.policy_threshold);
  return absl::OkStatus();
}

std::string Fmt(const std::optional<double>& v) {
  return v ? absl::StrFormat("%.4f", *v) : std::string("n/a");
}

}  // namespace

absl::StatusOr<OutcomeJobReport> RunOutcomeJob(const OutcomeJobOptions& o) {
  OutcomeJobReport report;
  absl::StatusOr<std::unique_ptr<DbConnection>> connected =
      Database::ConnectTo(o.conninfo);
  if (!connected.ok()) return connected.status();
  DbConnection& conn = **connected;
  PatternEventStore patterns(conn);
  auto before = patterns.LoadUnresolved();
  if (!before.ok()) return before.status();
  report.unresolved_before = static_cast<int64_t>(before->ids.size());
  const std::optional<Day> from = ScanFrom(*before, o.from);
  report.scan_from = from;

  BackfillOptions bo;
  bo.conninfo = o.conninfo;
  bo.symbols = o.symbols;
  bo.from = from;
  bo.workers = o.workers;
  auto summary = RunBackfill(bo);
  if (!summary.ok()) return summary.status();
  report.patterns_inserted = summary->upserts.inserted;
  report.patterns_updated = summary->upserts.updated;
  report.history_rows = summary->upserts.history_rows;
  report.failures = summary->failures;

  auto joined = RecordActualOutcomes(conn);
  if (!joined.ok()) return joined.status();
  report.predictions_joined = *joined;
  auto after = patterns.LoadUnresolved();
  if (!after.ok()) return after.status();
  report.unresolved_after = static_cast<int64_t>(after->ids.size());
  auto resolved = patterns.CountResolved(before->ids);
  if (!resolved.ok()) return resolved.status();
  report.resolved = *resolved;
  if (absl::Status st = JudgeServedPolicy(conn, o, report); !st.ok()) return st;
  report.finished_unix_seconds =
      absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());

  if (o.write_to_db) {
    MonitoringRunRecord run;
    run.kind = "outcomes";
    run.since = from;
    run.details = report.ToJson();
    auto id = InsertMonitoringRun(conn, run);
    if (!id.ok()) return id.status();
    report.run_id = *id;
  }
  return report;
}

nlohmann::json OutcomeJobReport::ToJson() const {
  return {{"unresolved_before", unresolved_before},
          {"unresolved_after", unresolved_after},
          {"resolved", resolved},
          {"scan_from", scan_from ? nlohmann::json(FormatDay(*scan_from))
                                  : nlohmann::json()},
          {"patterns_inserted", patterns_inserted},
          {"patterns_updated", patterns_updated},
          {"history_rows", history_rows},
          {"predictions_joined", predictions_joined},
          {"failures", failures},
          {"run_id", run_id},
          {"model_version", model_version},
          {"policy_note", policy_note},
          {"policy", policy ? RollingAccuracyReportToJson(*policy)
                            : nlohmann::json(nullptr)}};
}

std::string OutcomeJobReport::ToPrometheusText() const {
  if (!policy) return "";
  return RenderOutcomeMetrics(*policy, model_version, finished_unix_seconds);
}

std::string OutcomeJobReport::ToText() const {
  std::string out = absl::StrFormat(
      "scanned from %s\nunresolved patterns: %d before, %d resolved now, %d "
      "unresolved after\n"
      "patterns inserted %d, updated %d, history rows %d\n"
      "server predictions joined to outcomes: %d\n",
      scan_from ? FormatDay(*scan_from)
                : std::string("the beginning (nothing stored)"),
      unresolved_before, resolved, unresolved_after, patterns_inserted,
      patterns_updated, history_rows, predictions_joined);
  for (const std::string& f : failures)
    absl::StrAppend(&out, "FAILED ", f, "\n");
  absl::StrAppend(&out, "served policy: ", policy_note, "\n");
  if (policy) {
    for (const WindowAccuracy& w : policy->windows) {
      absl::StrAppendFormat(
          &out,
          "  %s: %d resolved, %d positive\n"
          "    policy:    confirms %s of rows (%d), precision %s, TP rate %s\n"
          "    rule-only: confirms %s of rows (%d), precision %s, TP rate %s\n",
          w.window, w.rows, w.positives, Fmt(w.policy_confirmation_rate),
          w.policy.confirmed, Fmt(w.policy.precision), Fmt(w.policy_tp_rate),
          Fmt(w.rule_confirmation_rate), w.rule.confirmed,
          Fmt(w.rule.precision), Fmt(w.rule_tp_rate));
      std::string alert = "none";
      for (const AccuracyFinding& f : policy->degraded) {
        if (f.window == w.window && f.metric == kPolicyPrecisionFinding)
          alert = absl::StrCat("ALERT: ", f.detail);
      }
      absl::StrAppend(&out, "    policy alert: ", alert, "\n");
    }
  }
  if (run_id > 0)
    absl::StrAppend(&out, "recorded as monitoring_runs.id ", run_id, "\n");
  return out;
}

}  // namespace pcs
