#include "server/scoring_engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "db/monitoring_run_store.h"
#include "db/pattern_event_store.h"
#include "db/price_bar_store.h"
#include "db/transaction.h"
#include "lifecycle/pattern_lifecycle_manager.h"

namespace pcs {

struct ScoringEngine::CachedScore {
  Pattern pattern;
  LifecycleState state = LifecycleState::kConfirmed;
  std::vector<float> features;
  double margin = 0;
  double probability = 0;
  std::vector<double> contributions;  // num_features + 1 (last = bias)
};

namespace {

constexpr char kBarsStatement[] = "pcs_server_bars";
constexpr char kPingStatement[] = "pcs_server_ping";

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

void PrepareStatements(pqxx::connection& conn) {
  // The last $3 bars up to day $2 (newest first; QueryBars reverses them).
  conn.prepare(kBarsStatement,
               absl::StrCat("SELECT ", kBarSelectList,
                            " FROM price_bars WHERE symbol = $1 AND day <= "
                            "DATE '1970-01-01' + $2::int ORDER BY day DESC "
                            "LIMIT $3"));
  conn.prepare(kPingStatement, "SELECT 1");
}

// The last `limit` bars of `symbol` with day <= up_to, oldest first.
absl::StatusOr<std::vector<Bar>> QueryBars(pqxx::connection& conn,
                                           const std::string& symbol, Day up_to,
                                           int limit) {
  // One statement: no BEGIN/COMMIT round trips.
  return RunInTransaction<pqxx::nontransaction>(
      conn, absl::StrCat("loading bars of ", symbol),
      [&](pqxx::nontransaction& tx) -> absl::StatusOr<std::vector<Bar>> {
        pqxx::result rows = tx.exec_prepared(kBarsStatement, symbol,
                                             static_cast<int>(up_to), limit);
        std::vector<Bar> bars;
        bars.reserve(rows.size());
        for (const auto& row : rows) bars.push_back(BarFromRow(row));
        std::reverse(bars.begin(), bars.end());
        return bars;
      });
}

}  // namespace

absl::StatusOr<std::unique_ptr<ScoringEngine>> ScoringEngine::Create(
    ScoringEngineOptions options, const ModelManager* models) {
  if (models == nullptr) {
    return absl::InvalidArgumentError("ScoringEngine needs a ModelManager");
  }
  auto pool = ConnectionPool::Create({.conninfo = options.conninfo,
                                      .size = options.pool_size,
                                      .on_connect = PrepareStatements});
  if (!pool.ok()) return pool.status();
  return std::unique_ptr<ScoringEngine>(
      new ScoringEngine(std::move(options), models, std::move(*pool)));
}

ScoringEngine::ScoringEngine(ScoringEngineOptions options,
                             const ModelManager* models,
                             std::unique_ptr<ConnectionPool> pool)
    : options_(std::move(options)),
      models_(models),
      pool_(std::move(pool)),
      score_cache_(options_.score_cache_entries),
      bar_cache_(
          {.max_bytes = options_.bar_cache_bytes,
           .ttl = options_.bar_cache_ttl},
          [this](const std::string& symbol, Day up_to, int limit,
                 absl::Time deadline) -> absl::StatusOr<std::vector<Bar>> {
            auto lease = pool_->Acquire(deadline);
            if (!lease.ok()) return lease.status();
            auto bars = QueryBars(lease->conn(), symbol, up_to, limit);
            if (absl::IsUnavailable(bars.status())) lease->MarkBroken();
            return bars;
          }) {}

absl::Status ScoringEngine::Ping(absl::Time deadline) {
  auto lease = pool_->Acquire(deadline);
  if (!lease.ok()) return lease.status();
  absl::Status s = RunInTransaction<pqxx::nontransaction>(
      lease->conn(), "database ping", [](pqxx::nontransaction& tx) {
        tx.exec_prepared(kPingStatement);
        return absl::OkStatus();
      });
  if (!s.ok()) {
    // Whatever failed (even a statement timeout), the probe says "not ready".
    lease->MarkBroken();
    return absl::Status(absl::StatusCode::kUnavailable, s.message());
  }
  return s;
}

absl::StatusOr<int> ScoringEngine::WarmUp(absl::Time deadline,
                                          const std::atomic<bool>* cancel) {
  std::vector<std::pair<std::string, Day>> symbols;
  {
    auto lease = pool_->Acquire(deadline);
    if (!lease.ok()) return lease.status();
    absl::Status listed = RunInTransaction<pqxx::read_transaction>(
        lease->conn(), "warm-up listing symbols with open patterns",
        [&](pqxx::read_transaction& tx) {
          for (const auto& row : tx.exec(
                   "SELECT symbol, max(confirmation_date) - DATE '1970-01-01' "
                   "FROM pattern_events WHERE lifecycle_state IN ('detected', "
                   "'confirmed') AND confirmation_date IS NOT NULL "
                   "GROUP BY symbol ORDER BY symbol")) {
            symbols.emplace_back(row[0].as<std::string>(), row[1].as<Day>());
          }
          return absl::OkStatus();
        });
    if (!listed.ok()) {
      if (absl::IsUnavailable(listed)) lease->MarkBroken();
      return listed;
    }
  }
  Day newest = 0;
  for (const auto& [symbol, day] : symbols) newest = std::max(newest, day);
  if (!symbols.empty()) symbols.emplace_back(options_.market_symbol, newest);
  int loaded = 0;
  for (const auto& [symbol, day] : symbols) {
    if (absl::Now() >= deadline || (cancel != nullptr && cancel->load())) break;
    if (bar_cache_.Get(symbol, day, deadline).ok()) ++loaded;
  }
  return loaded;
}

absl::Status ScoringEngine::LatestMonitoringReport(
    absl::Time deadline, v1::GetMonitoringReportResponse* out) {
  auto lease = pool_->Acquire(deadline);
  if (!lease.ok()) return lease.status();
  absl::StatusOr<StoredMonitoringRun> run =
      LoadLatestMonitoringRun(lease->conn(), "drift");
  if (absl::IsNotFound(run.status())) {
    return absl::NotFoundError("no drift run recorded yet (run `pcs drift`)");
  }
  if (!run.ok()) {
    lease->MarkBroken();
    return absl::Status(absl::StatusCode::kUnavailable, run.status().message());
  }
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

absl::StatusOr<ScoringEngine::LoadedPattern> ScoringEngine::LoadPattern(
    const std::string& id, absl::Time deadline, StageTimings* timing) {
  auto start = std::chrono::steady_clock::now();
  auto lease = pool_->Acquire(deadline);
  if (!lease.ok()) return lease.status();
  PatternEventStore store(lease->conn());
  absl::StatusOr<StoredPattern> stored = store.Load(id);
  timing->database_us += MicrosSince(start);
  if (!stored.ok()) {
    if (absl::IsUnavailable(stored.status())) lease->MarkBroken();
    return stored.status();
  }
  return LoadedPattern{std::move(stored->pattern), stored->lifecycle_state};
}

absl::StatusOr<std::shared_ptr<const BarSeries>> ScoringEngine::LoadBars(
    const std::string& symbol, Day needed_day, absl::Time deadline) {
  return bar_cache_.Get(symbol, needed_day, deadline);
}

absl::StatusOr<ScoreResult> ScoringEngine::ScoreStored(
    const std::string& pattern_id, int top_k, absl::Time deadline) {
  auto start = std::chrono::steady_clock::now();
  if (absl::Status s = CheckDeadline(deadline, "scoring started"); !s.ok()) {
    return s;
  }
  ScoreResult result;
  result.pattern_id = pattern_id;
  std::shared_ptr<const ServableModel> model = models_->Current();
  const bool use_ml = options_.phase5_enabled && model != nullptr;
  if (use_ml) {
    if (auto hit =
            score_cache_.Get(absl::StrCat(pattern_id, "|", model->version))) {
      result.cache_hit = true;
      LoadedPattern loaded{hit->pattern, hit->state};
      FillTopK(*hit, *model, top_k, &result);
      result =
          Finish(loaded, hit->probability, FallbackReason::kNone,
                 model->decision_threshold, model.get(), std::move(result));
      result.timing.total_us = MicrosSince(start);
      return result;
    }
  }
  auto loaded = LoadPattern(pattern_id, deadline, &result.timing);
  if (!loaded.ok()) return loaded.status();
  if (absl::Status s = CheckDeadline(deadline, "loading bars"); !s.ok()) {
    return s;
  }
  if (!use_ml) {
    result = Finish(*loaded, std::nullopt,
                    options_.phase5_enabled ? FallbackReason::kNoModel
                                            : FallbackReason::kFlagOff,
                    kDefaultRuleDecisionThreshold, nullptr, std::move(result));
    result.timing.total_us = MicrosSince(start);
    return result;
  }
  auto db_start = std::chrono::steady_clock::now();
  auto bars = LoadBars(loaded->pattern.symbol, loaded->pattern.confirmation_day,
                       deadline);
  if (!bars.ok()) return bars.status();
  auto market = LoadBars(options_.market_symbol,
                         loaded->pattern.confirmation_day, deadline);
  result.timing.database_us += MicrosSince(db_start);
  if (!market.ok()) return market.status();
  // No market bars (DIA not ingested) only makes market features NaN.
  const BarSeries* market_ptr =
      (*market)->bars.empty() ? nullptr : market->get();
  auto scored = ScoreWithBars(*model, *loaded, pattern_id, **bars, market_ptr,
                              top_k, deadline, std::move(result));
  if (scored.ok()) scored->timing.total_us = MicrosSince(start);
  return scored;
}

absl::StatusOr<ScoreResult> ScoringEngine::ScoreInline(const Pattern& pattern,
                                                       const BarSeries& bars,
                                                       const BarSeries* market,
                                                       int top_k,
                                                       absl::Time deadline) {
  auto start = std::chrono::steady_clock::now();
  ScoreResult result;
  result.pattern_id = pattern.Id();
  LoadedPattern loaded{pattern, LifecycleState::kDetected};
  std::shared_ptr<const ServableModel> model = models_->Current();
  if (!options_.phase5_enabled || model == nullptr) {
    result = Finish(loaded, std::nullopt,
                    options_.phase5_enabled ? FallbackReason::kNoModel
                                            : FallbackReason::kFlagOff,
                    kDefaultRuleDecisionThreshold, nullptr, std::move(result));
  } else {
    auto scored = ScoreWithBars(*model, loaded, "", bars, market, top_k,
                                deadline, std::move(result));
    if (!scored.ok()) return scored.status();
    result = std::move(*scored);
  }
  result.timing.total_us = MicrosSince(start);
  return result;
}

// Features -> margin -> calibrated probability -> contributions; caches the
// outcome under (id, version) when `cache_id` is non-empty.
absl::StatusOr<ScoreResult> ScoringEngine::ScoreWithBars(
    const ServableModel& serving, const LoadedPattern& loaded,
    const std::string& cache_id, const BarSeries& bars, const BarSeries* market,
    int top_k, absl::Time deadline, ScoreResult result) {
  const ServableModel* model = &serving;
  if (absl::Status s = CheckDeadline(deadline, "building features"); !s.ok()) {
    return s;
  }
  auto stage = std::chrono::steady_clock::now();
  absl::StatusOr<std::vector<float>> features =
      builder_.Build(loaded.pattern, bars, market);
  result.timing.features_us = MicrosSince(stage);
  if (!features.ok() ||
      static_cast<int>(features->size()) != model->ensemble.num_features()) {
    return Finish(loaded, std::nullopt, FallbackReason::kFeaturesUnavailable,
                  kDefaultRuleDecisionThreshold, nullptr, std::move(result));
  }
  auto cached = std::make_shared<CachedScore>();
  cached->pattern = loaded.pattern;
  cached->state = loaded.state;
  cached->features = std::move(*features);
  stage = std::chrono::steady_clock::now();
  cached->margin = model->ensemble.PredictMargin(cached->features.data());
  cached->probability = model->Probability(cached->margin);
  result.timing.predict_us = MicrosSince(stage);
  if (!std::isfinite(cached->probability) || cached->probability < 0 ||
      cached->probability > 1) {
    return Finish(loaded, std::nullopt, FallbackReason::kModelError,
                  kDefaultRuleDecisionThreshold, nullptr, std::move(result));
  }
  stage = std::chrono::steady_clock::now();
  cached->contributions.resize(model->ensemble.num_features() + 1);
  model->ensemble.Contributions(cached->features.data(),
                                cached->contributions.data());
  result.timing.contributions_us = MicrosSince(stage);
  if (!cache_id.empty()) {
    score_cache_.Put(absl::StrCat(cache_id, "|", model->version), cached);
  }
  FillTopK(*cached, *model, top_k, &result);
  return Finish(loaded, cached->probability, FallbackReason::kNone,
                model->decision_threshold, model, std::move(result));
}

void ScoringEngine::FillTopK(const CachedScore& cached,
                             const ServableModel& model, int top_k,
                             ScoreResult* result) const {
  const int n = model.ensemble.num_features();
  if (top_k <= 0) top_k = options_.default_top_k;
  top_k = std::min(top_k, n);
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + top_k, order.end(),
                    [&](int a, int b) {
                      return std::abs(cached.contributions[a]) >
                             std::abs(cached.contributions[b]);
                    });
  result->top_contributions.clear();
  for (int i = 0; i < top_k; ++i) {
    int f = order[i];
    result->top_contributions.push_back(
        {model.feature_names[f], cached.features[f], cached.contributions[f]});
  }
  result->margin = cached.margin;
  result->bias = cached.contributions[n];
}

ScoreResult ScoringEngine::Finish(const LoadedPattern& loaded,
                                  std::optional<double> ml,
                                  FallbackReason reason, double threshold,
                                  const ServableModel* model,
                                  ScoreResult result) const {
  PatternLifecycleManager manager({.decision_threshold = threshold});
  BlendOptions blend{.enabled = options_.phase5_enabled,
                     .ml_weight = options_.blend_weight.value_or(
                         model != nullptr ? model->blend_weight : 0.5)};
  LifecycleDecision d =
      manager.EvaluateWithRules(loaded.pattern, ml, blend, reason);
  result.pattern = loaded.pattern;
  result.state = loaded.state;
  result.rule_confidence = d.rule_confidence;
  result.ml_confidence = ml;
  result.blended_confidence = d.blended_confidence;
  result.ml_weight_used = d.ml_weight;
  result.decision = d.decision;
  result.decision_threshold = threshold;
  result.fallback_reason = d.fallback_reason;
  result.model_version =
      d.fallback_reason == FallbackReason::kNone && model != nullptr
          ? model->version
          : "";
  result.lifecycle = d;
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
  EvaluateResult result;
  result.to = decided.to;
  auto lease = pool_->Acquire(deadline);
  if (!lease.ok()) return lease.status();
  PatternEventStore store(lease->conn());
  auto applied = store.ApplyDecision(decided, score->model_version,
                                     score->timing.total_us / 1000.0);
  if (!applied.ok()) {
    if (absl::IsUnavailable(applied.status())) lease->MarkBroken();
    return applied.status();
  }
  result.from = applied->from;
  const bool recorded = applied->recorded;
  // The stored state changed: drop the cached copy so traces see the new one.
  if (recorded) {
    if (auto model = models_->Current()) {
      score_cache_.Erase(absl::StrCat(pattern_id, "|", model->version));
    }
  }
  result.transition_recorded = recorded;
  result.score = std::move(*score);
  result.score.state = result.to;
  return result;
}

}  // namespace pcs
