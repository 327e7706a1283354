// db/prediction_trace_store (outcome join) and db/monitoring_run_store against
// a real (embedded) PostgreSQL migrated with the repository's migrations.
#include <string>

#include "db/monitoring_run_store.h"
#include "db/prediction_trace_store.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "tests/test_util/test_database.h"

namespace pcs {
namespace {

void AddPattern(pqxx::connection& conn, const std::string& id,
                const char* confirmed, const char* label,
                const char* resolved) {
  pqxx::work tx(conn);
  tx.exec_params(
      "INSERT INTO pattern_events (id, symbol, pattern_type, direction, "
      "formation_start, "
      " formation_end, confirmation_date, key_points, breakout_level, "
      "target_price, "
      " stop_price, rule_confidence, lifecycle_state, detector_version, "
      "outcome_label, "
      " outcome_resolved_at, exit_reason) "
      "VALUES ($1, 'AAPL', 'double_bottom', 'bullish', $2::date - 30, $2::date "
      "- 5, $2::date, "
      " '[]', 10, 12, 9, 0.6, 'confirmed', 'test', $3::smallint, $4::date, "
      " CASE WHEN $3::smallint IS NULL THEN NULL ELSE 'target' END)",
      id, confirmed, label, resolved);
  tx.commit();
}

void AddPrediction(pqxx::connection& conn, const std::string& id,
                   const char* ml, const char* version,
                   const char* recorded_at) {
  pqxx::work tx(conn);
  tx.exec_params(
      "INSERT INTO prediction_traces (pattern_id, state, "
      " rule_confidence, ml_confidence, blended_confidence, model_version, "
      "recorded_at) "
      "VALUES ($1, 'confirmed', 0.6, $2::double "
      "precision, "
      " $2::double precision, $3, $4::timestamptz)",
      id, ml, version, recorded_at);
  tx.commit();
}

TEST(MonitoringStoreTest, JoinsLatestServerPredictionToOutcome) {
  pqxx::connection conn(testing::TestDatabase::FreshDatabase());
  AddPattern(conn, "p1", "2020-01-10", "1", "2020-02-01");
  AddPattern(conn, "p2", "2020-01-11", "0", "2020-02-03");
  AddPattern(conn, "p3", "2020-01-12", nullptr, nullptr);  // unresolved
  AddPrediction(conn, "p1", "0.40", "v1", "2020-01-10 10:00+00");
  AddPrediction(conn, "p1", "0.70", "v1",
                "2020-01-10 11:00+00");  // latest wins
  AddPrediction(conn, "p2", nullptr, "v1", "2020-01-11 10:00+00");  // fallback
  AddPrediction(conn, "p3", "0.55", "v1", "2020-01-12 10:00+00");
  AddPrediction(conn, "p2", "0.20", "v0", "2020-01-11 09:00+00");
  {
    pqxx::work tx(conn);  // a backfill row must not be touched or loaded
    tx.exec(
        "INSERT INTO pattern_lifecycle_history (pattern_id, to_state, source) "
        "VALUES ('p1', 'confirmed', 'backfill')");
    tx.commit();
  }

  auto updated = RecordActualOutcomes(conn);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(*updated, 4);  // p1 x2, p2 x2 traces; p3 unresolved
  auto again = RecordActualOutcomes(conn);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);  // idempotent
  {
    pqxx::read_transaction tx(conn);
    EXPECT_EQ(
        tx.exec1("SELECT count(*) FROM pattern_lifecycle_history "
                 "WHERE source = 'backfill' AND actual_outcome IS NOT NULL")[0]
            .as<int>(),
        0);
    EXPECT_EQ(tx.exec1("SELECT actual_outcome FROM prediction_traces "
                       "WHERE pattern_id = 'p1' LIMIT 1")[0]
                  .as<int>(),
              1);
  }

