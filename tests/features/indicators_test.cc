#include "features/indicators.h"

#include <cmath>
#include <limits>
#include <vector>

#include "gtest/gtest.h"
#include "tests/test_util/bars.h"

namespace pcs {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using ::pcs::testing::MakeBar;

using Values = std::vector<double>;

TEST(IndicatorsTest, SmaAndStdev) {
  const std::vector<double> v = {1, 2, 3, 4, 5};
  EXPECT_DOUBLE_EQ(SmaAt(v, 3, 4), 4.0);  // (3 + 4 + 5) / 3
  EXPECT_DOUBLE_EQ(SmaAt(v, 5, 4), 3.0);
  EXPECT_TRUE(std::isnan(SmaAt(v, 3, 1)));   // too little history
  EXPECT_TRUE(std::isnan(SmaAt(v, 3, 5)));   // out of range
  EXPECT_TRUE(std::isnan(SmaAt({}, 3, 0)));  // empty: NaN, no crash
  // Population stdev of 1..5: sqrt((4 + 1 + 0 + 1 + 4) / 5) = sqrt(2).
  EXPECT_NEAR(StdevAt(v, 5, 4), std::sqrt(2.0), 1e-12);
}

TEST(IndicatorsTest, EmaSeededWithSma) {
  // period 3 => alpha 0.5; seed at index 2 = mean(1, 2, 3) = 2;
  // then 2 + 0.5 (4 - 2) = 3, 3 + 0.5 (5 - 3) = 4, 4 + 0.5 (6 - 4) = 5.
  const std::vector<double> ema = EmaSeries(Values{1, 2, 3, 4, 5, 6}, 3);
  ASSERT_EQ(ema.size(), 6u);
  EXPECT_TRUE(std::isnan(ema[0]));
  EXPECT_TRUE(std::isnan(ema[1]));
  EXPECT_DOUBLE_EQ(ema[2], 2.0);
  EXPECT_DOUBLE_EQ(ema[3], 3.0);
  EXPECT_DOUBLE_EQ(ema[4], 4.0);
  EXPECT_DOUBLE_EQ(ema[5], 5.0);
  // Leading NaNs shift the seed.
  const std::vector<double> shifted = EmaSeries(Values{kNaN, 1, 2, 3}, 3);
  EXPECT_DOUBLE_EQ(shifted[3], 2.0);
}

TEST(IndicatorsTest, WilderRsiByHand) {
  // Changes: +1, -0.5, +1, -0.5, +1 (period 3).
  // Index 3: avg gain (1 + 0 + 1) / 3 = 2/3, avg loss 0.5 / 3 = 1/6, RS 4
  //          => RSI 100 - 100 / 5 = 80.
  // Index 4: gain (2/3 * 2 + 0) / 3 = 4/9, loss (1/6 * 2 + 0.5) / 3 = 5/18,
  //          RS 1.6 => 100 - 100 / 2.6 = 61.538461...
  // Index 5: gain (4/9 * 2 + 1) / 3 = 17/27, loss (5/18 * 2) / 3 = 5/27,
  //          RS 3.4 => 100 - 100 / 4.4 = 77.272727...
  const std::vector<double> rsi =
      WilderRsiSeries(Values{10, 11, 10.5, 11.5, 11, 12}, 3);
  EXPECT_TRUE(std::isnan(rsi[2]));
  EXPECT_NEAR(rsi[3], 80.0, 1e-9);
  EXPECT_NEAR(rsi[4], 61.538461538, 1e-6);
  EXPECT_NEAR(rsi[5], 77.272727273, 1e-6);
}

TEST(IndicatorsTest, RsiEdgeCases) {
  // Flat prices: no gains and no losses => defined as 50 (neutral).
  EXPECT_DOUBLE_EQ(WilderRsiSeries(std::vector<double>(20, 7.0), 14)[19], 50.0);
  // Only gains => 100; only losses => 0.
  std::vector<double> up, down;
  for (int i = 0; i < 20; ++i) {
    up.push_back(10 + i);
    down.push_back(30 - i);
  }
  EXPECT_DOUBLE_EQ(WilderRsiSeries(up, 14)[19], 100.0);
  EXPECT_DOUBLE_EQ(WilderRsiSeries(down, 14)[19], 0.0);
  // Too short: all NaN, no crash.
  for (double v : WilderRsiSeries(Values{1, 2, 3}, 14)) {
    EXPECT_TRUE(std::isnan(v));
  }
}

TEST(IndicatorsTest, MacdByHand) {
  // closes 10, 12, 11, 13, 12 with fast 2, slow 3, signal 2.
  // EMA2 (alpha 2/3): idx1 11, idx2 11, idx3 37/3, idx4 37/3 - 2/9 = 109/9.
  // EMA3 (alpha 1/2): idx2 11, idx3 12, idx4 12.
  // MACD: idx2 0, idx3 1/3, idx4 1/9. Signal EMA2 of MACD: idx3 mean(0, 1/3)
  // = 1/6, idx4 1/6 + 2/3 (1/9 - 1/6) = 7/54. Histogram 1/9 - 7/54 = -1/54.
  const MacdPoint m = MacdLast(Values{10, 12, 11, 13, 12}, 2, 3, 2);
  EXPECT_NEAR(m.macd, 1.0 / 9, 1e-12);
  EXPECT_NEAR(m.signal, 7.0 / 54, 1e-12);
  EXPECT_NEAR(m.histogram, -1.0 / 54, 1e-12);
  // Default (12, 26, 9) needs 34 closes.
  EXPECT_TRUE(std::isnan(MacdLast(std::vector<double>(33, 5.0)).histogram));
  EXPECT_DOUBLE_EQ(MacdLast(std::vector<double>(34, 5.0)).histogram, 0.0);
}

TEST(IndicatorsTest, AdxByHand) {
  // period 2. +DM/-DM/TR from bar 1: (1, 0, 2), (0, 0.5, 2), (1.5, 0, 3),
  // (0.5, 0, 1.5).
  // bar2: sums TR 4, +DM 1, -DM 0.5 => +DI 25, -DI 12.5, DX 33.33.
  // bar3: TR 4 - 2 + 3 = 5, +DM 1 - 0.5 + 1.5 = 2, -DM 0.25 => +DI 40, -DI 5,
  //       DX 700/9 = 77.78; ADX = mean(33.33, 77.78) = 500/9.
  // bar4: TR 5 - 2.5 + 1.5 = 4, +DM 1.5, -DM 0.125 => +DI 37.5, -DI 3.125,
  //       DX 1100/13 = 84.615; ADX = (500/9 + 1100/13) / 2 = 70.0855.
  const std::vector<Bar> bars = {
      MakeBar(9, 10, 8, 9), MakeBar(10, 11, 9, 10), MakeBar(10, 10.5, 8.5, 9),
      MakeBar(11, 12, 10, 11.5), MakeBar(11.5, 12.5, 11, 12)};
  const AdxPoint a = AdxLast(bars, 2);
  EXPECT_NEAR(a.plus_di, 37.5, 1e-9);
  EXPECT_NEAR(a.minus_di, 3.125, 1e-9);
  EXPECT_NEAR(a.adx, (500.0 / 9 + 1100.0 / 13) / 2, 1e-9);
  // ADX(2) needs 4 bars; DI need 3.
  const AdxPoint short_adx = AdxLast(absl::MakeSpan(bars).first(3), 2);
  EXPECT_TRUE(std::isnan(short_adx.adx));
  EXPECT_NEAR(short_adx.plus_di, 25.0, 1e-9);
  // Flat bars: no range => DI NaN, ADX 0 (not NaN-poisoned).
  const AdxPoint flat = AdxLast(std::vector<Bar>(40, MakeBar(5, 5, 5, 5)), 14);
  EXPECT_TRUE(std::isnan(flat.plus_di));
  EXPECT_DOUBLE_EQ(flat.adx, 0.0);
}

TEST(IndicatorsTest, BollingerByHand) {
  // 1..5, period 5, k 2: mid 3, sd sqrt(2); upper 3 + 2.828427, lower
  // 3 - 2.828427; %B = (5 - 0.171573) / 5.656854 = 0.853553; width 5.656854/3.
  const BollingerPoint b = BollingerAt(Values{1, 2, 3, 4, 5}, 4, 5, 2);
  EXPECT_NEAR(b.percent_b, 0.853553, 1e-6);
  EXPECT_NEAR(b.width, 1.885618, 1e-6);
  // Flat: bands collapse => %B NaN, width 0.
  const BollingerPoint flat = BollingerAt(std::vector<double>(20, 3.0), 19);
  EXPECT_TRUE(std::isnan(flat.percent_b));
  EXPECT_DOUBLE_EQ(flat.width, 0.0);
}

TEST(IndicatorsTest, BollingerWidthSeriesMatchesDirectComputation) {
  const std::vector<double> closes = {1, 2, 3, 4, 5, 4, 6, 8, 7, 7};
  const std::vector<double> widths = BollingerWidthSeries(closes, 5, 2);
  EXPECT_TRUE(std::isnan(widths[3]));
  EXPECT_NEAR(widths[4], 1.885618, 1e-6);  // as in BollingerByHand
  for (int end = 4; end < 10; ++end) {
    EXPECT_NEAR(widths[end], BollingerAt(closes, end, 5, 2).width, 1e-9) << end;
  }
}

TEST(IndicatorsTest, RealizedVolByHand) {
  // log returns ln(1.1) = 0.0953102, ln(0.9) = -0.1053605; mean -0.0050252;
  // population variance 0.0100672; sqrt(0.0100672 * 252) = 1.592775.
  EXPECT_NEAR(RealizedVolAt(Values{100, 110, 99}, 2, 2), 1.592775, 1e-5);
  EXPECT_TRUE(std::isnan(RealizedVolAt(Values{100, 110}, 2, 1)));
  EXPECT_TRUE(std::isnan(RealizedVolAt(Values{100, 0, 99}, 2, 2)));
}

TEST(IndicatorsTest, ObvSlopeStochasticPercentileCorrelation) {
  const std::vector<Bar> bars = {
      MakeBar(10, 10, 8, 10, 500), MakeBar(11, 12, 9, 11, 100),
      MakeBar(11, 11, 9.5, 11, 50), MakeBar(10, 11, 9.5, 10, 30)};
  const std::vector<double> obv = ObvSeries(bars);
  EXPECT_EQ(obv, (Values{0, 100, 100, 70}));
  EXPECT_DOUBLE_EQ(SlopeAt(Values{1, 3, 5, 7}, 4, 3), 2.0);
  EXPECT_TRUE(std::isnan(SlopeAt(Values{1}, 1, 0)));
  // %K(3) of bars 1..3: highest 12, lowest 9 => 100 (10 - 9) / 3 = 33.33.
  EXPECT_NEAR(StochasticKLast(bars, 3), 100.0 / 3, 1e-12);
  const std::vector<Bar> flat(5, MakeBar(1, 1, 1, 1));
  EXPECT_TRUE(std::isnan(StochasticKLast(flat, 3)));
  EXPECT_DOUBLE_EQ(PercentileRank(Values{1, 2, kNaN, 3, 4}, 2.5), 0.5);
  EXPECT_TRUE(std::isnan(PercentileRank(Values{kNaN}, 1)));
  EXPECT_NEAR(Correlation(Values{1, 2, 3}, Values{2, 4, 6}), 1, 1e-12);
  EXPECT_NEAR(Correlation(Values{1, 2, 3}, Values{3, 2, 1}), -1, 1e-12);
  EXPECT_TRUE(std::isnan(Correlation(Values{1, 2, 3}, Values{5, 5, 5})));
}

}  // namespace
}  // namespace pcs
