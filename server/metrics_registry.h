#ifndef PCS_SERVER_METRICS_REGISTRY_H_
#define PCS_SERVER_METRICS_REGISTRY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace prometheus {
class Collectable;
class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace pcs {

// The server's metrics, kept by prometheus-cpp (a prometheus::Registry) and
// written by its TextSerializer (text exposition format 0.0.4). This class is
// a thin facade so callers keep one small API: families with fixed label
// names in a fixed order, series looked up once by label values, handles
// that hot paths keep.
//
// Shape: a registry owns metric families (one name, one HELP text, fixed
// label names); a family owns series (one per label-value tuple). Looking up
// a series takes the family mutex once; the returned handle is stable for
// the registry's lifetime. Counter and gauge updates are atomic; a histogram
// observation takes that series' own mutex (prometheus-cpp's design).
// On the page, labels appear in alphabetical order of label name (the
// serializer's order), and a family without series is left out.
//
// Threading: every method is thread-safe. Render() collects every family;
// values read while being updated may be a moment stale, never torn.
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
  explicit Counter(prometheus::Counter* counter) : counter_(counter) {}
  void Increment(double delta = 1.0);  // delta < 0 is ignored
  double Value() const;

 private:
  prometheus::Counter* counter_;
};

// A value that goes up and down.
class Gauge {
 public:
  explicit Gauge(prometheus::Gauge* gauge) : gauge_(gauge) {}
  void Set(double value);
  void Add(double delta);
  double Value() const;

 private:
  prometheus::Gauge* gauge_;
};

// Cumulative histogram over fixed upper bounds (an implicit +Inf bucket);
// an observation equal to a bound counts in that bound's bucket (le).
class Histogram {
 public:
  explicit Histogram(prometheus::Histogram* histogram)
      : histogram_(histogram) {}
  void Observe(double value);
  uint64_t Count() const;
  double Sum() const;

 private:
  prometheus::Histogram* histogram_;
};

// Bounds start, start*factor, ... (count values).
std::vector<double> ExponentialBuckets(double start, double factor, int count);

// One metric family: all series of one name. T is Counter, Gauge or Histogram
// (P the prometheus-cpp type behind it).
template <typename T, typename P>
class MetricFamily {
 public:
  ~MetricFamily();
  // The series for `label_values` (same order and count as the family's
  // label names), created on first use. Never null; a wrong number of values
  // is a programming error and returns a shared "invalid" series that is not
  // rendered.
  T* WithLabels(const std::vector<std::string>& label_values)
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  friend class MetricsRegistry;
  MetricFamily(prometheus::Family<P>* family,
               std::vector<std::string> label_names,
               std::vector<double> bounds);

  T* InvalidSeries() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  prometheus::Family<P>* const family_;  // owned by the prometheus registry
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;  // histograms only
  absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> series_
      ABSL_GUARDED_BY(mu_);
  std::unique_ptr<P> invalid_metric_ ABSL_GUARDED_BY(mu_);  // not registered
  std::unique_ptr<T> invalid_ ABSL_GUARDED_BY(mu_);
};

using CounterFamily = MetricFamily<Counter, prometheus::Counter>;
using GaugeFamily = MetricFamily<Gauge, prometheus::Gauge>;
using HistogramFamily = MetricFamily<Histogram, prometheus::Histogram>;

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registers (or returns the already registered) family. Names must match
  // [a-zA-Z_:][a-zA-Z0-9_:]*; a bad name or label name, one name registered
  // as two kinds, or histogram bounds that are empty or not strictly
  // increasing return null.
  CounterFamily* AddCounter(const std::string& name, const std::string& help,
                            std::vector<std::string> label_names = {});
  GaugeFamily* AddGauge(const std::string& name, const std::string& help,
                        std::vector<std::string> label_names = {});
  HistogramFamily* AddHistogram(const std::string& name,
                                const std::string& help,
                                std::vector<std::string> label_names,
                                std::vector<double> bounds);

  // Adds a collector whose families are written after the registry's own
  // (e.g. ProcessMetrics, read at scrape time). Shared: the caller may keep
  // a reference.
  void AddCollectable(std::shared_ptr<prometheus::Collectable> collectable)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The whole page in the text exposition format (prometheus-cpp's
  // TextSerializer).
  std::string Render() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry;
  // The shared part of the Add* methods (defined in the .cc only).
  template <typename F, typename Builder>
  F* AddFamily(std::unique_ptr<F> Entry::*slot, Builder builder,
               const std::string& name, const std::string& help,
               std::vector<std::string> label_names, std::vector<double> bounds)
      ABSL_LOCKS_EXCLUDED(mu_);

  std::unique_ptr<prometheus::Registry> registry_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Entry>> families_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace pcs

#endif  // PCS_SERVER_METRICS_REGISTRY_H_
