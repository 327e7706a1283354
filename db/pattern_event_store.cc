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

// Select list shared by every load; dates come back as Day integers.
constexpr char kSelectColumns[] =
    "id, symbol, pattern_type, direction, "
    "formation_start - DATE '1970-01-01', formation_end - DATE '1970-01-01', "
    "confirmation_date - DATE '1970-01-01', key_points::text, breakout_level, "
    "target_price, stop_price, rule_confidence, rule_criteria::text, "
    "lifecycle_state, detector_version, outcome_label, realized_pnl, "
    "max_drawdown, bars_to_outcome, exit_reason, outcome_horizon_bars, "
    "outcome_resolved_at - DATE '1970-01-01', snapshot_url, ml_confidence, "
    "blended_confidence, model_version, predicted_at::text";

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

template <typename T>
std::optional<T> Opt(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<T>();
}

absl::Status ParseKeyPoints(const std::string& text, Pattern& p) {
  const nlohmann::json arr = nlohmann::json::parse(text, nullptr, false);
  if (arr.is_discarded() || !arr.is_array()) {
    return absl::DataLossError("key_points is not a JSON array");
  }
  for (const nlohmann::json& k : arr) {
    absl::StatusOr<Day> day = ParseDay(k.value("day", ""));
    if (!day.ok()) return day.status();
    p.key_points.push_back({k.value("role", ""), *day, k.value("price", 0.0)});
  }
  return absl::OkStatus();
}

absl::Status ParseCriteria(const std::string& text, Pattern& p) {
  const nlohmann::json obj = nlohmann::json::parse(text, nullptr, false);
  if (obj.is_discarded() || !obj.is_object()) {
    return absl::DataLossError("rule_criteria is not a JSON object");
  }
  for (const auto& [name, value] : obj.items()) {
    if (!value.is_number()) {
      return absl::DataLossError("rule_criteria." + name + " is not a number");
    }
    p.rule_criteria.emplace_back(name, value.get<double>());
  }
  std::sort(p.rule_criteria.begin(), p.rule_criteria.end());
  return absl::OkStatus();
}

absl::StatusOr<StoredPattern> ParseRow(const pqxx::row& row) {
  StoredPattern s;
  Pattern& p = s.pattern;
  const std::string id = row[0].as<std::string>();
  p.symbol = row[1].as<std::string>();
  absl::StatusOr<PatternType> type = ParsePatternType(row[2].as<std::string>());
  absl::StatusOr<Direction> dir = ParseDirection(row[3].as<std::string>());
  if (!type.ok() || !dir.ok()) {
    return absl::DataLossError(
        absl::StrCat("pattern ", id, ": ",
                     (type.ok() ? dir.status() : type.status()).message()));
  }
  p.type = *type;
  p.direction = *dir;
  p.formation_start = row[4].as<Day>();
  p.formation_end = row[5].as<Day>();
  p.confirmation_day = row[6].as<Day>();
  absl::Status st = ParseKeyPoints(row[7].as<std::string>(), p);
  if (st.ok()) st = ParseCriteria(row[12].as<std::string>(), p);
  if (!st.ok())
    return absl::DataLossError(
        absl::StrCat("pattern ", id, ": ", st.message()));
  p.breakout_level = row[8].as<double>();
  p.target = row[9].as<double>();
  p.stop = row[10].as<double>();
  p.rule_confidence = row[11].as<double>();
  absl::StatusOr<LifecycleState> state =
      ParseLifecycleState(row[13].as<std::string>());
  if (!state.ok()) {
    return absl::DataLossError(
        absl::StrCat("pattern ", id, ": ", state.status().message()));
  }
  s.lifecycle_state = *state;
  s.detector_version = row[14].as<std::string>();
  Outcome& o = s.outcome;
  o.label = Opt<int>(row[15]);
  o.realized_pnl = Opt<double>(row[16]).value_or(0);
  o.max_drawdown = Opt<double>(row[17]).value_or(0);
  o.bars_to_outcome = Opt<int>(row[18]).value_or(0);
  o.exit_reason = Opt<std::string>(row[19]).value_or("");
  s.outcome_horizon_bars = Opt<int>(row[20]);
  o.resolved_day = Opt<Day>(row[21]);
  s.snapshot_url = Opt<std::string>(row[22]);
  s.ml_confidence = Opt<double>(row[23]);
  s.blended_confidence = Opt<double>(row[24]);
  s.model_version = Opt<std::string>(row[25]);
  s.predicted_at = Opt<std::string>(row[26]);
  if (p.Id() != id) {
    return absl::DataLossError(absl::StrCat("pattern ", id,
                                            ": stored id differs from "
                                            "Pattern::Id() of its fields (",
                                            p.Id(), ")"));
  }
  s.id = id;
  return s;
}

