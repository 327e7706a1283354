#include "monitoring/rolling_accuracy.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace pcs {
namespace {

ScoredOutcome Row(const char* id, Day resolved, int label, double rule,
                  std::optional<double> ml) {
  ScoredOutcome r;
  r.pattern_id = id;
  r.resolved_day = resolved;
  r.label = label;
  r.rule_confidence = rule;
  r.ml_confidence = ml;
  if (ml) r.blended_confidence = 0.5 * rule + 0.5 * *ml;
  return r;
}

// A: ml 0.9 rule 0.6 y1; B: 0.8/0.4 y0; C: 0.3/0.7 y1; D: 0.2/0.55 y0;
// E: no ml (fallback), rule 0.9, y0.
std::vector<ScoredOutcome> FiveRows() {
  return {Row("a", 100, 1, 0.6, 0.9), Row("b", 101, 0, 0.4, 0.8),
          Row("c", 102, 1, 0.7, 0.3), Row("d", 103, 0, 0.55, 0.2),
          Row("e", 104, 0, 0.9, std::nullopt)};
}

TEST(RollingAccuracyTest, HandComputedWindow) {
  RollingAccuracyOptions o;
  const WindowAccuracy w = ComputeWindowAccuracy("all", FiveRows(), o);
  EXPECT_EQ(w.rows, 5);
  EXPECT_EQ(w.scored_rows, 4);
  EXPECT_EQ(w.fallback_rows, 1);
  EXPECT_EQ(w.positives, 2);
  // ML confirms a, b -> 1 of 2.
  EXPECT_EQ(w.ml.confirmed, 2);
  EXPECT_DOUBLE_EQ(*w.ml.precision, 0.5);
  // Rules confirm a, c, d, e -> 2 of 4.
  EXPECT_EQ(w.rule.confirmed, 4);
  EXPECT_DOUBLE_EQ(*w.rule.precision, 0.5);
  // Pairs (pos, neg): (a,b) (a,d) (c,d) ranked right, (c,b) wrong -> 3/4.
  EXPECT_DOUBLE_EQ(*w.roc_auc, 0.75);
  // (0.01 + 0.64 + 0.49 + 0.04) / 4.
  EXPECT_NEAR(*w.brier, 0.295, 1e-12);
  // One row per bin: (0.1 + 0.8 + 0.7 + 0.2) / 4.
  EXPECT_NEAR(*w.ece, 0.45, 1e-12);
}

TEST(RollingAccuracyTest, TheServedPolicyNextToRuleOnly) {
  RollingAccuracyOptions o;
  o.policy_blend_weight = 1.0;  // the model alone ...
  o.policy_threshold = 0.5;     // ... at 0.5
  o.last_n = 10;
  o.window_days = 30;
  o.as_of = 110;
  o.min_rows_for_verdict = 1;
  const WindowAccuracy w = ComputeWindowAccuracy("all", FiveRows(), o);
  // a (0.9) and b (0.8) by the model; e has no ML value: the server fell
  // back to the rule (0.9 >= 0.5). 1 of 3 right.
  EXPECT_EQ(w.policy.confirmed, 3);
  EXPECT_EQ(w.policy.true_positives, 1);
  EXPECT_DOUBLE_EQ(*w.policy.precision, 1.0 / 3);
  EXPECT_DOUBLE_EQ(*w.policy_confirmation_rate, 0.6);
  EXPECT_DOUBLE_EQ(*w.policy_tp_rate, 0.5);
  EXPECT_DOUBLE_EQ(*w.rule_confirmation_rate, 0.8);
  EXPECT_DOUBLE_EQ(*w.rule_tp_rate, 1.0);
  // 1/3 is below the rule's 1/2 by more than 2 points: degraded; by less
  // than a 20-point tolerance: not.
  auto finds = [&](double tolerance) {
    o.policy_precision_tolerance = tolerance;
    for (const AccuracyFinding& f :
         ComputeRollingAccuracy(FiveRows(), o, CardMetrics{}).degraded) {
      if (f.metric == "policy_precision_vs_rule") return true;
    }
    return false;
  };
  EXPECT_TRUE(finds(0.02));
  EXPECT_FALSE(finds(0.20));
  const nlohmann::json j = WindowAccuracyToJson(w);
  EXPECT_EQ(j["policy"]["confirmed"], 3);
  EXPECT_DOUBLE_EQ(j["policy_tp_rate"].get<double>(), 0.5);
}

TEST(RollingAccuracyTest, NoScoredRowsMeansNoMetricNotZero) {
  // The one metrics library gives NaN on empty input; the window reports
  // "no value" (before, monitoring's own kernels said Brier 0 and ECE 0).
  RollingAccuracyOptions o;
  const WindowAccuracy w = ComputeWindowAccuracy(
      "fallback only", {Row("e", 104, 0, 0.9, std::nullopt)}, o);
  EXPECT_EQ(w.scored_rows, 0);
  EXPECT_FALSE(w.brier.has_value());
  EXPECT_FALSE(w.ece.has_value());
  EXPECT_FALSE(w.roc_auc.has_value());
  // One class only: no AUC, but Brier and ECE exist.
  const WindowAccuracy one = ComputeWindowAccuracy(
      "one class", {Row("a", 100, 1, 0.6, 0.9), Row("c", 102, 1, 0.7, 0.3)}, o);
  EXPECT_FALSE(one.roc_auc.has_value());
  EXPECT_NEAR(*one.brier, (0.01 + 0.49) / 2, 1e-12);
}

TEST(RollingAccuracyTest, WindowsByCountAndDays) {
  RollingAccuracyOptions o;
  o.last_n = 2;
  o.window_days = 3;
  o.as_of = 104;
  o.min_rows_for_verdict = 1;
  const RollingAccuracyReport r =
      ComputeRollingAccuracy(FiveRows(), o, CardMetrics{});
  ASSERT_EQ(r.windows.size(), 2u);
  EXPECT_EQ(r.windows[0].window, "last_2");
  // The two most recently resolved *scored* rows: d (103), c (102).
  EXPECT_EQ(r.windows[0].rows, 2);
  EXPECT_EQ(r.windows[0].positives, 1);
  EXPECT_EQ(r.windows[1].window, "3d");
  // Resolved in (101, 104]: c, d, e.
  EXPECT_EQ(r.windows[1].rows, 3);
  EXPECT_EQ(r.windows[1].fallback_rows, 1);
}

TEST(RollingAccuracyTest, FlagsDegradationAgainstCardAndRules) {
  RollingAccuracyOptions o;
  o.last_n = 10;
  o.window_days = 30;
  o.as_of = 110;
  o.min_rows_for_verdict = 1;
  CardMetrics card;
  card.roc_auc = 0.9;  // 0.75 < 0.85 -> degraded
  card.brier = 0.36;   // (0.36+0.64+0.49+0.04)/4 = 0.3825 < 0.39 -> fine
  std::vector<ScoredOutcome> rows = FiveRows();
  rows[0].ml_confidence =
      0.4;  // a no longer ML-confirmed: ML precision 0/1 < rules
  const RollingAccuracyReport r = ComputeRollingAccuracy(rows, o, card);
  bool auc = false, precision = false, brier = false;
  for (const AccuracyFinding& f : r.degraded) {
    auc |= f.metric == "roc_auc";
    precision |= f.metric == "precision_vs_rule";
    brier |= f.metric == "brier";
  }
  EXPECT_TRUE(auc);
  EXPECT_TRUE(precision);
  EXPECT_FALSE(brier);

  o.min_rows_for_verdict = 100;  // too few rows: metrics, no verdict
  EXPECT_TRUE(ComputeRollingAccuracy(rows, o, card).degraded.empty());
}

TEST(RollingAccuracyTest, ParsesCardMetricsTolerantly) {
  auto card = nlohmann::json::parse(R"({"metrics": {
      "holdout": {"precision_at_threshold": 0.61, "rule_precision": 0.52},
      "scorers": [{"name": "rule", "roc_auc": 0.55},
                  {"name": "model", "roc_auc": 0.66, "brier": 0.21, "ece": 0.02}]}})");
  const CardMetrics m = ParseCardMetrics(card);
  EXPECT_DOUBLE_EQ(*m.precision, 0.61);
  EXPECT_DOUBLE_EQ(*m.rule_precision, 0.52);
  EXPECT_DOUBLE_EQ(*m.roc_auc, 0.66);
  EXPECT_DOUBLE_EQ(*m.brier, 0.21);
  EXPECT_DOUBLE_EQ(*m.ece, 0.02);
  EXPECT_FALSE(ParseCardMetrics(nlohmann::json::object()).roc_auc.has_value());
}

