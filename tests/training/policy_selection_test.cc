// training/policy_selection: the decision policy chosen on pooled rows.
#include "training/policy_selection.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace pcs {
namespace {

struct Row {
  double score;
  double rule;
  int label;
};

// `symbols` copies of the same rows: every symbol resample has the same
// statistic, so the bootstrap bounds equal the point estimates and the test
// can state them exactly.
PolicyRows Repeat(const std::vector<Row>& rows, int symbols,
                  std::vector<double>* score) {
  PolicyRows out;
  for (int s = 0; s < symbols; ++s) {
    for (const Row& r : rows) {
      out.symbols.push_back(absl::StrCat("S", s));
      out.labels.push_back(r.label);
      out.rule.push_back(r.rule);
      score->push_back(r.score);
    }
  }
  return out;
}

void Add(std::vector<Row>* rows, double score, double rule,
         std::vector<int> labels) {
  for (int l : labels) rows->push_back({score, rule, l});
}

// Rule-only confirms 2 rows per symbol at precision 0.5. By score (w = 1):
//   t <= 0.29          includes 20 negatives at 0.29: precision 0.23
//   0.29 < t <= 0.30   a narrow feasible spike: 7 of 11 = 0.64
//   0.30 < t <= 0.32   3 of 7 = 0.43: infeasible
//   0.32 < t <= 0.40   3 of 4 = 0.75: the stable plateau
std::vector<Row> SpikeThenPlateau() {
  std::vector<Row> rows;
  Add(&rows, 0.0, 0.6, {1, 0});  // the rule's confirmations
  Add(&rows, 0.50, 0.0, {1, 1});
  Add(&rows, 0.40, 0.0, {1, 0});
  Add(&rows, 0.32, 0.0, {0, 0, 0});
  Add(&rows, 0.30, 0.0, {1, 1, 1, 1});
  Add(&rows, 0.29, 0.0, std::vector<int>(20, 0));
  return rows;
}

PolicyOptions OnlyModel() {
  PolicyOptions o;
  o.blend_weights = {1.0};
  o.resamples = 100;
  return o;
}

TEST(PolicySelectionTest, SkipsAFeasibleSpikeForTheStablePlateau) {
  std::vector<double> score;
  const PolicyRows rows = Repeat(SpikeThenPlateau(), 10, &score);
  absl::StatusOr<PolicyChoice> c = ChoosePolicy(rows, score, OnlyModel());
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->found);
  // Without the stability window the lowest feasible threshold is 0.295.
  EXPECT_DOUBLE_EQ(c->policy.threshold, 0.325);
  EXPECT_DOUBLE_EQ(c->policy.blend_weight, 1.0);
  const PolicyEvidence& e = c->policy.evidence;
  EXPECT_EQ(e.rule.confirmed, 20);
  EXPECT_EQ(e.rule.true_positives, 10);
  EXPECT_EQ(e.policy.confirmed, 40);
  EXPECT_EQ(e.policy.true_positives, 30);
  EXPECT_DOUBLE_EQ(e.tp_lift, 2.0);
  EXPECT_NEAR(e.precision_diff, 0.25, 1e-12);
  EXPECT_NEAR(e.precision_diff_ci_low, 0.25, 1e-12);
  EXPECT_NEAR(e.tp_lift_ci_low, 2.0, 1e-12);
  // Sensitivity: t - 0.02 = 0.305 falls off the plateau, t + 0.02 stays.
  ASSERT_EQ(e.sensitivity.size(), 3u);
  EXPECT_NEAR(e.sensitivity[0].threshold, 0.305, 1e-12);
  EXPECT_EQ(e.sensitivity[0].confirmed, 70);
  EXPECT_EQ(e.sensitivity[0].true_positives, 30);
  EXPECT_LT(e.sensitivity_precision_diff_ci_low[0], 0);
  EXPECT_EQ(e.sensitivity[2].confirmed, 40);
  EXPECT_GE(e.sensitivity_precision_diff_ci_low[2], 0);
}

