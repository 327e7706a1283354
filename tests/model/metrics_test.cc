#include "model/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace pcs::metrics {
namespace {

using ::testing::ElementsAre;

TEST(RocAucTest, KnownRankings) {
  const std::vector<int> y = {0, 0, 1, 1};
  EXPECT_DOUBLE_EQ(RocAuc({0.1, 0.2, 0.3, 0.4}, y), 1.0);  // perfect
  EXPECT_DOUBLE_EQ(RocAuc({0.4, 0.3, 0.2, 0.1}, y), 0.0);  // reversed
  EXPECT_DOUBLE_EQ(RocAuc({0.5, 0.5, 0.5, 0.5}, y), 0.5);  // all ties
  EXPECT_DOUBLE_EQ(RocAuc({0.1, 0.4, 0.35, 0.8}, y),
                   0.75);  // 3 of 4 pairs ordered
  // Pairs (pos, neg): (0.5,0.5)=1/2, (0.5,0.2)=1, (0.9,0.5)=1, (0.9,0.2)=1
  // -> 3.5/4.
  EXPECT_DOUBLE_EQ(RocAuc({0.5, 0.5, 0.2, 0.9}, {1, 0, 0, 1}), 0.875);
  // A NaN score ranks lowest: the NaN positive loses to both negatives.
  EXPECT_DOUBLE_EQ(RocAuc({std::nan(""), 0.9, 0.2, 0.3}, {1, 1, 0, 0}), 0.5);
  EXPECT_TRUE(std::isnan(RocAuc({0.1, 0.2}, {1, 1})));  // one class
  EXPECT_TRUE(std::isnan(RocAuc({0.1, 0.2}, {1, 2})));  // bad label
}

TEST(AveragePrecisionTest, HandComputed) {
  // Descending: 0.8(+) P=1 R=.5; 0.4(-); 0.35(+) P=2/3 R=1 -> .5*1 + .5*2/3.
  EXPECT_NEAR(AveragePrecision({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}),
              0.5 + 1.0 / 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(AveragePrecision({0.1, 0.2, 0.3, 0.4}, {0, 0, 1, 1}), 1.0);
  // All tied: one threshold, precision = base rate.
  EXPECT_DOUBLE_EQ(AveragePrecision({0.5, 0.5, 0.5, 0.5}, {0, 1, 0, 0}), 0.25);
  EXPECT_TRUE(std::isnan(AveragePrecision({0.1, 0.2}, {0, 0})));
}

TEST(ProbabilityMetricsTest, BrierLogLossAndEce) {
  EXPECT_NEAR(BrierScore({0.1, 0.9, 0.8}, {0, 1, 0}), (0.01 + 0.01 + 0.64) / 3,
              1e-12);
  EXPECT_NEAR(LogLoss({0.5, 0.5}, {0, 1}), std::log(2.0), 1e-12);
  EXPECT_NEAR(LogLoss({0.0, 1.0}, {0, 1}), 0.0, 1e-12);
  EXPECT_GT(LogLoss({1.0}, {0}), 30.0);  // clipped, finite
  EXPECT_TRUE(std::isfinite(LogLoss({1.0}, {0})));

  // Calibrated toy set: 0.25 -> 1 of 4 positive, 0.75 -> 3 of 4 positive.
  const std::vector<double> p = {0.25, 0.25, 0.25, 0.25,
                                 0.75, 0.75, 0.75, 0.75};
  const std::vector<int> y = {1, 0, 0, 0, 1, 1, 1, 0};
  EXPECT_NEAR(ExpectedCalibrationError(p, y), 0.0, 1e-12);
  // Overconfident: says 0.9, half are positive -> ECE 0.4.
  EXPECT_NEAR(ExpectedCalibrationError(std::vector<double>(10, 0.9),
                                       {1, 1, 1, 1, 1, 0, 0, 0, 0, 0}),
              0.4, 1e-12);
  const auto bins = ReliabilityBins(p, y);
  ASSERT_EQ(bins.size(), 10u);
  EXPECT_EQ(bins[2].count, 4);
  EXPECT_DOUBLE_EQ(bins[2].observed_rate, 0.25);
  EXPECT_DOUBLE_EQ(bins[7].mean_predicted, 0.75);
  EXPECT_EQ(bins[0].count, 0);
  EXPECT_TRUE(std::isnan(bins[0].observed_rate));
  // 1.0 lands in the last bin, 0.1 in bin 1 ([0.1, 0.2)).
  const auto edge = ReliabilityBins({1.0, 0.1}, {1, 0});
  EXPECT_EQ(edge[9].count, 1);
  EXPECT_EQ(edge[1].count, 1);
}

TEST(CurvesTest, RocAndPrPoints) {
  const std::vector<double> s = {0.9, 0.8, 0.8, 0.3};
  const std::vector<int> y = {1, 0, 1, 0};
  const auto roc = RocPoints(s, y);
  ASSERT_EQ(roc.size(), 4u);  // origin + 3 distinct scores
  EXPECT_DOUBLE_EQ(roc[0].x, 0);
  EXPECT_DOUBLE_EQ(roc[1].y, 0.5);
  EXPECT_DOUBLE_EQ(roc[2].x, 0.5);
  EXPECT_DOUBLE_EQ(roc[2].y, 1.0);
  EXPECT_DOUBLE_EQ(roc[2].threshold, 0.8);
  EXPECT_DOUBLE_EQ(roc[3].x, 1.0);
  const auto pr = PrecisionRecallPoints(s, y);
  ASSERT_EQ(pr.size(), 3u);
  EXPECT_DOUBLE_EQ(pr[0].y, 1.0);
  EXPECT_DOUBLE_EQ(pr[1].x, 1.0);
  EXPECT_NEAR(pr[1].y, 2.0 / 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(pr[2].y, 0.5);
}

TEST(SelectionTest, ThresholdTopKAndCoverage) {
  const std::vector<double> s = {0.5, 0.9, 0.5, 0.5, std::nan(""), 0.1};
  const std::vector<int> y = {1, 1, 0, 0, 1, 0};
  const ThresholdStats t = AtThreshold(s, y, 0.5);
  EXPECT_EQ(t.selected, 4);
  EXPECT_EQ(t.true_positives, 2);
  EXPECT_DOUBLE_EQ(t.precision, 0.5);
  EXPECT_NEAR(t.recall, 2.0 / 3.0, 1e-12);
  EXPECT_TRUE(std::isnan(AtThreshold(s, y, 2.0).precision));

  EXPECT_THAT(TopKByScore(s, 3), ElementsAre(1, 0, 2));  // ties by index
  EXPECT_THAT(TopKByScore(s, 100), ElementsAre(1, 0, 2, 3, 5, 4));  // NaN last
  EXPECT_TRUE(TopKByScore(s, -1).empty());

  EXPECT_EQ(CoverageCount(30, 0.1), 3);
  EXPECT_EQ(CoverageCount(31, 0.1), 4);
  EXPECT_EQ(CoverageCount(5, 0.01), 1);
  EXPECT_DOUBLE_EQ(PrecisionAtCoverage(s, y, 0.5),
                   2.0 / 3.0);  // top 3: rows 1, 0, 2
  EXPECT_DOUBLE_EQ(PrecisionAtCoverage(s, y, 1.0 / 6.0), 1.0);
}

TEST(GroupBootstrapTest, ResamplesWholeGroupsDeterministically) {
  // 4 groups of different sizes; each row's value is its group's value.
  std::vector<std::string> groups;
  std::vector<double> values;
  const std::map<std::string, std::pair<int, double>> spec = {
      {"AAA", {3, 1.0}},
      {"BBB", {5, 2.0}},
      {"CCC", {2, 3.0}},
      {"DDD", {4, 4.0}}};
  for (const auto& [name, sv] : spec) {
    for (int i = 0; i < sv.first; ++i) {
      groups.push_back(name);
      values.push_back(sv.second);
    }
  }
  bool whole_groups = true;
  auto mean = [&](const std::vector<int>& rows) {
    std::map<std::string, int> count;
    for (int r : rows) count[groups[r]] += 1;
    for (const auto& [name, c] : count)
      whole_groups &= c % spec.at(name).first == 0;
    double sum = 0;
    for (double v : Gather(values, rows)) sum += v;
    return sum / static_cast<double>(rows.size());
  };
  BootstrapOptions options;
  options.replicates = 500;
  auto a = GroupBootstrap(groups, mean, options);
  auto b = GroupBootstrap(groups, mean, options);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(whole_groups);
  EXPECT_EQ(a->lower, b->lower);
  EXPECT_EQ(a->upper, b->upper);
  EXPECT_NEAR(a->estimate, (3 * 1.0 + 5 * 2.0 + 2 * 3.0 + 4 * 4.0) / 14.0,
              1e-12);
  EXPECT_EQ(a->replicates_used, 500);
  EXPECT_LT(a->lower, a->estimate);
  EXPECT_GT(a->upper, a->estimate);
  EXPECT_GE(a->lower, 1.0);
  EXPECT_LE(a->upper, 4.0);

  // The seed drives the draws: record the resamples under two seeds.
  auto draws = [&](uint64_t seed) {
    std::vector<std::vector<int>> seen;
    BootstrapOptions o;
    o.replicates = 20;
    o.seed = seed;
    auto r = GroupBootstrap(
        groups,
        [&](const std::vector<int>& rows) {
          seen.push_back(rows);
          return 0.0;
        },
        o);
    EXPECT_TRUE(r.ok());
    return seen;
  };
  EXPECT_EQ(draws(5), draws(5));
  EXPECT_NE(draws(5), draws(6));

  // A statistic that is never finite is an error; empty input too.
  EXPECT_FALSE(GroupBootstrap(groups, [](const std::vector<int>&) {
                 return std::nan("");
               }).ok());
  EXPECT_FALSE(GroupBootstrap({}, mean).ok());
}

TEST(ValidateBinaryTest, NamesTheBadRow) {
  EXPECT_TRUE(ValidateBinary({0.1, 0.2}, {0, 1}).ok());
  EXPECT_FALSE(ValidateBinary({0.1}, {0, 1}).ok());
  const absl::Status s = ValidateBinary({0.1, 0.2, 0.3}, {0, 1, -1});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("row 2"));
}

}  // namespace
}  // namespace pcs::metrics
