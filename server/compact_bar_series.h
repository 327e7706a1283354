#ifndef PCS_SERVER_COMPACT_BAR_SERIES_H_
#define PCS_SERVER_COMPACT_BAR_SERIES_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "core/bar.h"

namespace pcs {

// A run of one symbol's bars held in about half the memory of
// std::vector<Bar> (sizeof(Bar) = 56 B), losslessly: Decode gives back
// bit-identical doubles, so the features (and every margin) computed from a
// decoded window equal those computed from the bars the database returned.
//
// Layout: structure of arrays. The day is an int32; each price column and
// the volume column is stored, when it can be, as int32 values scaled by
// 10^k (k in -4..kMaxDecimals, one k per column and run): a price the CSV
// gave with 4 decimals (56.3305) is 563305 / 1e4, and IEEE division is
// correctly rounded, so it decodes to the same double the database parsed;
// a volume of 7,421,640,800 is 74,216,408 x 100. The encoder checks every
// value's round trip bit for bit. Up to 1 value in 32 that does not
// round-trip (more decimals, NaN, a value beyond int32 once scaled, -0.0:
// AAPL's 29 volumes above 2^31) is kept aside as an exception; a column
// with more keeps raw doubles. So a bar costs 28 B when every column scales
// (the shared data and the synthetic universe), at most 52 B.
//
// Immutable after construction; thread-safe to read.
//
// Example:
//   CompactBarSeries run(bars);                 // bars: increasing days
//   int at = run.IndexAtOrBefore(day);
//   std::vector<Bar> window = run.Decode(std::max(0, at - 499), at + 1);
class CompactBarSeries {
 public:
  static constexpr int kMaxDecimals = 8;
  // Bytes per bar when every column scales to int32 (day + 6 x int32).
  static constexpr size_t kBytesPerBar = 7 * sizeof(int32_t);

  CompactBarSeries() = default;
  // `bars` in increasing day order.
  explicit CompactBarSeries(absl::Span<const Bar> bars);

  int size() const { return static_cast<int>(days_.size()); }
  bool empty() const { return days_.empty(); }
  Day day(int i) const { return days_[i]; }
  Day front_day() const { return days_.front(); }
  Day back_day() const { return days_.back(); }
  // Index of the last bar on or before `day`, or -1.
  int IndexAtOrBefore(Day day) const;
  // Bars [from, to), exactly as given to the constructor.
  std::vector<Bar> Decode(int from, int to) const;
  std::vector<Bar> DecodeAll() const { return Decode(0, size()); }
  // Memory held: the object plus its arrays' capacities.
  size_t bytes() const;
  // Columns kept as raw doubles (0 when all six scale); for tests and logs.
  int raw_columns() const;

 private:
  struct Column {
    bool raw_doubles = false;  // `raw` holds the values
    int decimals = 0;          // value = scaled / 10^decimals
    double scale = 1;          // 10^|decimals|
    std::vector<int32_t> scaled;
    std::vector<double> raw;
    // (index, value) of the few values that do not scale, by index.
    std::vector<std::pair<int32_t, double>> exceptions;

    void Encode(absl::Span<const Bar> bars, double Bar::*field);
    void DecodeInto(int from, int to, double Bar::*field, Bar* out) const;
    size_t bytes() const;
  };
  static constexpr std::array<double Bar::*, 6> kFields = {
      &Bar::open,  &Bar::high,      &Bar::low,
      &Bar::close, &Bar::adj_close, &Bar::volume};

  std::vector<Day> days_;
  std::array<Column, 6> columns_;
};

}  // namespace pcs

#endif  // PCS_SERVER_COMPACT_BAR_SERIES_H_
