#include "db/prediction_trace_store.h"

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "db/transaction.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "tests/test_util/test_database.h"

namespace pcs {
namespace {

using ::pcs::testing::TestDatabase;

// The one writer of prediction_traces, on a real PostgreSQL.
class PredictionTraceStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = TestDatabase::FreshDatabase();
    conn_ = std::make_unique<pqxx::connection>(conninfo_);
    pqxx::work tx(*conn_);
    tx.exec0(
        "INSERT INTO pattern_events (id, symbol, pattern_type, direction, "
        "formation_start, formation_end, confirmation_date, key_points, "
        "breakout_level, target_price, stop_price, rule_confidence, "
        "lifecycle_state, detector_version, outcome_label) VALUES ('p1', "
        "'AAPL', 'double_bottom', 'bullish', '2020-01-01', '2020-01-20', "
        "'2020-01-22', '[]', 10, 12, 9, 0.6, 'confirmed', 'test', 1)");
    tx.commit();
  }

  int64_t Count(const std::string& where) {
    pqxx::read_transaction tx(*conn_);
    return tx.exec1("SELECT count(*) FROM prediction_traces WHERE " + where)[0]
        .as<int64_t>();
  }

  template <typename Fn>
  auto Run(Fn&& fn) {
    return RunInTransaction(*conn_, "test", std::forward<Fn>(fn));
  }

  std::string conninfo_;
  std::unique_ptr<pqxx::connection> conn_;
};

TEST_F(PredictionTraceStoreTest, AppendsTracesAndRecordsOutcomes) {
  TraceRecord r;
  r.pattern_id = "p1";
  r.state = "confirmed";
  r.event_date = "2020-01-22";
  r.rule_confidence = 0.6;
  r.ml_confidence = 0.8;
  r.blended_confidence = 0.7;
  r.model_version = "v1";
  r.reason = "score ScorePattern";
  TraceRecord quoted = r;
  quoted.reason = "it's quoted";
  quoted.ml_confidence.reset();
  TraceRecord unknown = r;
  unknown.pattern_id = "no-such-pattern";
  auto appended = Run([&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
    return PredictionTraceStore(tx).Append({r, unknown, quoted});
  });
  ASSERT_TRUE(appended.ok()) << appended.status();
  EXPECT_EQ(*appended, 2);  // the unknown pattern's trace is left out
  EXPECT_EQ(Count("pattern_id = 'no-such-pattern'"), 0);
  EXPECT_EQ(Count("state = 'confirmed' AND event_date = '2020-01-22' AND "
                  "model_version = 'v1' AND blend_weight = 0"),
            2);
  EXPECT_EQ(Count("reason = 'it''s quoted' AND ml_confidence IS NULL"), 1);
  auto updated = Run([&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
    return PredictionTraceStore(tx).RecordActualOutcomes();
  });
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(*updated, 2);
  EXPECT_EQ(Count("actual_outcome = 1"), 2);
  // Traces are not lifecycle history.
  pqxx::read_transaction tx(*conn_);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM pattern_lifecycle_history")[0]
                .as<int64_t>(),
            0);
}

// Retention (`pcs traces prune`): old rows go, recent rows and the latest
// trace of each (pattern, model version) stay, whatever their age.
TEST_F(PredictionTraceStoreTest, PruneKeepsRecentAndLatestPerModel) {
  {
    pqxx::work tx(*conn_);
    for (const char* row :
         {"('p1', 'confirmed', now() - interval '40 days', 'v1')",
          "('p1', 'confirmed', now() - interval '35 days', 'v1')",
          "('p1', 'confirmed', now() - interval '31 days', 'v2')",
          "('p1', 'confirmed', now() - interval '1 day', 'v1')",
          "('p1', 'confirmed', now(), 'v1')"}) {
      tx.exec0(std::string("INSERT INTO prediction_traces (pattern_id, state, "
                           "recorded_at, model_version) VALUES ") +
               row);
    }
    tx.commit();
  }
  absl::StatusOr<int64_t> deleted = PruneTraces(*conn_, absl::Hours(24 * 30));
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 2);                       // the two old v1 rows
  EXPECT_EQ(Count("model_version = 'v2'"), 1);  // latest of v2, though old
  EXPECT_EQ(Count("model_version = 'v1'"), 2);
  EXPECT_EQ(*PruneTraces(*conn_, absl::Hours(24 * 30)), 0);  // idempotent
}

// migrations/0008: writing a trace takes no lock on its pattern's row (a
// foreign key check would take FOR KEY SHARE, which waits for the FOR UPDATE
// below), and deleting or truncating patterns still deletes their traces.
TEST_F(PredictionTraceStoreTest, TracesLockNoPatternRowAndFollowDeletes) {
  pqxx::connection locker(conninfo_);
  pqxx::work lock_tx(locker);
  lock_tx.exec1("SELECT 1 FROM pattern_events WHERE id = 'p1' FOR UPDATE");
  TraceRecord r;
  r.pattern_id = "p1";
  r.state = "confirmed";
  r.reason = "score ScorePattern";
  auto appended = Run([&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
    tx.exec0("SET LOCAL lock_timeout = '2s'");
    return PredictionTraceStore(tx).Append({r, r});
  });
  ASSERT_TRUE(appended.ok()) << appended.status();
  EXPECT_EQ(*appended, 2);
  lock_tx.abort();

  {
    pqxx::work tx(*conn_);
    tx.exec0("DELETE FROM pattern_events WHERE id = 'p1'");
    tx.commit();
  }
  EXPECT_EQ(Count("true"), 0);

  SetUp();  // p1 again
  ASSERT_TRUE(Run([&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
                return PredictionTraceStore(tx).Append({r});
              }).ok());
  EXPECT_EQ(Count("true"), 1);
  {
    pqxx::work tx(*conn_);
    tx.exec0("TRUNCATE pattern_events CASCADE");
    tx.commit();
  }
  EXPECT_EQ(Count("true"), 0);
}

}  // namespace
}  // namespace pcs
