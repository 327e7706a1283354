#ifndef PCS_MONITORING_PROMETHEUS_TEXT_H_
#define PCS_MONITORING_PROMETHEUS_TEXT_H_

// Prometheus text exposition (format 0.0.4) of one monitoring run, for the
// node-exporter textfile collector (`pcs drift --textfile`) or for a server
// that wants to append it to its own /metrics page. Written by prometheus-cpp's
// TextSerializer (labels in alphabetical order of label name). Pure function.
//
// Series (names from the contract in docs/MONITORING.md):
//   pcs_drift_psi{feature}                     gauge; feature="__score__" is
//                                              the model score
//   pcs_drift_rows                             gauge; recent patterns compared
//   pcs_rolling_precision{scorer,window}       gauge; scorer = ml|rule|blended
//   pcs_rolling_auc{window}, pcs_rolling_brier{window},
//   pcs_rolling_ece{window}                    gauges
//   pcs_rolling_rows{window}                   gauge; resolved rows in window
//   pcs_drift_alerts_total{outcome}            counter; outcome = sent|failed
//   pcs_monitoring_last_run_timestamp_seconds  gauge; unix time of the run
//   pcs_monitoring_model_info{version}         gauge = 1 for the version
//   pcs_monitoring_alert                       gauge; 1 when the run alerted
// A value that does not exist (no confirmed patterns => no precision, one
// class => no AUC) is left out rather than written as NaN; a family with no
// value at all is left out too.

#include <cstdint>
#include <string>
#include <vector>

#include "monitoring/drift_analyzer.h"
#include "monitoring/rolling_accuracy.h"
#include "prometheus/metric_family.h"

namespace pcs {

struct MonitoringSnapshot {
  std::string model_version;
  const DriftAnalysis* drift = nullptr;             // optional
  const RollingAccuracyReport* accuracy = nullptr;  // optional
  // Cumulative over all runs (the drift job reads them from monitoring_runs),
  // so the textfile counter never goes backwards between runs.
  int64_t alerts_sent_total = 0;
  int64_t alerts_failed_total = 0;
  double run_timestamp_seconds = 0;
  bool alert = false;  // the run alerted (drift or rolling accuracy)
};

std::string RenderMonitoringMetrics(const MonitoringSnapshot& snapshot);
// The same series as families, unserialized: pcs-server's /metrics exposes
// them from the latest stored run (server/monitoring_gauges.h), so one
// dashboard or alert rule reads either source.
std::vector<prometheus::MetricFamily> MonitoringFamilies(
    const MonitoringSnapshot& snapshot);

// `pcs outcomes --textfile`: the served decision policy next to rule-only
// over resolved outcomes, per window (its own names, so it can sit beside
// `pcs drift`'s textfile in one collector directory):
//   pcs_outcomes_confirmation_rate{scorer,window}  gauge; scorer = policy|rule
//   pcs_outcomes_precision{scorer,window}          gauge
//   pcs_outcomes_tp_rate{scorer,window}            gauge
//   pcs_outcomes_rows{window}                      gauge; resolved rows
//   pcs_outcomes_last_run_timestamp_seconds        gauge
//   pcs_outcomes_model_info{version}               gauge = 1 (with a model)
//   pcs_outcomes_policy_precision_alert{window}    gauge; 1 when the policy's
//       precision is below rule-only's by more than the card's tolerance
//       (the policy_precision_vs_rule finding), else 0
// Values that do not exist are left out, as above.
std::string RenderOutcomeMetrics(const RollingAccuracyReport& accuracy,
                                 const std::string& model_version,
                                 double run_timestamp_seconds);
std::vector<prometheus::MetricFamily> OutcomeFamilies(
    const RollingAccuracyReport& accuracy, const std::string& model_version,
    double run_timestamp_seconds);

// Text exposition of `families` (prometheus-cpp's TextSerializer).
std::string SerializeMetricFamilies(
    const std::vector<prometheus::MetricFamily>& families);

}  // namespace pcs

#endif  // PCS_MONITORING_PROMETHEUS_TEXT_H_
