#ifndef PCS_SERVER_SCORING_ENGINE_H_
#define PCS_SERVER_SCORING_ENGINE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/bar.h"
#include "db/scoring_repository.h"
#include "lifecycle/lifecycle_state.h"
#include "lifecycle/pattern.h"
#include "pcs/v1/pattern_confidence.pb.h"
#include "server/lru_cache.h"
#include "server/model_manager.h"
#include "server/price_history_cache.h"
#include "server/scorer.h"

namespace pcs {

struct ScoringEngineOptions {
  // PostgreSQL conninfo (pattern_events, price_bars).
  std::string conninfo = {};
  // Connection pool size; match the gRPC worker threads.
  int pool_size = 4;
  // ENABLE_PHASE5_CONFIDENCE: off => rule confidence only ("flag_off").
  bool phase5_enabled = false;
  // ML weight of the blend; nullopt => the serving model card's
  // serving.blend_weight.
  std::optional<double> blend_weight;
  // Market proxy whose bars feed the market features.
  std::string market_symbol = "DIA";
  // Top contributions returned when a request asks for 0.
  int default_top_k = 5;
  // Score cache entries ((pattern id, model version) -> ModelOutput: the
  // features, margin, probability and contributions, about 1.7 KB each with
  // the current 99-feature schema). 0 disables it.
  size_t score_cache_entries = 20000;
  // Memory budget of the price-history cache (server/price_history_cache.h,
  // bytes counted honestly; default 128 MiB), and how long an entry is
  // trusted.
  size_t bar_cache_bytes = PriceHistoryCacheOptions{}.max_bytes;
  absl::Duration bar_cache_ttl = absl::Minutes(5);
};

// Outcome of EvaluatePattern.
struct EvaluateResult {
  ScoreResult score;
  LifecycleState from = LifecycleState::kDetected;
  LifecycleState to = LifecycleState::kDetected;
  bool transition_recorded = false;
};

// What WarmUp loaded.
struct WarmUpStats {
  int patterns = 0;            // patterns preloaded (0: too many to hold)
  int symbols = 0;             // symbols now cached
  int full_history = 0;        // of which with every stored bar
  int64_t bars = 0;            // bars loaded
  bool stopped_early = false;  // deadline or cancel before the last symbol
};

// The scoring path below the gRPC service: fetches a pattern and its bars
// (db/scoring_repository.h, which batches the pattern lookups of concurrent
// requests; a memory-sized price-history cache with single-flight loads in
// front of its bar windows) and hands them to the Scorer
// (server/scorer.h), which computes without I/O. A bounded LRU keyed by
// (pattern id, model version) keeps the ModelOutput, since a confirmed
// pattern's features never change (its bars up to confirmation are
// history). The pattern and its state come from the repository on every
// request; only when the database cannot answer (Unavailable or
// DeadlineExceeded) is a cached answer served with the pattern and state the
// cache last saw, so cached ids keep scoring through a database outage.
//
// Answers are the Scorer's (fallbacks flag_off, no_model,
// features_unavailable, model_error answer OK). Errors (returned): NotFound
// (unknown id), Unavailable (database down), DeadlineExceeded (deadline
// passed between stages), InvalidArgument.
//
// Threading: all methods thread-safe; one request holds one model snapshot.
// Never throws.
class ScoringEngine {
 public:
  static absl::StatusOr<std::unique_ptr<ScoringEngine>> Create(
      ScoringEngineOptions options, const ModelManager* models);

  // Scores the stored pattern `pattern_id`.
  absl::StatusOr<ScoreResult> ScoreStored(const std::string& pattern_id,
                                          int top_k, absl::Time deadline);

  // Scores a caller-supplied pattern and bars (no database).
  absl::StatusOr<ScoreResult> ScoreInline(const Pattern& pattern,
                                          const BarSeries& bars,
                                          const BarSeries* market, int top_k,
                                          absl::Time deadline);

  // Scores and applies the lifecycle decision through the lifecycle seam:
  // PatternLifecycleManager::DecisionTransition of the score's decision,
  // persisted by PatternEventStore::ApplyDecision (pattern_events updated and
  // one pattern_lifecycle_history row, source 'evaluate', in one
  // transaction; see there which moves are recorded and which are
  // FailedPrecondition).
  absl::StatusOr<EvaluateResult> Evaluate(const std::string& pattern_id,
                                          int top_k,
                                          std::optional<Day> event_day,
                                          absl::Time deadline);

  // Preloads the stored patterns (ScoringRepository::PreloadPatterns, when
  // they fit its budget), then loads every symbol's bars into the
  // price-history cache, the market symbol first: each symbol's whole series
  // when all of them fit in half the cache budget (the other half is headroom
  // for what requests load), else each symbol's window (the feature lookback
  // plus kWarmUpSlackBars) up to its newest pattern's confirmation day (the
  // market proxy's up to its last bar). Stops at `deadline` or when
  // `*cancel` turns true (the rest load on first use). Unavailable when the
  // symbol list cannot be read.
  absl::StatusOr<WarmUpStats> WarmUp(absl::Time deadline,
                                     const std::atomic<bool>* cancel);
  static constexpr int kWarmUpSlackBars = 64;

  // OkStatus when PostgreSQL answers `SELECT 1` in time.
  absl::Status Ping(absl::Time deadline);

  // The latest drift run in monitoring_runs (written by `pcs drift`), filled
  // into `out`. NotFound when there is none; Unavailable when the database
  // cannot answer.
  absl::Status LatestMonitoringReport(absl::Time deadline,
                                      v1::GetMonitoringReportResponse* out);

  // Drops the preloaded row and the cached score of `pattern_id` (its
  // stored state changed elsewhere, e.g. an analyst override), so the next
  // score and its trace read the new state from the database.
  void ForgetPattern(const std::string& pattern_id);

  const ScoringEngineOptions& options() const { return options_; }
  const ConnectionPool& pool() const { return repository_->pool(); }
  const ScoringRepository& repository() const { return *repository_; }
  const PriceHistoryCache& bar_cache() const { return bar_cache_; }
  // Score-cache lookups that missed (every stored score that ran the model).
  uint64_t cache_misses() const { return score_cache_.misses(); }

 private:
  ScoringEngine(ScoringEngineOptions options, const ModelManager* models,
                std::unique_ptr<ScoringRepository> repository);
  // Bars of the pattern's symbol and of the market proxy (null when the
  // proxy has no bars), timed into timing->database_us.
  absl::Status LoadBars(const Pattern& pattern, absl::Time deadline,
                        std::shared_ptr<const BarSeries>* bars,
                        std::shared_ptr<const BarSeries>* market,
                        StageTimings* timing);

  const ScoringEngineOptions options_;
  const ModelManager* models_;
  std::unique_ptr<ScoringRepository> repository_;
  const Scorer scorer_;
  // (pattern id, model version) -> what the model said, and the pattern as
  // last seen (served only while the database cannot answer).
  struct CachedScore {
    std::shared_ptr<const ScoringPattern> pattern;
    std::shared_ptr<const ModelOutput> output;
  };
  LruCache<std::string, CachedScore> score_cache_;
  PriceHistoryCache bar_cache_;
};

}  // namespace pcs

#endif  // PCS_SERVER_SCORING_ENGINE_H_
