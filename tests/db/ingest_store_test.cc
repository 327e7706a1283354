// db/ingest_store.h (the write side of `pcs ingest`), db/database_summary.h
// (`pcs status`) and LatestBarDay, on a real PostgreSQL.
#include "db/ingest_store.h"

#include <memory>
#include <string>
#include <vector>

#include "db/database_summary.h"
#include "db/price_bar_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util/test_database.h"

namespace pcs {
namespace {

using ::pcs::testing::TestDatabase;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

Bar MakeBar(const char* day, double close, double volume = 100) {
  return {*ParseDay(day), close, close + 1, close - 1, close, close, volume};
}

class IngestStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto conn = Database::ConnectTo(TestDatabase::FreshDatabase());
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_ = std::move(*conn);
  }

  IngestFile File(const std::string& symbol, const std::vector<Bar>& bars) {
    IngestFile f;
    f.symbol = symbol;
    f.path = "/data/" + symbol + ".csv";
    f.bars = bars;
    return f;
  }

  std::unique_ptr<DbConnection> conn_;
};

TEST_F(IngestStoreTest, FreshSymbolsAreCopiedKnownOnesUpserted) {
  IngestStore store(*conn_);
  absl::StatusOr<int64_t> run = store.StartRun("/data");
  ASSERT_TRUE(run.ok()) << run.status();
  const std::vector<Bar> aaa = {MakeBar("2001-01-02", 10),
                                MakeBar("2001-01-03", 11, 0)};
  const std::vector<Bar> bbb = {MakeBar("2001-01-02", 20)};
  auto first = store.LoadBatch(*run, {File("AAA", aaa), File("BBB", bbb)});
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].inserted, 2);  // fresh: COPY straight in
  EXPECT_EQ((*first)[1].inserted, 1);

  // Known symbol: one bar changed, one unchanged, one new (upsert).
  const std::vector<Bar> again = {MakeBar("2001-01-02", 10),
                                  MakeBar("2001-01-03", 12),
                                  MakeBar("2001-01-04", 13)};
  IngestFile file = File("AAA", again);
  file.rejects.push_back({7, "2001-01-05,x", "non_numeric", "Open 'x'"});
  auto second = store.LoadBatch(*run, {file});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*second)[0].inserted, 1);
  EXPECT_EQ((*second)[0].updated, 1);
  ASSERT_TRUE(store.FinishRun(*run, {2, 6, 4, 1, 1, 1, 0}).ok());

  auto bars = LoadBarSeries(*conn_, "AAA");
  ASSERT_TRUE(bars.ok()) << bars.status();
  ASSERT_EQ(bars->bars.size(), 3u);
  EXPECT_DOUBLE_EQ(bars->bars[1].close, 12);
  auto latest = LatestBarDay(*conn_);
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(*latest, ParseDay("2001-01-04").value());

  absl::StatusOr<DatabaseSummary> summary = LoadDatabaseSummary(*conn_);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->bars, 4);
  EXPECT_EQ(summary->symbols, 2);
  EXPECT_EQ(summary->first_day, ParseDay("2001-01-02").value());
  EXPECT_EQ(summary->last_day, ParseDay("2001-01-04").value());
  EXPECT_EQ(summary->zero_volume_bars, 0);  // the 0-volume bar was replaced
  EXPECT_THAT(summary->rejects_by_reason, ElementsAre(Pair("non_numeric", 1)));
  EXPECT_EQ(summary->ingest_runs, 1);
  EXPECT_TRUE(summary->patterns_by_state.empty());

  // A re-ingest of the same file replaces its rejects.
  file.rejects = {};
  ASSERT_TRUE(store.LoadBatch(*run, {file}).ok());
  summary = LoadDatabaseSummary(*conn_);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_TRUE(summary->rejects_by_reason.empty());
}

TEST_F(IngestStoreTest, EmptyTablesSummariseAsEmpty) {
  auto latest = LatestBarDay(*conn_);
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_FALSE(latest->has_value());
  absl::StatusOr<DatabaseSummary> summary = LoadDatabaseSummary(*conn_);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->bars, 0);
  EXPECT_FALSE(summary->first_day.has_value());
  EXPECT_FALSE(summary->last_day.has_value());
}

// A bar the table refuses (high < low) rolls the whole batch back and comes
// back as INVALID_ARGUMENT naming the files (db/transaction.h), not as an
// exception.
TEST_F(IngestStoreTest, RefusedBarFailsTheBatchWithAStatus) {
  IngestStore store(*conn_);
  absl::StatusOr<int64_t> run = store.StartRun("/data");
  ASSERT_TRUE(run.ok()) << run.status();
  Bar bad = MakeBar("2001-01-02", 10);
  bad.high = 5;
  const std::vector<Bar> good = {MakeBar("2001-01-02", 20)};
  const std::vector<Bar> bars = {bad};
  auto loaded = store.LoadBatch(*run, {File("GOOD", good), File("BAD", bars)});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument)
      << loaded.status();
  EXPECT_THAT(loaded.status().message(),
              HasSubstr("loading /data/GOOD.csv (and 1 more files)"));
  absl::StatusOr<DatabaseSummary> summary = LoadDatabaseSummary(*conn_);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->bars, 0);  // GOOD rolled back too
}

TEST(DatabaseConnectTest, UnreachableServerIsUnavailableWithPasswordMasked) {
  auto conn = Database::ConnectTo(
      "host=127.0.0.1 port=1 dbname=x user=u password=secret "
      "connect_timeout=2");
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(conn.status().message(),
              HasSubstr("cannot connect to PostgreSQL"));
  EXPECT_THAT(conn.status().message(), Not(HasSubstr("secret")));
}

}  // namespace
}  // namespace pcs
