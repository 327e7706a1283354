#ifndef PCS_MONITORING_STORED_RUN_METRICS_H_
#define PCS_MONITORING_STORED_RUN_METRICS_H_

// The Prometheus series of the latest stored monitoring runs, rebuilt from
// their monitoring_runs rows (db/monitoring_run_store.h): the same families,
// names and labels `pcs outcomes --textfile` and `pcs drift --textfile`
// wrote for those runs (monitoring/prometheus_text.h), so one dashboard or
// alert rule reads pcs-server's /metrics (server/monitoring_gauges.h) or the
// textfile alike.
//
// The run timestamps are the rows' finished_at (whole seconds); the
// textfile's are the job's own clock, a fraction of a second earlier.
// Pure function, thread-safe.
//
// Example:
//   StoredRuns runs{.outcomes = LoadLatestMonitoringRun(conn, "outcomes")};
//   absl::StatusOr<std::vector<prometheus::MetricFamily>> f =
//       StoredRunFamilies(runs);

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "db/monitoring_run_store.h"
#include "prometheus/metric_family.h"

namespace pcs {

struct StoredRuns {
  std::optional<StoredMonitoringRun> outcomes;  // latest kind 'outcomes'
  std::optional<StoredMonitoringRun> drift;     // latest kind 'drift'
  AlertTotals alert_totals;                     // over all runs
};

// The pcs_outcomes_* families of `outcomes` and the pcs_drift_* /
// pcs_rolling_* / pcs_monitoring_* families of `drift` (none for a run that
// is absent). InvalidArgument naming the run and the field when a run's
// details JSON or finished_at cannot be read.
absl::StatusOr<std::vector<prometheus::MetricFamily>> StoredRunFamilies(
    const StoredRuns& runs);

}  // namespace pcs

#endif  // PCS_MONITORING_STORED_RUN_METRICS_H_
