#include "monitoring/drift_analyzer.h"

#include <random>

#include "gtest/gtest.h"

namespace pcs {
namespace {

// Two features drawn N(0,1) and U(0,1); score U(0,1).
void Draw(std::mt19937_64& rng, int n, double shift,
          std::vector<std::vector<float>>& rows, std::vector<double>& scores) {
  std::normal_distribution<double> normal(shift, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (int i = 0; i < n; ++i) {
    rows.push_back(
        {static_cast<float>(normal(rng)), static_cast<float>(uniform(rng))});
    scores.push_back(uniform(rng));
  }
}

FeatureReference Reference() {
  std::mt19937_64 rng(7);
  std::vector<std::vector<float>> rows;
  std::vector<double> scores;
  Draw(rng, 5000, 0.0, rows, scores);
  return *BuildFeatureReference({"normal", "uniform"}, rows, scores);
}

TEST(DriftAnalyzerTest, SameDistributionDoesNotAlert) {
  std::mt19937_64 rng(11);
  std::vector<std::vector<float>> rows;
  std::vector<double> scores;
  Draw(rng, 2000, 0.0, rows, scores);
  auto a = AnalyzeDrift(Reference(), rows, scores);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_FALSE(a->alert);
  EXPECT_LT(a->max_feature_psi, 0.1);
  ASSERT_TRUE(a->score.has_value());
  EXPECT_LT(a->score->psi, 0.1);
}

TEST(DriftAnalyzerTest, ShiftedFeatureAlertsAndIsNamed) {
  std::mt19937_64 rng(13);
  std::vector<std::vector<float>> rows;
  std::vector<double> scores;
  Draw(rng, 2000, 1.0, rows, scores);  // one standard deviation
  auto a = AnalyzeDrift(Reference(), rows, scores);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->alert);
  EXPECT_EQ(a->max_feature, "normal");
  EXPECT_GT(a->max_feature_psi, 0.25);
  ASSERT_EQ(a->over_threshold.size(), 1u);
  EXPECT_EQ(a->over_threshold[0], "normal");
  const nlohmann::json j = DriftAnalysisToJson(*a, DriftOptions{});
  EXPECT_TRUE(j["alert"].get<bool>());
  EXPECT_TRUE(j["features"][0].contains("bins"));  // over threshold: bins kept
  EXPECT_FALSE(j["features"][1].contains("bins"));
}

TEST(DriftAnalyzerTest, TooFewRowsReportButDoNotAlert) {
  std::mt19937_64 rng(17);
  std::vector<std::vector<float>> rows;
  std::vector<double> scores;
  Draw(rng, 20, 3.0, rows, scores);
  auto a = AnalyzeDrift(Reference(), rows, scores);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->insufficient_rows);
  EXPECT_GT(a->max_feature_psi, 0.25);
  EXPECT_FALSE(a->alert);
}

TEST(DriftAnalyzerTest, RejectsMismatchedInput) {
  EXPECT_FALSE(AnalyzeDrift(Reference(), {}, {}).ok());
  EXPECT_FALSE(AnalyzeDrift(Reference(), {{1.0f}}, {}).ok());
  EXPECT_FALSE(AnalyzeDrift(Reference(), {{1.0f, 0.5f}}, {0.1, 0.2}).ok());
}

}  // namespace
}  // namespace pcs
