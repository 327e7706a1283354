#include "monitoring/prometheus_text.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pcs {
namespace {

std::string Escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

using Labels = std::vector<std::pair<std::string, std::string>>;

class Writer {
 public:
  void Family(const char* name, const char* type, const char* help) {
    absl::StrAppend(&out_, "# HELP ", name, " ", help, "\n# TYPE ", name, " ",
                    type, "\n");
  }
  void Sample(const char* name, const Labels& labels, double value) {
    absl::StrAppend(&out_, name);
    if (!labels.empty()) {
      out_ += '{';
      for (size_t i = 0; i < labels.size(); ++i) {
        absl::StrAppend(&out_, i ? "," : "", labels[i].first, "=\"",
                        Escape(labels[i].second), "\"");
      }
      out_ += '}';
    }
    absl::StrAppend(&out_, " ", absl::StrFormat("%.10g", value), "\n");
  }
  void Optional(const char* name, const Labels& labels,
                const std::optional<double>& value) {
    if (value) Sample(name, labels, *value);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

void WriteDrift(const DriftAnalysis& drift, Writer& w) {
  w.Family("pcs_drift_psi", "gauge",
           "Population stability index of a feature (or __score__) vs the "
           "training reference");
  for (const PsiResult& r : drift.features)
    w.Sample("pcs_drift_psi", {{"feature", r.name}}, r.psi);
  if (drift.score)
    w.Sample("pcs_drift_psi", {{"feature", drift.score->name}},
             drift.score->psi);
  w.Family("pcs_drift_rows", "gauge",
           "Recent patterns compared with the training reference");
  w.Sample("pcs_drift_rows", {}, drift.rows);
}

void WriteAccuracy(const RollingAccuracyReport& report, Writer& w) {
  w.Family("pcs_rolling_precision", "gauge",
           "Precision of patterns confirmed by a scorer over a rolling window");
  for (const WindowAccuracy& a : report.windows) {
    w.Optional("pcs_rolling_precision",
               {{"window", a.window}, {"scorer", "ml"}}, a.ml.precision);
    w.Optional("pcs_rolling_precision",
               {{"window", a.window}, {"scorer", "rule"}}, a.rule.precision);
    w.Optional("pcs_rolling_precision",
               {{"window", a.window}, {"scorer", "blended"}},
               a.blended.precision);
  }
  w.Family("pcs_rolling_auc", "gauge",
           "ROC-AUC of the ML confidence over a rolling window");
  for (const WindowAccuracy& a : report.windows) {
    w.Optional("pcs_rolling_auc", {{"window", a.window}}, a.roc_auc);
  }
  w.Family("pcs_rolling_brier", "gauge",
           "Brier score of the ML confidence over a rolling window");
  for (const WindowAccuracy& a : report.windows) {
    w.Optional("pcs_rolling_brier", {{"window", a.window}}, a.brier);
  }
  w.Family(
      "pcs_rolling_ece", "gauge",
      "Expected calibration error of the ML confidence over a rolling window");
  for (const WindowAccuracy& a : report.windows) {
    w.Optional("pcs_rolling_ece", {{"window", a.window}}, a.ece);
  }
  w.Family("pcs_rolling_rows", "gauge",
           "Resolved patterns in a rolling window");
  for (const WindowAccuracy& a : report.windows) {
    w.Sample("pcs_rolling_rows", {{"window", a.window}}, a.rows);
  }
}

}  // namespace

std::string RenderMonitoringMetrics(const MonitoringSnapshot& s) {
  Writer w;
  if (s.drift != nullptr) WriteDrift(*s.drift, w);
  if (s.accuracy != nullptr) WriteAccuracy(*s.accuracy, w);
  w.Family("pcs_drift_alerts_total", "counter",
           "Drift and accuracy alerts by delivery outcome");
  w.Sample("pcs_drift_alerts_total", {{"outcome", "sent"}},
           static_cast<double>(s.alerts_sent_total));
  w.Sample("pcs_drift_alerts_total", {{"outcome", "failed"}},
           static_cast<double>(s.alerts_failed_total));
  w.Family("pcs_monitoring_last_run_timestamp_seconds", "gauge",
           "Unix time the last monitoring run finished");
  w.Sample("pcs_monitoring_last_run_timestamp_seconds", {},
           s.run_timestamp_seconds);
  if (!s.model_version.empty()) {
    w.Family("pcs_monitoring_model_info", "gauge",
             "Model version the monitoring run checked");
    w.Sample("pcs_monitoring_model_info", {{"version", s.model_version}}, 1);
  }
  return w.Take();
}

}  // namespace pcs
