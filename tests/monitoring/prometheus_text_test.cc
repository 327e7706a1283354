#include "monitoring/prometheus_text.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pcs {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Runs `promtool check metrics` on `page`; returns its exit status.
int PromtoolCheck(const std::string& page, std::string* output) {
  const std::string path =
      ::testing::TempDir() + "/pcs_monitoring_metrics.prom";
  std::ofstream(path) << page;
  FILE* pipe =
      popen(("promtool check metrics < " + path + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[512];
  while (fgets(buf, sizeof buf, pipe) != nullptr) *output += buf;
  return pclose(pipe);
}

TEST(PrometheusTextTest, RendersDriftAccuracyAndCounters) {
  DriftAnalysis drift;
  drift.rows = 120;
  PsiResult f;
  f.name = "atr_14";
  f.psi = 0.31;
  drift.features.push_back(f);
  PsiResult s;
  s.name = "__score__";
  s.psi = 0.05;
  drift.score = s;

  RollingAccuracyReport acc;
  WindowAccuracy w;
  w.window = "90d";
  w.rows = 40;
  w.ml.precision = 0.4;
  w.rule.precision = 0.45;
  w.roc_auc = 0.61;
  w.brier = 0.22;
  acc.windows.push_back(w);

  MonitoringSnapshot snap;
  snap.model_version = "20260101T000000Z";
  snap.drift = &drift;
  snap.accuracy = &acc;
  snap.alerts_sent_total = 3;
  snap.alerts_failed_total = 1;
  snap.run_timestamp_seconds = 1.7e9;
  const std::string page = RenderMonitoringMetrics(snap);

  EXPECT_THAT(page, HasSubstr("pcs_drift_psi{feature=\"atr_14\"} 0.31\n"));
  EXPECT_THAT(page, HasSubstr("pcs_drift_psi{feature=\"__score__\"} 0.05\n"));
  EXPECT_THAT(
      page,
      HasSubstr("pcs_rolling_precision{scorer=\"ml\",window=\"90d\"} 0.4\n"));
  EXPECT_THAT(
      page,
      HasSubstr(
          "pcs_rolling_precision{scorer=\"rule\",window=\"90d\"} 0.45\n"));
  // No blended precision, no ECE: left out, not NaN.
  EXPECT_THAT(page, Not(HasSubstr("scorer=\"blended\"")));
  EXPECT_THAT(page, Not(HasSubstr("NaN")));
  EXPECT_THAT(page, HasSubstr("pcs_rolling_auc{window=\"90d\"} 0.61\n"));
  EXPECT_THAT(page,
              HasSubstr("pcs_drift_alerts_total{outcome=\"failed\"} 1\n"));
  EXPECT_THAT(
      page,
      HasSubstr("pcs_monitoring_last_run_timestamp_seconds 1700000000\n"));
  EXPECT_THAT(page, HasSubstr("pcs_monitoring_alert 0\n"));
  snap.alert = true;
  EXPECT_THAT(RenderMonitoringMetrics(snap),
              HasSubstr("pcs_monitoring_alert 1\n"));

  std::string out;
  EXPECT_EQ(PromtoolCheck(page, &out), 0) << out << "\n" << page;
}

TEST(PrometheusTextTest, OutcomesCarryThePolicyAlertPerWindow) {
  RollingAccuracyReport acc;
  for (const char* name : {"last_500", "90d"}) {
    WindowAccuracy w;
    w.window = name;
    w.rows = 40;
    w.policy.precision = 0.3;
    w.rule.precision = 0.5;
    acc.windows.push_back(w);
  }
  acc.degraded.push_back(
      {"90d", kPolicyPrecisionFinding, 0.3, 0.5, "policy below rule"});
  acc.degraded.push_back({"last_500", "roc_auc", 0.5, 0.6, "not the policy"});
  const std::string page = RenderOutcomeMetrics(acc, "v1", 1.7e9);
  EXPECT_THAT(page, HasSubstr("pcs_outcomes_policy_precision_alert{window="
                              "\"90d\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("pcs_outcomes_policy_precision_alert{window="
                              "\"last_500\"} 0\n"));
  EXPECT_EQ(page, SerializeMetricFamilies(OutcomeFamilies(acc, "v1", 1.7e9)));
  std::string out;
  EXPECT_EQ(PromtoolCheck(page, &out), 0) << out << "\n" << page;
}

TEST(PrometheusTextTest, EscapesLabelValues) {
  MonitoringSnapshot snap;
  snap.model_version = "a\"b\\c";
  const std::string page = RenderMonitoringMetrics(snap);
  EXPECT_THAT(page, HasSubstr("version=\"a\\\"b\\\\c\""));
  std::string out;
  EXPECT_EQ(PromtoolCheck(page, &out), 0) << out;
}

}  // namespace
}  // namespace pcs