absl::StatusOr<StoredTransition> ParseHistoryRow(
    const pqxx::row& row, const std::string& pattern_id) {
  StoredTransition st;
  LifecycleTransition& t = st.transition;
  st.id = row[0].as<int64_t>();
  t.pattern_id = pattern_id;
  if (!row[1].is_null()) {
    absl::StatusOr<LifecycleState> from =
        ParseLifecycleState(row[1].as<std::string>());
    if (!from.ok()) return from.status();
    t.from = *from;
  }
  absl::StatusOr<LifecycleState> to =
      ParseLifecycleState(row[2].as<std::string>());
  if (!to.ok()) return to.status();
  t.to = *to;
  t.event_day = Opt<Day>(row[3]).value_or(0);
  t.actual_outcome = Opt<int>(row[4]);
  t.reason = Opt<std::string>(row[5]).value_or("");
  st.source = row[6].as<std::string>();
  t.rule_confidence = Opt<double>(row[7]);
  t.ml_confidence = Opt<double>(row[8]);
  t.blended_confidence = Opt<double>(row[9]);
  t.blend_weight = Opt<double>(row[10]);
  t.fallback_reason = Opt<std::string>(row[11]).value_or("");
  st.model_version = Opt<std::string>(row[12]);
  st.latency_ms = Opt<double>(row[13]);
  return st;
}

