#include "db/pattern_event_store.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <exception>
#include <iterator>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "db/lifecycle_history_store.h"
#include "db/transaction.h"

namespace pcs {
namespace {

// Columns the backfill owns, in staging/COPY order. ML columns are absent on
// purpose: the backfill never overwrites predictions.
constexpr const char* kEventColumns[] = {"id",
                                         "symbol",
                                         "pattern_type",
                                         "direction",
                                         "formation_start",
                                         "formation_end",
                                         "confirmation_date",
                                         "key_points",
                                         "breakout_level",
                                         "target_price",
                                         "stop_price",
                                         "rule_confidence",
                                         "rule_criteria",
                                         "lifecycle_state",
                                         "detector_version",
                                         "outcome_label",
                                         "realized_pnl",
                                         "max_drawdown",
                                         "bars_to_outcome",
                                         "exit_reason",
                                         "outcome_horizon_bars",
                                         "outcome_resolved_at"};

using Field = std::optional<std::string>;
// libpqxx 6.4 streams tuple-like rows only; std::array qualifies.
using EventRowT = std::array<Field, std::size(kEventColumns)>;

// %.17g round-trips every finite double exactly through PostgreSQL's
// float8 input, so an unchanged value compares equal on the next run.
std::string Num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

std::string KeyPointsJson(const Pattern& p) {
  nlohmann::json arr = nlohmann::json::array();
  for (const KeyPoint& k : p.key_points) {
    arr.push_back(
        {{"role", k.role}, {"day", FormatDay(k.day)}, {"price", k.price}});
  }
  return arr.dump();
}

std::string CriteriaJson(const Pattern& p) {
  nlohmann::json obj = nlohmann::json::object();
  for (const auto& [name, value] : p.rule_criteria) obj[name] = value;
  return obj.dump();
}

absl::Status ValidateRecord(const PatternRecord& r, const std::string& id) {
  const Pattern& p = r.pattern;
  auto bad = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(
        "pattern ", id, " (", p.symbol, " ", PatternTypeName(p.type),
        " confirmed ", FormatDay(p.confirmation_day), "): ", what));
  };
  if (p.symbol.empty()) return bad("empty symbol");
  if (!(p.rule_confidence >= 0 && p.rule_confidence <= 1)) {
    return bad(
        absl::StrCat("rule_confidence ", p.rule_confidence, " outside [0, 1]"));
  }
  for (double v : {p.breakout_level, p.target, p.stop, r.outcome.realized_pnl,
                   r.outcome.max_drawdown}) {
    if (!std::isfinite(v)) return bad("non-finite price or outcome value");
  }
  for (const KeyPoint& k : p.key_points) {
    if (!std::isfinite(k.price)) return bad("non-finite key point " + k.role);
  }
  for (const auto& [name, value] : p.rule_criteria) {
    if (!std::isfinite(value)) return bad("non-finite criterion " + name);
  }
  if (r.outcome.label && *r.outcome.label != 0 && *r.outcome.label != 1) {
    return bad("outcome label not 0/1");
  }
  return absl::OkStatus();
}

EventRowT EventRow(const PatternRecord& r, const std::string& id) {
  const Pattern& p = r.pattern;
  const Outcome& o = r.outcome;
  const bool resolved = o.label.has_value() || !o.exit_reason.empty();
  Field label, resolved_at, exit_reason;
  if (o.label) label = std::to_string(*o.label);
  if (o.resolved_day) resolved_at = FormatDay(*o.resolved_day);
  if (!o.exit_reason.empty()) exit_reason = o.exit_reason;
  Field pnl, dd, bars;
  if (resolved) {
    pnl = Num(o.realized_pnl);
    dd = Num(o.max_drawdown);
    bars = std::to_string(o.bars_to_outcome);
  }
  return {id,
          p.symbol,
          std::string(PatternTypeName(p.type)),
          std::string(DirectionName(p.direction)),
          FormatDay(p.formation_start),
          FormatDay(p.formation_end),
          FormatDay(p.confirmation_day),
          KeyPointsJson(p),
          Num(p.breakout_level),
          Num(p.target),
          Num(p.stop),
          Num(p.rule_confidence),
          CriteriaJson(p),
          std::string(LifecycleStateName(r.lifecycle_state)),
          r.detector_version,
          label,
          pnl,
          dd,
          bars,
          exit_reason,
          std::to_string(r.outcome_horizon_bars),
          resolved_at};
}

