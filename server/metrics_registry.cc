#include "server/metrics_registry.h"

#include <algorithm>
#include <exception>
#include <functional>
#include <sstream>
#include <utility>

#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace pcs {

struct MetricsRegistry::Entry {
  std::unique_ptr<CounterFamily> counter;
  std::unique_ptr<GaugeFamily> gauge;
  std::unique_ptr<HistogramFamily> histogram;
};

void Counter::Increment(double delta) {
  if (delta > 0) counter_->Increment(delta);
}

double Counter::Value() const { return counter_->Value(); }

void Gauge::Set(double value) { gauge_->Set(value); }
void Gauge::Add(double delta) { gauge_->Increment(delta); }
double Gauge::Value() const { return gauge_->Value(); }

void Histogram::Observe(double value) { histogram_->Observe(value); }

uint64_t Histogram::Count() const {
  return histogram_->Collect().histogram.sample_count;
}

double Histogram::Sum() const {
  return histogram_->Collect().histogram.sample_sum;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> out;
  double v = start;
  for (int i = 0; i < count; ++i, v *= factor) out.push_back(v);
  return out;
}

namespace {

// prometheus-cpp 1.0.1 writes HELP verbatim; the text format wants `\` and
// newline escaped there, so the facade escapes once, at registration.
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

// A series of a prometheus-cpp family (histograms also take their bounds),
// and one that belongs to no family (for a wrong label count).
template <typename P>
P& AddSeries(prometheus::Family<P>* family, const prometheus::Labels& labels,
             const std::vector<double>&) {
  return family->Add(labels);
}

template <>
prometheus::Histogram& AddSeries(
    prometheus::Family<prometheus::Histogram>* family,
    const prometheus::Labels& labels, const std::vector<double>& bounds) {
  return family->Add(labels, bounds);
}

template <typename P>
std::unique_ptr<P> MakeDetached(const std::vector<double>&) {
  return std::make_unique<P>();
}

template <>
std::unique_ptr<prometheus::Histogram> MakeDetached(
    const std::vector<double>& bounds) {
  return std::make_unique<prometheus::Histogram>(bounds);
}

}  // namespace

template <typename T, typename P>
MetricFamily<T, P>::MetricFamily(prometheus::Family<P>* family,
                                 std::vector<std::string> label_names,
                                 std::vector<double> bounds)
    : family_(family),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {}

template <typename T, typename P>
MetricFamily<T, P>::~MetricFamily() = default;

template <typename T, typename P>
T* MetricFamily<T, P>::InvalidSeries() {
  if (!invalid_) {
    invalid_metric_ = MakeDetached<P>(bounds_);
    invalid_ = std::make_unique<T>(invalid_metric_.get());
  }
  return invalid_.get();
}

template <typename T, typename P>
T* MetricFamily<T, P>::WithLabels(
    const std::vector<std::string>& label_values) {
  absl::MutexLock lock(&mu_);
  if (label_values.size() != label_names_.size()) return InvalidSeries();
  auto it = series_.find(label_values);
  if (it == series_.end()) {
    prometheus::Labels labels;
    for (size_t i = 0; i < label_names_.size(); ++i) {
      labels[label_names_[i]] = label_values[i];
    }
    P* metric = nullptr;
    try {
      metric = &AddSeries<P>(family_, labels, bounds_);
    } catch (const std::exception&) {  // an invalid label name
      return InvalidSeries();
    }
    it = series_.emplace(label_values, std::make_unique<T>(metric)).first;
  }
  return it->second.get();
}

template class MetricFamily<Counter, prometheus::Counter>;
template class MetricFamily<Gauge, prometheus::Gauge>;
template class MetricFamily<Histogram, prometheus::Histogram>;

MetricsRegistry::MetricsRegistry()
    : registry_(std::make_unique<prometheus::Registry>()) {}

MetricsRegistry::~MetricsRegistry() = default;

// prometheus-cpp checks names and refuses one name registered as another
// kind by throwing std::invalid_argument; this API answers null instead.
template <typename F, typename Builder>
F* MetricsRegistry::AddFamily(std::unique_ptr<F> Entry::*slot, Builder builder,
                              const std::string& name, const std::string& help,
                              std::vector<std::string> label_names,
                              std::vector<double> bounds) {
  absl::MutexLock lock(&mu_);
  auto it = families_.find(name);
  if (it != families_.end()) return ((*it->second).*slot).get();
  try {
    auto& family =
        builder.Name(name).Help(EscapeHelp(help)).Register(*registry_);
    auto entry = std::make_unique<Entry>();
    ((*entry).*slot)
        .reset(new F(&family, std::move(label_names), std::move(bounds)));
    F* out = ((*entry).*slot).get();
    families_.emplace(name, std::move(entry));
    return out;
  } catch (const std::exception&) {
    return nullptr;
  }
}

CounterFamily* MetricsRegistry::AddCounter(
    const std::string& name, const std::string& help,
    std::vector<std::string> label_names) {
  return AddFamily(&Entry::counter, prometheus::BuildCounter(), name, help,
                   std::move(label_names), {});
}

GaugeFamily* MetricsRegistry::AddGauge(const std::string& name,
                                       const std::string& help,
                                       std::vector<std::string> label_names) {
  return AddFamily(&Entry::gauge, prometheus::BuildGauge(), name, help,
                   std::move(label_names), {});
}

HistogramFamily* MetricsRegistry::AddHistogram(
    const std::string& name, const std::string& help,
    std::vector<std::string> label_names, std::vector<double> bounds) {
  if (bounds.empty() ||
      std::adjacent_find(bounds.begin(), bounds.end(),
                         std::greater_equal<double>()) != bounds.end()) {
    return nullptr;
  }
  return AddFamily(&Entry::histogram, prometheus::BuildHistogram(), name, help,
                   std::move(label_names), std::move(bounds));
}

void MetricsRegistry::AddCollectable(
    std::shared_ptr<prometheus::Collectable> collectable) {
  absl::MutexLock lock(&mu_);
  collectables_.push_back(std::move(collectable));
}

std::string MetricsRegistry::Render() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  {
    absl::MutexLock lock(&mu_);
    for (const auto& c : collectables_) {
      std::vector<prometheus::MetricFamily> more = c->Collect();
      families.insert(families.end(), std::make_move_iterator(more.begin()),
                      std::make_move_iterator(more.end()));
    }
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace pcs
