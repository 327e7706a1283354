#include "monitoring/prometheus_text.h"

#include <optional>
#include <sstream>
#include <string>
#include <tuple>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace pcs {
namespace {

using GaugeFamily = prometheus::Family<prometheus::Gauge>;

// The page is built in a throwaway prometheus-cpp registry and written by its
// TextSerializer: the same library and serializer as pcs-server's /metrics.
class Page {
 public:
  GaugeFamily& Gauge(const char* name, const char* help) {
    return prometheus::BuildGauge().Name(name).Help(help).Register(registry_);
  }
  prometheus::Family<prometheus::Counter>& Counter(const char* name,
                                                   const char* help) {
    return prometheus::BuildCounter().Name(name).Help(help).Register(registry_);
  }
  std::vector<prometheus::MetricFamily> Collect() const {
    return registry_.Collect();
  }

 private:
  prometheus::Registry registry_;
};

// A value that does not exist is left out rather than written as NaN.
void SetOptional(GaugeFamily& family, const prometheus::Labels& labels,
                 const std::optional<double>& value) {
  if (value) family.Add(labels).Set(*value);
}

void WriteDrift(const DriftAnalysis& drift, Page& page) {
  GaugeFamily& psi = page.Gauge(
      "pcs_drift_psi",
      "Population stability index of a feature (or __score__) vs the "
      "training reference");
  for (const PsiResult& r : drift.features) {
    psi.Add({{"feature", r.name}}).Set(r.psi);
  }
  if (drift.score)
    psi.Add({{"feature", drift.score->name}}).Set(drift.score->psi);
  page.Gauge("pcs_drift_rows",
             "Recent patterns compared with the training reference")
      .Add({})
      .Set(drift.rows);
}

void WriteAccuracy(const RollingAccuracyReport& report, Page& page) {
  GaugeFamily& precision = page.Gauge(
      "pcs_rolling_precision",
      "Precision of patterns confirmed by a scorer over a rolling window");
  GaugeFamily& auc = page.Gauge(
      "pcs_rolling_auc", "ROC-AUC of the ML confidence over a rolling window");
  GaugeFamily& brier =
      page.Gauge("pcs_rolling_brier",
                 "Brier score of the ML confidence over a rolling window");
  GaugeFamily& ece = page.Gauge(
      "pcs_rolling_ece",
      "Expected calibration error of the ML confidence over a rolling window");
  GaugeFamily& rows =
      page.Gauge("pcs_rolling_rows", "Resolved patterns in a rolling window");
  GaugeFamily& confirmation_rate = page.Gauge(
      "pcs_rolling_confirmation_rate",
      "Share of resolved patterns confirmed (scorer: the served decision "
      "policy or rule-only) over a rolling window");
  GaugeFamily& tp_rate = page.Gauge(
      "pcs_rolling_tp_rate",
      "Share of the window's positives that were confirmed (scorer: policy "
      "or rule-only)");
  for (const WindowAccuracy& a : report.windows) {
    SetOptional(precision, {{"window", a.window}, {"scorer", "ml"}},
                a.ml.precision);
    SetOptional(precision, {{"window", a.window}, {"scorer", "rule"}},
                a.rule.precision);
    SetOptional(precision, {{"window", a.window}, {"scorer", "blended"}},
                a.blended.precision);
    SetOptional(precision, {{"window", a.window}, {"scorer", "policy"}},
                a.policy.precision);
    SetOptional(confirmation_rate, {{"window", a.window}, {"scorer", "policy"}},
                a.policy_confirmation_rate);
    SetOptional(confirmation_rate, {{"window", a.window}, {"scorer", "rule"}},
                a.rule_confirmation_rate);
    SetOptional(tp_rate, {{"window", a.window}, {"scorer", "policy"}},
                a.policy_tp_rate);
    SetOptional(tp_rate, {{"window", a.window}, {"scorer", "rule"}},
                a.rule_tp_rate);
    SetOptional(auc, {{"window", a.window}}, a.roc_auc);
    SetOptional(brier, {{"window", a.window}}, a.brier);
    SetOptional(ece, {{"window", a.window}}, a.ece);
    rows.Add({{"window", a.window}}).Set(a.rows);
  }
}

// 1 per window: the served policy's precision is below the rule's by more
// than the card's tolerance there (the policy_precision_vs_rule finding).
void WritePolicyAlert(const RollingAccuracyReport& report, GaugeFamily& alert) {
  for (const WindowAccuracy& a : report.windows) {
    bool degraded = false;
    for (const AccuracyFinding& f : report.degraded) {
      degraded |= f.window == a.window && f.metric == kPolicyPrecisionFinding;
    }
    alert.Add({{"window", a.window}}).Set(degraded ? 1 : 0);
  }
}

}  // namespace