std::string ColumnList(const char* const* begin, const char* const* end,
                       absl::string_view prefix = "") {
  std::vector<std::string> cols;
  for (auto it = begin; it != end; ++it)
    cols.push_back(absl::StrCat(prefix, *it));
  return absl::StrJoin(cols, ", ");
}

// The value an upsert writes into column `col`. A lifecycle decision that
// rejected a pattern (EvaluatePattern) is terminal: the rule-only state the
// backfill derives must not overwrite it, while the outcome columns still
// update (the label of a rejected pattern is what monitoring compares with).
std::string UpsertValue(absl::string_view col) {
  if (col == "lifecycle_state") {
    return "CASE WHEN t.lifecycle_state = 'rejected' THEN t.lifecycle_state "
           "ELSE EXCLUDED.lifecycle_state END";
  }
  return absl::StrCat("EXCLUDED.", col);
}

std::string UpsertSql() {
  const auto* b = std::begin(kEventColumns);
  const auto* e = std::end(kEventColumns);
  std::vector<std::string> sets;
  std::vector<std::string> new_values;
  for (auto it = b + 1; it != e; ++it) {
    sets.push_back(absl::StrCat(*it, " = ", UpsertValue(*it)));
    new_values.push_back(UpsertValue(*it));
  }
  return absl::StrCat(
      "INSERT INTO pattern_events AS t (", ColumnList(b, e), ") SELECT ",
      ColumnList(b, e), " FROM pcs_staging_events ",
      "ON CONFLICT (id) DO UPDATE SET ", absl::StrJoin(sets, ", "),
      ", updated_at = now() WHERE (", ColumnList(b + 1, e, "t."),
      ") IS DISTINCT FROM (", absl::StrJoin(new_values, ", "), ") ",
      "RETURNING (xmax = 0) AS inserted");
}

absl::Status CheckUniqueIds(const std::vector<PatternRecord>& records,
                            std::vector<std::string>& ids) {
  std::set<std::string> seen;
  ids.clear();
  ids.reserve(records.size());
  for (const PatternRecord& r : records) {
    ids.push_back(r.pattern.Id());
    if (!seen.insert(ids.back()).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "duplicate pattern id ", ids.back(), " (", r.pattern.symbol, " ",
          PatternTypeName(r.pattern.type), " confirmed ",
          FormatDay(r.pattern.confirmation_day), ") in one upsert batch"));
    }
    if (absl::Status s = ValidateRecord(r, ids.back()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Serialises concurrent upserts of the same symbol (two backfills at once):
// without it both could pass the history NOT EXISTS check and write the
// same transition twice. Locks are taken in sorted order (no deadlock) and
// released at commit.
void LockSymbols(pqxx::work& tx, const std::vector<PatternRecord>& records) {
  std::set<std::string> symbols;
  for (const PatternRecord& r : records) symbols.insert(r.pattern.symbol);
  for (const std::string& s : symbols) {
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))",
                   "pcs_pattern_events:" + s);
  }
}

void StageRows(pqxx::work& tx, const std::vector<PatternRecord>& records,
               const std::vector<std::string>& ids) {
  // The staging tables live as long as the session (rows deleted at each
  // commit): creating and dropping them per call costs catalog work. The
  // first setting hides the "already exists" notices. JIT is off because
  // with stale statistics the history probe is estimated expensive enough
  // to be JIT-compiled: 15-60 ms of compilation for 1 ms of work.
  tx.exec0("SET LOCAL client_min_messages = warning");
  tx.exec0("SET LOCAL jit = off");
  tx.exec(
      "CREATE TEMP TABLE IF NOT EXISTS pcs_staging_events ON COMMIT DELETE "
      "ROWS AS "
      "SELECT " +
      ColumnList(std::begin(kEventColumns), std::end(kEventColumns)) +
      " FROM pattern_events WITH NO DATA");
  {
    pqxx::stream_to events(tx, "pcs_staging_events",
                           std::vector<std::string>(std::begin(kEventColumns),
                                                    std::end(kEventColumns)));
    for (size_t i = 0; i < records.size(); ++i)
      events << EventRow(records[i], ids[i]);
    events.complete();
  }
}