  ScoredOutcomeFilter v1;
  v1.model_version = "v1";
  auto rows = LoadScoredOutcomes(conn, v1);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].pattern_id, "p1");
  EXPECT_DOUBLE_EQ(*(*rows)[0].ml_confidence, 0.70);
  EXPECT_EQ((*rows)[0].label, 1);
  EXPECT_EQ(FormatDay((*rows)[0].resolved_day), "2020-02-01");
  EXPECT_EQ((*rows)[1].pattern_id, "p2");
  EXPECT_FALSE((*rows)[1].ml_confidence.has_value());
  EXPECT_EQ((*rows)[1].label, 0);

  ScoredOutcomeFilter recent;
  recent.resolved_from = *ParseDay("2020-02-02");
  auto later = LoadScoredOutcomes(conn, recent);
  ASSERT_TRUE(later.ok());
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ((*later)[0].pattern_id, "p2");
}

TEST(MonitoringStoreTest, WritesRunsAndCountsAlerts) {
  pqxx::connection conn(testing::TestDatabase::FreshDatabase());
  MonitoringRunRecord run;
  run.kind = "drift";
  run.model_version = "20260101T000000Z";
  run.since = *ParseDay("2008-01-01");
  run.recent_rows = 120;
  run.max_feature = "atr_14";
  run.max_psi = 0.31;
  run.alert = true;
  run.alert_outcome = "sent";
  run.details = {{"k", "v"}};
  run.psi.push_back({"atr_14", 0.31, "significant"});
  auto id = InsertMonitoringRun(conn, run);
  ASSERT_TRUE(id.ok()) << id.status();

  MonitoringRunRecord failed;
  failed.kind = "drift";
  failed.alert = true;
  failed.alert_outcome = "failed";
  failed.alert_error = "HTTP 503";
  ASSERT_TRUE(InsertMonitoringRun(conn, failed).ok());
  MonitoringRunRecord quiet;
  quiet.kind = "outcomes";
  ASSERT_TRUE(InsertMonitoringRun(conn, quiet).ok());

  auto totals = LoadAlertTotals(conn);
  ASSERT_TRUE(totals.ok()) << totals.status();
  EXPECT_EQ(totals->sent, 1);
  EXPECT_EQ(totals->failed, 1);

  auto latest = LoadLatestMonitoringRun(conn, "drift");
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(latest->id, *id + 1);  // `failed`, the newer drift run
  EXPECT_EQ(latest->alert_outcome, "failed");
  EXPECT_EQ(latest->alert_error, "HTTP 503");
  EXPECT_EQ(latest->model_version, "");
  EXPECT_EQ(latest->finished_at.size(), 20u);  // YYYY-MM-DDTHH:MM:SSZ
  EXPECT_TRUE(
      absl::IsNotFound(LoadLatestMonitoringRun(conn, "no-such-kind").status()));

  pqxx::read_transaction tx(conn);
  const pqxx::row r = tx.exec_params1(
      "SELECT r.max_psi, r.since::text, r.details->>'k', f.level, r.as_of IS "
      "NULL "
      "FROM monitoring_runs r JOIN monitoring_feature_psi f ON f.run_id = r.id "
      "WHERE r.id = $1",
      *id);
  EXPECT_DOUBLE_EQ(r[0].as<double>(), 0.31);
  EXPECT_EQ(r[1].as<std::string>(), "2008-01-01");
  EXPECT_EQ(r[2].as<std::string>(), "v");
  EXPECT_EQ(r[3].as<std::string>(), "significant");
  EXPECT_TRUE(r[4].as<bool>());
}

TEST(MonitoringStoreTest, BadKindIsAnErrorNotAnException) {
  pqxx::connection conn(testing::TestDatabase::FreshDatabase());
  MonitoringRunRecord run;
  run.kind = "nonsense";
  auto id = InsertMonitoringRun(conn, run);
  EXPECT_FALSE(id.ok());
  EXPECT_NE(id.status().message().find("nonsense"), std::string::npos);
}

}  // namespace
}  // namespace pcs
