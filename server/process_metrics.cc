#include "server/process_metrics.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace pcs {
namespace {

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Seconds since the epoch at boot, from /proc/stat's btime.
std::optional<double> BootTime() {
  std::optional<std::string> stat = ReadFile("/proc/stat");
  if (!stat) return std::nullopt;
  for (absl::string_view line : absl::StrSplit(*stat, '\n')) {
    if (absl::ConsumePrefix(&line, "btime ")) {
      double btime = 0;
      if (absl::SimpleAtod(line, &btime)) return btime;
    }
  }
  return std::nullopt;
}

void Add(std::vector<prometheus::MetricFamily>* out, const char* name,
         const char* help, prometheus::MetricType type,
         std::optional<double> value) {
  if (!value.has_value()) return;
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = *value;
  } else {
    metric.gauge.value = *value;
  }
  family.metric.push_back(metric);
  out->push_back(std::move(family));
}

}  // namespace

ProcessSample ReadProcessSample(const std::string& proc_dir) {
  ProcessSample s;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  if (std::optional<std::string> stat = ReadFile(proc_dir + "/stat")) {
    // The command name (field 2) may hold spaces: split after its ')'.
    const size_t close = stat->rfind(')');
    if (close != std::string::npos) {
      std::vector<std::string> f =
          absl::StrSplit(stat->substr(close + 2), ' ', absl::SkipEmpty());
      // f[0] is field 3 (state): field N is f[N - 3].
      double utime = 0, stime = 0, threads = 0, start = 0, vsize = 0, rss = 0;
      if (f.size() > 21 && absl::SimpleAtod(f[11], &utime) &&
          absl::SimpleAtod(f[12], &stime) &&
          absl::SimpleAtod(f[17], &threads) &&
          absl::SimpleAtod(f[19], &start) && absl::SimpleAtod(f[20], &vsize) &&
          absl::SimpleAtod(f[21], &rss) && ticks > 0) {
        s.cpu_seconds = (utime + stime) / ticks;
        s.threads = threads;
        s.virtual_bytes = vsize;
        s.resident_bytes = rss * page;
        if (std::optional<double> boot = BootTime()) {
          s.start_time_seconds = *boot + start / ticks;
        }
      }
    }
  }
  std::error_code ec;
  std::filesystem::directory_iterator fds(proc_dir + "/fd", ec);
  if (!ec) {
    double n = 0;
    for (auto it = fds; it != std::filesystem::directory_iterator();
         it.increment(ec)) {
      if (ec) break;
      ++n;
    }
    if (!ec) s.open_fds = n;
  }
  if (std::optional<std::string> limits = ReadFile(proc_dir + "/limits")) {
    for (absl::string_view line : absl::StrSplit(*limits, '\n')) {
      if (!absl::ConsumePrefix(&line, "Max open files")) continue;
      std::vector<absl::string_view> parts =
          absl::StrSplit(line, ' ', absl::SkipEmpty());
      double soft = 0;
      if (!parts.empty() && absl::SimpleAtod(parts[0], &soft)) {
        s.max_fds = soft;
      }
    }
  }
  return s;
}

ProcessMetrics::ProcessMetrics(std::string proc_dir)
    : proc_dir_(std::move(proc_dir)) {}

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  using prometheus::MetricType;
  const ProcessSample s = ReadProcessSample(proc_dir_);
  std::vector<prometheus::MetricFamily> out;
  Add(&out, "process_cpu_seconds_total",
      "Total user and system CPU time spent in seconds.", MetricType::Counter,
      s.cpu_seconds);
  Add(&out, "process_resident_memory_bytes", "Resident memory size in bytes.",
      MetricType::Gauge, s.resident_bytes);
  Add(&out, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
      MetricType::Gauge, s.virtual_bytes);
  Add(&out, "process_start_time_seconds",
      "Start time of the process since unix epoch in seconds.",
      MetricType::Gauge, s.start_time_seconds);
  Add(&out, "process_open_fds", "Number of open file descriptors.",
      MetricType::Gauge, s.open_fds);
  Add(&out, "process_max_fds", "Maximum number of open file descriptors.",
      MetricType::Gauge, s.max_fds);
  Add(&out, "process_threads", "Number of OS threads in the process.",
      MetricType::Gauge, s.threads);
  return out;
}

}  // namespace pcs
