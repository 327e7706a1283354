#include "pipeline/baseline_report.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>

#include "gtest/gtest.h"
#include "pipeline/backfill_job.h"
#include "pipeline/bulkowski_reference.h"
#include "pqxx/pqxx"
#include "tests/pipeline/pipeline_test_util.h"
#include "tests/test_util/test_database.h"

namespace pcs {
namespace {

BarSeries Series(const std::vector<std::tuple<double, double, double>>& hlc) {
  BarSeries s;
  s.symbol = "T";
  Day day = 10000;
  for (const auto& [h, l, c] : hlc) {
    s.bars.push_back({day++, c, h, l, c, c, 1000});
  }
  return s;
}

Pattern Bullish(Day confirmation, double breakout, double target, double stop) {
  Pattern p;
  p.symbol = "T";
  p.type = PatternType::kDoubleBottom;
  p.direction = Direction::kBullish;
  p.confirmation_day = confirmation;
  p.breakout_level = breakout;
  p.target = target;
  p.stop = stop;
  return p;
}

TEST(BulkowskiTest, TargetBeforeTwentyPercentReversal) {
  // Breakout at 100, rally to 112, then a 20% drop (to <= 89.6), later 130.
  const BarSeries s = Series({{101, 99, 100},
                              {106, 101, 105},
                              {112, 104, 110},
                              {110, 89, 90},
                              {131, 100, 130}});
  const BulkowskiOutcome a = MeasureBulkowski(s, Bullish(10000, 100, 110, 80));
  ASSERT_TRUE(a.valid);
  EXPECT_TRUE(a.target_before_reversal);
  EXPECT_TRUE(a.target_any_time);
  EXPECT_FALSE(a.trend_open);
  EXPECT_NEAR(a.ultimate_move, 0.12, 1e-12);
  EXPECT_FALSE(a.failure);
  EXPECT_EQ(a.bars_to_ultimate, 2);
  // Target 120: only reached after the reversal.
  const BulkowskiOutcome b = MeasureBulkowski(s, Bullish(10000, 100, 120, 80));
  EXPECT_FALSE(b.target_before_reversal);
  EXPECT_TRUE(b.target_any_time);
}

TEST(BulkowskiTest, FailureWhenCloseBackThroughStopBeforeFivePercent) {
  const BarSeries s =
      Series({{101, 99, 100}, {104, 100, 103}, {103, 94, 94}, {150, 94, 150}});
  const BulkowskiOutcome r = MeasureBulkowski(s, Bullish(10000, 100, 120, 95));
  EXPECT_TRUE(r.failure);  // best 104 = +4% before the close at 94 < stop
  EXPECT_NEAR(r.ultimate_move, 0.04, 1e-12);
  EXPECT_FALSE(r.target_before_reversal);
  EXPECT_TRUE(r.target_any_time);
  // With the 20% rule alone the dip to 94 (-9.6% from 104) is no reversal.
  BulkowskiOptions no_stop;
  no_stop.reverse_on_stop_close = false;
  const BulkowskiOutcome n =
      MeasureBulkowski(s, Bullish(10000, 100, 120, 95), no_stop);
  EXPECT_TRUE(n.trend_open);
  EXPECT_TRUE(n.target_before_reversal);
  EXPECT_NEAR(n.ultimate_move, 0.5, 1e-12);
  EXPECT_FALSE(n.failure);
}

TEST(BulkowskiTest, BearishIsMirrored) {
  const BarSeries s =
      Series({{101, 99, 100}, {99, 92, 93}, {95, 88, 90}, {110, 90, 108}});
  Pattern p = Bullish(10000, 100, 90, 106);
  p.direction = Direction::kBearish;
  const BulkowskiOutcome r = MeasureBulkowski(s, p);
  EXPECT_TRUE(r.target_before_reversal);
  EXPECT_NEAR(r.ultimate_move, 0.12, 1e-12);
  EXPECT_FALSE(r.trend_open);  // 110 >= 88 * 1.2 reverses
}

TEST(BulkowskiTest, ReferenceTable) {
  EXPECT_EQ(
      BulkowskiReferenceFor(PatternType::kDoubleBottom, Direction::kBullish)
          .label,
      "66%");
  EXPECT_EQ(BulkowskiReferenceFor(PatternType::kDoubleTop, Direction::kBearish)
                .target_low,
            0.64);
  EXPECT_EQ(BulkowskiReferenceFor(PatternType::kAscendingTriangle,
                                  Direction::kBullish)
                .label,
            "n/a");
  EXPECT_FALSE(
      BulkowskiReferenceFor(PatternType::kBearFlag, Direction::kBearish)
          .target_low);
}

// The report's numbers equal direct SQL aggregates over the same rows.
TEST(BaselineReportTest, MatchesSqlAggregates) {
  const std::string db = testing::TestDatabase::FreshDatabase();
  ASSERT_NO_FATAL_FAILURE(testing::IngestShared(db, {"AAPL", "AA", "A"}));
  BackfillOptions bo;
  bo.conninfo = db;
  ASSERT_TRUE(RunBackfill(bo).ok());
  BaselineOptions o;
  o.conninfo = db;
  absl::StatusOr<BaselineReport> report = ComputeBaselineReport(o);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_FALSE(report->groups.empty());

  pqxx::connection conn(db);
  pqxx::work tx(conn);
  std::map<std::pair<std::string, std::string>, pqxx::row> sql;
  const pqxx::result rows = tx.exec(
      "SELECT pattern_type, direction, count(*), count(outcome_label), "
      "coalesce(sum(outcome_label), 0), count(*) FILTER (WHERE exit_reason = "
      "'stop'), "
      "coalesce(avg(realized_pnl) FILTER (WHERE outcome_label IS NOT NULL), "
      "0), "
      "coalesce(avg(max_drawdown) FILTER (WHERE outcome_label IS NOT NULL), "
      "0), "
      "avg(abs(b.close - e.stop_price) / (abs(b.close - e.stop_price) + "
      "abs(e.target_price - b.close))) "
      "FROM pattern_events e JOIN price_bars b ON b.symbol = e.symbol AND "
      "b.day = e.confirmation_date GROUP BY 1, 2");
  for (const pqxx::row& r : rows) {
    sql.emplace(std::make_pair(r[0].as<std::string>(), r[1].as<std::string>()),
                r);
  }
  ASSERT_EQ(report->groups.size(), sql.size());
  int64_t total = 0;
  for (const BaselineGroup& g : report->groups) {
    SCOPED_TRACE(g.pattern_type + " " + g.direction);
    const pqxx::row& r = sql.at({g.pattern_type, g.direction});
    EXPECT_EQ(g.count, r[2].as<int64_t>());
    EXPECT_EQ(g.resolved, r[3].as<int64_t>());
    EXPECT_EQ(g.target_hits, r[4].as<int64_t>());
    EXPECT_EQ(g.stop_exits, r[5].as<int64_t>());
    EXPECT_NEAR(g.avg_realized_pnl, r[6].as<double>(), 1e-9);
    EXPECT_NEAR(g.avg_max_drawdown, r[7].as<double>(), 1e-9);
    EXPECT_NEAR(g.random_walk_target_odds, r[8].as<double>(), 1e-9);
    if (g.resolved > 0) {
      EXPECT_NEAR(g.target_rate, r[4].as<double>() / r[3].as<double>(), 1e-12);
    }
    EXPECT_EQ(g.bk_measured,
              g.count);  // every confirmation bar is in price_bars
    total += g.count;
  }
  EXPECT_EQ(report->total.count, total);
  for (const pqxx::row& r : tx.exec(
           "SELECT pattern_type, extract(year FROM confirmation_date)::int, "
           "count(*) FROM pattern_events GROUP BY 1, 2")) {
    EXPECT_EQ(report->counts_by_type_year.at(
                  {r[0].as<std::string>(), r[1].as<int>()}),
              r[2].as<int64_t>());
  }

  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("pcs_baseline_test_" + std::to_string(::getpid()));
  ASSERT_TRUE(WriteBaselineReport(*report, dir.string()).ok());
  std::ifstream json_file(dir / "baseline.json");
  const nlohmann::json j = nlohmann::json::parse(json_file);
  EXPECT_EQ(j["total"]["count"].get<int64_t>(), total);
  EXPECT_TRUE(std::filesystem::file_size(dir / "baseline.txt") > 100);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pcs
