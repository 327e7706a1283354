#include "server/metrics_registry.h"

#include <cmath>
#include <cstdio>
#include <regex>

#include "absl/strings/str_cat.h"

namespace pcs {
namespace {

void AtomicAdd(std::atomic<double>& target, double delta) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + delta,
                                       std::memory_order_relaxed)) {
  }
}

bool ValidName(const std::string& name) {
  static const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
  return std::regex_match(name, kName);
}

std::string EscapeHelp(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// {a="x",b="y"} plus an optional extra label (for `le`).
std::string LabelSet(const std::vector<std::string>& names,
                     const std::vector<std::string>& values,
                     const std::string& extra_name = "",
                     const std::string& extra_value = "") {
  if (names.empty() && extra_name.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ",";
    absl::StrAppend(&out, names[i], "=\"", EscapeLabelValue(values[i]), "\"");
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out += ",";
    absl::StrAppend(&out, extra_name, "=\"", extra_value, "\"");
  }
  out += "}";
  return out;
}

void RenderSeries(const std::string& name, const std::string& labels,
                  const Counter& c, std::string* out) {
  absl::StrAppend(out, name, labels, " ", FormatMetricValue(c.Value()), "\n");
}

void RenderSeries(const std::string& name, const std::string& labels,
                  const Gauge& g, std::string* out) {
  absl::StrAppend(out, name, labels, " ", FormatMetricValue(g.Value()), "\n");
}

const char* TypeName(const Counter*) { return "counter"; }
const char* TypeName(const Gauge*) { return "gauge"; }

}  // namespace

void Counter::Increment(double delta) {
  if (delta > 0) AtomicAdd(value_, delta);
}

void Gauge::Add(double delta) { AtomicAdd(value_, delta); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double value) {
  // Le semantics: the first bound >= value.
  size_t i =
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  if (std::isnan(value)) i = bounds_.size();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, value);
}

std::vector<uint64_t> Histogram::BucketCounts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = buckets_[i].load(std::memory_order_relaxed);
  }
  return out;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> out;
  double v = start;
  for (int i = 0; i < count; ++i, v *= factor) out.push_back(v);
  return out;
}

std::vector<double> LinearBuckets(double start, double width, int count) {
  std::vector<double> out;
  for (int i = 0; i < count; ++i) out.push_back(start + i * width);
  return out;
}

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  // Integral values (counts) as plain integers: "50", not "5e+01".
  if (std::abs(value) < 1e15 && value == std::floor(value)) {
    std::snprintf(buf, sizeof(buf), "%.0f", value);
    return buf;
  }
  std::snprintf(buf, sizeof(buf), "%.17g", value);
  // Prefer the shortest representation that round-trips.
  for (int precision = 1; precision < 17; ++precision) {
    char shorter[64];
    std::snprintf(shorter, sizeof(shorter), "%.*g", precision, value);
    if (std::strtod(shorter, nullptr) == value) return shorter;
  }
  return buf;
}

template <typename T>
std::unique_ptr<T> MetricFamily<T>::MakeSeries() const {
  return std::make_unique<T>();
}

template <>
std::unique_ptr<Histogram> MetricFamily<Histogram>::MakeSeries() const {
  return std::make_unique<Histogram>(bounds_);
}

template <typename T>
T* MetricFamily<T>::WithLabels(const std::vector<std::string>& label_values) {
  absl::MutexLock lock(&mu_);
  if (label_values.size() != label_names_.size()) {
    if (!invalid_) invalid_ = MakeSeries();
    return invalid_.get();
  }
  auto it = series_.find(label_values);
  if (it == series_.end()) {
    it = series_.emplace(label_values, MakeSeries()).first;
  }
  return it->second.get();
}

template <typename T>
void MetricFamily<T>::Render(std::string* out) const {
  absl::StrAppend(out, "# HELP ", name_, " ", EscapeHelp(help_), "\n");
  absl::StrAppend(out, "# TYPE ", name_, " ",
                  TypeName(static_cast<const T*>(nullptr)), "\n");
  absl::MutexLock lock(&mu_);
  for (const auto& [values, series] : series_) {
    RenderSeries(name_, LabelSet(label_names_, values), *series, out);
  }
}

template <>
void MetricFamily<Histogram>::Render(std::string* out) const {
  absl::StrAppend(out, "# HELP ", name_, " ", EscapeHelp(help_), "\n");
  absl::StrAppend(out, "# TYPE ", name_, " histogram\n");
  absl::MutexLock lock(&mu_);
  for (const auto& [values, h] : series_) {
    std::vector<uint64_t> counts = h->BucketCounts();
    uint64_t cumulative = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
      cumulative += counts[i];
      std::string le =
          i < bounds_.size() ? FormatMetricValue(bounds_[i]) : "+Inf";
      absl::StrAppend(out, name_, "_bucket",
                      LabelSet(label_names_, values, "le", le), " ", cumulative,
                      "\n");
    }
    std::string labels = LabelSet(label_names_, values);
    absl::StrAppend(out, name_, "_sum", labels, " ",
                    FormatMetricValue(h->Sum()), "\n");
    // The +Inf bucket equals _count: both derive from the same snapshot.
    absl::StrAppend(out, name_, "_count", labels, " ", cumulative, "\n");
  }
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;
template class MetricFamily<Histogram>;

CounterFamily* MetricsRegistry::AddCounter(
    const std::string& name, const std::string& help,
    std::vector<std::string> label_names) {
  if (!ValidName(name)) return nullptr;
  absl::MutexLock lock(&mu_);
  Entry& e = families_[name];
  if (e.gauge || e.histogram) return nullptr;
  if (!e.counter) {
    e.counter.reset(new CounterFamily(name, help, std::move(label_names), {}));
  }
  return e.counter.get();
}

GaugeFamily* MetricsRegistry::AddGauge(const std::string& name,
                                       const std::string& help,
                                       std::vector<std::string> label_names) {
  if (!ValidName(name)) return nullptr;
  absl::MutexLock lock(&mu_);
  Entry& e = families_[name];
  if (e.counter || e.histogram) return nullptr;
  if (!e.gauge) {
    e.gauge.reset(new GaugeFamily(name, help, std::move(label_names), {}));
  }
  return e.gauge.get();
}

HistogramFamily* MetricsRegistry::AddHistogram(
    const std::string& name, const std::string& help,
    std::vector<std::string> label_names, std::vector<double> bounds) {
  if (!ValidName(name) || bounds.empty() ||
      !std::is_sorted(bounds.begin(), bounds.end())) {
    return nullptr;
  }
  absl::MutexLock lock(&mu_);
  Entry& e = families_[name];
  if (e.counter || e.gauge) return nullptr;
  if (!e.histogram) {
    e.histogram.reset(new HistogramFamily(name, help, std::move(label_names),
                                          std::move(bounds)));
  }
  return e.histogram.get();
}

std::string MetricsRegistry::Render() const {
  std::string out;
  absl::MutexLock lock(&mu_);
  for (const auto& [name, e] : families_) {
    if (e.counter) e.counter->Render(&out);
    if (e.gauge) e.gauge->Render(&out);
    if (e.histogram) e.histogram->Render(&out);
  }
  return out;
}

}  // namespace pcs
