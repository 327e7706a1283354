#include "server/monitoring_gauges.h"

#include <optional>
#include <string>
#include <utility>

#include "db/monitoring_run_store.h"
#include "monitoring/stored_run_metrics.h"
#include "spdlog/spdlog.h"

namespace pcs {
namespace {

// The latest run of `kind`; nullopt when none is recorded yet.
template <typename Conn>
absl::StatusOr<std::optional<StoredMonitoringRun>> Latest(
    Conn& conn, const std::string& kind) {
  absl::StatusOr<StoredMonitoringRun> run = LoadLatestMonitoringRun(conn, kind);
  if (absl::IsNotFound(run.status())) {
    return std::optional<StoredMonitoringRun>();
  }
  if (!run.ok()) return run.status();
  return std::optional<StoredMonitoringRun>(*std::move(run));
}

absl::StatusOr<std::vector<prometheus::MetricFamily>> ReadFamilies(
    ConnectionPool& pool) {
  // Bounded by the pool too (connect and statement timeouts).
  absl::StatusOr<StoredRuns> runs = pool.Run(
      absl::Now() + absl::Seconds(2), "reading the latest monitoring runs",
      [](auto& conn) -> absl::StatusOr<StoredRuns> {
        StoredRuns out;
        auto outcomes = Latest(conn, "outcomes");
        if (!outcomes.ok()) return outcomes.status();
        auto drift = Latest(conn, "drift");
        if (!drift.ok()) return drift.status();
        auto totals = LoadAlertTotals(conn);
        if (!totals.ok()) return totals.status();
        out.outcomes = *std::move(outcomes);
        out.drift = *std::move(drift);
        out.alert_totals = *totals;
        return out;
      });
  if (!runs.ok()) return runs.status();
  return StoredRunFamilies(*runs);
}

prometheus::MetricFamily OneValue(const char* name, const char* help,
                                  prometheus::MetricType type, double value) {
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return {name, help, type, {metric}};
}

}  // namespace

absl::StatusOr<std::shared_ptr<MonitoringGauges>> MonitoringGauges::Create(
    MonitoringGaugesOptions options) {
  auto pool = ConnectionPool::Create({.conninfo = options.conninfo, .size = 1});
  if (!pool.ok()) return pool.status();
  return std::shared_ptr<MonitoringGauges>(
      new MonitoringGauges(std::move(options), *std::move(pool)));
}

void MonitoringGauges::MaybeRead() const {
  const absl::Time now = absl::Now();
  {
    absl::MutexLock lock(&mu_);
    if (now - last_attempt_ < options_.refresh_after) return;
  }
  // Another scrape is reading: serve what is cached rather than queue.
  if (!read_mu_.TryLock()) return;
  {
    absl::MutexLock lock(&mu_);
    last_attempt_ = now;
  }
  absl::StatusOr<std::vector<prometheus::MetricFamily>> read =
      ReadFamilies(*pool_);
  {
    absl::MutexLock lock(&mu_);
    if (read.ok()) {
      families_ = *std::move(read);
      last_read_seconds_ =
          absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
    } else {
      ++failures_;
    }
  }
  read_mu_.Unlock();
  if (!read.ok()) {
    spdlog::warn(
        "event=monitoring_read_failed error=\"{}\" effect=\"/metrics keeps "
        "the last values read\"",
        read.status().ToString());
  }
}

std::vector<prometheus::MetricFamily> MonitoringGauges::Collect() const {
  MaybeRead();
  absl::MutexLock lock(&mu_);
  std::vector<prometheus::MetricFamily> out = families_;
  out.push_back(OneValue(
      "pcs_monitoring_read_failures_total",
      "Reads of the latest monitoring runs (monitoring_runs) for /metrics that "
      "failed; the last values read stay on the page",
      prometheus::MetricType::Counter, static_cast<double>(failures_)));
  if (last_read_seconds_ > 0) {
    out.push_back(OneValue(
        "pcs_monitoring_last_read_timestamp_seconds",
        "Unix time pcs-server last read the monitoring runs successfully",
        prometheus::MetricType::Gauge, last_read_seconds_));
  }
  return out;
}

uint64_t MonitoringGauges::read_failures() const {
  absl::MutexLock lock(&mu_);
  return failures_;
}

}  // namespace pcs
