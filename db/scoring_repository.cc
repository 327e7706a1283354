#include "db/scoring_repository.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "db/transaction.h"

namespace pcs {

namespace {

// glibc malloc: a block of n bytes takes n + 8 rounded up to 16, at least 32.
size_t Block(size_t n) {
  return n == 0 ? 0 : std::max<size_t>(32, (n + 8 + 15) / 16 * 16);
}
// Heap bytes of a string beyond its inline buffer.
size_t Heap(const std::string& s) {
  return s.capacity() > 15 ? Block(s.capacity() + 1) : 0;
}

std::shared_ptr<const ScoringPattern> ToScoring(StoredPattern&& stored) {
  auto row = std::make_shared<ScoringPattern>();
  row->pattern = std::move(stored.pattern);
  row->pattern.key_points.shrink_to_fit();
  row->pattern.rule_criteria.shrink_to_fit();
  row->lifecycle_state = stored.lifecycle_state;
  return row;
}

}  // namespace

size_t PreloadedBytes(const std::string& id, const ScoringPattern& p) {
  using Node =
      std::pair<const std::string, std::shared_ptr<const ScoringPattern>>;
  // make_shared: one block for the control block (16 B) and the struct.
  size_t bytes = Block(16 + sizeof(ScoringPattern)) + Heap(p.pattern.symbol);
  bytes += Block(p.pattern.key_points.capacity() * sizeof(KeyPoint));
  for (const KeyPoint& k : p.pattern.key_points) bytes += Heap(k.role);
  bytes += Block(p.pattern.rule_criteria.capacity() *
                 sizeof(p.pattern.rule_criteria[0]));
  for (const auto& [name, value] : p.pattern.rule_criteria) {
    bytes += Heap(name);
  }
  // The map: a node (next pointer, cached hash, key and value), the key's
  // heap block and a bucket slot.
  return bytes + Block(2 * sizeof(void*) + sizeof(Node)) + Heap(id) +
         sizeof(void*);
}

struct ScoringRepository::PatternRequest {
  std::string id;
  absl::Time deadline;
  bool done = false;
  absl::StatusOr<std::shared_ptr<const ScoringPattern>> result =
      absl::UnknownError("not looked up");
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

ScoringRepository::~ScoringRepository() {
  stop_.Notify();
  if (refresher_.joinable()) refresher_.join();
}

absl::StatusOr<std::shared_ptr<const ScoringPattern>>
ScoringRepository::LoadPattern(const std::string& id, absl::Time deadline,
                               bool* queried) {
  if (queried != nullptr) *queried = false;
  {
    absl::ReaderMutexLock lock(&preload_mu_);
    if (auto it = preloaded_.find(id); it != preloaded_.end()) {
      return it->second;
    }
  }
  if (queried != nullptr) *queried = true;
  auto request = std::make_shared<PatternRequest>();
  request->id = id;
  request->deadline = deadline;
  absl::MutexLock lock(&mu_);
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
  std::unordered_map<std::string,
                     absl::StatusOr<std::shared_ptr<const ScoringPattern>>>
      by_id;
  if (rows.ok()) {
    for (auto& row : *rows) {
      if (row.pattern.ok()) {
        by_id.emplace(row.id, ToScoring(*std::move(row.pattern)));
      } else {
        by_id.emplace(row.id, row.pattern.status());
      }
    }
  }
  mu_.Lock();
  --in_flight_;
  for (const auto& r : batch) {
    if (!rows.ok()) {
      r->result = rows.status();
    } else if (auto it = by_id.find(r->id); it != by_id.end()) {
      r->result = it->second;  // shared: an id may be asked for twice
    } else {
      r->result = absl::NotFoundError("no pattern with id " + r->id);
    }
    r->done = true;
  }
}

absl::StatusOr<int> ScoringRepository::PreloadPatterns(absl::Time deadline) {
  // A floor per row (struct, id, a few key points and criteria): a table
  // that cannot fit is not read at all; one that may is measured exactly.
  constexpr size_t kMinBytesPerPattern = sizeof(ScoringPattern) + 400;
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
  if (static_cast<size_t>(*count) * kMinBytesPerPattern >
      options_.preload_max_bytes) {
    return 0;
  }
  absl::MutexLock refresh(&refresh_mu_);
  // The clock first: changes made while the rows are read are polled again.
  absl::StatusOr<PatternEventStore::ChangedStates> clock = pool_->Run(
      deadline, "reading the database clock", [](pqxx::connection& conn) {
        return PatternEventStore(conn).LoadChangedSince("", 0);
      });
  if (!clock.ok()) return clock.status();
  absl::StatusOr<std::vector<StoredPattern>> rows =
      pool_->Run(deadline, "preloading patterns", [](pqxx::connection& conn) {
        return PatternEventStore(conn).LoadPatterns({});
      });
  if (!rows.ok()) return rows.status();
  std::unordered_map<std::string, std::shared_ptr<const ScoringPattern>> by_id;
  by_id.reserve(rows->size());
  size_t bytes = 0;
  for (StoredPattern& p : *rows) {
    std::string id = std::move(p.id);
    std::shared_ptr<const ScoringPattern> row = ToScoring(std::move(p));
    bytes += PreloadedBytes(id, *row);
    if (bytes > options_.preload_max_bytes) return 0;
    by_id.emplace(std::move(id), std::move(row));
  }
  rows->clear();
  const int n = static_cast<int>(by_id.size());
  {
    absl::MutexLock lock(&preload_mu_);
    preloaded_ = std::move(by_id);
    preloaded_bytes_ = bytes;
  }
  since_ = clock->as_of;
  if (options_.refresh_period > absl::ZeroDuration() &&
      !refresher_.joinable()) {
    refresher_ = std::thread([this] { RefreshLoop(); });
  }
  return n;
}

int ScoringRepository::Remember(std::string id,
                                std::shared_ptr<const ScoringPattern> row) {
  auto it = preloaded_.find(id);
  if (it != preloaded_.end()) {
    if (it->second->lifecycle_state == row->lifecycle_state) return 0;
    it->second = std::move(row);  // same fields (the id is their hash)
    return 1;
  }
  const size_t bytes = PreloadedBytes(id, *row);
  if (preloaded_bytes_ + bytes > options_.preload_max_bytes) return 0;
  preloaded_bytes_ += bytes;
  preloaded_.emplace(std::move(id), std::move(row));
  return 2;
}

int ScoringRepository::UpdateState(const std::string& id,
                                   LifecycleState state) {
  auto it = preloaded_.find(id);
  if (it == preloaded_.end()) return -1;
  if (it->second->lifecycle_state == state) return 0;
  auto row = std::make_shared<ScoringPattern>(*it->second);
  row->lifecycle_state = state;
  it->second = std::move(row);
  return 1;
}

absl::StatusOr<PreloadRefresh> ScoringRepository::RefreshPreload(
    absl::Time deadline) {
  absl::MutexLock refresh(&refresh_mu_);
  PreloadRefresh out;
  if (since_.empty()) return out;  // nothing preloaded
  ++polls_;
  out.full =
      options_.full_check_every > 0 && polls_ % options_.full_check_every == 0;
  const double overlap = absl::ToDoubleSeconds(options_.refresh_overlap);
  absl::StatusOr<PatternEventStore::ChangedStates> changed = pool_->Run(
      deadline, "polling changed pattern states", [&](pqxx::connection& conn) {
        return PatternEventStore(conn).LoadChangedSince(since_, overlap);
      });
  if (!changed.ok()) return changed.status();
  absl::StatusOr<std::vector<std::pair<std::string, LifecycleState>>> states;
  if (out.full) {
    states = pool_->Run(deadline, "checking every pattern's state",
                        [](pqxx::connection& conn) {
                          return PatternEventStore(conn).LoadAllStates();
                        });
    if (!states.ok()) return states.status();
  }
  // Compared under the shared lock (lookups go on meanwhile: a poll after a
  // backfill may compare every row); only the changes take it exclusively.
  std::vector<std::pair<std::string, LifecycleState>> changes;
  std::vector<std::string> unknown;  // rows not preloaded: new patterns
  std::vector<std::string> deleted;
  {
    absl::ReaderMutexLock lock(&preload_mu_);
    for (auto& [id, state] : changed->states) {
      auto it = preloaded_.find(id);
      if (it == preloaded_.end()) {
        unknown.push_back(std::move(id));
      } else if (it->second->lifecycle_state != state) {
        changes.emplace_back(std::move(id), state);
      }
    }
  }
  if (out.full) CompareAllStates(std::move(*states), &changes, &deleted);
  {
    absl::MutexLock lock(&preload_mu_);
    for (const auto& [id, state] : changes) {
      out.changed += UpdateState(id, state) == 1 ? 1 : 0;
    }
    for (const std::string& id : deleted) {
      auto it = preloaded_.find(id);
      if (it == preloaded_.end()) continue;
      preloaded_bytes_ -= PreloadedBytes(it->first, *it->second);
      preloaded_.erase(it);
    }
  }
  // Their rows in batches (the fields of a preloaded row never change, so
  // only new ids are read whole), while the budget allows.
  constexpr size_t kBatch = 1000;
  for (size_t from = 0; from < unknown.size(); from += kBatch) {
    const std::vector<std::string> ids(
        unknown.begin() + from,
        unknown.begin() + std::min(unknown.size(), from + kBatch));
    absl::StatusOr<std::vector<PatternEventStore::LoadedRow>> rows = pool_->Run(
        deadline, "loading new patterns", [&](pqxx::connection& conn) {
          return PatternEventStore(conn).LoadMany(ids);
        });
    if (!rows.ok()) return rows.status();  // `since_` kept: read again
    absl::MutexLock lock(&preload_mu_);
    for (PatternEventStore::LoadedRow& row : *rows) {
      if (!row.pattern.ok()) continue;  // the batched lookup reports it
      out.added += Remember(row.id, ToScoring(*std::move(row.pattern))) == 2;
    }
  }
  since_ = changed->as_of;
  return out;
}

void ScoringRepository::CompareAllStates(
    std::vector<std::pair<std::string, LifecycleState>> states,
    std::vector<std::pair<std::string, LifecycleState>>* changes,
    std::vector<std::string>* deleted) const {
  std::unordered_set<std::string> stored;
  stored.reserve(states.size());
  absl::ReaderMutexLock lock(&preload_mu_);
  for (auto& [id, state] : states) {
    auto it = preloaded_.find(id);
    if (it != preloaded_.end() && it->second->lifecycle_state != state) {
      changes->emplace_back(id, state);
    }
    stored.insert(std::move(id));
  }
  for (const auto& [id, row] : preloaded_) {
    if (stored.count(id) == 0) deleted->push_back(id);
  }
}

void ScoringRepository::RefreshLoop() {
  while (!stop_.WaitForNotificationWithTimeout(options_.refresh_period)) {
    // A failed poll keeps `since_`: the next one reads from there.
    (void)RefreshPreload(absl::Now() + options_.refresh_period * 10);
  }
}

void ScoringRepository::Forget(const std::string& id) {
  absl::MutexLock lock(&preload_mu_);
  auto it = preloaded_.find(id);
  if (it == preloaded_.end()) return;
  preloaded_bytes_ -= PreloadedBytes(it->first, *it->second);
  preloaded_.erase(it);
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
  absl::StatusOr<AppliedDecision> applied = pool_->Run(
      deadline, "persisting a decision", [&](pqxx::connection& conn) {
        return PatternEventStore(conn).ApplyDecision(decided, model_version,
                                                     latency_ms);
      });
  if (applied.ok() && applied->recorded) {
    // The preloaded row takes the new state at once (the poll would too).
    absl::MutexLock lock(&preload_mu_);
    UpdateState(decided.pattern_id, decided.to);
  }
  return applied;
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

size_t ScoringRepository::preloaded() const {
  absl::ReaderMutexLock lock(&preload_mu_);
  return preloaded_.size();
}

size_t ScoringRepository::preloaded_bytes() const {
  absl::ReaderMutexLock lock(&preload_mu_);
  return preloaded_bytes_;
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
