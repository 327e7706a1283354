// PatternEventStore's loads: the select list, the row parsers and every
// read (the writes, Upsert and ApplyDecision, are pattern_event_store.cc).
#include <algorithm>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "db/pattern_event_store.h"
#include "db/transaction.h"

namespace pcs {
namespace {

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

// One (id, lifecycle_state) row; DATA_LOSS naming the pattern when the
// state is not one pcs knows.
absl::StatusOr<std::pair<std::string, LifecycleState>> ParseIdAndState(
    const pqxx::row& row) {
  absl::StatusOr<LifecycleState> state =
      ParseLifecycleState(row[1].as<std::string>());
  if (!state.ok()) {
    return absl::DataLossError(absl::StrCat("pattern ", row[0].c_str(), ": ",
                                            state.status().message()));
  }
  return std::make_pair(row[0].as<std::string>(), *state);
}

// Every row through `parse` (returning absl::StatusOr<T>); the first error
// is the answer.
template <typename T, typename Parse>
absl::StatusOr<std::vector<T>> ParseRows(const pqxx::result& rows,
                                         const Parse& parse) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (const pqxx::row& row : rows) {
    absl::StatusOr<T> item = parse(row);
    if (!item.ok()) return item.status();
    out.push_back(*std::move(item));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<StoredPattern>> PatternEventStore::Query(
    const std::string& where, const std::vector<std::string>& params,
    const std::string& what) {
  return RunInTransaction<pqxx::read_transaction>(
      conn_, absl::StrCat("loading ", what),
      [&](pqxx::read_transaction& tx)
          -> absl::StatusOr<std::vector<StoredPattern>> {
        return ParseRows<StoredPattern>(
            tx.exec_params(
                absl::StrCat("SELECT ", kSelectColumns, " FROM pattern_events ",
                             where, " ORDER BY confirmation_date, id"),
                pqxx::prepare::make_dynamic_params(params)),
            ParseRow);
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

absl::StatusOr<PatternEventStore::ChangedStates>
PatternEventStore::LoadChangedSince(const std::string& since,
                                    double overlap_seconds) {
  // One snapshot for the clock and the rows: a change committed after it
  // has updated_at >= as_of - its transaction's length, so the next look
  // (from as_of - overlap) sees it when that transaction was shorter than
  // the overlap.
  return RunInTransaction<pqxx::read_transaction>(
      conn_, "loading the pattern states changed since " + since,
      [&](pqxx::read_transaction& tx) -> absl::StatusOr<ChangedStates> {
        ChangedStates out;
        out.as_of = tx.exec1("SELECT now()::text")[0].as<std::string>();
        if (since.empty()) return out;
        const pqxx::result rows = tx.exec_params(
            "SELECT id, lifecycle_state FROM pattern_events WHERE updated_at "
            ">= $1::timestamptz - make_interval(secs => $2)",
            since, overlap_seconds);
        auto states = ParseRows<std::pair<std::string, LifecycleState>>(
            rows, ParseIdAndState);
        if (!states.ok()) return states.status();
        out.states = *std::move(states);
        return out;
      });
}

absl::StatusOr<std::vector<std::pair<std::string, LifecycleState>>>
PatternEventStore::LoadAllStates() {
  using States = std::vector<std::pair<std::string, LifecycleState>>;
  return RunInTransaction<pqxx::nontransaction>(
      conn_, "loading every pattern's state",
      [&](pqxx::nontransaction& tx) -> absl::StatusOr<States> {
        return ParseRows<States::value_type>(
            tx.exec("SELECT id, lifecycle_state FROM pattern_events"),
            ParseIdAndState);
      });
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
        return ParseRows<StoredTransition>(rows, [&](const pqxx::row& row) {
          return ParseHistoryRow(row, pattern_id);
        });
      });
}

}  // namespace pcs
