#ifndef PCS_DB_SCORING_REPOSITORY_H_
#define PCS_DB_SCORING_REPOSITORY_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/bar.h"
#include "db/connection_pool.h"
#include "db/monitoring_run_store.h"
#include "db/pattern_event_store.h"
#include "db/price_bar_store.h"

namespace pcs {

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
  // most this much (about 700 B each: 64 MB is ~90,000 patterns), and
  // trusts a preloaded row this long.
  size_t preload_max_bytes = size_t{64} << 20;
  absl::Duration preload_ttl = absl::Minutes(5);
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
// reads every row once (at start-up) so LoadPattern answers from memory; a
// preloaded row is used for preload_ttl, so its state is at most that old
// (like a score-cache entry's), and Forget drops one after a write.
// Ids not preloaded (new patterns) go to the batched query.
//
// Errors: NotFound (unknown id), Unavailable (database down or timing out),
// DeadlineExceeded (waited past the deadline). Never throws.
// Threading: all methods thread-safe.
//
// Example:
//   auto repo = ScoringRepository::Create({.conninfo = url, .pool_size = 8});
//   absl::StatusOr<StoredPattern> p = (*repo)->LoadPattern(id, deadline);
//   auto bars = (*repo)->LoadBarWindow(p->pattern.symbol,
//                                      p->pattern.confirmation_day, 500,
//                                      deadline);
class ScoringRepository {
 public:
  static absl::StatusOr<std::unique_ptr<ScoringRepository>> Create(
      ScoringRepositoryOptions options);

  // The stored pattern `id` (batched with concurrent calls).
  absl::StatusOr<StoredPattern> LoadPattern(const std::string& id,
                                            absl::Time deadline)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Reads every stored pattern into memory when they fit preload_max_bytes;
  // returns how many (0 when they do not fit).
  absl::StatusOr<int> PreloadPatterns(absl::Time deadline)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Drops `id`'s preloaded row (its state changed).
  void Forget(const std::string& id) ABSL_LOCKS_EXCLUDED(mu_);

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

  const ScoringRepositoryOptions options_;
  std::unique_ptr<ConnectionPool> pool_;
  mutable absl::Mutex mu_;
  std::deque<std::shared_ptr<PatternRequest>> queue_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t pattern_queries_ ABSL_GUARDED_BY(mu_) = 0;
  std::unordered_map<std::string, StoredPattern> preloaded_
      ABSL_GUARDED_BY(mu_);
  absl::Time preloaded_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t pattern_ids_queried_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace pcs

#endif  // PCS_DB_SCORING_REPOSITORY_H_
