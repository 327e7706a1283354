#include "db/scoring_repository.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "db/transaction.h"

namespace pcs {

struct ScoringRepository::PatternRequest {
  std::string id;
  absl::Time deadline;
  bool done = false;
  absl::StatusOr<StoredPattern> result = absl::UnknownError("not looked up");
};

absl::StatusOr<std::unique_ptr<ScoringRepository>> ScoringRepository::Create(
    ScoringRepositoryOptions options) {
  if (options.max_batch <= 0 || options.max_batches_in_flight <= 0) {
    return absl::InvalidArgumentError(
        "ScoringRepository: max_batch and max_batches_in_flight must be > 0");
  }
  auto pool = ConnectionPool::Create(
      {.conninfo = options.conninfo, .size = options.pool_size});
  if (!pool.ok()) return pool.status();
  return std::unique_ptr<ScoringRepository>(
      new ScoringRepository(std::move(options), std::move(*pool)));
}

ScoringRepository::ScoringRepository(ScoringRepositoryOptions options,
                                     std::unique_ptr<ConnectionPool> pool)
    : options_(std::move(options)), pool_(std::move(pool)) {}

absl::StatusOr<StoredPattern> ScoringRepository::LoadPattern(
    const std::string& id, absl::Time deadline) {
  auto request = std::make_shared<PatternRequest>();
  request->id = id;
  request->deadline = deadline;
  absl::MutexLock lock(&mu_);
  if (absl::Now() - preloaded_at_ < options_.preload_ttl) {
    if (auto it = preloaded_.find(id); it != preloaded_.end()) {
      return it->second;
    }
  }
  queue_.push_back(request);
  struct Wait {
    ScoringRepository* self;
    PatternRequest* request;
  } wait{this, request.get()};
  const absl::Condition done_or_can_run(
      +[](Wait* w) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return w->request->done ||
               (w->self->in_flight_ < w->self->options_.max_batches_in_flight &&
                !w->self->queue_.empty());
      },
      &wait);
  while (true) {
    if (!mu_.AwaitWithDeadline(done_or_can_run, deadline)) {
      // Still queued: leave. In a running batch: that batch fills it later.
      auto it = std::find(queue_.begin(), queue_.end(), request);
      if (it != queue_.end()) queue_.erase(it);
      return absl::DeadlineExceededError(
          absl::StrCat("deadline passed waiting for pattern ", id));
    }
    if (request->done) return std::move(request->result);
    RunPatternBatch();
  }
}

void ScoringRepository::RunPatternBatch() {
  std::vector<std::shared_ptr<PatternRequest>> batch;
  absl::Time deadline = absl::InfinitePast();
  while (!queue_.empty() &&
         static_cast<int>(batch.size()) < options_.max_batch) {
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
    deadline = std::max(deadline, batch.back()->deadline);
  }
  ++in_flight_;
  ++pattern_queries_;
  pattern_ids_queried_ += batch.size();
  mu_.Unlock();
  std::vector<std::string> ids;
  ids.reserve(batch.size());
  for (const auto& r : batch) ids.push_back(r->id);
  absl::StatusOr<std::vector<PatternEventStore::LoadedRow>> rows =
      pool_->Run(deadline, "loading patterns", [&](pqxx::connection& conn) {
        return PatternEventStore(conn).LoadMany(ids);
      });
  std::unordered_map<std::string, const absl::StatusOr<StoredPattern>*> by_id;
  if (rows.ok()) {
    for (const auto& row : *rows) by_id[row.id] = &row.pattern;
  }
  mu_.Lock();
  --in_flight_;
  for (const auto& r : batch) {
    if (!rows.ok()) {
      r->result = rows.status();
    } else if (auto it = by_id.find(r->id); it != by_id.end()) {
      r->result = *it->second;  // copied: an id may be asked for twice
    } else {
      r->result = absl::NotFoundError("no pattern with id " + r->id);
    }
    r->done = true;
  }
}

