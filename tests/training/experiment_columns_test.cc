#include "training/experiment_columns.h"

#include <cmath>

#include "gtest/gtest.h"

namespace pcs {
namespace {

BarSeries Series(const std::string& symbol, int n, double start, double step,
                 int first_day = 20000) {
  BarSeries s;
  s.symbol = symbol;
  for (int i = 0; i < n; ++i) {
    Bar b;
    b.day = first_day + i;
    b.close = b.open = b.high = b.low = start + step * i;
    s.bars.push_back(b);
  }
  return s;
}

TEST(ExperimentColumnsTest, NamesFollowTheSwitchesInOrder) {
  EXPECT_TRUE(ExperimentColumnNames({}).empty());
  ExperimentColumns e;
  e.analytic_feature = true;
  e.relative_strength = true;
  EXPECT_EQ(ExperimentColumnNames(e),
            (std::vector<std::string>{
                "exp_analytic_probability", "exp_rel_strength_5",
                "exp_rel_strength_20", "exp_rel_strength_120",
                "exp_rel_strength_250"}));
  e.relative_strength = false;
  e.analytic_base_margin = true;  // a margin, not a column
  EXPECT_EQ(ExperimentColumnNames(e).size(), 1u);
}

TEST(ExperimentColumnsTest, RelativeStrengthIsTheReturnGapSignedByDirection) {
  const BarSeries stock = Series("S", 300, 100, 1);     // rising
  const BarSeries market = Series("DIA", 300, 100, 0);  // flat
  ExperimentColumns e;
  e.relative_strength = true;
  Pattern p;
  p.direction = Direction::kBullish;
  const int t = 299;
  std::vector<float> v = ExperimentColumnValues(e, p, stock, t, &market, 0.4);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_NEAR(v[0], 399.0 / 394.0 - 1, 1e-6);  // 5 bars
  EXPECT_NEAR(v[1], 399.0 / 379.0 - 1, 1e-6);  // 20 bars
  EXPECT_NEAR(v[3], 399.0 / 149.0 - 1, 1e-6);  // 250 bars
  p.direction = Direction::kBearish;
  v = ExperimentColumnValues(e, p, stock, t, &market, 0.4);
  EXPECT_NEAR(v[0], -(399.0 / 394.0 - 1), 1e-6);
  // Too little history for 250 bars; no market; a stale market.
  v = ExperimentColumnValues(e, p, stock, 200, &market, 0.4);
  EXPECT_FALSE(std::isnan(v[2]));
  EXPECT_TRUE(std::isnan(v[3]));
  v = ExperimentColumnValues(e, p, stock, t, nullptr, 0.4);
  EXPECT_TRUE(std::isnan(v[0]));
  const BarSeries old_market = Series("DIA", 100, 100, 0);  // ends day 20099
  v = ExperimentColumnValues(e, p, stock, t, &old_market, 0.4);
  EXPECT_TRUE(std::isnan(v[0]));
}

TEST(ExperimentColumnsTest, AnalyticColumnAndBaseMargin) {
  ExperimentColumns e;
  e.analytic_feature = true;
  const BarSeries stock = Series("S", 10, 100, 1);
  const std::vector<float> v =
      ExperimentColumnValues(e, Pattern{}, stock, 9, nullptr, 0.25);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_FLOAT_EQ(v[0], 0.25f);
  EXPECT_NEAR(AnalyticBaseMargin(0.25), std::log(0.25 / 0.75), 1e-6);
  EXPECT_NEAR(AnalyticBaseMargin(0.0), std::log(0.001 / 0.999), 1e-5);
  EXPECT_EQ(AnalyticBaseMargin(std::nan("")), 0.0f);
}

}  // namespace
}  // namespace pcs