TEST(PolicySelectionTest, NoPolicyWhenNothingKeepsTheRulesPrecision) {
  std::vector<Row> base;
  Add(&base, 0.0, 0.6, {1, 1});  // the rule is always right
  Add(&base, 0.9, 0.0, {1, 0});
  Add(&base, 0.5, 0.0, {0, 0, 1});
  std::vector<double> score;
  const PolicyRows rows = Repeat(base, 8, &score);
  PolicyOptions o = OnlyModel();
  absl::StatusOr<PolicyChoice> c = ChoosePolicy(rows, score, o);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->found);
  ASSERT_EQ(c->per_weight.size(), 1u);
  EXPECT_FALSE(c->per_weight[0].found);
  // A blend that still ranks the rule's rows first can copy the rule: with
  // w = 0.25 they lead (0.45 vs 0.225), and precision ties the rule's.
  o.blend_weights = {0.25};
  c = ChoosePolicy(rows, score, o);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->found);
  EXPECT_EQ(c->policy.evidence.policy.true_positives,
            c->policy.evidence.rule.true_positives);
}

TEST(PolicySelectionTest, TheBootstrapBoundIsWhatMustHold) {
  // Half the symbols carry the model's edge, half do not: the point
  // estimate is feasible at a lower threshold than the lower bound allows.
  PolicyRows rows;
  std::vector<double> score;
  for (int s = 0; s < 30; ++s) {
    const bool good = s % 2 == 0;
    auto add = [&](double sc, double rule, int label) {
      rows.symbols.push_back(absl::StrCat("S", s));
      rows.rule.push_back(rule);
      rows.labels.push_back(label);
      score.push_back(sc);
    };
    add(0.0, 0.6, 1);
    add(0.0, 0.6, 0);
    add(0.6, 0.0, 1);
    add(0.6, 0.0, good ? 1 : 0);
    add(0.4, 0.0, good ? 1 : 0);
    add(0.4, 0.0, 0);
  }
  PolicyOptions o = OnlyModel();
  o.resamples = 400;
  absl::StatusOr<PolicyChoice> c = ChoosePolicy(rows, score, o);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->found);
  // At t <= 0.4 the precision is 0.25 + 0.5 g (g: the share of good symbols
  // in a resample): 0.5 on all rows, the rule's own, so the point estimate
  // is feasible but its lower bound is below 0; above 0.4 it is 0.5 + 0.5 g.
  EXPECT_GT(c->policy.threshold, 0.4);
  EXPECT_GE(c->policy.evidence.precision_diff_ci_low, 0);
}

TEST(PolicySelectionTest, ComparesTruePositivesOfTwoPolicies) {
  std::vector<double> score;
  const PolicyRows rows = Repeat(SpikeThenPlateau(), 6, &score);
  PolicyOptions o = OnlyModel();
  absl::StatusOr<TruePositiveComparison> same =
      CompareTruePositives(rows, score, 1.0, 0.325, score, 1.0, 0.325, o);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_DOUBLE_EQ(same->lift, 0);
  EXPECT_DOUBLE_EQ(same->ci.low, 0);
  absl::StatusOr<TruePositiveComparison> lower =
      CompareTruePositives(rows, score, 1.0, 0.30, score, 1.0, 0.325, o);
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(lower->true_positives_a, 42);  // 7 per symbol
  EXPECT_EQ(lower->true_positives_b, 18);  // 3 per symbol
}

TEST(PolicySelectionTest, BlendIsTheServingBlend) {
  EXPECT_DOUBLE_EQ(PolicyBlend(0.2, 0.6, 0.25), 0.25 * 0.6 + 0.75 * 0.2);
  EXPECT_DOUBLE_EQ(PolicyBlend(0.2, 0.6, 1.0), 0.6);
  EXPECT_DOUBLE_EQ(PolicyBlend(1.5, 0.6, 0.0), 1.0);  // clamped like serving
}

TEST(PolicySelectionTest, RejectsMismatchedColumns) {
  PolicyRows rows{{"A"}, {1}, {0.5}};
  EXPECT_FALSE(ChoosePolicy(rows, {0.1, 0.2}, {}).ok());
  EXPECT_FALSE(ChoosePolicy(PolicyRows{}, {}, {}).ok());
}

}  // namespace
}  // namespace pcs
