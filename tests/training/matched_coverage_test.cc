#include "training/matched_coverage.h"

#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "training/curves.h"

namespace pcs {
namespace {

// Ten rows, two symbols. The "good" scorer ranks the four positives first;
// "rule" ranks them in the middle.
struct Fixture {
  std::vector<int> labels = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0};
  std::vector<std::string> groups = {"A", "B", "A", "B", "A",
                                     "B", "A", "B", "A", "B"};
  std::vector<ScorerColumn> columns = {
      {"good", {0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0}},
      {"rule", {0.5, 0.2, 0.6, 0.1, 0.9, 0.3, 0.8, 0.0, 0.4, 0.7}},
  };
};

TEST(MatchedCoverageTest, PrecisionAndLiftAtMatchedCounts) {
  Fixture f;
  MatchedCoverageOptions o;
  o.coverages = {0.2, 0.5};
  o.threshold = 0.55;  // rule confirms 0.9, 0.8, 0.7, 0.6 -> 4 rows
  o.resamples = 200;
  auto rows = EvaluateMatchedCoverage(f.labels, f.groups, f.columns, o);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 3u);
  const CoverageRow& r20 = (*rows)[0];
  EXPECT_EQ(r20.name, "20%");
  EXPECT_EQ(r20.count, 2);
  EXPECT_DOUBLE_EQ(r20.scorers[0].precision, 1.0);
  EXPECT_DOUBLE_EQ(r20.scorers[1].precision, 0.0);  // 0.9 and 0.8 are negatives
  EXPECT_TRUE(std::isnan(r20.scorers[0].lifts[0].lift));  // rule precision 0

  const CoverageRow& r50 = (*rows)[1];
  EXPECT_EQ(r50.count, 5);
  EXPECT_DOUBLE_EQ(r50.scorers[0].precision, 0.8);
  // rule top 5: 0.9(0) 0.8(0) 0.7(0) 0.6(1) 0.5(1) -> 0.4
  EXPECT_DOUBLE_EQ(r50.scorers[1].precision, 0.4);
  EXPECT_DOUBLE_EQ(r50.scorers[0].lifts[0].lift, 1.0);
  EXPECT_EQ(r50.scorers[0].true_positives, 4);
  // The interval contains the point estimate (symbols are balanced here).
  EXPECT_LE(r50.scorers[0].precision_ci.low, 0.8);
  EXPECT_GE(r50.scorers[0].precision_ci.high, 0.8);

  const CoverageRow& thr = (*rows)[2];
  EXPECT_EQ(thr.name, "rule_threshold");
  EXPECT_EQ(thr.count, 4);
  EXPECT_DOUBLE_EQ(thr.scorers[1].precision, 0.25);
  EXPECT_DOUBLE_EQ(thr.scorers[0].precision, 1.0);
}

TEST(MatchedCoverageTest, BootstrapIsDeterministicForASeed) {
  Fixture f;
  MatchedCoverageOptions o;
  o.resamples = 100;
  auto a = EvaluateMatchedCoverage(f.labels, f.groups, f.columns, o);
  auto b = EvaluateMatchedCoverage(f.labels, f.groups, f.columns, o);
  ASSERT_TRUE(a.ok() && b.ok());
  for (size_t r = 0; r < a->size(); ++r) {
    EXPECT_EQ((*a)[r].scorers[0].precision_ci.low,
              (*b)[r].scorers[0].precision_ci.low);
    EXPECT_EQ((*a)[r].scorers[0].precision_ci.high,
              (*b)[r].scorers[0].precision_ci.high);
  }
}

TEST(MatchedCoverageTest, TiesAndNaNRankDeterministically) {
  const std::vector<int> order = RankDescending({0.5, NAN, 0.5, 0.9});
  EXPECT_EQ(order, (std::vector<int>{3, 0, 2, 1}));
}

TEST(MatchedCoverageTest, RejectsBadInput) {
  Fixture f;
  MatchedCoverageOptions o;
  o.references = {"nope"};
  EXPECT_FALSE(EvaluateMatchedCoverage(f.labels, f.groups, f.columns, o).ok());
  EXPECT_FALSE(
      EvaluateMatchedCoverage({}, {}, {}, MatchedCoverageOptions{}).ok());
  f.columns[0].scores.pop_back();
  EXPECT_FALSE(EvaluateMatchedCoverage(f.labels, f.groups, f.columns,
                                       MatchedCoverageOptions{})
                   .ok());
}

TEST(CurvesTest, RocAndPrOfAPerfectAndARandomScorer) {
  const std::vector<int> labels = {1, 1, 0, 0};
  EXPECT_DOUBLE_EQ(AreaUnder(RocCurve({0.9, 0.8, 0.2, 0.1}, labels)), 1.0);
  EXPECT_DOUBLE_EQ(AreaUnder(RocCurve({0.1, 0.2, 0.8, 0.9}, labels)), 0.0);
  // All tied -> the diagonal.
  EXPECT_DOUBLE_EQ(AreaUnder(RocCurve({0.5, 0.5, 0.5, 0.5}, labels)), 0.5);
  EXPECT_DOUBLE_EQ(AveragePrecision({0.9, 0.8, 0.2, 0.1}, labels), 1.0);
  // Ranking 1,0,1,0: AP = (1/2)*1 + (1/2)*(2/3).
  EXPECT_NEAR(AveragePrecision({0.9, 0.8, 0.7, 0.1}, {1, 0, 1, 0}),
              0.5 + 1.0 / 3, 1e-12);
}

TEST(CurvesTest, CalibrationNumbers) {
  const std::vector<double> p = {0.05, 0.05, 0.95, 0.95};
  const std::vector<int> y = {0, 0, 1, 1};
  EXPECT_NEAR(BrierScore(p, y), 0.0025, 1e-12);
  EXPECT_NEAR(ExpectedCalibrationError(p, y), 0.05, 1e-12);
  const std::vector<ReliabilityBin> bins = Reliability(p, y, 10);
  ASSERT_EQ(bins.size(), 10u);
  EXPECT_EQ(bins[0].count, 2);
  EXPECT_EQ(bins[9].count, 2);
  EXPECT_DOUBLE_EQ(bins[9].observed_rate, 1.0);
}

TEST(CurvesTest, PrecisionCoverage) {
  const std::vector<CurvePoint> c =
      PrecisionCoverageCurve({0.9, 0.8, 0.7, 0.6}, {1, 0, 1, 0});
  ASSERT_EQ(c.size(), 100u);
  EXPECT_DOUBLE_EQ(c[24].y, 1.0);  // 25% -> top 1
  EXPECT_DOUBLE_EQ(c[49].y, 0.5);  // 50% -> top 2
  EXPECT_DOUBLE_EQ(c[99].y, 0.5);
}

}  // namespace
}  // namespace pcs
