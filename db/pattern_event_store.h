#ifndef PCS_DB_PATTERN_EVENT_STORE_H_
#define PCS_DB_PATTERN_EVENT_STORE_H_

#include <cstdint>
#include <optional>
#include <pqxx/connection>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/bar.h"
#include "lifecycle/lifecycle_state.h"
#include "lifecycle/pattern.h"
#include "lifecycle/pattern_lifecycle_manager.h"

namespace pcs {

// Everything the backfill writes for one pattern.
struct PatternRecord {
  Pattern pattern;
  Outcome outcome;
  int outcome_horizon_bars = 40;
  std::string detector_version;
  LifecycleState lifecycle_state = LifecycleState::kConfirmed;  // current
  // Oldest first (PatternLifecycleManager::StateSequence); pattern_id is
  // ignored (the record's id is used).
  std::vector<LifecycleTransition> transitions;
};

// One row of pattern_events as loaded back, including the columns that later
// stages (serving, evaluation) fill in.
struct StoredPattern {
  std::string id;  // the row's id (== pattern.Id(), checked when loaded)
  Pattern pattern;
  Outcome outcome;  // label nullopt and exit_reason "" when unresolved
  std::optional<int> outcome_horizon_bars;
  LifecycleState lifecycle_state = LifecycleState::kDetected;
  std::string detector_version;
  std::optional<std::string> snapshot_url;
  std::optional<double> ml_confidence;
  std::optional<double> blended_confidence;
  std::optional<std::string> model_version;
  std::optional<std::string>
      predicted_at;  // timestamptz as PostgreSQL prints it
};

// One row of pattern_lifecycle_history.
struct StoredTransition {
  int64_t id = 0;
  LifecycleTransition transition;  // pattern_id filled in
  std::string source;
  std::optional<std::string> model_version;
  std::optional<double> latency_ms;
};

// Result of one Upsert call.
struct UpsertCounts {
  int64_t inserted = 0;      // new ids
  int64_t updated = 0;       // existing ids whose stored columns changed
  int64_t unchanged = 0;     // existing ids, nothing to change
  int64_t history_rows = 0;  // lifecycle history rows added

  UpsertCounts& operator+=(const UpsertCounts& o) {
    inserted += o.inserted;
    updated += o.updated;
    unchanged += o.unchanged;
    history_rows += o.history_rows;
    return *this;
  }
};

// What ApplyDecision did.
struct AppliedDecision {
  LifecycleState from = LifecycleState::kDetected;  // state read FOR UPDATE
  bool recorded = false;  // a history row (source 'evaluate') was written
};

// Ids of the patterns whose outcome is not known yet, and the dates an
// outcome run needs.
struct UnresolvedPatterns {
  std::vector<std::string> ids;              // sorted
  std::optional<Day> earliest_confirmation;  // of the unresolved ones
  std::optional<Day> latest_confirmation;    // of every pattern
};

// Which patterns LoadPatterns returns. All conditions are ANDed.
struct PatternFilter {
  std::optional<Day> from;           // confirmation_date >= from
  std::optional<Day> to;             // confirmation_date <= to
  bool resolved_only = false;        // outcome_label IS NOT NULL
  std::vector<std::string> symbols;  // empty = every symbol
};

// Adapter between Pattern/Outcome and the pattern_events and
// pattern_lifecycle_history tables (schema: docs / migrations, owned by db/).
//
// Column mapping:
//   id = Pattern::Id(); key_points = jsonb
//   [{"role","day":"YYYY-MM-DD","price"}]; rule_criteria = jsonb object {name:
//   score}; outcome_label NULL and exit_reason NULL while unresolved;
//   outcome_resolved_at = Outcome::resolved_day. realized_pnl, max_drawdown and
//   bars_to_outcome are stored only once the outcome is resolved (the labeler's
//   mark-to-market values of an open pattern are not persisted; they load back
//   as 0).
// PostgreSQL stores jsonb object keys in its own order, so loaded
// rule_criteria come back sorted by name (Criterion() lookups are unaffected).
//
// Threading: an instance uses the connection it was given (not owned, must
// outlive the store) and, like pqxx::connection, must be used by one thread at
// a time. Use one store + connection per worker thread. Concurrent Upserts
// from several processes are safe: each transaction takes a per-symbol
// advisory lock before it writes.
// Errors: every libpqxx exception is caught here and returned as a Status
// naming the operation; nothing throws.
//
// Example:
//   auto conn = Database::ConnectTo(conninfo);
//   PatternEventStore store(**conn);
//   absl::StatusOr<UpsertCounts> counts = store.Upsert(records);
class PatternEventStore {
 public:
  explicit PatternEventStore(pqxx::connection& conn) : conn_(conn) {}

