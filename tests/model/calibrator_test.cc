#include "model/calibrator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace pcs {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(IsotonicCalibratorTest, HandWorkedPoolAdjacentViolators) {
  // Labels 0 1 0 0 1 1 at scores .1 .. .6:
  //   [0] [1] [0] -> pool {1,0} = 1/2 -> [0] then 0 -> pool {1,0,0} = 1/3
  //   (centre (.2+.3+.4)/3 = .3); then [1] [1] pool (equal means) = 1 at .55.
  auto cal = Calibrator::FitIsotonic({0.1, 0.2, 0.3, 0.4, 0.5, 0.6},
                                     {0, 1, 0, 0, 1, 1});
  ASSERT_TRUE(cal.ok()) << cal.status();
  EXPECT_THAT(cal->x(),
              ElementsAre(DoubleNear(0.1, 1e-12), DoubleNear(0.3, 1e-12),
                          DoubleNear(0.55, 1e-12)));
  EXPECT_THAT(cal->y(),
              ElementsAre(DoubleNear(0.0, 1e-12), DoubleNear(1.0 / 3, 1e-12),
                          DoubleNear(1.0, 1e-12)));
  EXPECT_NEAR(cal->Apply(0.2), 1.0 / 6,
              1e-12);  // halfway between (.1, 0) and (.3, 1/3)
  EXPECT_NEAR(cal->Apply(0.3), 1.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(cal->Apply(0.0), 1e-6);      // clamped to eps
  EXPECT_DOUBLE_EQ(cal->Apply(0.9), 1 - 1e-6);  // clamped to 1 - eps
  EXPECT_TRUE(std::isnan(cal->Apply(std::nan(""))));
}

TEST(IsotonicCalibratorTest, WeightsAndTiedScores) {
  const std::vector<double> w = {3, 1};
  auto weighted = Calibrator::FitIsotonic({0.1, 0.2}, {1, 0}, &w);
  ASSERT_TRUE(weighted.ok());
  EXPECT_THAT(weighted->x(),
              ElementsAre(DoubleNear(0.125, 1e-12)));  // (3*.1 + .2) / 4
  EXPECT_THAT(weighted->y(), ElementsAre(DoubleNear(0.75, 1e-12)));
  EXPECT_NEAR(weighted->Apply(0.9), 0.75, 1e-12);

  auto tied = Calibrator::FitIsotonic({0.5, 0.7, 0.5}, {1, 1, 0});
  ASSERT_TRUE(tied.ok());
  EXPECT_THAT(tied->x(), ElementsAre(0.5, 0.7));
  EXPECT_THAT(tied->y(), ElementsAre(0.5, 1.0));

  const std::vector<double> zero_weight = {1, 0, 1};
  auto dropped =
      Calibrator::FitIsotonic({0.1, 0.2, 0.3}, {0, 1, 1}, &zero_weight);
  ASSERT_TRUE(dropped.ok());
  EXPECT_THAT(dropped->x(), ElementsAre(0.1, 0.3));
}

TEST(IsotonicCalibratorTest, OutputIsMonotoneAndRoundTripsThroughJson) {
  std::mt19937_64 gen(9);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> scores;
  std::vector<int> labels;
  for (int i = 0; i < 5000; ++i) {
    const double s = u(gen);
    scores.push_back(s);
    labels.push_back(u(gen) < s * s ? 1 : 0);  // over-confident scores
  }
  auto cal = Calibrator::FitIsotonic(scores, labels);
  ASSERT_TRUE(cal.ok());
  EXPECT_GT(cal->x().size(), 5u);
  double previous = -1;
  for (int i = 0; i <= 1000; ++i) {
    const double p = cal->Apply(i / 1000.0);
    ASSERT_GE(p, previous) << "at " << i / 1000.0;
    ASSERT_GE(p, 1e-6);
    ASSERT_LE(p, 1 - 1e-6);
    previous = p;
  }
  EXPECT_NEAR(cal->Apply(0.5), 0.25, 0.06);  // true rate at 0.5 is 0.25

  const nlohmann::json json = cal->ToJson();
  EXPECT_EQ(json["method"], "isotonic");
  auto back = Calibrator::FromJson(nlohmann::json::parse(json.dump()));
  ASSERT_TRUE(back.ok()) << back.status();
  for (int i = 0; i <= 100; ++i)
    EXPECT_EQ(back->Apply(i / 100.0), cal->Apply(i / 100.0));
}

TEST(PlattCalibratorTest, RecoversKnownSigmoidAndRoundTrips) {
  std::mt19937_64 gen(10);
  std::uniform_real_distribution<double> u(0.01, 0.99), coin(0, 1);
  std::vector<double> scores;
  std::vector<int> labels;
  for (int i = 0; i < 20000; ++i) {
    const double s = u(gen);
    const double z = 2.0 * std::log(s / (1 - s)) - 0.5;
    scores.push_back(s);
    labels.push_back(coin(gen) < 1 / (1 + std::exp(-z)) ? 1 : 0);
  }
  auto cal = Calibrator::FitPlatt(scores, labels);
  ASSERT_TRUE(cal.ok()) << cal.status();
  EXPECT_EQ(cal->method(), Calibrator::Method::kPlatt);
  EXPECT_NEAR(cal->a(), 2.0, 0.1);
  EXPECT_NEAR(cal->b(), -0.5, 0.1);
  EXPECT_LT(cal->Apply(0.3), cal->Apply(0.6));
  auto back = Calibrator::FromJson(cal->ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->Apply(0.42), cal->Apply(0.42));
  // Perfectly separable data still gives finite parameters.
  auto separable = Calibrator::FitPlatt({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1});
  ASSERT_TRUE(separable.ok());
  EXPECT_TRUE(std::isfinite(separable->a()) && std::isfinite(separable->b()));
}

TEST(CalibratorErrorsTest, BadInputNamesTheProblem) {
  auto bad_label = Calibrator::FitIsotonic({0.1, 0.2}, {0, 3});
  ASSERT_FALSE(bad_label.ok());
  EXPECT_THAT(std::string(bad_label.status().message()), HasSubstr("row 1"));
  EXPECT_FALSE(Calibrator::FitIsotonic({0.1}, {0, 1}).ok());
  EXPECT_FALSE(Calibrator::FitIsotonic({std::nan("")}, {0}).ok());
  EXPECT_FALSE(Calibrator::FitIsotonic({}, {}).ok());
  const std::vector<double> negative = {-1};
  EXPECT_FALSE(Calibrator::FitPlatt({0.5}, {1}, &negative).ok());
  EXPECT_FALSE(Calibrator::FromJson(
                   {{"method", "isotonic"}, {"x", {0.2, 0.1}}, {"y", {0, 1}}})
                   .ok());
  EXPECT_FALSE(Calibrator::FromJson(
                   {{"method", "isotonic"}, {"x", {0.1, 0.2}}, {"y", {1, 0}}})
                   .ok());
  EXPECT_FALSE(
      Calibrator::FromJson({{"method", "isotonic"}, {"x", {0.1}}}).ok());
  EXPECT_FALSE(Calibrator::FromJson({{"method", "spline"}}).ok());
  EXPECT_FALSE(Calibrator::FromJson(nlohmann::json::array()).ok());
}

}  // namespace
}  // namespace pcs
