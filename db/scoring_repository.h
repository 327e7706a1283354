#ifndef PCS_DB_SCORING_REPOSITORY_H_
#define PCS_DB_SCORING_REPOSITORY_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/bar.h"
#include "db/connection_pool.h"
#include "db/monitoring_run_store.h"
#include "db/pattern_event_store.h"
#include "db/price_bar_store.h"

namespace pcs {

// What the scoring path reads of a stored pattern. Shared and immutable: a
// state change makes a new one.
struct ScoringPattern {
  Pattern pattern;
  LifecycleState lifecycle_state = LifecycleState::kDetected;
};

// Memory one preloaded ScoringPattern holds (the struct, its strings' and
// vectors' heap blocks, the shared_ptr control block, the map node and its
// key), for the preload's budget.
size_t PreloadedBytes(const std::string& id, const ScoringPattern& p);

struct ScoringRepositoryOptions {
  // PostgreSQL conninfo (pattern_events, price_bars, monitoring_runs).
  std::string conninfo = {};
  // Pooled connections; match the gRPC worker threads.
  int pool_size = 4;
  // Most ids one batched pattern query asks for.
  int max_batch = 64;
  // Batched pattern queries running at once (each holds one connection);
  // requests arriving meanwhile queue and go out together in the next one.
  int max_batches_in_flight = 2;
  // PreloadPatterns keeps every stored pattern in memory when they take at
  // most this much, counted by PreloadedBytes (about 700 B each on the
  // shared data: 64 MiB is ~90,000 patterns).
  size_t preload_max_bytes = size_t{64} << 20;
  // How often the preload polls for rows changed since its last look
  // (RefreshPreload); zero = never (tests call RefreshPreload by hand).
  absl::Duration refresh_period = absl::Seconds(1);
  // Each poll re-reads the rows changed since the previous one's start
  // minus this overlap, so a change whose transaction committed up to this
  // long after it was made is still seen by the next poll.
  absl::Duration refresh_overlap = absl::Seconds(10);
  // Every this many polls, every row's state is compared instead (what a
  // transaction longer than the overlap cannot slip past).
  int full_check_every = 60;
};

// What one RefreshPreload found.
struct PreloadRefresh {
  int changed = 0;    // preloaded rows whose state changed
  int added = 0;      // rows not preloaded before (new patterns)
  bool full = false;  // a full state check
};

// Everything the scoring path reads from or writes to PostgreSQL, behind one
// connection pool: the pattern of a request, bar windows by symbol, the
// symbol list the warm-up sizes its loads by, the decision EvaluatePattern
// persists, the latest drift run, a ping. The SQL itself lives in the stores
// (pattern_event_store, price_bar_store, monitoring_run_store); this class
// leases connections (ConnectionPool::Run) and batches.
//
// Batching: LoadPattern of concurrent requests is merged. A request queues
// its id; when fewer than max_batches_in_flight queries are running, the
// first waiting request takes every queued id (up to max_batch) into one
// `WHERE id = ANY($1)` query and hands each waiter its row. One request at a
// time therefore costs one query and adds no wait; under load, one query
// serves the ids that arrived while the previous one ran ("group commit").
//
// Preload: a pattern's fields never change under its id (the id is their
// hash), only its lifecycle state and prediction columns do. PreloadPatterns
// reads every row once (at start-up) so LoadPattern answers from memory.
// Freshness: a background poll (RefreshPreload every refresh_period) reads
// the ids and states of the rows whose updated_at moved since its last look
// (migrations/0007 stamps it on every state change, whoever writes),
// replacing their state, and reads the rows of new ids (in batches of
// 1,000) while the budget allows; every full_check_every
// polls it compares every row's state. So a state changed by any writer is
// served at most refresh_period (plus the poll's own time) after its commit
// (for transactions that commit within refresh_overlap of the change; a
// longer one within full_check_every polls). Writes through this
// repository (ApplyDecision) update the row at once; Forget drops one.
// Ids not preloaded go to the batched query.
//
// Errors: NotFound (unknown id), Unavailable (database down or timing out),
// DeadlineExceeded (waited past the deadline). Never throws.
// Threading: all methods thread-safe.
//
// Example:
//   auto repo = ScoringRepository::Create({.conninfo = url, .pool_size = 8});
//   absl::StatusOr<std::shared_ptr<const ScoringPattern>> p =
//       (*repo)->LoadPattern(id, deadline);
//   auto bars = (*repo)->LoadBarWindow((*p)->pattern.symbol,
//                                      (*p)->pattern.confirmation_day, 500,
//                                      deadline);
class ScoringRepository {
 public:
  static absl::StatusOr<std::unique_ptr<ScoringRepository>> Create(
      ScoringRepositoryOptions options);
  // Stops the refresh poll.
  ~ScoringRepository();

