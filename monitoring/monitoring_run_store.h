#ifndef PCS_MONITORING_MONITORING_RUN_STORE_H_
#define PCS_MONITORING_MONITORING_RUN_STORE_H_

// Writes monitoring results to monitoring_runs / monitoring_feature_psi
// (migrations/0003_monitoring_runs.sql) and reads the cumulative alert
// counts back for the pcs_drift_alerts_total counter.
//
// Threading: uses the caller's connection, one thread at a time. Errors:
// libpqxx exceptions are caught and returned as a Status.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/bar.h"
#include "monitoring/psi.h"
#include "nlohmann/json.hpp"
#include "pqxx/pqxx"

namespace pcs {

struct MonitoringRunRecord {
  std::string kind;  // "drift" | "outcomes"
  std::optional<std::string> model_version;
  std::optional<Day> since;
  std::optional<Day> as_of;
  std::optional<int> window_days;
  std::optional<int> recent_rows;
  std::optional<std::string> max_feature;
  std::optional<double> max_psi;
  std::optional<double> score_psi;
  bool alert = false;
  std::optional<std::string> alert_outcome;  // sent | failed | not_configured
  std::optional<std::string> alert_error;
  nlohmann::json details = nlohmann::json::object();
  std::vector<PsiResult> psi;  // one monitoring_feature_psi row each
};

// Inserts the run and its PSI rows in one transaction; returns the run id.
absl::StatusOr<int64_t> InsertMonitoringRun(pqxx::connection& conn,
                                            const MonitoringRunRecord& run);

struct AlertTotals {
  int64_t sent = 0;
  int64_t failed = 0;
};
// Alerts sent / failed over all drift runs.
absl::StatusOr<AlertTotals> LoadAlertTotals(pqxx::connection& conn);

}  // namespace pcs

#endif  // PCS_MONITORING_MONITORING_RUN_STORE_H_
