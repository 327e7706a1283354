#ifndef PCS_SERVER_PROCESS_METRICS_H_
#define PCS_SERVER_PROCESS_METRICS_H_

#include <optional>
#include <string>
#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace pcs {

// The process_* metrics Prometheus client libraries export, read from
// /proc/self at scrape time (Linux only; a file that cannot be read leaves
// its metrics out rather than exporting zeros):
//   process_cpu_seconds_total        counter  user + system CPU time
//   process_resident_memory_bytes    gauge    resident set size
//   process_virtual_memory_bytes     gauge    virtual memory size
//   process_start_time_seconds       gauge    start time, unix seconds
//   process_open_fds                 gauge    open file descriptors
//   process_max_fds                  gauge    soft limit of open files
//   process_threads                  gauge    OS threads
//
// Threading: Collect() is const and reads files only; safe from any thread.
//
// Example:
//   registry.AddCollectable(std::make_shared<ProcessMetrics>());
class ProcessMetrics : public prometheus::Collectable {
 public:
  // `proc_dir` is the /proc/<pid> folder to read (tests pass a fake one).
  explicit ProcessMetrics(std::string proc_dir = "/proc/self");
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::string proc_dir_;
};

// One sample of the fields above (nullopt: not readable).
struct ProcessSample {
  std::optional<double> cpu_seconds;
  std::optional<double> resident_bytes;
  std::optional<double> virtual_bytes;
  std::optional<double> start_time_seconds;
  std::optional<double> open_fds;
  std::optional<double> max_fds;
  std::optional<double> threads;
};
ProcessSample ReadProcessSample(const std::string& proc_dir);

}  // namespace pcs

#endif  // PCS_SERVER_PROCESS_METRICS_H_
