#ifndef PCS_SERVER_MONITORING_GAUGES_H_
#define PCS_SERVER_MONITORING_GAUGES_H_

// The latest `pcs outcomes` and `pcs drift` runs on pcs-server's /metrics:
// a prometheus::Collectable (added with MetricsRegistry::AddCollectable)
// whose families are the ones those jobs write to their textfiles, with the
// same names and labels (monitoring/stored_run_metrics.h rebuilds them from
// the monitoring_runs rows), so one dashboard or alert rule works on either:
//   pcs_outcomes_{confirmation_rate,precision,tp_rate}{scorer,window},
//   pcs_outcomes_rows, pcs_outcomes_policy_precision_alert{window},
//   pcs_outcomes_last_run_timestamp_seconds, pcs_outcomes_model_info,
//   pcs_rolling_*, pcs_drift_psi, pcs_drift_rows, pcs_drift_alerts_total,
//   pcs_monitoring_alert, pcs_monitoring_last_run_timestamp_seconds,
//   pcs_monitoring_model_info.
// And two series of its own:
//   pcs_monitoring_read_failures_total       counter; reads of
//                                            monitoring_runs that failed
//   pcs_monitoring_last_read_timestamp_seconds  gauge; unix time of the last
//                                            read that succeeded (absent
//                                            until one has)
//
// Reads on scrape, at most once per `refresh_after`: a scrape within that
// time of the last read attempt serves what was read. A read that fails (the
// database is down or slow, a run's JSON cannot be read) is counted and
// logged, and the last values read stay on the page; the run timestamps show
// how old they are. A read is bounded by the pool's connect and statement
// timeouts (2 s each); a scrape that arrives while another scrape reads
// serves the cached values without waiting.
//
// Threading: Collect() is thread-safe. Ownership: owns its one database
// connection (opened lazily, so a database that is down at start-up does
// not stop the server).
//
// Example:
//   auto gauges = MonitoringGauges::Create({.conninfo = url});
//   registry.AddCollectable(*gauges);

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "db/connection_pool.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace pcs {

struct MonitoringGaugesOptions {
  std::string conninfo = {};  // required
  // Longest a scrape serves values without reading monitoring_runs again;
  // zero reads on every scrape.
  absl::Duration refresh_after = absl::Seconds(15);
};

class MonitoringGauges : public prometheus::Collectable {
 public:
  static absl::StatusOr<std::shared_ptr<MonitoringGauges>> Create(
      MonitoringGaugesOptions options);

  std::vector<prometheus::MetricFamily> Collect() const override
      ABSL_LOCKS_EXCLUDED(read_mu_, mu_);

  uint64_t read_failures() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  MonitoringGauges(MonitoringGaugesOptions options,
                   std::unique_ptr<ConnectionPool> pool)
      : options_(std::move(options)), pool_(std::move(pool)) {}
  // Reads the latest runs when refresh_after has passed since the last
  // attempt; skipped when another scrape is reading.
  void MaybeRead() const ABSL_LOCKS_EXCLUDED(read_mu_, mu_);

  const MonitoringGaugesOptions options_;
  const std::unique_ptr<ConnectionPool> pool_;
  mutable absl::Mutex read_mu_;  // one read at a time, never held by mu_
  mutable absl::Mutex mu_;
  mutable absl::Time last_attempt_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  mutable std::vector<prometheus::MetricFamily> families_ ABSL_GUARDED_BY(mu_);
  mutable uint64_t failures_ ABSL_GUARDED_BY(mu_) = 0;
  mutable double last_read_seconds_ ABSL_GUARDED_BY(mu_) = 0;  // 0 = never
};

}  // namespace pcs

#endif  // PCS_SERVER_MONITORING_GAUGES_H_
