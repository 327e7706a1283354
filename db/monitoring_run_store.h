#ifndef PCS_DB_MONITORING_RUN_STORE_H_
#define PCS_DB_MONITORING_RUN_STORE_H_

// The one owner of monitoring_runs / monitoring_feature_psi
// (migrations/0003_monitoring_runs.sql): writes the runs of `pcs drift` and
// `pcs outcomes`, reads the cumulative alert counts back for the
// pcs_drift_alerts_total counter, and the latest run for the server's
// GetMonitoringReport.
//
// Threading: uses the caller's connection, one thread at a time. Errors:
// libpqxx exceptions are caught and returned as a Status
// (db/transaction.h DatabaseErrorStatus).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/bar.h"
#include "nlohmann/json.hpp"
#include "pqxx/pqxx"

namespace pcs {

// One monitoring_feature_psi row.
struct FeaturePsiRow {
  std::string feature;
  double psi = 0;
  std::string level;  // DriftLevelName: stable | moderate | significant
};

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
  std::vector<FeaturePsiRow> psi;  // one monitoring_feature_psi row each
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

// A monitoring_runs row as read back; absent values are "" / 0.
struct StoredMonitoringRun {
  int64_t id = 0;
  std::string finished_at;  // UTC, "YYYY-MM-DDTHH:MM:SSZ"
  std::string model_version;
  std::string since;  // YYYY-MM-DD
  std::string as_of;
  int64_t recent_rows = 0;
  std::string max_feature;
  double max_psi = 0;
  double score_psi = 0;
  bool alert = false;
  std::string alert_outcome;
  std::string alert_error;
  std::string details_json;
};
// The latest run of `kind` (highest id); NotFound when there is none.
absl::StatusOr<StoredMonitoringRun> LoadLatestMonitoringRun(
    pqxx::connection& conn, const std::string& kind);

}  // namespace pcs

#endif  // PCS_DB_MONITORING_RUN_STORE_H_
