#include "server/compact_bar_series.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <utility>

namespace pcs {
namespace {

bool SameBits(double a, double b) {
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

double Decoded(int32_t q, int decimals, double scale) {
  return decimals >= 0 ? static_cast<double>(q) / scale
                       : static_cast<double>(q) * scale;
}

// Encodes the column at `decimals`: q = value * 10^decimals (decimals < 0:
// value / 10^-decimals, for large whole volumes). A value whose int32 does
// not give it back bit for bit becomes an exception (its q is 0). False once
// there are more than `max_exceptions`.
bool ScalesAt(absl::Span<const Bar> bars, double Bar::*field, int decimals,
              double scale, size_t max_exceptions, std::vector<int32_t>* out,
              std::vector<std::pair<int32_t, double>>* exceptions) {
  constexpr double kMax = std::numeric_limits<int32_t>::max();
  out->clear();
  out->reserve(bars.size());
  exceptions->clear();
  for (const Bar& bar : bars) {
    const double x = bar.*field;
    const double scaled = std::nearbyint(decimals >= 0 ? x * scale : x / scale);
    const auto q =
        std::fabs(scaled) <= kMax ? static_cast<int32_t>(scaled) : 0;  // NaN
    if (!SameBits(Decoded(q, decimals, scale), x)) {
      if (exceptions->size() >= max_exceptions) return false;
      exceptions->emplace_back(static_cast<int32_t>(out->size()), x);
      out->push_back(0);
      continue;
    }
    out->push_back(q);
  }
  return true;
}

}  // namespace

void CompactBarSeries::Column::Encode(absl::Span<const Bar> bars,
                                      double Bar::*field) {
  // Fewest decimals first (0..kMaxDecimals), then whole multiples of
  // 10..10^4; the k with the fewest exceptions wins (at most 1 in 32).
  size_t best = bars.size() / 32 + 1;
  std::vector<int32_t> values;
  std::vector<std::pair<int32_t, double>> odd;
  for (int k = 0; k <= kMaxDecimals + 4 && best > 0; ++k) {
    const int d = k <= kMaxDecimals ? k : kMaxDecimals - k;
    const double s = std::pow(10.0, std::abs(d));
    if (ScalesAt(bars, field, d, s, best - 1, &values, &odd)) {
      best = odd.size();
      decimals = d;
      scale = s;
      scaled.swap(values);
      exceptions.swap(odd);
    }
  }
  if (best <= bars.size() / 32) {
    scaled.shrink_to_fit();
    exceptions.shrink_to_fit();
    return;
  }
  raw_doubles = true;
  std::vector<int32_t>().swap(scaled);
  raw.reserve(bars.size());
  for (const Bar& bar : bars) raw.push_back(bar.*field);
}

void CompactBarSeries::Column::DecodeInto(int from, int to, double Bar::*field,
                                          Bar* out) const {
  if (raw_doubles) {
    for (int i = from; i < to; ++i) out[i - from].*field = raw[i];
    return;
  }
  if (decimals >= 0) {
    for (int i = from; i < to; ++i) {
      out[i - from].*field = static_cast<double>(scaled[i]) / scale;
    }
  } else {
    for (int i = from; i < to; ++i) {
      out[i - from].*field = static_cast<double>(scaled[i]) * scale;
    }
  }
  auto it = std::lower_bound(
      exceptions.begin(), exceptions.end(), from,
      [](const std::pair<int32_t, double>& e, int i) { return e.first < i; });
  for (; it != exceptions.end() && it->first < to; ++it) {
    out[it->first - from].*field = it->second;
  }
}

size_t CompactBarSeries::Column::bytes() const {
  return scaled.capacity() * sizeof(int32_t) + raw.capacity() * sizeof(double) +
         exceptions.capacity() * sizeof(exceptions[0]);
}

CompactBarSeries::CompactBarSeries(absl::Span<const Bar> bars) {
  days_.reserve(bars.size());
  for (const Bar& bar : bars) days_.push_back(bar.day);
  for (size_t c = 0; c < kFields.size(); ++c) {
    columns_[c].Encode(bars, kFields[c]);
  }
}

int CompactBarSeries::IndexAtOrBefore(Day day) const {
  auto it = std::upper_bound(days_.begin(), days_.end(), day);
  return static_cast<int>(it - days_.begin()) - 1;
}

std::vector<Bar> CompactBarSeries::Decode(int from, int to) const {
  from = std::max(from, 0);
  to = std::min(to, size());
  std::vector<Bar> out(std::max(0, to - from));
  if (out.empty()) return out;
  for (int i = from; i < to; ++i) out[i - from].day = days_[i];
  for (size_t c = 0; c < kFields.size(); ++c) {
    columns_[c].DecodeInto(from, to, kFields[c], out.data());
  }
  return out;
}

size_t CompactBarSeries::bytes() const {
  size_t total = sizeof(*this) + days_.capacity() * sizeof(Day);
  for (const Column& c : columns_) total += c.bytes();
  return total;
}

int CompactBarSeries::raw_columns() const {
  int n = 0;
  for (const Column& c : columns_) n += c.raw_doubles ? 1 : 0;
  return n;
}

}  // namespace pcs
