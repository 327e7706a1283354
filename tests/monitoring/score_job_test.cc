// `pcs score` on real bars: AAPL, ADBE, AMGN and DIA ingested into a real
// PostgreSQL, backfilled, then scored with the committed model version.
// Every stored pattern gets the version's score (resolved ones too), the
// stored decision follows blended >= threshold, the latest score lands on
// pattern_events for the review list, and a second run changes nothing.
#include "monitoring/score_job.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ingest/ingester.h"
#include "pipeline/backfill_job.h"
#include "pqxx/pqxx"
#include "tests/test_util/shared_data.h"
#include "tests/test_util/test_database.h"

namespace pcs {
namespace {

constexpr char kVersion[] = "20261126T235550Z";

int64_t Count(pqxx::connection& conn, const std::string& sql) {
  pqxx::read_transaction tx(conn);
  return tx.exec1(sql)[0].as<int64_t>();
}

TEST(ScoreJobTest, ScoresEveryStoredPatternOnceAndIsIdempotent) {
  const std::string conninfo = testing::TestDatabase::FreshDatabase();
  pqxx::connection conn(conninfo);
  std::vector<std::string> files;
  for (const char* s : {"AAPL", "ADBE", "AMGN", "DIA"}) {
    files.push_back(testing::SharedOhlcvFile(s));
  }
  auto ingested = Ingester(conn, IngestOptions{}).Run(files);
  ASSERT_TRUE(ingested.ok()) << ingested.status();
  BackfillOptions backfill;
  backfill.conninfo = conninfo;
  ASSERT_TRUE(RunBackfill(backfill).ok());
  const int64_t stored = Count(conn, "SELECT count(*) FROM pattern_events");
  ASSERT_GT(stored, 50);
  ASSERT_GT(Count(conn,
                  "SELECT count(*) FROM pattern_events WHERE "
                  "outcome_label IS NOT NULL"),
            0);

  ScoreJobOptions options;
  options.conninfo = conninfo;
  options.model_dir =
      std::string(PCS_SOURCE_DIR) + "/models/phase5/" + kVersion;
  int calls = 0;
  options.progress = [&](int done, int total, int64_t) {
    ++calls;
    EXPECT_LE(done, total);
  };
  auto first = RunScoreJob(options);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->model_version, kVersion);
  EXPECT_EQ(calls, first->symbols);
  EXPECT_EQ(first->patterns + first->feature_failures, stored);
  EXPECT_EQ(first->written.inserted, first->patterns);
  std::printf("%s", first->ToText().c_str());

  // One row per scored pattern, decided as the server decides.
  EXPECT_EQ(Count(conn, "SELECT count(*) FROM pattern_scores"),
            first->patterns);
  EXPECT_EQ(Count(conn,
                  "SELECT count(*) FROM pattern_scores WHERE (decision = "
                  "'confirm') <> (blended_confidence >= decision_threshold) OR "
                  "abs(blended_confidence - (ml_weight * ml_confidence + (1 - "
                  "ml_weight) * rule_confidence)) > 1e-9"),
            0);
  EXPECT_EQ(Count(conn,
                  "SELECT count(*) FROM pattern_scores s JOIN pattern_events e "
                  "ON e.id = s.pattern_id WHERE s.as_of <> "
                  "e.confirmation_date OR e.ml_confidence IS DISTINCT FROM "
                  "s.ml_confidence OR e.model_version IS DISTINCT FROM "
                  "s.model_version"),
            0);
  // History (resolved patterns) is scored too, not only open ones.
  EXPECT_EQ(Count(conn,
                  "SELECT count(*) FROM pattern_events WHERE "
                  "outcome_label IS NOT NULL AND ml_confidence IS NULL"),
            first->feature_failures);
  EXPECT_EQ(first->confirm,
            Count(conn,
                  "SELECT count(*) FROM pattern_scores WHERE decision = "
                  "'confirm'"));

  auto second = RunScoreJob(options);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->patterns, first->patterns);
  EXPECT_EQ(second->written.inserted, 0);
  EXPECT_EQ(second->written.updated, 0);
  EXPECT_EQ(second->written.unchanged, first->patterns);
  EXPECT_EQ(Count(conn, "SELECT count(*) FROM pattern_scores"),
            first->patterns);
}

TEST(ScoreJobTest, MissingModelFolderIsAnError) {
  ScoreJobOptions options;
  options.conninfo = testing::TestDatabase::FreshDatabase();
  options.model_dir = "/nonexistent/pcs/model";
  EXPECT_FALSE(RunScoreJob(options).ok());
}

}  // namespace
}  // namespace pcs
