#include "db/lifecycle_history_store.h"

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "db/pattern_event_store.h"
#include "db/transaction.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "tests/test_util/test_database.h"

namespace pcs {
namespace {

using ::pcs::testing::TestDatabase;

// The one writer of pattern_lifecycle_history, on a real PostgreSQL.
class LifecycleHistoryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = std::make_unique<pqxx::connection>(TestDatabase::FreshDatabase());
    AddPattern("p1", "confirmed", "1");
    AddPattern("p2", "rejected", nullptr);
  }

  void AddPattern(const std::string& id, const char* state, const char* label) {
    pqxx::work tx(*conn_);
    tx.exec_params(
        "INSERT INTO pattern_events (id, symbol, pattern_type, direction, "
        "formation_start, formation_end, confirmation_date, key_points, "
        "breakout_level, target_price, stop_price, rule_confidence, "
        "lifecycle_state, detector_version, outcome_label) VALUES ($1, "
        "'AAPL', 'double_bottom', 'bullish', '2020-01-01', '2020-01-20', "
        "'2020-01-22', '[]', 10, 12, 9, 0.6, $2, 'test', $3::smallint)",
        id, state, label);
    tx.commit();
  }

  int64_t Count(const std::string& where) {
    pqxx::read_transaction tx(*conn_);
    return tx
        .exec1("SELECT count(*) FROM pattern_lifecycle_history WHERE " +
               where)[0]
        .as<int64_t>();
  }

  template <typename Fn>
  auto Run(Fn&& fn) {
    return RunInTransaction(*conn_, "test", std::forward<Fn>(fn));
  }

  std::unique_ptr<pqxx::connection> conn_;
};

LifecycleTransition Move(const std::string& id,
                         std::optional<LifecycleState> from,
                         LifecycleState to) {
  LifecycleTransition t;
  t.pattern_id = id;
  t.from = from;
  t.to = to;
  t.event_day = *ParseDay("2020-01-22");
  return t;
}

TEST_F(LifecycleHistoryStoreTest, AppendWritesEveryColumn) {
  auto row = Run([&](pqxx::work& tx) -> absl::StatusOr<AppendedHistoryRow> {
    HistoryEntry e;
    e.transition =
        Move("p1", LifecycleState::kDetected, LifecycleState::kConfirmed);
    e.transition.rule_confidence = 0.6;
    e.transition.ml_confidence = 0.7;
    e.transition.blended_confidence = 0.65;
    e.transition.blend_weight = 0.5;
    e.transition.reason = "EvaluatePattern: confirm";
    e.source = "evaluate";
    e.model_version = "v1";
    e.latency_ms = 1.5;
    return LifecycleHistoryStore(tx).Append(e);
  });
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_GT(row->id, 0);
  EXPECT_FALSE(row->recorded_at.empty());
  EXPECT_EQ(Count("source = 'evaluate' AND from_state = 'detected' AND "
                  "to_state = 'confirmed' AND event_date = '2020-01-22' AND "
                  "ml_confidence = 0.7 AND blend_weight = 0.5 AND "
                  "model_version = 'v1' AND latency_ms = 1.5 AND "
                  "fallback_reason IS NULL AND actual_outcome IS NULL"),
            1);
  auto today = Run([&](pqxx::work& tx) -> absl::StatusOr<AppendedHistoryRow> {
    HistoryEntry e;
    e.transition =
        Move("p1", LifecycleState::kConfirmed, LifecycleState::kRejected);
    e.source = "analyst";
    e.dated_today = true;
    return LifecycleHistoryStore(tx).Append(e);
  });
  ASSERT_TRUE(today.ok()) << today.status();
  EXPECT_EQ(Count("source = 'analyst' AND event_date = current_date AND "
                  "reason IS NULL AND model_version IS NULL"),
            1);
}

TEST_F(LifecycleHistoryStoreTest, AppendOnceSkipsExistingAndRejected) {
  const std::vector<LifecycleTransition> seq = {
      Move("p1", std::nullopt, LifecycleState::kDetected),
      Move("p1", LifecycleState::kDetected, LifecycleState::kConfirmed),
      Move("p1", LifecycleState::kDetected, LifecycleState::kConfirmed),
      Move("p2", std::nullopt, LifecycleState::kDetected)};  // p2 rejected
  auto first = Run([&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
    return LifecycleHistoryStore(tx).AppendOnce(seq, "backfill");
  });
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, 2);
  auto again = Run([&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
    return LifecycleHistoryStore(tx).AppendOnce(seq, "backfill");
  });
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, 0);
  EXPECT_EQ(Count("pattern_id = 'p1' AND from_state IS NULL"), 1);
  auto has = Run([&](pqxx::work& tx) -> absl::StatusOr<bool> {
    LifecycleHistoryStore store(tx);
    return store.HasSource("p1", "backfill") &&
           !store.HasSource("p1", "evaluate");
  });
  ASSERT_TRUE(has.ok());
  EXPECT_TRUE(*has);
}

}  // namespace
}  // namespace pcs
