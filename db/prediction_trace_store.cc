#include "db/prediction_trace_store.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "db/transaction.h"

namespace pcs {
namespace {

// Full precision (%.17g round-trips through float8); NULL when not finite.
std::string NumOrNull(double v) {
  return std::isfinite(v) ? absl::StrFormat("%.17g", v) : "NULL";
}

std::optional<double> OptionalDouble(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<double>();
}

}  // namespace

int64_t PredictionTraceStore::Append(const std::vector<TraceRecord>& traces) {
  if (traces.empty()) return 0;
  // Every value is cast: the types of a VALUES list in a FROM clause come
  // from its own rows, and a column of NULLs would otherwise be text.
  // WHERE EXISTS is a plain index probe, not the row lock a foreign key
  // check takes (migrations/0008).
  std::string sql =
      "INSERT INTO prediction_traces (pattern_id, state, event_date, "
      "rule_confidence, ml_confidence, blended_confidence, blend_weight, "
      "model_version, fallback_reason, latency_ms, reason) "
      "SELECT v.* FROM (VALUES ";
  bool first = true;
  for (const TraceRecord& r : traces) {
    const std::string date =
        r.event_date.empty() ? "NULL" : SqlLiteral(tx_, r.event_date);
    const auto text_or_null = [&](const std::string& v) {
      return v.empty() ? std::string("NULL") : SqlLiteral(tx_, v);
    };
    absl::StrAppend(
        &sql, first ? "" : ",", "(", SqlLiteral(tx_, r.pattern_id), "::text,",
        SqlLiteral(tx_, r.state), "::text,", date, "::date,",
        NumOrNull(r.rule_confidence), "::float8,",
        r.ml_confidence ? NumOrNull(*r.ml_confidence) : "NULL", "::float8,",
        NumOrNull(r.blended_confidence), "::float8,", NumOrNull(r.blend_weight),
        "::float8,", text_or_null(r.model_version), "::text,",
        text_or_null(r.fallback_reason), "::text,", NumOrNull(r.latency_ms),
        "::float8,", SqlLiteral(tx_, r.reason), "::text)");
    first = false;
  }
  absl::StrAppend(&sql,
                  ") AS v (pattern_id, state, event_date, rule_confidence, "
                  "ml_confidence, blended_confidence, blend_weight, "
                  "model_version, fallback_reason, latency_ms, reason) "
                  "WHERE EXISTS (SELECT 1 FROM pattern_events e "
                  "WHERE e.id = v.pattern_id)");
  return static_cast<int64_t>(tx_.exec0(sql).affected_rows());
}

int64_t PredictionTraceStore::RecordActualOutcomes() {
  return static_cast<int64_t>(
      tx_.exec("UPDATE prediction_traces t "
               "SET actual_outcome = e.outcome_label FROM pattern_events e "
               "WHERE t.pattern_id = e.id AND t.actual_outcome IS NULL "
               "AND e.outcome_label IS NOT NULL")
          .affected_rows());
}

absl::StatusOr<int64_t> AppendTraces(pqxx::connection& conn,
                                     const std::vector<TraceRecord>& traces) {
  return RunInTransaction(conn, "writing traces",
                          [&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
                            return PredictionTraceStore(tx).Append(traces);
                          });
}

absl::StatusOr<int64_t> RecordActualOutcomes(pqxx::connection& conn) {
  return RunInTransaction(
      conn, "recording actual outcomes on server predictions",
      [](pqxx::work& tx) -> absl::StatusOr<int64_t> {
        return PredictionTraceStore(tx).RecordActualOutcomes();
      });
}

absl::StatusOr<int64_t> PruneTraces(pqxx::connection& conn,
                                    absl::Duration older_than) {
  const double seconds = absl::ToDoubleSeconds(older_than);
  return RunInTransaction(
      conn, "pruning prediction traces",
      [&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
        const pqxx::result r = tx.exec_params(
            "DELETE FROM prediction_traces t "
            "WHERE t.recorded_at < now() - make_interval(secs => $1) "
            "  AND EXISTS (SELECT 1 FROM prediction_traces n "
            "              WHERE n.pattern_id = t.pattern_id "
            "                AND n.model_version IS NOT DISTINCT FROM "
            "                    t.model_version "
            "                AND n.id > t.id)",
            seconds);
        return static_cast<int64_t>(r.affected_rows());
      });
}

absl::StatusOr<std::vector<ScoredOutcome>> LoadScoredOutcomes(
    pqxx::connection& conn, const ScoredOutcomeFilter& filter) {
  const std::string version = filter.model_version.value_or("");
  const std::string from =
      filter.resolved_from ? FormatDay(*filter.resolved_from) : "";
  try {
    pqxx::read_transaction tx(conn);
    // Latest server prediction per pattern; (pattern_id, recorded_at) is
    // indexed.
    const pqxx::result r = tx.exec_params(
        "SELECT p.pattern_id, e.confirmation_date::text, "
        "e.outcome_resolved_at::text, "
        "       e.outcome_label, p.rule_confidence, p.ml_confidence, "
        "       p.blended_confidence, coalesce(p.model_version, ''), "
        "e.rule_confidence "
        "FROM (SELECT DISTINCT ON (pattern_id) * FROM prediction_traces "
        "      WHERE ($1 = '' OR model_version = $1) "
        "      ORDER BY pattern_id, recorded_at DESC, id DESC) p "
        "JOIN pattern_events e ON e.id = p.pattern_id "
        "WHERE e.outcome_label IS NOT NULL AND e.outcome_resolved_at IS NOT "
        "NULL "
        "  AND ($2 = '' OR e.outcome_resolved_at >= $2::date) "
        "ORDER BY e.outcome_resolved_at, p.pattern_id",
        version, from);
    std::vector<ScoredOutcome> out;
    out.reserve(r.size());
    for (const pqxx::row& row : r) {
      ScoredOutcome s;
      s.pattern_id = row[0].as<std::string>();
      auto confirmation = ParseDay(row[1].as<std::string>());
      auto resolved = ParseDay(row[2].as<std::string>());
      if (!confirmation.ok() || !resolved.ok()) {
        return absl::DataLossError(
            absl::StrCat("pattern ", s.pattern_id,
                         ": unreadable confirmation/resolution date"));
      }
      s.confirmation_day = *confirmation;
      s.resolved_day = *resolved;
      s.label = row[3].as<int>();
      // The server row carries the rule confidence it saw; fall back to the
      // event's.
      s.rule_confidence =
          row[4].is_null() ? row[8].as<double>() : row[4].as<double>();
      s.ml_confidence = OptionalDouble(row[5]);
      s.blended_confidence = OptionalDouble(row[6]);
      s.model_version = row[7].as<std::string>();
      out.push_back(std::move(s));
    }
    return out;
  } catch (const std::exception& e) {
    return DatabaseErrorStatus(e, "loading scored outcomes", &conn);
  }
}

}  // namespace pcs
