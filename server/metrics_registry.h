#ifndef PCS_SERVER_METRICS_REGISTRY_H_
#define PCS_SERVER_METRICS_REGISTRY_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace pcs {

// A small Prometheus client: counters, gauges and histograms with labels,
// rendered in the text exposition format (version 0.0.4).
//
// Shape: a registry owns metric families (one name, one HELP text, fixed
// label names); a family owns series (one per label-value tuple). Looking up
// a series takes the family mutex once; the returned handle is stable for
// the registry's lifetime and its updates are lock-free atomics, so hot paths
// look a series up once and keep the pointer.
//
// Threading: every method is thread-safe. Render() takes each family's mutex
// briefly; values read while being updated may be a moment stale, never torn.
//
// Example:
//   MetricsRegistry registry;
//   auto* requests = registry.AddCounter("pcs_requests_total",
//       "Requests by method and grpc code", {"method", "code"});
//   Counter* ok = requests->WithLabels({"ScorePattern", "OK"});
//   ok->Increment();
//   std::string page = registry.Render();

// A monotonically increasing value. Name it with a `_total` suffix.
class Counter {
 public:
  void Increment(double delta = 1.0);  // delta < 0 is ignored
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Cumulative histogram over fixed upper bounds (an implicit +Inf bucket).
class Histogram {
 public:
  // `bounds` strictly increasing and finite.
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  const std::vector<double>& bounds() const { return bounds_; }
  // Per-bucket (non-cumulative) counts; size bounds().size() + 1.
  std::vector<uint64_t> BucketCounts() const;
  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  double Sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0.0};
};

// Bounds start, start*factor, ... (count values).
std::vector<double> ExponentialBuckets(double start, double factor, int count);
// Bounds start, start+width, ... (count values).
std::vector<double> LinearBuckets(double start, double width, int count);

// One metric family: all series of one name. T is Counter, Gauge or Histogram.
template <typename T>
class MetricFamily {
 public:
  // The series for `label_values` (same order and count as the family's
  // label names), created on first use. Never null; a wrong number of values
  // is a programming error and returns a shared "invalid" series that is not
  // rendered.
  T* WithLabels(const std::vector<std::string>& label_values)
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  friend class MetricsRegistry;
  MetricFamily(std::string name, std::string help,
               std::vector<std::string> label_names, std::vector<double> bounds)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        bounds_(std::move(bounds)) {}
  std::unique_ptr<T> MakeSeries() const;
  void Render(std::string* out) const ABSL_LOCKS_EXCLUDED(mu_);

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;  // histograms only
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> series_
      ABSL_GUARDED_BY(mu_);
  std::unique_ptr<T> invalid_ ABSL_GUARDED_BY(mu_);
};

using CounterFamily = MetricFamily<Counter>;
using GaugeFamily = MetricFamily<Gauge>;
using HistogramFamily = MetricFamily<Histogram>;

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registers (or returns the already registered) family. Names must match
  // [a-zA-Z_:][a-zA-Z0-9_:]*; registering one name as two kinds returns null.
  CounterFamily* AddCounter(const std::string& name, const std::string& help,
                            std::vector<std::string> label_names = {});
  GaugeFamily* AddGauge(const std::string& name, const std::string& help,
                        std::vector<std::string> label_names = {});
  HistogramFamily* AddHistogram(const std::string& name,
                                const std::string& help,
                                std::vector<std::string> label_names,
                                std::vector<double> bounds);

  // The whole page in the text exposition format, families sorted by name.
  std::string Render() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    std::unique_ptr<CounterFamily> counter;
    std::unique_ptr<GaugeFamily> gauge;
    std::unique_ptr<HistogramFamily> histogram;
  };
  mutable absl::Mutex mu_;
  std::map<std::string, Entry> families_ ABSL_GUARDED_BY(mu_);
};

// Text-format helpers (exposed for tests).
std::string EscapeLabelValue(const std::string& value);
std::string FormatMetricValue(double value);

}  // namespace pcs

#endif  // PCS_SERVER_METRICS_REGISTRY_H_
