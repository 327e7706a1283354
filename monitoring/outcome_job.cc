#include "monitoring/outcome_job.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "db/database.h"
#include "db/monitoring_run_store.h"
#include "db/pattern_event_store.h"
#include "db/prediction_trace_store.h"
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
          {"run_id", run_id}};
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
  if (run_id > 0)
    absl::StrAppend(&out, "recorded as monitoring_runs.id ", run_id, "\n");
  return out;
}

}  // namespace pcs
