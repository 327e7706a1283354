// CompactBarSeries: bars stored as scaled int32 columns decode bit for bit
// to the doubles given, whatever the prices look like; columns that cannot
// scale keep raw doubles; 28 B a bar when every column scales.
#include "server/compact_bar_series.h"

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace pcs {
namespace {

void ExpectSameBits(const std::vector<Bar>& got, const std::vector<Bar>& want) {
  ASSERT_EQ(got.size(), want.size());
  const auto bits = [](double x) { return std::bit_cast<uint64_t>(x); };
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].day, want[i].day) << i;
    EXPECT_EQ(bits(got[i].open), bits(want[i].open)) << i;
    EXPECT_EQ(bits(got[i].high), bits(want[i].high)) << i;
    EXPECT_EQ(bits(got[i].low), bits(want[i].low)) << i;
    EXPECT_EQ(bits(got[i].close), bits(want[i].close)) << i;
    EXPECT_EQ(bits(got[i].adj_close), bits(want[i].adj_close)) << i;
    EXPECT_EQ(bits(got[i].volume), bits(want[i].volume)) << i;
  }
}

// Bars as a CSV gives them: prices with `decimals` decimals, parsed by
// strtod; integer volumes.
std::vector<Bar> CsvLikeBars(int n, int decimals, double level, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> move(-0.03, 0.03);
  std::uniform_int_distribution<int> volume(0, 50'000'000);
  std::vector<Bar> bars;
  double price = level;
  char text[64];
  const auto parsed = [&](double x) {
    std::snprintf(text, sizeof(text), "%.*f", decimals, x);
    return std::strtod(text, nullptr);
  };
  for (int d = 0; d < n; ++d) {
    price *= 1 + move(rng);
    Bar b;
    b.day = 10000 + d + d / 5 * 2;  // weekends skipped
    b.open = parsed(price * (1 + move(rng) / 3));
    b.high = parsed(price * 1.02);
    b.low = parsed(price * 0.98);
    b.close = parsed(price);
    b.adj_close = parsed(price * 0.9);
    b.volume = volume(rng);
    bars.push_back(b);
  }
  return bars;
}

TEST(CompactBarSeriesTest, DecimalPricesDecodeBitForBitIn28BytesABar) {
  for (int decimals : {0, 2, 4, 6}) {
    const std::vector<Bar> bars = CsvLikeBars(1000, decimals, 56.3305, 7);
    const CompactBarSeries run(bars);
    EXPECT_EQ(run.raw_columns(), 0) << decimals;
    ExpectSameBits(run.DecodeAll(), bars);
    EXPECT_LE(run.bytes(),
              sizeof(CompactBarSeries) + 1000 * CompactBarSeries::kBytesPerBar);
  }
}

TEST(CompactBarSeriesTest, FewOddValuesAreExceptionsManyMakeARawColumn) {
  std::vector<Bar> bars = CsvLikeBars(320, 4, 20, 11);
  bars[10].open = 1.0 / 3;                                   // no decimal form
  bars[20].high = std::numeric_limits<double>::quiet_NaN();  // not a number
  bars[30].volume = 7421640801;                              // beyond int32
  bars[40].low = -0.0;                                       // sign bit
  const CompactBarSeries few(bars);
  EXPECT_EQ(few.raw_columns(), 0);
  ExpectSameBits(few.DecodeAll(), bars);
  ExpectSameBits(few.Decode(25, 45),
                 std::vector<Bar>(bars.begin() + 25, bars.begin() + 45));
  for (int i = 0; i < 20; ++i) bars[100 + i].close = i + 1.0 / 3;
  const CompactBarSeries many(bars);
  EXPECT_EQ(many.raw_columns(), 1);  // close: 20 of 320 do not scale
  ExpectSameBits(many.DecodeAll(), bars);
}

TEST(CompactBarSeriesTest, LargeWholeVolumesScaleDown) {
  std::vector<Bar> bars = CsvLikeBars(100, 2, 20, 5);
  for (Bar& b : bars) b.volume = std::round(b.volume) * 100 + 7e9;
  const CompactBarSeries run(bars);
  EXPECT_EQ(run.raw_columns(), 0);
  ExpectSameBits(run.DecodeAll(), bars);
}

TEST(CompactBarSeriesTest, WindowsAndDayLookup) {
  const std::vector<Bar> bars = CsvLikeBars(600, 4, 100, 3);
  const CompactBarSeries run(bars);
  EXPECT_EQ(run.IndexAtOrBefore(bars.front().day - 1), -1);
  EXPECT_EQ(run.IndexAtOrBefore(bars[250].day), 250);
  ASSERT_EQ(bars[250].day, bars[249].day + 3);  // a weekend in between
  EXPECT_EQ(run.IndexAtOrBefore(bars[249].day + 1), 249);
  EXPECT_EQ(run.IndexAtOrBefore(bars.back().day + 100), 599);
  ExpectSameBits(run.Decode(100, 600),
                 std::vector<Bar>(bars.begin() + 100, bars.end()));
  EXPECT_EQ(run.Decode(-50, 10).size(), 10u);  // clamped
  EXPECT_TRUE(CompactBarSeries().empty());
}

}  // namespace
}  // namespace pcs