// `values` as a PostgreSQL text[] literal ({"a","b"}, quotes and
// backslashes escaped): libpqxx 6 passes no arrays as parameters.
std::string TextArrayLiteral(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
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

absl::StatusOr<std::vector<StoredPattern>> PatternEventStore::Query(
    const std::string& where, const std::vector<std::string>& params,
    const std::string& what) {
  return RunInTransaction<pqxx::read_transaction>(
      conn_, absl::StrCat("loading ", what),
      [&](pqxx::read_transaction& tx)
          -> absl::StatusOr<std::vector<StoredPattern>> {
        const pqxx::result rows = tx.exec_params(
            absl::StrCat("SELECT ", kSelectColumns, " FROM pattern_events ",
                         where, " ORDER BY confirmation_date, id"),
            pqxx::prepare::make_dynamic_params(params));
        std::vector<StoredPattern> out;
        out.reserve(rows.size());
        for (const pqxx::row& row : rows) {
          absl::StatusOr<StoredPattern> s = ParseRow(row);
          if (!s.ok()) return s.status();
          out.push_back(*std::move(s));
        }
        return out;
      });
}

// Load by id is the server's per-request query, so it is a prepared
// statement, registered once per connection (libpqxx accepts re-registering
// the same definition and prepares it on first use).
absl::StatusOr<StoredPattern> PatternEventStore::Load(const std::string& id) {
  static const std::string kLoadByIdSql = absl::StrCat(
      "SELECT ", kSelectColumns, " FROM pattern_events WHERE id = $1");
  // One statement on the server's request path: no BEGIN/COMMIT round trips.
  return RunInTransaction<pqxx::nontransaction>(
      conn_, absl::StrCat("loading pattern ", id),
      [&](pqxx::nontransaction& tx) -> absl::StatusOr<StoredPattern> {
        conn_.prepare("pcs_load_pattern_by_id", kLoadByIdSql);
        const pqxx::result rows =
            tx.exec_prepared("pcs_load_pattern_by_id", id);
        if (rows.empty()) {
          return absl::NotFoundError("no pattern with id " + id);
        }
        return ParseRow(rows[0]);
      });
}

absl::StatusOr<std::vector<PatternEventStore::LoadedRow>>
PatternEventStore::LoadMany(const std::vector<std::string>& ids) {
  static const std::string kLoadManySql =
      absl::StrCat("SELECT ", kSelectColumns,
                   " FROM pattern_events WHERE id = ANY($1::text[])");
  return RunInTransaction<pqxx::nontransaction>(
      conn_,
      absl::StrCat("loading ", ids.size(), " patterns (first ",
                   ids.empty() ? "none" : ids.front(), ")"),
      [&](pqxx::nontransaction& tx) -> absl::StatusOr<std::vector<LoadedRow>> {
        conn_.prepare("pcs_load_patterns_by_ids", kLoadManySql);
        const pqxx::result rows =
            tx.exec_prepared("pcs_load_patterns_by_ids", TextArrayLiteral(ids));
        std::vector<LoadedRow> out;
        out.reserve(rows.size());
        for (const pqxx::row& row : rows) {
          out.push_back({row[0].as<std::string>(), ParseRow(row)});
        }
        return out;
      });
}

absl::StatusOr<std::vector<StoredPattern>> PatternEventStore::LoadPatterns(
    const PatternFilter& filter) {
  std::vector<std::string> conds;
  std::vector<std::string> params;
  auto next = [&params](std::string value) {
    params.push_back(std::move(value));
    return absl::StrCat("$", params.size());
  };
  if (filter.from) {
    conds.push_back(absl::StrCat(
        "confirmation_date >= ", next(FormatDay(*filter.from)), "::date"));
  }
  if (filter.to) {
    conds.push_back(absl::StrCat(
        "confirmation_date <= ", next(FormatDay(*filter.to)), "::date"));
  }
  if (filter.resolved_only) conds.push_back("outcome_label IS NOT NULL");
  if (!filter.symbols.empty()) {
    std::vector<std::string> placeholders;
    for (const std::string& s : filter.symbols) placeholders.push_back(next(s));
    conds.push_back("symbol IN (" + absl::StrJoin(placeholders, ", ") + ")");
  }
  const std::string where =
      conds.empty() ? "" : "WHERE " + absl::StrJoin(conds, " AND ");
  return Query(where, params,
               absl::StrCat("patterns (", conds.empty() ? "all" : where,
                            " with ", absl::StrJoin(params, ", "), ")"));
}

absl::StatusOr<UnresolvedPatterns> PatternEventStore::LoadUnresolved() {
  return RunInTransaction<pqxx::read_transaction>(
      conn_, "reading unresolved patterns",
      [&](pqxx::read_transaction& tx) -> absl::StatusOr<UnresolvedPatterns> {
        UnresolvedPatterns out;
        const pqxx::row r = tx.exec1(
            "SELECT min(confirmation_date) FILTER (WHERE outcome_label IS "
            "NULL AND exit_reason IS NULL) - DATE '1970-01-01', "
            "max(confirmation_date) - DATE '1970-01-01' FROM pattern_events");
        out.earliest_confirmation = Opt<Day>(r[0]);
        out.latest_confirmation = Opt<Day>(r[1]);
        for (const pqxx::row& id : tx.exec(
                 "SELECT id FROM pattern_events WHERE outcome_label IS NULL "
                 "AND exit_reason IS NULL ORDER BY id")) {
          out.ids.push_back(id[0].as<std::string>());
        }
        return out;
      });
}

absl::StatusOr<int64_t> PatternEventStore::CountResolved(
    const std::vector<std::string>& ids) {
  return RunInTransaction<pqxx::read_transaction>(
      conn_, "counting resolved patterns",
      [&](pqxx::read_transaction& tx) -> absl::StatusOr<int64_t> {
        return tx
            .exec_params1(
                "SELECT count(*) FROM pattern_events WHERE id = "
                "ANY($1::text[]) AND (outcome_label IS NOT NULL OR "
                "exit_reason IS NOT NULL)",
                absl::StrCat("{", absl::StrJoin(ids, ","), "}"))[0]
            .as<int64_t>();
      });
}

absl::StatusOr<std::vector<std::string>> PatternEventStore::ListSymbols() {
  return RunInTransaction<pqxx::read_transaction>(
      conn_, "listing symbols with patterns",
      [&](pqxx::read_transaction& tx)
          -> absl::StatusOr<std::vector<std::string>> {
        std::vector<std::string> out;
        for (const auto& row : tx.exec("SELECT DISTINCT symbol FROM "
                                       "pattern_events ORDER BY symbol")) {
          out.push_back(row[0].as<std::string>());
        }
        return out;
      });
}

absl::StatusOr<std::vector<StoredTransition>> PatternEventStore::LoadHistory(
    const std::string& pattern_id) {
  return RunInTransaction<pqxx::read_transaction>(
      conn_, absl::StrCat("loading lifecycle history of ", pattern_id),
      [&](pqxx::read_transaction& tx)
          -> absl::StatusOr<std::vector<StoredTransition>> {
        const pqxx::result rows = tx.exec_params(
            "SELECT id, from_state, to_state, event_date - DATE '1970-01-01', "
            "actual_outcome, reason, source, rule_confidence, ml_confidence, "
            "blended_confidence, blend_weight, fallback_reason, "
            "model_version, latency_ms FROM pattern_lifecycle_history WHERE "
            "pattern_id = $1 ORDER BY id",
            pattern_id);
        std::vector<StoredTransition> out;
        for (const pqxx::row& row : rows) {
          absl::StatusOr<StoredTransition> t = ParseHistoryRow(row, pattern_id);
          if (!t.ok()) return t.status();
          out.push_back(*std::move(t));
        }
        return out;
      });
}

}  // namespace pcs
