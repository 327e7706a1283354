#include "db/lifecycle_history_store.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <iterator>

#include "absl/strings/str_cat.h"

namespace pcs {
namespace {

// Columns staged by AppendOnce, in COPY order.
constexpr const char* kStagedColumns[] = {
    "pattern_id",         "from_state",   "to_state",        "event_date",
    "actual_outcome",     "reason",       "rule_confidence", "ml_confidence",
    "blended_confidence", "blend_weight", "fallback_reason"};

using Field = std::optional<std::string>;
// libpqxx 6.4 streams tuple-like rows only; std::array qualifies.
using StagedRow = std::array<Field, std::size(kStagedColumns)>;

// %.17g round-trips every finite double exactly through float8 input.
std::string Num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

Field OptNum(const std::optional<double>& v) {
  if (!v || !std::isfinite(*v)) return std::nullopt;
  return Num(*v);
}

Field OptText(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

// "" for NULL, for the NULLIF($n, '') parameters of Append.
std::string Text(const Field& f) { return f.value_or(""); }

StagedRow Staged(const LifecycleTransition& t) {
  Field from, outcome;
  if (t.from) from = std::string(LifecycleStateName(*t.from));
  if (t.actual_outcome) outcome = std::to_string(*t.actual_outcome);
  return {t.pattern_id,
          from,
          std::string(LifecycleStateName(t.to)),
          FormatDay(t.event_day),
          outcome,
          OptText(t.reason),
          OptNum(t.rule_confidence),
          OptNum(t.ml_confidence),
          OptNum(t.blended_confidence),
          OptNum(t.blend_weight),
          OptText(t.fallback_reason)};
}

// $1 = source.
constexpr char kAppendOnceSql[] =
    "INSERT INTO pattern_lifecycle_history (pattern_id, from_state, "
    "to_state, event_date, actual_outcome, reason, rule_confidence, "
    "ml_confidence, blended_confidence, blend_weight, fallback_reason, "
    "source) "
    "SELECT x.pattern_id, x.from_state, x.to_state, x.event_date, "
    "x.actual_outcome, x.reason, x.rule_confidence, x.ml_confidence, "
    "x.blended_confidence, x.blend_weight, x.fallback_reason, $1 FROM ("
    "SELECT DISTINCT ON (s.pattern_id, s.to_state) s.* "
    "FROM pcs_staging_history s "
    // A LATERAL ... LIMIT 1 probe is planned as an index lookup per staged
    // row whatever the table statistics say; NOT EXISTS became a hash anti
    // join over the whole history (~100 ms per call at 70k rows) whenever
    // the statistics were stale, e.g. right after a big backfill.
    "LEFT JOIN LATERAL (SELECT 1 AS found FROM pattern_lifecycle_history h "
    "WHERE h.pattern_id = s.pattern_id AND h.to_state = s.to_state AND "
    "h.source = $1 LIMIT 1) e ON true WHERE e.found IS NULL "
    // No rule-only transition after a decision rejected the pattern: its
    // history ends at 'rejected'.
    "AND NOT EXISTS (SELECT 1 FROM pattern_events pe WHERE pe.id = "
    "s.pattern_id AND pe.lifecycle_state = 'rejected') "
    "ORDER BY s.pattern_id, s.to_state, s.seq) x ORDER BY x.seq";

}  // namespace

AppendedHistoryRow LifecycleHistoryStore::Append(const HistoryEntry& e) {
  const LifecycleTransition& t = e.transition;
  Field from, outcome;
  if (t.from) from = std::string(LifecycleStateName(*t.from));
  if (t.actual_outcome) outcome = std::to_string(*t.actual_outcome);
  const pqxx::row row = tx_.exec_params1(
      "INSERT INTO pattern_lifecycle_history (pattern_id, from_state, "
      "to_state, event_date, source, rule_confidence, ml_confidence, "
      "blended_confidence, blend_weight, model_version, fallback_reason, "
      "latency_ms, actual_outcome, reason) VALUES ($1, NULLIF($2, ''), $3, "
      "coalesce(NULLIF($4, '')::date, current_date), $5, "
      "NULLIF($6, '')::float8, NULLIF($7, '')::float8, "
      "NULLIF($8, '')::float8, NULLIF($9, '')::float8, NULLIF($10, ''), "
      "NULLIF($11, ''), NULLIF($12, '')::float8, NULLIF($13, '')::smallint, "
      "NULLIF($14, '')) RETURNING id, recorded_at::text",
      t.pattern_id, Text(from), std::string(LifecycleStateName(t.to)),
      e.dated_today ? std::string() : FormatDay(t.event_day), e.source,
      Text(OptNum(t.rule_confidence)), Text(OptNum(t.ml_confidence)),
      Text(OptNum(t.blended_confidence)), Text(OptNum(t.blend_weight)),
      e.model_version, t.fallback_reason, Text(OptNum(e.latency_ms)),
      Text(outcome), t.reason);
  return {row[0].as<int64_t>(), row[1].as<std::string>()};
}

int64_t LifecycleHistoryStore::AppendOnce(
    const std::vector<LifecycleTransition>& transitions,
    const std::string& source) {
  if (transitions.empty()) return 0;
  // Session-lived staging table (creating and dropping it per call costs
  // catalog work); the first setting hides its "already exists" notice.
  // JIT is off because with stale statistics the probe is estimated
  // expensive enough to be JIT-compiled: 15-60 ms for 1 ms of work.
  tx_.exec0("SET LOCAL client_min_messages = warning");
  tx_.exec0("SET LOCAL jit = off");
  tx_.exec0(
      "CREATE TEMP TABLE IF NOT EXISTS pcs_staging_history (seq bigserial, "
      "pattern_id text, from_state text, to_state text, event_date date, "
      "actual_outcome smallint, reason text, rule_confidence double "
      "precision, ml_confidence double precision, blended_confidence double "
      "precision, blend_weight double precision, fallback_reason text) "
      "ON COMMIT DELETE ROWS");
  {
    pqxx::stream_to staged(tx_, "pcs_staging_history",
                           std::vector<std::string>(std::begin(kStagedColumns),
                                                    std::end(kStagedColumns)));
    for (const LifecycleTransition& t : transitions) staged << Staged(t);
    staged.complete();
  }
  return static_cast<int64_t>(
      tx_.exec_params(kAppendOnceSql, source).affected_rows());
}

bool LifecycleHistoryStore::HasSource(const std::string& pattern_id,
                                      const std::string& source) {
  return tx_
      .exec_params1(
          "SELECT EXISTS (SELECT 1 FROM pattern_lifecycle_history WHERE "
          "pattern_id = $1 AND source = $2)",
          pattern_id, source)[0]
      .as<bool>();
}

}  // namespace pcs
