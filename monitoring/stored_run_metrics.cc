#include "monitoring/stored_run_metrics.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "monitoring/drift_analyzer.h"
#include "monitoring/prometheus_text.h"
#include "monitoring/rolling_accuracy.h"
#include "nlohmann/json.hpp"

namespace pcs {
namespace {

absl::Status RunError(const StoredMonitoringRun& run, const char* kind,
                      const absl::Status& cause) {
  return absl::InvalidArgumentError(absl::StrCat(
      "monitoring_runs.id ", run.id, " (", kind, "): ", cause.message()));
}

absl::StatusOr<double> FinishedSeconds(const StoredMonitoringRun& run) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, run.finished_at, &t, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("finished_at '", run.finished_at, "': ", error));
  }
  return absl::ToDoubleSeconds(t - absl::UnixEpoch());
}

absl::StatusOr<nlohmann::json> Details(const StoredMonitoringRun& run) {
  nlohmann::json details =
      nlohmann::json::parse(run.details_json, nullptr, /*allow_exceptions=*/
                            false);
  if (details.is_discarded() || !details.is_object()) {
    return absl::InvalidArgumentError("details is not a JSON object");
  }
  return details;
}

std::string ModelVersion(const nlohmann::json& details,
                         const StoredMonitoringRun& run) {
  if (details.contains("model_version") &&
      details["model_version"].is_string()) {
    return details["model_version"].get<std::string>();
  }
  return run.model_version;
}

// `pcs outcomes`: details = OutcomeJobReport::ToJson.
absl::StatusOr<std::vector<prometheus::MetricFamily>> OutcomesFamilies(
    const StoredMonitoringRun& run) {
  absl::StatusOr<nlohmann::json> details = Details(run);
  if (!details.ok()) return details.status();
  absl::StatusOr<double> finished = FinishedSeconds(run);
  if (!finished.ok()) return finished.status();
  RollingAccuracyReport policy;  // none without a model: timestamp only
  if (details->contains("policy") && !(*details)["policy"].is_null()) {
    absl::StatusOr<RollingAccuracyReport> read =
        RollingAccuracyReportFromJson((*details)["policy"]);
    if (!read.ok()) return read.status();
    policy = *std::move(read);
  }
  return OutcomeFamilies(policy, ModelVersion(*details, run), *finished);
}

// `pcs drift`: details = DriftJobReport::ToJson.
absl::StatusOr<std::vector<prometheus::MetricFamily>> DriftFamilies(
    const StoredMonitoringRun& run, const AlertTotals& totals) {
  absl::StatusOr<nlohmann::json> details = Details(run);
  if (!details.ok()) return details.status();
  absl::StatusOr<double> finished = FinishedSeconds(run);
  if (!finished.ok()) return finished.status();
  if (!details->contains("accuracy")) {
    return absl::InvalidArgumentError("details.accuracy missing");
  }
  absl::StatusOr<RollingAccuracyReport> accuracy =
      RollingAccuracyReportFromJson((*details)["accuracy"]);
  if (!accuracy.ok()) return accuracy.status();
  std::optional<DriftAnalysis> drift;
  if (details->contains("drift") && !(*details)["drift"].is_null()) {
    absl::StatusOr<DriftAnalysis> read =
        DriftSummaryFromJson((*details)["drift"]);
    if (!read.ok()) return read.status();
    drift = *std::move(read);
  }
  MonitoringSnapshot s;
  s.model_version = ModelVersion(*details, run);
  s.drift = drift ? &*drift : nullptr;
  s.accuracy = &*accuracy;
  s.alerts_sent_total = totals.sent;
  s.alerts_failed_total = totals.failed;
  s.run_timestamp_seconds = *finished;
  s.alert = run.alert;
  return MonitoringFamilies(s);
}

}  // namespace

absl::StatusOr<std::vector<prometheus::MetricFamily>> StoredRunFamilies(
    const StoredRuns& runs) {
  std::vector<prometheus::MetricFamily> out;
  if (runs.outcomes) {
    auto f = OutcomesFamilies(*runs.outcomes);
    if (!f.ok()) return RunError(*runs.outcomes, "outcomes", f.status());
    out = *std::move(f);
  }
  if (runs.drift) {
    auto f = DriftFamilies(*runs.drift, runs.alert_totals);
    if (!f.ok()) return RunError(*runs.drift, "drift", f.status());
    out.insert(out.end(), std::make_move_iterator(f->begin()),
               std::make_move_iterator(f->end()));
  }
  return out;
}

}  // namespace pcs
