// ScoringEngine's bar path on a real PostgreSQL: the windowed bar query
// (only FeatureBuilder::kHistoryBars bars up to the decision day) gives every
// stored pattern the margin its full series gives (bars cached compactly),
// the start-up warm-up caches every symbol and preloads every pattern, a
// state changed by another writer reaches the answers within the preload's
// poll, and concurrent pattern lookups are batched.
#include "server/scoring_engine.h"

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "db/pattern_event_store.h"
#include "db/price_bar_store.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "tests/server/server_test_env.h"
#include "tests/test_util/fake_model_artifact.h"

namespace pcs {
namespace {

using ::pcs::testing::Seeded;
using ::pcs::testing::TestServerOptions;

class ScoringEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    models_dir_ = pcs::testing::NewModelsDir("engine");
    ASSERT_TRUE(
        pcs::testing::WriteFakeModelArtifact(models_dir_.string(), {}).ok());
    ASSERT_TRUE(
        pcs::testing::WriteChampion(models_dir_.string(), "20260101T000000Z")
            .ok());
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(models_dir_);
  }
  void Start(absl::Duration warmup) {
    PcsServerOptions options = TestServerOptions(models_dir_.string(), true);
    options.warmup = warmup;
    options.trace = false;
    auto server = PcsServer::Create(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  std::filesystem::path models_dir_;
  std::unique_ptr<PcsServer> server_;
};

TEST_F(ScoringEngineTest, WindowedBarsGiveTheFullSeriesMarginOnEveryPattern) {
  Start(absl::ZeroDuration());
  auto model = server_->models().Current();
  ASSERT_NE(model, nullptr);
  pqxx::connection conn(Seeded().conninfo);
  std::map<std::string, BarSeries> full;
  for (const std::string& s : pcs::testing::SeedSymbols()) {
    auto series = LoadBarSeries(conn, s);
    ASSERT_TRUE(series.ok()) << series.status();
    full[s] = std::move(*series);
  }
  PatternEventStore store(conn);
  const FeatureBuilder builder;
  int compared = 0;
  for (const std::string& id : Seeded().pattern_ids) {
    auto stored = store.Load(id);
    ASSERT_TRUE(stored.ok()) << stored.status();
    auto expected_row = builder.Build(
        stored->pattern, full.at(stored->pattern.symbol), &full.at("DIA"));
    ASSERT_TRUE(expected_row.ok()) << id << ": " << expected_row.status();
    const double expected = model->ensemble.PredictMargin(expected_row->data());
    auto got =
        server_->engine().ScoreStored(id, 1, absl::Now() + absl::Seconds(30));
    ASSERT_TRUE(got.ok()) << id << ": " << got.status();
    ASSERT_EQ(got->fallback_reason, FallbackReason::kNone) << id;
    EXPECT_EQ(got->margin, expected) << id;
    ++compared;
  }
  EXPECT_GE(compared, 50);
  // Only windows were loaded: no cached symbol holds its whole series unless
  // requests all over its history merged windows into one run.
  EXPECT_GT(server_->engine().bar_cache().loads(), 0u);
}

TEST_F(ScoringEngineTest, WarmUpCachesEverySymbolsWholeSeriesWhenItFits) {
  pqxx::connection conn(Seeded().conninfo);
  pqxx::read_transaction tx(conn);
  const int symbols =
      tx.exec1("SELECT count(DISTINCT symbol) FROM price_bars")[0].as<int>();
  const int64_t bars =
      tx.exec1("SELECT count(*) FROM price_bars")[0].as<int64_t>();
  tx.commit();
  ASSERT_GT(symbols, 1);
  Start(absl::Seconds(30));
  EXPECT_EQ(server_->engine().bar_cache().size(), size_t(symbols));
  // The seeded bars fit in half the default budget: whole series, so every
  // stored pattern is answered without another bar query.
  EXPECT_GE(server_->engine().bar_cache().bytes(),
            bars * CompactBarSeries::kBytesPerBar);
  // Compact (28 B a bar on these prices, not sizeof(Bar) = 56; the market
  // proxy also keeps its decoded run) and honestly counted.
  pqxx::read_transaction dia_tx(conn);
  const int64_t dia_bars =
      dia_tx.exec1("SELECT count(*) FROM price_bars WHERE symbol = 'DIA'")[0]
          .as<int64_t>();
  dia_tx.commit();
  EXPECT_LE(server_->engine().bar_cache().bytes(),
            bars * CompactBarSeries::kBytesPerBar + dia_bars * sizeof(Bar) +
                symbols * 1024);
  const ScoringRepository& repo = server_->engine().repository();
  EXPECT_EQ(repo.preloaded(), Seeded().pattern_ids.size());
  EXPECT_GT(repo.preloaded_bytes(), repo.preloaded() * sizeof(ScoringPattern));
  const uint64_t loads = server_->engine().bar_cache().loads();
  for (const std::string& id : Seeded().pattern_ids) {
    auto got =
        server_->engine().ScoreStored(id, 1, absl::Now() + absl::Seconds(30));
    ASSERT_TRUE(got.ok()) << id << ": " << got.status();
  }
  EXPECT_EQ(server_->engine().bar_cache().loads(), loads);
  server_.reset();
  Start(absl::ZeroDuration());
  EXPECT_EQ(server_->engine().bar_cache().size(), 0u);
}

// Another writer (a second replica's EvaluatePattern, `pcs outcomes`, an
// operator's UPDATE) changes a preloaded pattern's state: the preload's
// background poll (every second by default) brings it to the answers, and
// the cached model output is still used.
TEST_F(ScoringEngineTest, PreloadedStateFollowsAnotherWritersChange) {
  Start(absl::Seconds(30));
  const std::string& id = Seeded().pattern_ids.front();
  ASSERT_GT(server_->engine().repository().preloaded(), 0u);
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  auto first = server_->engine().ScoreStored(id, 1, deadline);
  ASSERT_TRUE(first.ok()) << first.status();
  auto cached = server_->engine().ScoreStored(id, 1, deadline);
  ASSERT_TRUE(cached.ok()) << cached.status();
  EXPECT_TRUE(cached->cache_hit);
  EXPECT_EQ(cached->timing.database_us, 0);  // preload and score cache
  const LifecycleState before = first->state;
  const LifecycleState after = before == LifecycleState::kExpired
                                   ? LifecycleState::kDetected
                                   : LifecycleState::kExpired;
  pqxx::connection conn(Seeded().conninfo);
  const auto set_state = [&](LifecycleState state) {
    pqxx::work tx(conn);
    tx.exec_params(
        "UPDATE pattern_events SET lifecycle_state = $2 WHERE id = $1", id,
        std::string(LifecycleStateName(state)));
    tx.commit();
  };
  set_state(after);
  LifecycleState seen = before;
  bool hit = false;
  while (seen != after && absl::Now() < deadline) {
    auto got = server_->engine().ScoreStored(id, 1, deadline);
    ASSERT_TRUE(got.ok()) << got.status();
    seen = got->state;
    hit = got->cache_hit;
    if (seen != after) absl::SleepFor(absl::Milliseconds(20));
  }
  set_state(before);  // the seeded database is shared by the other tests
  EXPECT_EQ(seen, after);
  EXPECT_TRUE(hit);
}

TEST_F(ScoringEngineTest, ConcurrentLookupsShareBatchedQueries) {
  Start(absl::ZeroDuration());
  const std::vector<std::string>& ids = Seeded().pattern_ids;
  ASSERT_GE(ids.size(), 32u);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < 32; i += 8) {
        auto got = server_->engine().ScoreStored(
            ids[i], 1, absl::Now() + absl::Seconds(30));
        if (!got.ok() || got->pattern_id != ids[i]) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  const ScoringRepository& repo = server_->engine().repository();
  EXPECT_EQ(repo.pattern_ids_queried(), 32u);
  auto missing = server_->engine().ScoreStored(std::string(64, 'f'), 1,
                                               absl::Now() + absl::Seconds(30));
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
}

}  // namespace
}  // namespace pcs
