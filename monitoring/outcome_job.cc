#include "monitoring/outcome_job.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "db/monitoring_run_store.h"
#include "db/pattern_event_store.h"
#include "db/prediction_trace_store.h"
#include "pipeline/backfill_job.h"
#include "pqxx/pqxx"

namespace pcs {
namespace {

struct PatternState {
  int64_t unresolved = 0;
  std::string unresolved_ids;  // PostgreSQL text[] literal, ids are hex
  std::optional<Day> earliest_unresolved;
  std::optional<Day> latest_confirmation;
};

absl::StatusOr<PatternState> ReadState(pqxx::connection& conn) {
  absl::StatusOr<UnresolvedPatterns> u =
      PatternEventStore(conn).LoadUnresolved();
  if (!u.ok()) return u.status();
  PatternState s;
  s.unresolved = static_cast<int64_t>(u->ids.size());
  s.unresolved_ids = absl::StrCat("{", absl::StrJoin(u->ids, ","), "}");
  s.earliest_unresolved = u->earliest_confirmation;
  s.latest_confirmation = u->latest_confirmation;
  return s;
}

}  // namespace

absl::StatusOr<OutcomeJobReport> RunOutcomeJob(const OutcomeJobOptions& o) {
  OutcomeJobReport report;
  try {
    pqxx::connection conn(o.conninfo);
    auto before = ReadState(conn);
    if (!before.ok()) return before.status();
    report.unresolved_before = before->unresolved;
    // Unresolved patterns need re-labelling; anything confirmed after the
    // latest stored pattern is new. Start at the earlier of the two.
    std::optional<Day> from = before->earliest_unresolved;
    if (before->latest_confirmation) {
      from = from ? std::min(*from, *before->latest_confirmation)
                  : before->latest_confirmation;
    }
    if (o.from) from = from ? std::min(*from, *o.from) : o.from;
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
    auto after = ReadState(conn);
    if (!after.ok()) return after.status();
    report.unresolved_after = after->unresolved;
    {
      pqxx::read_transaction tx(conn);
      report.resolved =
          tx.exec_params1(
                "SELECT count(*) FROM pattern_events WHERE id = "
                "ANY($1::text[]) "
                "AND (outcome_label IS NOT NULL OR exit_reason IS NOT NULL)",
                before->unresolved_ids)[0]
              .as<int64_t>();
    }

    if (o.write_to_db) {
      MonitoringRunRecord run;
      run.kind = "outcomes";
      run.since = from;
      run.details = report.ToJson();
      auto id = InsertMonitoringRun(conn, run);
      if (!id.ok()) return id.status();
      report.run_id = *id;
    }
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("outcomes job database: ", e.what()));
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
