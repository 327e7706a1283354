#ifndef PCS_DB_LIFECYCLE_HISTORY_STORE_H_
#define PCS_DB_LIFECYCLE_HISTORY_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lifecycle/pattern_lifecycle_manager.h"
#include "pqxx/pqxx"

namespace pcs {

// One row to append to pattern_lifecycle_history.
struct HistoryEntry {
  // pattern_id, from (nullopt = first row), to, event_day, confidences,
  // fallback_reason ("" = NULL), reason ("" = NULL).
  LifecycleTransition transition;
  std::string source;         // backfill | evaluate | analyst
  std::string model_version;  // "" = NULL
  std::optional<double> latency_ms;
  bool dated_today = false;  // event_date = current_date, not event_day
};

// The id and recorded_at (as PostgreSQL prints it) of an appended row.
struct AppendedHistoryRow {
  int64_t id = 0;
  std::string recorded_at;
};

// The one writer of pattern_lifecycle_history: every INSERT and UPDATE of
// that table is here. Callers decide the transition (PatternLifecycleManager:
// DecisionTransition, StateSequence) and change pattern_events themselves;
// this class writes the matching history rows inside the caller's
// transaction, so the state change and its history commit together.
//
// Prediction traces (scored requests) are not lifecycle history: they live
// in prediction_traces (db/prediction_trace_store.h).
//
// Rows of a pattern an analyst decided are skipped by a trigger
// (migrations/0005) unless they keep the analyst's state or come from the
// analyst.
//
// Errors: methods throw libpqxx exceptions; call them inside
// RunInTransaction (db/transaction.h), which maps them to a Status.
// Threading: as the transaction (one thread).
//
// Example:
//   RunInTransaction(conn, "deciding", [&](pqxx::work& tx) {
//     tx.exec_params("UPDATE pattern_events SET lifecycle_state = ...");
//     LifecycleHistoryStore(tx).Append({.transition = t, .source =
//     "evaluate"}); return absl::OkStatus();
//   });
class LifecycleHistoryStore {
 public:
  explicit LifecycleHistoryStore(pqxx::transaction_base& tx) : tx_(tx) {}

  // Appends one row.
  AppendedHistoryRow Append(const HistoryEntry& entry);

  // Appends `transitions` with `source` (the backfill), skipping a
  // transition when a row with the same (pattern_id, to_state, source)
  // exists, when an earlier one in the call has that key, or when the pattern
  // is 'rejected' in pattern_events (a decision's rejection is terminal).
  // Rows go in call order. Returns the number of rows added. Takes a
  // session-lived temporary staging table (rows deleted at commit).
  int64_t AppendOnce(const std::vector<LifecycleTransition>& transitions,
                     const std::string& source);

  // True when `pattern_id` has a row with `source`.
  bool HasSource(const std::string& pattern_id, const std::string& source);

 private:
  pqxx::transaction_base& tx_;
};

}  // namespace pcs

#endif  // PCS_DB_LIFECYCLE_HISTORY_STORE_H_
