#include "core/indicators.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/bar.h"
#include "gtest/gtest.h"
#include "tests/test_util/bars.h"

namespace pcs {
namespace {

using ::pcs::testing::MakeBar;

TEST(CoreIndicatorsTest, WilderAtrByHand) {
  // True ranges: bar0 H-L = 2; bar1 max(11, 9) - min(9, 9) = 2;
  // bar2 max(10.8, 10.5) - min(9.5, 10.5) = 1.3; bar3 (gap up) 13 - 10 = 3;
  // bar4 12.6 - 11.6 = 1.0.
  // ATR(3): idx2 (2 + 2 + 1.3) / 3 = 1.766667; idx3 (1.766667 * 2 + 3) / 3 =
  // 2.177778; idx4 (2.177778 * 2 + 1) / 3 = 1.785185.
  const std::vector<Bar> bars = {MakeBar(9, 10, 8, 9), MakeBar(10, 11, 9, 10.5),
                                 MakeBar(10, 10.8, 9.5, 10),
                                 MakeBar(12, 13, 11, 12.5),
                                 MakeBar(12, 12.6, 11.6, 12)};
  const std::vector<double> tr = TrueRangeSeries(bars);
  EXPECT_NEAR(tr[2], 1.3, 1e-12);
  EXPECT_NEAR(tr[3], 3.0, 1e-12);
  const std::vector<double> atr = WilderAtrSeries(bars, 3);
  EXPECT_TRUE(std::isnan(atr[1]));
  EXPECT_NEAR(atr[2], 1.766667, 1e-6);
  EXPECT_NEAR(atr[3], 2.177778, 1e-6);
  EXPECT_NEAR(atr[4], 1.785185, 1e-6);
  EXPECT_TRUE(std::isnan(WilderAtrSeries(bars, 14)[4]));  // too short
}

TEST(CoreIndicatorsTest, TrueRangeIsTheLargestOfTheThreeRanges) {
  // The detectors used max(H-L, |H-pc|, |L-pc|), the features
  // max(H, pc) - min(L, pc): the same number for every bar.
  const std::vector<Bar> bars = {MakeBar(10, 11, 9, 10),
                                 MakeBar(13, 14, 12.5, 13), MakeBar(8, 9, 7, 8),
                                 MakeBar(8.5, 8.8, 8.2, 8.4)};
  const std::vector<double> tr = TrueRangeSeries(bars);
  for (size_t i = 1; i < bars.size(); ++i) {
    const double pc = bars[i - 1].close;
    EXPECT_EQ(tr[i],
              std::max({bars[i].high - bars[i].low, std::abs(bars[i].high - pc),
                        std::abs(bars[i].low - pc)}))
        << i;
  }
  EXPECT_TRUE(std::isnan(WilderAtrSeries(bars, 0)[3]));  // period < 1
}

TEST(CoreIndicatorsTest, WilderSmoothingSeedsWithTheMean) {
  const std::vector<double> raw = {9, 1, 2, 3, 4};
  const std::vector<double> s = WilderSmoothing(raw, 1, 3);  // skip raw[0]
  EXPECT_TRUE(std::isnan(s[2]));
  EXPECT_DOUBLE_EQ(s[3], 2.0);                  // (1 + 2 + 3) / 3
  EXPECT_NEAR(s[4], (2.0 * 2 + 4) / 3, 1e-12);  // Wilder step
}

TEST(CoreIndicatorsTest, FitLineByHand) {
  const Line l =
      FitLine(std::vector<double>{0, 1, 2, 3}, std::vector<double>{1, 3, 5, 7});
  EXPECT_DOUBLE_EQ(l.slope, 2.0);
  EXPECT_DOUBLE_EQ(l.intercept, 1.0);
  EXPECT_DOUBLE_EQ(l.At(10), 21.0);
  // Noisy points: slope = Sxy / Sxx around the means (x mean 2, y mean 2.2).
  const Line n = FitLine(std::vector<double>{0, 1, 2, 3, 4},
                         std::vector<double>{1, 2, 1, 3, 4});
  EXPECT_NEAR(n.slope, 7.0 / 10.0, 1e-12);
  EXPECT_NEAR(n.intercept, 2.2 - 0.7 * 2, 1e-12);
  // One point, or every x equal: slope 0, intercept the mean of y.
  const Line one = FitLine(std::vector<double>{5}, std::vector<double>{4});
  EXPECT_EQ(one.slope, 0);
  EXPECT_EQ(one.intercept, 4);
  const Line same_x =
      FitLine(std::vector<double>{2, 2}, std::vector<double>{1, 3});
  EXPECT_EQ(same_x.slope, 0);
  EXPECT_EQ(same_x.intercept, 2);
  // Unequal lengths use the shorter; nothing gives the zero line.
  EXPECT_DOUBLE_EQ(
      FitLine(std::vector<double>{0, 1, 2}, std::vector<double>{0, 1}).slope,
      1.0);
  EXPECT_EQ(FitLine({}, {}).slope, 0);
}

}  // namespace
}  // namespace pcs