TEST(RollingAccuracyTest, JsonReadsBackWhatItWrote) {
  RollingAccuracyOptions o;
  o.policy_blend_weight = 1.0;
  o.as_of = 110;
  o.min_rows_for_verdict = 1;
  CardMetrics card;
  card.roc_auc = 0.6;
  const RollingAccuracyReport report =
      ComputeRollingAccuracy(FiveRows(), o, card);
  ASSERT_FALSE(report.degraded.empty());
  const nlohmann::json written = RollingAccuracyReportToJson(report);
  absl::StatusOr<RollingAccuracyReport> read =
      RollingAccuracyReportFromJson(written);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(RollingAccuracyReportToJson(*read), written);

  // A wrong type or a missing field is named.
  nlohmann::json bad = written;
  bad["windows"][1]["policy"]["confirmed"] = "three";
  EXPECT_EQ(RollingAccuracyReportFromJson(bad).status().message(),
            "rolling accuracy JSON: windows[1].policy.confirmed: not an "
            "integer");
  bad = written;
  bad["windows"][0].erase("rows");
  EXPECT_EQ(RollingAccuracyReportFromJson(bad).status().message(),
            "rolling accuracy JSON: windows[0].rows: missing");
  // An optional value missing (a run stored before it existed) is no value.
  bad = written;
  bad["windows"][0].erase("rule_tp_rate");
  absl::StatusOr<RollingAccuracyReport> old =
      RollingAccuracyReportFromJson(bad);
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_FALSE(old->windows[0].rule_tp_rate.has_value());
}

}  // namespace
}  // namespace pcs