std::string SerializeMetricFamilies(
    const std::vector<prometheus::MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

std::string RenderMonitoringMetrics(const MonitoringSnapshot& s) {
  return SerializeMetricFamilies(MonitoringFamilies(s));
}

std::vector<prometheus::MetricFamily> MonitoringFamilies(
    const MonitoringSnapshot& s) {
  Page page;
  if (s.drift != nullptr) WriteDrift(*s.drift, page);
  if (s.accuracy != nullptr) WriteAccuracy(*s.accuracy, page);
  auto& alerts = page.Counter("pcs_drift_alerts_total",
                              "Drift and accuracy alerts by delivery outcome");
  alerts.Add({{"outcome", "sent"}})
      .Increment(static_cast<double>(s.alerts_sent_total));
  alerts.Add({{"outcome", "failed"}})
      .Increment(static_cast<double>(s.alerts_failed_total));
  page.Gauge("pcs_monitoring_last_run_timestamp_seconds",
             "Unix time the last monitoring run finished")
      .Add({})
      .Set(s.run_timestamp_seconds);
  page.Gauge("pcs_monitoring_alert",
             "1 when the last `pcs drift` run alerted (PSI or rolling "
             "accuracy, the reasons are in its JSON), else 0")
      .Add({})
      .Set(s.alert ? 1 : 0);
  if (!s.model_version.empty()) {
    page.Gauge("pcs_monitoring_model_info",
               "Model version the monitoring run checked")
        .Add({{"version", s.model_version}})
        .Set(1);
  }
  return page.Collect();
}

std::string RenderOutcomeMetrics(const RollingAccuracyReport& accuracy,
                                 const std::string& model_version,
                                 double run_timestamp_seconds) {
  return SerializeMetricFamilies(
      OutcomeFamilies(accuracy, model_version, run_timestamp_seconds));
}

std::vector<prometheus::MetricFamily> OutcomeFamilies(
    const RollingAccuracyReport& accuracy, const std::string& model_version,
    double run_timestamp_seconds) {
  Page page;
  GaugeFamily& rate = page.Gauge(
      "pcs_outcomes_confirmation_rate",
      "Share of resolved patterns confirmed (scorer: the served decision "
      "policy or rule-only)");
  GaugeFamily& precision = page.Gauge(
      "pcs_outcomes_precision",
      "Precision of the confirmations over resolved patterns (scorer: policy "
      "or rule-only)");
  GaugeFamily& tp_rate = page.Gauge(
      "pcs_outcomes_tp_rate",
      "Share of the resolved positives that were confirmed (scorer: policy or "
      "rule-only)");
  GaugeFamily& rows =
      page.Gauge("pcs_outcomes_rows", "Resolved scored patterns in a window");
  for (const WindowAccuracy& a : accuracy.windows) {
    for (const auto& [scorer, r, p, tp] :
         {std::tuple{"policy", a.policy_confirmation_rate, a.policy.precision,
                     a.policy_tp_rate},
          std::tuple{"rule", a.rule_confirmation_rate, a.rule.precision,
                     a.rule_tp_rate}}) {
      const prometheus::Labels labels = {{"window", a.window},
                                         {"scorer", scorer}};
      SetOptional(rate, labels, r);
      SetOptional(precision, labels, p);
      SetOptional(tp_rate, labels, tp);
    }
    rows.Add({{"window", a.window}}).Set(a.rows);
  }
  WritePolicyAlert(
      accuracy,
      page.Gauge("pcs_outcomes_policy_precision_alert",
                 "1 when the served policy's precision is below rule-only's "
                 "by more than the card's tolerance in the window, else 0"));
  page.Gauge("pcs_outcomes_last_run_timestamp_seconds",
             "Unix time the last `pcs outcomes` run finished")
      .Add({})
      .Set(run_timestamp_seconds);
  if (!model_version.empty()) {
    page.Gauge("pcs_outcomes_model_info",
               "Model version whose served policy `pcs outcomes` judged")
        .Add({{"version", model_version}})
        .Set(1);
  }
  return page.Collect();
}

}  // namespace pcs