  // The stored pattern `id` (from the preload, else batched with concurrent
  // calls). `queried` (optional) is set when the database was asked.
  absl::StatusOr<std::shared_ptr<const ScoringPattern>> LoadPattern(
      const std::string& id, absl::Time deadline, bool* queried = nullptr)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Reads every stored pattern into memory when they fit preload_max_bytes
  // and starts the refresh poll; returns how many (0 when they do not fit).
  absl::StatusOr<int> PreloadPatterns(absl::Time deadline)
      ABSL_LOCKS_EXCLUDED(mu_);
  // One poll of the preload's freshness (see the class comment).
  absl::StatusOr<PreloadRefresh> RefreshPreload(absl::Time deadline)
      ABSL_LOCKS_EXCLUDED(mu_, refresh_mu_);
  // Drops `id`'s preloaded row (its state changed elsewhere); the next
  // lookup reads it from the database.
  void Forget(const std::string& id) ABSL_LOCKS_EXCLUDED(preload_mu_);

  // The last `limit` bars of `symbol` with day <= up_to, oldest first.
  absl::StatusOr<std::vector<Bar>> LoadBarWindow(const std::string& symbol,
                                                 Day up_to, int limit,
                                                 absl::Time deadline);

  // Every symbol in price_bars with its bar count and last day.
  absl::StatusOr<std::vector<SymbolExtent>> ListSymbolExtents(
      absl::Time deadline);

  // PatternEventStore::ApplyDecision on a pooled connection.
  absl::StatusOr<AppliedDecision> ApplyDecision(
      const LifecycleTransition& decided, const std::string& model_version,
      double latency_ms, absl::Time deadline);

  // The latest drift run (`pcs drift`); NotFound when there is none.
  absl::StatusOr<StoredMonitoringRun> LatestDriftRun(absl::Time deadline);

  // OkStatus when PostgreSQL answers `SELECT 1` in time, else Unavailable
  // (whatever failed, even a statement timeout: the probe says "not ready").
  absl::Status Ping(absl::Time deadline);

  const ConnectionPool& pool() const { return *pool_; }
  // Preloaded patterns and the bytes they hold (PreloadedBytes).
  size_t preloaded() const ABSL_LOCKS_EXCLUDED(preload_mu_);
  size_t preloaded_bytes() const ABSL_LOCKS_EXCLUDED(preload_mu_);
  // Batched pattern queries run so far, and the ids they asked for.
  uint64_t pattern_queries() const ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t pattern_ids_queried() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct PatternRequest;
  ScoringRepository(ScoringRepositoryOptions options,
                    std::unique_ptr<ConnectionPool> pool);
  // Takes queued requests into one query; called and returns with mu_ held
  // (released while the query runs).
  void RunPatternBatch() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Puts `row` into the preload when it is preloaded or fits the budget;
  // returns 1 when its state changed, 2 when it was added, else 0.
  int Remember(std::string id, std::shared_ptr<const ScoringPattern> row)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(preload_mu_);
  // -1: `id` is not preloaded; 0: it has `state` already; 1: it takes it.
  int UpdateState(const std::string& id, LifecycleState state)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(preload_mu_);
  // The full check, under the shared lock: the preloaded rows whose stored
  // state differs (into `changes`) and those no longer stored.
  void CompareAllStates(
      std::vector<std::pair<std::string, LifecycleState>> states,
      std::vector<std::pair<std::string, LifecycleState>>* changes,
      std::vector<std::string>* deleted) const ABSL_LOCKS_EXCLUDED(preload_mu_);
  void RefreshLoop();

  const ScoringRepositoryOptions options_;
  std::unique_ptr<ConnectionPool> pool_;
  mutable absl::Mutex mu_;
  std::deque<std::shared_ptr<PatternRequest>> queue_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t pattern_queries_ ABSL_GUARDED_BY(mu_) = 0;
  // The preload: read under a shared lock by every lookup, written by the
  // warm-up, the poll's changes, ApplyDecision and Forget.
  mutable absl::Mutex preload_mu_;
  std::unordered_map<std::string, std::shared_ptr<const ScoringPattern>>
      preloaded_ ABSL_GUARDED_BY(preload_mu_);
  size_t preloaded_bytes_ ABSL_GUARDED_BY(preload_mu_) = 0;
  uint64_t pattern_ids_queried_ ABSL_GUARDED_BY(mu_) = 0;
  // The refresh poll: one at a time; `since_` is the database clock of the
  // previous look ("" = nothing preloaded).
  absl::Mutex refresh_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::string since_ ABSL_GUARDED_BY(refresh_mu_);
  int polls_ ABSL_GUARDED_BY(refresh_mu_) = 0;
  absl::Notification stop_;
  std::thread refresher_;
};

}  // namespace pcs

#endif  // PCS_DB_SCORING_REPOSITORY_H_
