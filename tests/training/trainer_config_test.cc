#include "training/trainer_config.h"

#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "lifecycle/pattern_lifecycle_manager.h"

namespace pcs {
namespace {

TEST(TrainerConfigTest, DefaultsAndTheRepositoryConfigAgree) {
  const TrainerConfig d = DefaultTrainerConfig();
  EXPECT_EQ(d.rule_threshold, kDefaultRuleDecisionThreshold);
  EXPECT_EQ(ExpandGrid(d).size(), 6u);
  absl::StatusOr<TrainerConfig> repo =
      LoadTrainerConfig(PCS_SOURCE_DIR "/config/train.json");
  ASSERT_TRUE(repo.ok()) << repo.status();
  ASSERT_GE(repo->walk_forward.test_starts.size(), 3u);
  EXPECT_LE(FormatDay(repo->walk_forward.test_starts.front()), "2010-01-01");
  EXPECT_EQ(FormatDay(repo->walk_forward.test_end), "2018-12-31");
  EXPECT_EQ(repo->gate.min_tp_lift_ci_low, 0.0);
  EXPECT_EQ(repo->gate.min_tp_lift, 0.10);
  EXPECT_EQ(repo->gate.min_precision_diff_ci_low, -0.01);
  EXPECT_EQ(repo->gate.min_tp_vs_analytic_ci_low, -0.05);
  EXPECT_EQ(repo->gate.coverage_lift_goal, 0.10);
  EXPECT_EQ(repo->policy.blend_weights.back(), 1.0);
  EXPECT_EQ(repo->policy.min_precision_diff_ci_low, 0.0);
  EXPECT_EQ(repo->gate.max_ece, 0.05);
  EXPECT_EQ(repo->bootstrap_resamples, 1000);
  EXPECT_EQ(repo->rule_threshold, kDefaultRuleDecisionThreshold);
}

TEST(TrainerConfigTest, ParsesOverridesAndExpandsTheGridInOrder) {
  const nlohmann::json j = {
      {"walk_forward",
       {{"test_starts", {"2006-01-01", "2008-01-01"}},
        {"test_end", "2009-12-31"},
        {"validation_years", 2},
        {"embargo_calendar_days", 7}}},
      {"candidates",
       {{{"name", "plain"}},
        {{"name", "mono"}, {"monotone", true}},
        {{"name", "rank"}, {"objective", "rank:pairwise"}}}},
      {"bagging_seeds", 3},
      {"xgboost", {{"num_boost_round", 50}, {"seed", 9}}},
      {"grid",
       {{"max_depth", {2, 5}}, {"eta", {0.1}}, {"min_child_weight", {1, 3}}}},
      {"blend_weight", 0.25}};
  absl::StatusOr<TrainerConfig> c = TrainerConfigFromJson(j);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->walk_forward.embargo_calendar_days, 7);
  EXPECT_EQ(c->walk_forward.validation_years, 2);
  ASSERT_EQ(c->candidates.size(), 3u);
  EXPECT_TRUE(c->candidates[1].monotone);
  EXPECT_EQ(c->candidates[2].objective, "rank:pairwise");
  EXPECT_EQ(c->bagging_seeds, 3);
  EXPECT_EQ(c->blend_weight, 0.25);
  const std::vector<TrainParams> grid = ExpandGrid(*c);
  ASSERT_EQ(grid.size(), 4u);
  EXPECT_EQ(grid[0].max_depth, 2);
  EXPECT_EQ(grid[0].min_child_weight, 1);
  EXPECT_EQ(grid[1].min_child_weight, 3);
  EXPECT_EQ(grid[3].max_depth, 5);
  EXPECT_EQ(grid[3].num_boost_round, 50);
  EXPECT_EQ(grid[3].seed, 9);
  EXPECT_EQ(grid[3].eta, 0.1);
  // Round trip through JSON.
  absl::StatusOr<TrainerConfig> again =
      TrainerConfigFromJson(TrainerConfigToJson(*c));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(TrainerConfigToJson(*again).dump(), TrainerConfigToJson(*c).dump());
}

TEST(TrainerConfigTest, RejectsUnknownKeysBadDatesAndBadValues) {
  auto err = [](const nlohmann::json& j) {
    absl::StatusOr<TrainerConfig> c = TrainerConfigFromJson(j);
    return c.ok() ? std::string("ok") : std::string(c.status().message());
  };
  EXPECT_NE(err({{"learning_rate", 0.1}}).find("unknown key 'learning_rate'"),
            std::string::npos);
  EXPECT_NE(err({{"xgboost", {{"depth", 3}}}}).find("xgboost.depth"),
            std::string::npos);
  EXPECT_NE(err({{"split", {{"train_end", "2012-12-31"}}}})
                .find("unknown key 'split'"),
            std::string::npos);
  EXPECT_NE(err({{"walk_forward", {{"test_end", "2012-13-01"}}}})
                .find("walk_forward.test_end"),
            std::string::npos);
  EXPECT_NE(
      err({{"walk_forward", {{"test_starts", {"2013-01-01", "2010-01-01"}}}}})
          .find("ascending"),
      std::string::npos);
  EXPECT_NE(err({{"candidates", {{{"objective", "rank:pairwise"}}}}})
                .find("candidates[0]"),
            std::string::npos);
  EXPECT_NE(
      err({{"candidates", {{{"name", "x"}}, {{"objective", "reg:tweedie"}}}}})
          .find("rank:pairwise"),
      std::string::npos);
  EXPECT_NE(err({{"bagging_seeds", 0}}).find("bagging_seeds"),
            std::string::npos);
  EXPECT_NE(
      err({{"grid", {{"max_depth", nlohmann::json::array()}}}}).find("grid"),
      std::string::npos);
  EXPECT_NE(err({{"xgboost", {{"objective", "reg:squarederror"}}}})
                .find("binary:logistic"),
            std::string::npos);
  EXPECT_NE(err({{"blend_weight", 2}}).find("blend_weight"), std::string::npos);
  EXPECT_NE(err({{"blend_weight", "half"}}).find("train config"),
            std::string::npos);
  EXPECT_FALSE(LoadTrainerConfig("/nonexistent/train.json").ok());
}

TEST(TrainerConfigTest, ExperimentSectionIsOptInAndRoundTrips) {
  const TrainerConfig d = DefaultTrainerConfig();
  EXPECT_FALSE(d.experiment.Any());
  // A default run's card carries no experiment key (its config unchanged).
  EXPECT_FALSE(TrainerConfigToJson(d).contains("experiment"));
  absl::StatusOr<TrainerConfig> c = TrainerConfigFromJson(
      {{"experiment",
        {{"analytic_feature", true}, {"relative_strength", true}}}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->experiment.analytic_feature);
  EXPECT_FALSE(c->experiment.analytic_base_margin);
  EXPECT_TRUE(c->experiment.relative_strength);
  EXPECT_EQ(ExperimentColumnsText(c->experiment),
            "analytic_feature,relative_strength");
  absl::StatusOr<TrainerConfig> again =
      TrainerConfigFromJson(TrainerConfigToJson(*c));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(TrainerConfigToJson(*again).dump(), TrainerConfigToJson(*c).dump());

  absl::StatusOr<TrainerConfig> bad =
      TrainerConfigFromJson({{"experiment", {{"dia_regime", true}}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("experiment.dia_regime"),
            std::string::npos);

  ExperimentColumns e;
  ASSERT_TRUE(ParseExperimentColumns("analytic_base_margin", e).ok());
  EXPECT_TRUE(e.analytic_base_margin);
  EXPECT_FALSE(e.analytic_feature);
  ASSERT_TRUE(ParseExperimentColumns("none", e).ok());
  EXPECT_FALSE(e.Any());
  absl::Status unknown = ParseExperimentColumns("analytic_feature,volume", e);
  EXPECT_NE(unknown.message().find("unknown experiment 'volume'"),
            std::string::npos);
}

}  // namespace
}  // namespace pcs
