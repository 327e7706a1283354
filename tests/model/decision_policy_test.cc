// model/decision_policy: the card's policy section, written and read back.
#include "model/decision_policy.h"

#include <cmath>
#include <functional>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/model_card.h"

namespace pcs {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

DecisionPolicy Policy() {
  DecisionPolicy p;
  p.blend_weight = 1.0;
  p.threshold = 0.41;
  p.rule_threshold = 0.5;
  p.precision_tolerance = 0.02;
  p.has_analytic = true;
  p.analytic_blend_weight = 0.75;
  p.analytic_threshold = 0.38;
  p.chosen_on = "pooled walk-forward out-of-sample";
  p.procedure = "lowest stable threshold";
  PolicyEvidence& e = p.evidence;
  e.rows = 1000;
  e.rule = {0.5, 300, 120, 0.4};
  e.policy = {0.41, 360, 150, 150.0 / 360};
  e.tp_lift = 0.25;
  e.tp_lift_ci_low = 0.1;
  e.tp_lift_ci_high = 0.4;
  e.precision_diff = 150.0 / 360 - 0.4;
  e.precision_diff_ci_low = 0.001;
  e.precision_diff_ci_high = 0.03;
  e.sensitivity = {
      {0.39, 400, 155, 155.0 / 400}, e.policy, {0.43, 300, 130, NAN}};
  e.sensitivity_precision_diff_ci_low = {-0.01, 0.001, 0.01};
  return p;
}

TEST(DecisionPolicyTest, RoundTripsEveryField) {
  const Json card = {{"policy", DecisionPolicyToJson(Policy())}};
  absl::StatusOr<std::optional<DecisionPolicy>> p = ParseDecisionPolicy(card);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE(p->has_value());
  const DecisionPolicy& r = **p;
  EXPECT_DOUBLE_EQ(r.blend_weight, 1.0);
  EXPECT_DOUBLE_EQ(r.threshold, 0.41);
  EXPECT_DOUBLE_EQ(r.precision_tolerance, 0.02);
  EXPECT_TRUE(r.has_analytic);
  EXPECT_DOUBLE_EQ(r.analytic_threshold, 0.38);
  EXPECT_EQ(r.evidence.rule.true_positives, 120);
  EXPECT_EQ(r.evidence.policy.confirmed, 360);
  EXPECT_DOUBLE_EQ(r.evidence.tp_lift_ci_low, 0.1);
  ASSERT_EQ(r.evidence.sensitivity.size(), 3u);
  EXPECT_TRUE(std::isnan(r.evidence.sensitivity[2].precision));  // null
  EXPECT_DOUBLE_EQ(r.evidence.sensitivity_precision_diff_ci_low[0], -0.01);
}

TEST(DecisionPolicyTest, AbsentOrNullIsNoPolicy) {
  EXPECT_FALSE(ParseDecisionPolicy(Json::object())->has_value());
  EXPECT_FALSE(ParseDecisionPolicy(Json{{"policy", nullptr}})->has_value());
}

TEST(DecisionPolicyTest, EveryFieldIsChecked) {
  struct Case {
    const char* what;
    std::function<void(Json&)> spoil;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"not an object", [](Json& p) { p = 3; }, "policy must be an object"},
      {"threshold string", [](Json& p) { p["threshold"] = "0.4"; },
       "policy.threshold must be a number"},
      {"threshold missing", [](Json& p) { p.erase("threshold"); },
       "policy.threshold is missing"},
      {"weight above 1", [](Json& p) { p["blend_weight"] = 1.5; },
       "policy.blend_weight must be a number in [0, 1]"},
      {"tolerance negative", [](Json& p) { p["precision_tolerance"] = -0.1; },
       "policy.precision_tolerance"},
      {"chosen_on number", [](Json& p) { p["chosen_on"] = 1; },
       "policy.chosen_on must be a string"},
      {"evidence missing", [](Json& p) { p.erase("out_of_sample"); },
       "policy.out_of_sample is missing"},
      {"count fractional",
       [](Json& p) { p["out_of_sample"]["rule"]["confirmed"] = 2.5; },
       "policy.out_of_sample.rule.confirmed must be an integer"},
      {"tp above confirmed",
       [](Json& p) { p["out_of_sample"]["policy"]["true_positives"] = 999; },
       "policy.out_of_sample.policy.true_positives must be at most confirmed"},
      {"interval short",
       [](Json& p) { p["out_of_sample"]["tp_lift_ci95"] = {0.1}; },
       "policy.out_of_sample.tp_lift_ci95 must be an array of two"},
      {"sensitivity row",
       [](Json& p) { p["out_of_sample"]["sensitivity"][1]["threshold"] = 2; },
       "policy.out_of_sample.sensitivity[1].threshold"},
      {"analytic weight",
       [](Json& p) { p["analytic_baseline"]["blend_weight"] = "x"; },
       "policy.analytic_baseline.blend_weight must be a number"},
  };
  for (const Case& c : cases) {
    Json policy = DecisionPolicyToJson(Policy());
    c.spoil(policy);
    absl::StatusOr<std::optional<DecisionPolicy>> p =
        ParseDecisionPolicy(Json{{"policy", policy}});
    ASSERT_FALSE(p.ok()) << c.what;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << c.what;
    EXPECT_THAT(p.status().message(), HasSubstr(c.message)) << c.what;
  }
}

TEST(DecisionPolicyTest, ServedPolicyFallsBackToTheServingConstants) {
  const ServedPolicy none = ServedPolicyOf(std::nullopt, 0.5, 0.5);
  EXPECT_FALSE(none.from_card);
  EXPECT_DOUBLE_EQ(none.blend_weight, 0.5);
  EXPECT_DOUBLE_EQ(none.threshold, 0.5);
  const ServedPolicy trained = ServedPolicyOf(Policy(), 0.5, 0.5);
  EXPECT_TRUE(trained.from_card);
  EXPECT_DOUBLE_EQ(trained.blend_weight, 1.0);
  EXPECT_DOUBLE_EQ(trained.threshold, 0.41);
}

TEST(DecisionPolicyTest, TheCardReaderReadsThePolicy) {
  Json card = {{"model_file", "model.json"},
               {"model_sha256", "abc"},
               {"reference_rows_file", "reference_rows.json"},
               {"feature_schema", {{"hash", "h"}}},
               {"calibration", {{"method", "isotonic"}}},
               {"policy", DecisionPolicyToJson(Policy())}};
  absl::StatusOr<ModelCard> parsed = ParseModelCard(card);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_TRUE(parsed->policy.has_value());
  EXPECT_TRUE(parsed->Served().from_card);
  EXPECT_DOUBLE_EQ(parsed->Served().threshold, 0.41);
  card["policy"]["threshold"] = "high";
  EXPECT_THAT(ParseModelCard(card).status().message(),
              HasSubstr("policy.threshold must be a number"));
}

}  // namespace
}  // namespace pcs
