#include "server/scoring_engine.h"

#include <algorithm>
#include <chrono>
#include <utility>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "absl/strings/str_cat.h"
#include "lifecycle/pattern_lifecycle_manager.h"

namespace pcs {
namespace {

int64_t MicrosSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now() - start)
      .count();
}

absl::Status CheckDeadline(absl::Time deadline, const char* stage) {
  if (absl::Now() > deadline) {
    return absl::DeadlineExceededError(
        absl::StrCat("deadline passed before ", stage));
  }
  return absl::OkStatus();
}

std::string CacheKey(const std::string& id, const ServableModel& model) {
  return absl::StrCat(id, "|", model.version);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ScoringEngine>> ScoringEngine::Create(
    ScoringEngineOptions options, const ModelManager* models) {
  if (models == nullptr) {
    return absl::InvalidArgumentError("ScoringEngine needs a ModelManager");
  }
  auto repository = ScoringRepository::Create(
      {.conninfo = options.conninfo, .pool_size = options.pool_size});
  if (!repository.ok()) return repository.status();
  return std::unique_ptr<ScoringEngine>(
      new ScoringEngine(std::move(options), models, std::move(*repository)));
}

ScoringEngine::ScoringEngine(ScoringEngineOptions options,
                             const ModelManager* models,
                             std::unique_ptr<ScoringRepository> repository)
    : options_(std::move(options)),
      models_(models),
      repository_(std::move(repository)),
      scorer_({.phase5_enabled = options_.phase5_enabled,
               .blend_weight = options_.blend_weight,
               .default_top_k = options_.default_top_k}),
      score_cache_(options_.score_cache_entries),
      bar_cache_({.max_bytes = options_.bar_cache_bytes,
                  .ttl = options_.bar_cache_ttl,
                  .decoded_symbols = {options_.market_symbol}},
                 [this](const std::string& symbol, Day up_to, int limit,
                        absl::Time deadline) {
                   return repository_->LoadBarWindow(symbol, up_to, limit,
                                                     deadline);
                 }) {}

absl::Status ScoringEngine::Ping(absl::Time deadline) {
  return repository_->Ping(deadline);
}

absl::StatusOr<WarmUpStats> ScoringEngine::WarmUp(
    absl::Time deadline, const std::atomic<bool>* cancel) {
  WarmUpStats stats;
  // Without the preload, lookups go to the batched query: not fatal.
  absl::StatusOr<int> patterns = repository_->PreloadPatterns(deadline);
  stats.patterns = patterns.ok() ? *patterns : 0;
  absl::StatusOr<std::vector<SymbolExtent>> symbols =
      repository_->ListSymbolExtents(deadline);
  if (!symbols.ok()) return symbols.status();
  // The market proxy first: every request reads it.
  std::stable_partition(symbols->begin(), symbols->end(),
                        [&](const SymbolExtent& s) {
                          return s.symbol == options_.market_symbol;
                        });
  int64_t all_bars = 0;
  for (const SymbolExtent& s : *symbols) all_bars += s.bars;
  const size_t entry_bytes =
      PriceHistoryCacheOptions::kEntryOverheadBytes + sizeof(CompactBarSeries);
  const bool full =
      static_cast<size_t>(all_bars) * CompactBarSeries::kBytesPerBar +
          symbols->size() * entry_bytes <=
      bar_cache_.options().max_bytes / 2;
  const int window = bar_cache_.options().history_bars + kWarmUpSlackBars;
  for (const SymbolExtent& s : *symbols) {
    if (absl::Now() >= deadline || (cancel != nullptr && cancel->load())) {
      stats.stopped_early = true;
      break;
    }
    // A window ends at the newest pattern (what tonight's requests ask
    // about); the market proxy's, and a whole series, at the last bar.
    const Day up_to = full || s.symbol == options_.market_symbol
                          ? s.last_day
                          : s.newest_pattern_day.value_or(s.last_day);
    const int limit = full ? static_cast<int>(s.bars) : window;
    absl::StatusOr<std::vector<Bar>> bars =
        repository_->LoadBarWindow(s.symbol, up_to, limit, deadline);
    if (!bars.ok()) continue;  // this symbol loads on first use
    const bool starts_at_first = bars->size() < static_cast<size_t>(limit) ||
                                 static_cast<int64_t>(bars->size()) >= s.bars;
    stats.bars += static_cast<int64_t>(bars->size());
    stats.full_history += starts_at_first ? 1 : 0;
    bar_cache_.Preload(s.symbol, std::move(*bars), starts_at_first);
  }
  stats.symbols = static_cast<int>(bar_cache_.size());
  // The warm-up's transient memory (every pattern row as PostgreSQL sent it
  // and as parsed, each symbol's loaded vector<Bar>) is free now but stays
  // resident in malloc's arenas; give it back to the system.
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
  return stats;
}

absl::Status ScoringEngine::LatestMonitoringReport(
    absl::Time deadline, v1::GetMonitoringReportResponse* out) {
  absl::StatusOr<StoredMonitoringRun> run =
      repository_->LatestDriftRun(deadline);
  if (absl::IsNotFound(run.status())) {
    return absl::NotFoundError("no drift run recorded yet (run `pcs drift`)");
  }
  if (!run.ok()) return run.status();
  out->set_run_id(run->id);
  out->set_finished_at(run->finished_at);
  out->set_model_version(run->model_version);
  out->set_since(run->since);
  out->set_as_of(run->as_of);
  out->set_recent_rows(run->recent_rows);
  out->set_max_feature(run->max_feature);
  out->set_max_psi(run->max_psi);
  out->set_score_psi(run->score_psi);
  out->set_alert(run->alert);
  out->set_alert_outcome(run->alert_outcome);
  out->set_alert_error(run->alert_error);
  out->set_details_json(run->details_json);
  return absl::OkStatus();
}

absl::Status ScoringEngine::LoadBars(const Pattern& pattern,
                                     absl::Time deadline,
                                     std::shared_ptr<const BarSeries>* bars,
                                     std::shared_ptr<const BarSeries>* market,
                                     StageTimings* timing) {
  const auto start = std::chrono::steady_clock::now();
  auto own = bar_cache_.Get(pattern.symbol, pattern.confirmation_day, deadline);
  absl::StatusOr<std::shared_ptr<const BarSeries>> proxy =
      own.ok() ? bar_cache_.Get(options_.market_symbol,
                                pattern.confirmation_day, deadline)
               : own.status();
  timing->database_us += MicrosSince(start);
  if (!own.ok()) return own.status();
  if (!proxy.ok()) return proxy.status();
  *bars = std::move(*own);
  // No market bars (DIA not ingested) only makes market features NaN.
  *market = (*proxy)->bars.empty() ? nullptr : std::move(*proxy);
  return absl::OkStatus();
}

void ScoringEngine::ForgetPattern(const std::string& pattern_id) {
  repository_->Forget(pattern_id);
  // The output does not depend on the state, but an answer after an
  // override is recomputed whole (callers look for cache_hit = false).
  if (auto model = models_->Current()) {
    score_cache_.Erase(CacheKey(pattern_id, *model));
  }
}

absl::StatusOr<ScoreResult> ScoringEngine::ScoreStored(
    const std::string& pattern_id, int top_k, absl::Time deadline) {
  const auto start = std::chrono::steady_clock::now();
  if (absl::Status s = CheckDeadline(deadline, "scoring started"); !s.ok()) {
    return s;
  }
  std::shared_ptr<const ServableModel> model = models_->Current();
  const bool use_ml = options_.phase5_enabled && model != nullptr;
  // The pattern and its current state come from the repository every time
  // (the preload when it holds the id: no query); only the model output,
  // which never changes for (id, version), is cached here.
  StageTimings timing;
  bool queried = false;
  absl::StatusOr<std::shared_ptr<const ScoringPattern>> stored =
      repository_->LoadPattern(pattern_id, deadline, &queried);
  if (queried) timing.database_us += MicrosSince(start);
  std::shared_ptr<const CachedScore> hit =
      use_ml ? score_cache_.Get(CacheKey(pattern_id, *model)) : nullptr;
  if (!stored.ok()) {
    // The database cannot answer: a cached id is still served, with the
    // state the cache last saw.
    const absl::StatusCode code = stored.status().code();
    if (hit == nullptr || (code != absl::StatusCode::kUnavailable &&
                           code != absl::StatusCode::kDeadlineExceeded)) {
      return stored.status();
    }
    stored = hit->pattern;
  }
  const Pattern& pattern = (*stored)->pattern;
  Prediction prediction;
  bool cache_hit = false;
  if (use_ml) {
    if (hit != nullptr) {
      prediction.output = hit->output;
      cache_hit = true;
    } else {
      if (absl::Status s = CheckDeadline(deadline, "loading bars"); !s.ok()) {
        return s;
      }
      std::shared_ptr<const BarSeries> bars, market;
      if (absl::Status s = LoadBars(pattern, deadline, &bars, &market, &timing);
          !s.ok()) {
        return s;
      }
      if (absl::Status s = CheckDeadline(deadline, "building features");
          !s.ok()) {
        return s;
      }
      prediction =
          scorer_.Predict(*model, pattern, *bars, market.get(), &timing);
      if (prediction.output != nullptr) {
        score_cache_.Put(CacheKey(pattern_id, *model),
                         std::make_shared<const CachedScore>(
                             CachedScore{*stored, prediction.output}));
      }
    }
  }
  ScoreResult result = scorer_.Decide(pattern, (*stored)->lifecycle_state,
                                      model.get(), prediction, top_k);
  result.pattern_id = pattern_id;
  result.cache_hit = cache_hit;
  result.timing = timing;
  result.timing.total_us = MicrosSince(start);
  return result;
}

absl::StatusOr<ScoreResult> ScoringEngine::ScoreInline(const Pattern& pattern,
                                                       const BarSeries& bars,
                                                       const BarSeries* market,
                                                       int top_k,
                                                       absl::Time deadline) {
  const auto start = std::chrono::steady_clock::now();
  if (absl::Status s = CheckDeadline(deadline, "building features"); !s.ok()) {
    return s;
  }
  std::shared_ptr<const ServableModel> model = models_->Current();
  ScoreResult result = scorer_.Score(
      model.get(), pattern, LifecycleState::kDetected, bars, market, top_k);
  result.pattern_id = pattern.Id();
  result.timing.total_us = MicrosSince(start);
  return result;
}

absl::StatusOr<EvaluateResult> ScoringEngine::Evaluate(
    const std::string& pattern_id, int top_k, std::optional<Day> event_day,
    absl::Time deadline) {
  auto score = ScoreStored(pattern_id, top_k, deadline);
  if (!score.ok()) return score.status();
  if (absl::Status s = CheckDeadline(deadline, "persisting the decision");
      !s.ok()) {
    return s;
  }
  // The lifecycle seam: the manager turns the decision into the transition.
  const PatternLifecycleManager manager(
      {.decision_threshold = score->decision_threshold});
  LifecycleTransition decided =
      manager.DecisionTransition(score->pattern, score->lifecycle);
  decided.pattern_id = pattern_id;
  decided.event_day = event_day.value_or(score->pattern.confirmation_day);
  decided.reason = absl::StrCat("EvaluatePattern: ", decided.reason);
  auto applied = repository_->ApplyDecision(
      decided, score->model_version, score->timing.total_us / 1000.0, deadline);
  if (!applied.ok()) return applied.status();
  // The repository's ApplyDecision gave its preloaded row the new state.
  EvaluateResult result;
  result.from = applied->from;
  result.to = decided.to;
  result.transition_recorded = applied->recorded;
  result.score = std::move(*score);
  result.score.state = result.to;
  return result;
}

}  // namespace pcs
