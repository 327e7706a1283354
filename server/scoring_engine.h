#ifndef PCS_SERVER_SCORING_ENGINE_H_
#define PCS_SERVER_SCORING_ENGINE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/bar.h"
#include "db/connection_pool.h"
#include "features/feature_builder.h"
#include "lifecycle/confidence_blender.h"
#include "lifecycle/lifecycle_state.h"
#include "lifecycle/pattern.h"
#include "lifecycle/pattern_lifecycle_manager.h"
#include "pcs/v1/pattern_confidence.pb.h"
#include "server/lru_cache.h"
#include "server/model_manager.h"
#include "server/price_history_cache.h"

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
  // Scored-pattern cache entries ((pattern id, model version) -> pattern,
  // features, margin, contributions). 0 disables it.
  size_t score_cache_entries = 20000;
  // Memory budget of the price-history cache (server/price_history_cache.h;
  // default: the recent window of a 10,000-symbol universe), and how long an
  // entry is trusted.
  size_t bar_cache_bytes = PriceHistoryCacheOptions::DefaultMaxBytes(10000);
  absl::Duration bar_cache_ttl = absl::Minutes(5);
};

// Microseconds per stage of one request.
struct StageTimings {
  int64_t database_us = 0;
  int64_t features_us = 0;
  int64_t predict_us = 0;
  int64_t contributions_us = 0;
  int64_t total_us = 0;
};

struct Contribution {
  std::string feature;
  double value = 0;         // feature value (NaN = missing)
  double contribution = 0;  // log-odds
};

// The result of scoring one pattern.
struct ScoreResult {
  std::string pattern_id;
  Pattern pattern;
  LifecycleState state = LifecycleState::kConfirmed;  // stored state
  double rule_confidence = 0;
  std::optional<double> ml_confidence;
  double blended_confidence = 0;
  double ml_weight_used = 0;
  LifecycleDecisionKind decision = LifecycleDecisionKind::kReject;
  double decision_threshold = 0.5;
  std::string model_version;  // "" when no model was used
  FallbackReason fallback_reason = FallbackReason::kNone;  // kNone: ML used
  double margin = 0;
  double bias = 0;
  std::vector<Contribution> top_contributions;
  StageTimings timing;
  bool cache_hit = false;
  // PatternLifecycleManager::EvaluateWithRules's decision, the fields above
  // come from (Evaluate persists it through DecisionTransition).
  LifecycleDecision lifecycle;
};

// Outcome of EvaluatePattern.
struct EvaluateResult {
  ScoreResult score;
  LifecycleState from = LifecycleState::kDetected;
  LifecycleState to = LifecycleState::kDetected;
  bool transition_recorded = false;
};

// The scoring path below the gRPC service: load the pattern and its bars
// (pooled connections, a prepared query reading only the window the features
// need, a memory-sized price-history cache with single-flight loads),
// build features with the one FeatureBuilder (the training library), predict
// with the serving TreeEnsemble snapshot, calibrate, explain with TreeSHAP
// top-k, blend with BlendConfidence, decide with PatternLifecycleManager.
// A bounded LRU keyed by (pattern id, model version) keeps the pattern,
// features, margin and contributions, since a confirmed pattern's features
// never change (its bars up to confirmation are history).
//
// Fallbacks (answer OK with the rule confidence, fallback_reason set):
//   flag_off              phase5_enabled is false;
//   no_model              no version is serving;
//   features_unavailable  FeatureBuilder failed (e.g. no confirmation bar);
//   model_error           the model output was not a finite probability.
// Errors (returned): NotFound (unknown id), Unavailable (database down),
// DeadlineExceeded (deadline passed between stages), InvalidArgument.
//
// Threading: all methods thread-safe; one request holds one model snapshot
// and one pooled connection at a time. Never throws.
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

  // Loads into the price-history cache the window of every symbol with an
  // open pattern (lifecycle_state detected or confirmed), up to its newest
  // confirmation day, plus the market symbol; stops at `deadline` or when
  // `*cancel` turns true (the rest load on first use). Returns the number of
  // symbols loaded; Unavailable when the symbol list cannot be read.
  absl::StatusOr<int> WarmUp(absl::Time deadline,
                             const std::atomic<bool>* cancel);

  // OkStatus when PostgreSQL answers `SELECT 1` in time.
  absl::Status Ping(absl::Time deadline);

  // The latest drift run in monitoring_runs (written by `pcs drift`), filled
  // into `out`. NotFound when there is none; Unavailable when the database
  // cannot answer.
  absl::Status LatestMonitoringReport(absl::Time deadline,
                                      v1::GetMonitoringReportResponse* out);

  const ScoringEngineOptions& options() const { return options_; }
  const ConnectionPool& pool() const { return *pool_; }
  const PriceHistoryCache& bar_cache() const { return bar_cache_; }
  uint64_t cache_hits() const { return score_cache_.hits(); }
  uint64_t cache_misses() const { return score_cache_.misses(); }

 private:
  struct CachedScore;  // pattern + features + margin + contributions
  struct LoadedPattern {
    Pattern pattern;
    LifecycleState state;
  };

  ScoringEngine(ScoringEngineOptions options, const ModelManager* models,
                std::unique_ptr<ConnectionPool> pool);
  absl::StatusOr<LoadedPattern> LoadPattern(const std::string& id,
                                            absl::Time deadline,
                                            StageTimings* timing);
  absl::StatusOr<std::shared_ptr<const BarSeries>> LoadBars(
      const std::string& symbol, Day needed_day, absl::Time deadline);
  // `model` is the request's one snapshot (never re-read mid-request).
  absl::StatusOr<ScoreResult> ScoreWithBars(
      const ServableModel& model, const LoadedPattern& loaded,
      const std::string& id, const BarSeries& bars, const BarSeries* market,
      int top_k, absl::Time deadline, ScoreResult result);
  ScoreResult Finish(const LoadedPattern& loaded, std::optional<double> ml,
                     FallbackReason reason, double threshold,
                     const ServableModel* model, ScoreResult result) const;
  void FillTopK(const CachedScore& cached, const ServableModel& model,
                int top_k, ScoreResult* result) const;

  const ScoringEngineOptions options_;
  const ModelManager* models_;
  std::unique_ptr<ConnectionPool> pool_;
  FeatureBuilder builder_;
  LruCache<std::string, CachedScore> score_cache_;
  PriceHistoryCache bar_cache_;
};

}  // namespace pcs

#endif  // PCS_SERVER_SCORING_ENGINE_H_
