// FeatureBuilder on real bars (AAPL, DIA as market) and the real rule
// detectors: every detected pattern gets a full row without infinities, and
// causality holds on real data, not only on synthetic walks.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "features/feature_builder.h"
#include "gtest/gtest.h"
#include "lifecycle/pattern_detector.h"
#include "tests/test_util/shared_data.h"

namespace pcs {
namespace {

// Minimal Yahoo-layout reader (the full validating reader lives in ingest/);
// rows that do not parse are skipped, and the test asserts there are few.
bool LoadCsv(const std::string& symbol, BarSeries* out, int* skipped) {
  std::ifstream in(testing::SharedOhlcvFile(symbol));
  if (!in) return false;
  out->symbol = symbol;
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    const std::vector<absl::string_view> f = absl::StrSplit(line, ',');
    Bar b;
    absl::StatusOr<Day> day =
        f.size() == 7 ? ParseDay(f[0]) : absl::StatusOr<Day>(-1);
    const bool ok =
        f.size() == 7 && day.ok() && absl::SimpleAtod(f[1], &b.open) &&
        absl::SimpleAtod(f[2], &b.high) && absl::SimpleAtod(f[3], &b.low) &&
        absl::SimpleAtod(f[4], &b.close) &&
        absl::SimpleAtod(f[5], &b.adj_close) &&
        absl::SimpleAtod(f[6], &b.volume) &&
        (out->bars.empty() || *day > out->bars.back().day);
    if (!ok) {
      ++*skipped;
      continue;
    }
    b.day = *day;
    out->bars.push_back(b);
  }
  return true;
}

bool SameRow(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) != std::isnan(b[i])) return false;
    if (!std::isnan(a[i]) && a[i] != b[i]) return false;
  }
  return true;
}

TEST(FeatureRealDataTest, DetectedAaplPatternsGetCausalFiniteRows) {
  BarSeries aapl, dia;
  int skipped = 0;
  if (!LoadCsv("AAPL", &aapl, &skipped) || !LoadCsv("DIA", &dia, &skipped)) {
    GTEST_SKIP() << "shared data not found under " << testing::SharedOhlcvDir();
  }
  EXPECT_LT(skipped, 50);
  const std::vector<Pattern> patterns = DetectPatterns(aapl);
  ASSERT_GE(patterns.size(), 10u) << "the detectors found too few patterns";
  const FeatureBuilder builder;
  const size_t width = FeatureBuilder::Schema().names.size();
  int checked_causal = 0;
  for (size_t k = 0; k < patterns.size(); ++k) {
    const Pattern& p = patterns[k];
    absl::StatusOr<std::vector<float>> row = builder.Build(p, aapl, &dia);
    ASSERT_TRUE(row.ok()) << row.status();
    ASSERT_EQ(row->size(), width);
    for (float v : *row) ASSERT_FALSE(std::isinf(v)) << p.Id();
    if (k % 5 != 0) continue;  // the causal check on every 5th pattern
    // What serving does: only kHistoryBars bars up to the confirmation day.
    const int t = aapl.IndexOf(p.confirmation_day);
    const int m = dia.IndexAtOrBefore(p.confirmation_day);
    BarSeries cut = aapl.Truncated(t + 1);
    BarSeries cut_dia = dia.Truncated(m + 1);
    const int keep = FeatureBuilder::kHistoryBars;
    if (t + 1 > keep) cut.bars.erase(cut.bars.begin(), cut.bars.end() - keep);
    if (m + 1 > keep) {
      cut_dia.bars.erase(cut_dia.bars.begin(), cut_dia.bars.end() - keep);
    }
    absl::StatusOr<std::vector<float>> causal = builder.Build(p, cut, &cut_dia);
    ASSERT_TRUE(causal.ok()) << causal.status();
    EXPECT_TRUE(SameRow(*row, *causal))
        << "pattern " << p.Id() << " on " << FormatDay(p.confirmation_day);
    ++checked_causal;
  }
  EXPECT_GE(checked_causal, 2);
}

// What serving loads: the last FeatureBuilder::kHistoryBars bars up to the
// decision (confirmation) day, of the symbol and of the market proxy.
BarSeries Window(const BarSeries& full, Day day) {
  const int end = full.IndexAtOrBefore(day) + 1;
  BarSeries cut = full.Truncated(end);
  const int keep = FeatureBuilder::kHistoryBars;
  if (end > keep) cut.bars.erase(cut.bars.begin(), cut.bars.end() - keep);
  return cut;
}

// The declared lookback is enough: on real patterns of EVERY type, the row
// from the window equals the row from the full series. Symbols are taken in
// a fixed order until each of the ten types has at least kPerType patterns
// checked (every detected pattern of a visited symbol is checked).
TEST(FeatureRealDataTest, WindowOfDeclaredLookbackGivesTheFullSeriesRow) {
  constexpr int kPerType = 5;
  BarSeries dia;
  int skipped = 0;
  if (!LoadCsv("DIA", &dia, &skipped)) {
    GTEST_SKIP() << "shared data not found under " << testing::SharedOhlcvDir();
  }
  const FeatureBuilder builder;
  std::array<int, kNumPatternTypes> checked{};
  auto done = [&] {
    for (int c : checked) {
      if (c < kPerType) return false;
    }
    return true;
  };
  std::vector<std::string> names;
  for (const auto& f :
       std::filesystem::directory_iterator(testing::SharedOhlcvDir())) {
    if (f.path().extension() == ".csv") names.push_back(f.path().stem());
  }
  std::sort(names.begin(), names.end());
  int symbols = 0;
  for (const std::string& symbol : names) {
    if (done()) break;
    BarSeries bars;
    if (!LoadCsv(symbol, &bars, &skipped)) continue;
    ++symbols;
    for (const Pattern& p : DetectPatterns(bars)) {
      absl::StatusOr<std::vector<float>> full = builder.Build(p, bars, &dia);
      ASSERT_TRUE(full.ok()) << full.status();
      const BarSeries cut = Window(bars, p.confirmation_day);
      const BarSeries cut_dia = Window(dia, p.confirmation_day);
      ASSERT_LE(cut.bars.size(), size_t{FeatureBuilder::kHistoryBars});
      absl::StatusOr<std::vector<float>> windowed =
          builder.Build(p, cut, &cut_dia);
      ASSERT_TRUE(windowed.ok()) << windowed.status();
      EXPECT_TRUE(SameRow(*full, *windowed))
          << symbol << " " << PatternTypeName(p.type) << " on "
          << FormatDay(p.confirmation_day);
      ++checked[static_cast<int>(p.type)];
    }
  }
  std::printf("window vs full series: %d symbols visited, patterns per type:",
              symbols);
  for (int c : checked) std::printf(" %d", c);
  std::printf("\n");
  for (int t = 0; t < kNumPatternTypes; ++t) {
    EXPECT_GE(checked[t], kPerType)
        << PatternTypeName(static_cast<PatternType>(t)) << " after " << symbols
        << " symbols";
  }
}

}  // namespace
}  // namespace pcs
