#include "monitoring/feature_reference.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace pcs {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(FeatureReferenceTest, BuildAndRoundTripThroughCardJson) {
  std::vector<std::vector<float>> rows;
  std::vector<double> scores;
  for (int i = 0; i < 100; ++i) {
    rows.push_back({static_cast<float>(i), i % 4 == 0 ? kNaN : 1.0f});
    scores.push_back(i / 100.0);
  }
  auto ref = BuildFeatureReference({"a", "b"}, rows, scores);
  ASSERT_TRUE(ref.ok()) << ref.status();
  ASSERT_EQ(ref->features.size(), 2u);
  EXPECT_EQ(ref->features[0].edges.size(), 9u);
  EXPECT_DOUBLE_EQ(ref->features[1].nan_proportion, 0.25);
  EXPECT_TRUE(ref->score.has_value());

  const nlohmann::json card = FeatureReferenceToJson(*ref);
  // The schema order decides the output order, not the JSON order.
  auto back = ParseFeatureReference(card, {"b", "a"});
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->source, "model_card.feature_reference");
  EXPECT_EQ(back->features[0].name, "b");
  EXPECT_EQ(back->features[1].edges, ref->features[0].edges);
  ASSERT_TRUE(back->score.has_value());
  EXPECT_EQ(back->score->name, kScoreFeatureName);
}

TEST(FeatureReferenceTest, AcceptsObjectKeyedByName) {
  auto json = nlohmann::json::parse(R"({
      "x": {"edges": [0.0], "proportions": [0.5, 0.5]},
      "__score__": {"edges": [0.3], "proportions": [0.6, 0.4]}})");
  auto ref = ParseFeatureReference(json, {"x"});
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->features[0].name, "x");
  ASSERT_TRUE(ref->score.has_value());
  EXPECT_DOUBLE_EQ(ref->score->proportions[0], 0.6);
}

TEST(FeatureReferenceTest, MissingFeatureIsNamed) {
  auto json = nlohmann::json::parse(
      R"({"x": {"edges": [0.0], "proportions": [0.5, 0.5]}})");
  auto ref = ParseFeatureReference(json, {"x", "atr_14"});
  ASSERT_FALSE(ref.ok());
  EXPECT_NE(ref.status().message().find("atr_14"), std::string::npos);
  EXPECT_FALSE(ParseFeatureReference(nlohmann::json::array(), {"x"}).ok());
}

TEST(FeatureReferenceTest, FromReferenceRowsWithNullAsMissing) {
  auto rows = nlohmann::json::parse(R"({"rows": [
      {"features": [1.0, null], "margin": 0.1, "probability": 0.2},
      {"features": [2.0, 3.0], "margin": 0.2, "probability": 0.4},
      {"features": [3.0, 4.0], "margin": 0.3, "probability": 0.6},
      {"features": [4.0, null], "margin": 0.4, "probability": 0.8}]})");
  auto ref = FeatureReferenceFromRows(rows, {"a", "b"});
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->source, "reference_rows.json");
  EXPECT_DOUBLE_EQ(ref->features[1].nan_proportion, 0.5);
  ASSERT_TRUE(ref->score.has_value());
  EXPECT_EQ(ref->score->count, 4);

  auto bad = FeatureReferenceFromRows(
      nlohmann::json::parse(R"({"rows": [{"features": [1.0]}]})"), {"a", "b"});
  EXPECT_FALSE(bad.ok());
  EXPECT_FALSE(FeatureReferenceFromRows(nlohmann::json::object(), {"a"}).ok());
}

}  // namespace
}  // namespace pcs
