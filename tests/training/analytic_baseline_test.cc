#include "training/analytic_baseline.h"

#include <cmath>
#include <random>

#include "gtest/gtest.h"

namespace pcs {
namespace {

TEST(AnalyticBaselineTest, LongHorizonTendsToGamblersRuin) {
  // Without drift the chance to reach +u before -d is d / (u + d).
  EXPECT_NEAR(TwoBarrierHitProbability(0.10, 0.05, 0.02, 1e6), 1.0 / 3, 1e-9);
  EXPECT_NEAR(TwoBarrierHitProbability(0.05, 0.05, 0.02, 1e6), 0.5, 1e-9);
}

TEST(AnalyticBaselineTest, ZeroHorizonAndDegenerateInputs) {
  EXPECT_NEAR(TwoBarrierHitProbability(0.1, 0.1, 0.02, 1e-9), 0.0, 1e-6);
  EXPECT_EQ(TwoBarrierHitProbability(0.0, 0.1, 0.02, 40), 1.0);
  EXPECT_EQ(TwoBarrierHitProbability(0.1, 0.0, 0.02, 40), 0.0);
  EXPECT_EQ(TwoBarrierHitProbability(0.1, 0.1, 0.0, 40), 0.0);
}

TEST(AnalyticBaselineTest, IncreasesWithHorizonAndVolatility) {
  const double p10 = TwoBarrierHitProbability(0.08, 0.04, 0.015, 10);
  const double p40 = TwoBarrierHitProbability(0.08, 0.04, 0.015, 40);
  const double p40v = TwoBarrierHitProbability(0.08, 0.04, 0.03, 40);
  EXPECT_LT(p10, p40);
  EXPECT_LT(p40, p40v);
  EXPECT_LT(p40v, 1.0 / 3 + 1e-9);
}

TEST(AnalyticBaselineTest, AgreesWithMonteCarlo) {
  // Fine-step simulation of the same Brownian motion.
  std::mt19937_64 rng(7);
  const double up = 0.06, down = 0.04, sigma = 0.02, horizon = 20;
  const int steps_per_unit = 100, paths = 20000;
  std::normal_distribution<double> step(0, sigma / std::sqrt(steps_per_unit));
  int hits = 0;
  for (int p = 0; p < paths; ++p) {
    double x = 0;
    for (int s = 0; s < horizon * steps_per_unit; ++s) {
      x += step(rng);
      if (x >= up) {
        ++hits;
        break;
      }
      if (x <= -down) break;
    }
  }
  const double mc = static_cast<double>(hits) / paths;
  // Discrete monitoring slightly under-counts hits; 3 s.e. plus that bias.
  EXPECT_NEAR(TwoBarrierHitProbability(up, down, sigma, horizon), mc, 0.02);
}

BarSeries Series(const std::vector<double>& closes) {
  BarSeries s;
  s.symbol = "T";
  for (size_t i = 0; i < closes.size(); ++i) {
    Bar b;
    b.day = static_cast<Day>(i);
    b.open = b.high = b.low = b.close = b.adj_close = closes[i];
    b.volume = 1;
    s.bars.push_back(b);
  }
  return s;
}

TEST(AnalyticBaselineTest, RecentStdAndPatternGeometry) {
  // Alternating +/- 1% log returns: std close to 0.01.
  std::vector<double> closes = {100};
  for (int i = 0; i < 30; ++i)
    closes.push_back(closes.back() * std::exp(i % 2 ? 0.01 : -0.01));
  const BarSeries s = Series(closes);
  EXPECT_NEAR(RecentLogReturnStd(s, 30), 0.01, 0.001);
  EXPECT_TRUE(std::isnan(RecentLogReturnStd(s, 2)));

  Pattern bull;
  bull.direction = Direction::kBullish;
  bull.target = closes[30] * std::exp(0.05);
  bull.stop = closes[30] * std::exp(-0.05);
  Pattern bear = bull;
  bear.direction = Direction::kBearish;
  bear.target = closes[30] * std::exp(-0.05);
  bear.stop = closes[30] * std::exp(0.05);
  const double pb = AnalyticHitProbability(bull, s, 30, 40);
  EXPECT_NEAR(pb, AnalyticHitProbability(bear, s, 30, 40), 1e-12);
  EXPECT_GT(pb, 0.3);
  EXPECT_LT(pb, 0.5 + 1e-9);
}

}  // namespace
}  // namespace pcs