  // Inserts new patterns and updates changed ones (keyed by id) in one
  // transaction: COPY into a temporary staging table, then one
  // INSERT ... ON CONFLICT (id) DO UPDATE ... WHERE <something differs>.
  // ML/prediction columns are never touched. Each record's transitions are
  // appended to pattern_lifecycle_history with `source` unless a row with the
  // same (pattern_id, to_state, source) exists, so re-running adds nothing
  // (LifecycleHistoryStore::AppendOnce, same transaction).
  // Invalid records (non-finite numbers, rule_confidence outside [0, 1], empty
  // symbol, duplicate ids in one call) fail the whole call, naming the id.
  absl::StatusOr<UpsertCounts> Upsert(const std::vector<PatternRecord>& records,
                                      const std::string& source = "backfill");

  // Applies a lifecycle decision (EvaluatePattern) in one transaction:
  // `decided` comes from PatternLifecycleManager::DecisionTransition (its
  // `from` is ignored: the stored state is read under FOR UPDATE);
  // pattern_events gets lifecycle_state = decided.to, ml/blended confidence,
  // model_version ("" = NULL) and predicted_at; one history row (source
  // 'evaluate', with `latency_ms`) is appended through LifecycleHistoryStore.
  // Which moves are recorded:
  //   detected -> confirmed | rejected          (the lifecycle table);
  //   confirmed -> confirmed | rejected         only as the FIRST decision
  //     on a pattern the backfill stored as 'confirmed' by the rules alone
  //     (no earlier 'evaluate' row): the decision replaces the provisional
  //     rule decision, recorded even if it agrees;
  //   already in the decided state               nothing recorded;
  //   anything else                              FailedPrecondition.
  // NotFound for an unknown id; FailedPrecondition when an analyst decided
  // the pattern (migrations/0005).
  absl::StatusOr<AppliedDecision> ApplyDecision(
      const LifecycleTransition& decided, const std::string& model_version,
      double latency_ms);

  // The pattern with this id; NotFoundError when there is none.
  absl::StatusOr<StoredPattern> Load(const std::string& id);

  // The rows among `ids` that exist, in no particular order (an unknown id
  // is simply absent), each parsed on its own (a corrupt row is a DataLoss
  // status for its id only): one prepared `WHERE id = ANY($1)` statement,
  // what the server's batched lookup (db/scoring_repository.h) runs.
  struct LoadedRow {
    std::string id;
    absl::StatusOr<StoredPattern> pattern;
  };
  absl::StatusOr<std::vector<LoadedRow>> LoadMany(
      const std::vector<std::string>& ids);

  // Patterns matching `filter`, ordered by (confirmation_date, id).
  absl::StatusOr<std::vector<StoredPattern>> LoadPatterns(
      const PatternFilter& filter);

  // What changed since a poller's last look (pcs-server's pattern preload,
  // db/scoring_repository.h): the id and state of every row whose
  // updated_at is at or after `since` minus `overlap_seconds`
  // (migrations/0007 stamps updated_at on every lifecycle_state change; an
  // insert takes its insert time), and the database clock of the read, the
  // next look's `since`. `since` empty: no rows, only the clock (before a
  // first full read).
  struct ChangedStates {
    std::string as_of;  // timestamptz as PostgreSQL prints it
    std::vector<std::pair<std::string, LifecycleState>> states;
  };
  absl::StatusOr<ChangedStates> LoadChangedSince(const std::string& since,
                                                 double overlap_seconds);

  // Every stored pattern's id and lifecycle state (a poller's periodic full
  // check, which no long transaction can slip past).
  absl::StatusOr<std::vector<std::pair<std::string, LifecycleState>>>
  LoadAllStates();

  // The patterns whose outcome is not known yet (outcome_label IS NULL AND
  // exit_reason IS NULL): what `pcs outcomes` starts from.
  absl::StatusOr<UnresolvedPatterns> LoadUnresolved();

  // How many of `ids` are resolved now (outcome_label or exit_reason set);
  // unknown ids count as unresolved.
  absl::StatusOr<int64_t> CountResolved(const std::vector<std::string>& ids);

  // Every symbol with at least one stored pattern, sorted.
  absl::StatusOr<std::vector<std::string>> ListSymbols();

  // History rows of one pattern, oldest first (by id).
  absl::StatusOr<std::vector<StoredTransition>> LoadHistory(
      const std::string& pattern_id);

 private:
  // Patterns matching `where` ($1.. bound to `params`); `what` names the
  // load in errors.
  absl::StatusOr<std::vector<StoredPattern>> Query(
      const std::string& where, const std::vector<std::string>& params,
      const std::string& what);

  pqxx::connection& conn_;
};

}  // namespace pcs

#endif  // PCS_DB_PATTERN_EVENT_STORE_H_