absl::StatusOr<int> ScoringRepository::PreloadPatterns(absl::Time deadline) {
  // Rough bytes per row: the struct, its strings, key points and criteria.
  constexpr size_t kBytesPerPattern = sizeof(StoredPattern) + 320;
  absl::StatusOr<int64_t> count = pool_->Run(
      deadline, "counting patterns",
      [](pqxx::connection& conn) -> absl::StatusOr<int64_t> {
        return RunInTransaction<pqxx::nontransaction>(
            conn, "counting patterns",
            [](pqxx::nontransaction& tx) -> absl::StatusOr<int64_t> {
              return tx.exec1("SELECT count(*) FROM pattern_events")[0]
                  .as<int64_t>();
            });
      });
  if (!count.ok()) return count.status();
  if (static_cast<size_t>(*count) * kBytesPerPattern >
      options_.preload_max_bytes) {
    return 0;
  }
  const absl::Time started = absl::Now();
  absl::StatusOr<std::vector<StoredPattern>> rows =
      pool_->Run(deadline, "preloading patterns", [](pqxx::connection& conn) {
        return PatternEventStore(conn).LoadPatterns({});
      });
  if (!rows.ok()) return rows.status();
  std::unordered_map<std::string, StoredPattern> by_id;
  by_id.reserve(rows->size());
  for (StoredPattern& p : *rows) {
    std::string id = p.id;
    by_id.emplace(std::move(id), std::move(p));
  }
  const int n = static_cast<int>(by_id.size());
  absl::MutexLock lock(&mu_);
  preloaded_ = std::move(by_id);
  preloaded_at_ = started;
  return n;
}

void ScoringRepository::Forget(const std::string& id) {
  absl::MutexLock lock(&mu_);
  preloaded_.erase(id);
}

absl::StatusOr<std::vector<Bar>> ScoringRepository::LoadBarWindow(
    const std::string& symbol, Day up_to, int limit, absl::Time deadline) {
  return pool_->Run(deadline, "loading bars", [&](pqxx::connection& conn) {
    return LoadLastBars(conn, symbol, up_to, limit);
  });
}

absl::StatusOr<std::vector<SymbolExtent>> ScoringRepository::ListSymbolExtents(
    absl::Time deadline) {
  return pool_->Run(deadline, "listing symbols", [](pqxx::connection& conn) {
    return pcs::ListSymbolExtents(conn);
  });
}

absl::StatusOr<AppliedDecision> ScoringRepository::ApplyDecision(
    const LifecycleTransition& decided, const std::string& model_version,
    double latency_ms, absl::Time deadline) {
  return pool_->Run(deadline, "persisting a decision",
                    [&](pqxx::connection& conn) {
                      return PatternEventStore(conn).ApplyDecision(
                          decided, model_version, latency_ms);
                    });
}

absl::StatusOr<StoredMonitoringRun> ScoringRepository::LatestDriftRun(
    absl::Time deadline) {
  absl::StatusOr<StoredMonitoringRun> run = pool_->Run(
      deadline, "loading the latest drift run", [](pqxx::connection& conn) {
        return LoadLatestMonitoringRun(conn, "drift");
      });
  if (run.ok() || absl::IsNotFound(run.status()) ||
      absl::IsDeadlineExceeded(run.status())) {
    return run;
  }
  return absl::UnavailableError(run.status().message());
}

absl::Status ScoringRepository::Ping(absl::Time deadline) {
  absl::Status s = pool_->Run(
      deadline, "database ping", [](pqxx::connection& conn) -> absl::Status {
        return RunInTransaction<pqxx::nontransaction>(
            conn, "database ping", [](pqxx::nontransaction& tx) {
              tx.exec("SELECT 1");
              return absl::OkStatus();
            });
      });
  if (s.ok() || absl::IsDeadlineExceeded(s)) return s;
  return absl::UnavailableError(s.message());
}

uint64_t ScoringRepository::pattern_queries() const {
  absl::MutexLock lock(&mu_);
  return pattern_queries_;
}

uint64_t ScoringRepository::pattern_ids_queried() const {
  absl::MutexLock lock(&mu_);
  return pattern_ids_queried_;
}

}  // namespace pcs