// Every record's transitions, pattern_id set to the record's id.
std::vector<LifecycleTransition> Transitions(
    const std::vector<PatternRecord>& records,
    const std::vector<std::string>& ids) {
  std::vector<LifecycleTransition> out;
  for (size_t i = 0; i < records.size(); ++i) {
    for (LifecycleTransition t : records[i].transitions) {
      t.pattern_id = ids[i];
      out.push_back(std::move(t));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<UpsertCounts> PatternEventStore::Upsert(
    const std::vector<PatternRecord>& records, const std::string& source) {
  std::vector<std::string> ids;
  if (absl::Status s = CheckUniqueIds(records, ids); !s.ok()) return s;
  UpsertCounts counts;
  if (records.empty()) return counts;
  return RunInTransaction(
      conn_,
      absl::StrCat("upserting ", records.size(),
                   " pattern events (first symbol ",
                   records.front().pattern.symbol, ")"),
      [&](pqxx::work& tx) -> absl::StatusOr<UpsertCounts> {
        LockSymbols(tx, records);
        StageRows(tx, records, ids);
        const pqxx::result changed = tx.exec(UpsertSql());
        for (const pqxx::row& row : changed) {
          (row[0].as<bool>() ? counts.inserted : counts.updated) += 1;
        }
        counts.unchanged = static_cast<int64_t>(records.size()) -
                           counts.inserted - counts.updated;
        counts.history_rows = LifecycleHistoryStore(tx).AppendOnce(
            Transitions(records, ids), source);
        return counts;
      });
}

absl::StatusOr<AppliedDecision> PatternEventStore::ApplyDecision(
    const LifecycleTransition& decided, const std::string& model_version,
    double latency_ms) {
  const std::string& id = decided.pattern_id;
  return RunInTransaction(
      conn_, absl::StrCat("persisting the decision of ", id),
      [&](pqxx::work& tx) -> absl::StatusOr<AppliedDecision> {
        const pqxx::result row = tx.exec_params(
            "SELECT lifecycle_state, analyst_decision FROM pattern_events "
            "WHERE id = $1 FOR UPDATE",
            id);
        if (row.empty()) return absl::NotFoundError("no pattern with id " + id);
        // An analyst's override is final for automation (migrations/0005).
        if (!row[0][1].is_null()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "pattern ", id, " was decided by an analyst (", row[0][1].c_str(),
              "); EvaluatePattern does not change it"));
        }
        absl::StatusOr<LifecycleState> from =
            ParseLifecycleState(row[0][0].c_str());
        if (!from.ok()) return from.status();
        LifecycleHistoryStore history(tx);
        // The backfill stores an open pattern as 'confirmed' by the rules
        // alone. The first decision on it re-decides that provisional state
        // (and is recorded even when it agrees); afterwards the lifecycle
        // table rules.
        const bool first_decision_on_rule_confirmed =
            *from == LifecycleState::kConfirmed &&
            !history.HasSource(id, "evaluate");
        if (*from != decided.to && !first_decision_on_rule_confirmed) {
          if (absl::Status s = CheckTransition(*from, decided.to); !s.ok()) {
            return s;
          }
        }
        tx.exec_params(
            "UPDATE pattern_events SET lifecycle_state = $2, "
            "ml_confidence = NULLIF($3, '')::float8, blended_confidence = "
            "NULLIF($4, '')::float8, model_version = NULLIF($5, ''), "
            "predicted_at = now(), updated_at = now() WHERE id = $1",
            id, std::string(LifecycleStateName(decided.to)),
            decided.ml_confidence ? Num(*decided.ml_confidence) : "",
            decided.blended_confidence ? Num(*decided.blended_confidence) : "",
            model_version);
        AppliedDecision out;
        out.from = *from;
        out.recorded = *from != decided.to || first_decision_on_rule_confirmed;
        if (out.recorded) {
          HistoryEntry entry;
          entry.transition = decided;
          entry.transition.from = *from;
          entry.source = "evaluate";
          entry.model_version = model_version;
          entry.latency_ms = latency_ms;
          history.Append(entry);
        }
        return out;
      });
}

}  // namespace pcs
