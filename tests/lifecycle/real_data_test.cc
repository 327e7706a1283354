// Detection on the shared real OHLCV files: strict causality under
// truncation, invariants of every reported pattern, and counts by type.
// Skipped when the shared data folder is absent.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ingest/ohlcv_csv_reader.h"
#include "lifecycle/outcome_labeler.h"
#include "lifecycle/pattern_detector.h"
#include "tests/test_util/shared_data.h"

namespace pcs {
namespace {

std::vector<std::string> SharedFiles() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator(testing::SharedOhlcvDir(), ec)) {
    if (e.path().extension() == ".csv") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Ten files picked with a fixed seed.
std::vector<std::string> SampleFiles() {
  std::vector<std::string> files = SharedFiles();
  std::mt19937 rng(20240611);
  std::shuffle(files.begin(), files.end(), rng);
  files.resize(std::min<size_t>(files.size(), 10));
  return files;
}

void ExpectSamePattern(const Pattern& a, const Pattern& b) {
  SCOPED_TRACE(a.symbol + " " + std::string(PatternTypeName(a.type)) + " " +
               FormatDay(a.confirmation_day));
  EXPECT_EQ(a.Id(), b.Id());
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.direction, b.direction);
  EXPECT_EQ(a.formation_start, b.formation_start);
  EXPECT_EQ(a.formation_end, b.formation_end);
  EXPECT_EQ(a.confirmation_day, b.confirmation_day);
  // Bit-identical: the same arithmetic on the same bars.
  EXPECT_EQ(a.breakout_level, b.breakout_level);
  EXPECT_EQ(a.target, b.target);
  EXPECT_EQ(a.stop, b.stop);
  EXPECT_EQ(a.rule_confidence, b.rule_confidence);
  EXPECT_EQ(a.rule_criteria, b.rule_criteria);
  ASSERT_EQ(a.key_points.size(), b.key_points.size());
  for (size_t k = 0; k < a.key_points.size(); ++k) {
    EXPECT_EQ(a.key_points[k].role, b.key_points[k].role);
    EXPECT_EQ(a.key_points[k].day, b.key_points[k].day);
    EXPECT_EQ(a.key_points[k].price, b.key_points[k].price);
  }
}

TEST(RealDataTest, DetectionIsCausalUnderTruncation) {
  const std::vector<std::string> files = SampleFiles();
  if (files.empty())
    GTEST_SKIP() << "no shared data in " << testing::SharedOhlcvDir();
  std::mt19937 rng(7);
  int compared = 0, cuts = 0;
  for (const std::string& file : files) {
    absl::StatusOr<CsvReadResult> read = ReadOhlcvCsv(file);
    ASSERT_TRUE(read.ok()) << read.status();
    const BarSeries& s = read->series;
    const int n = static_cast<int>(s.bars.size());
    if (n < 100) continue;
    const std::vector<Pattern> full = DetectPatterns(s);
    std::uniform_int_distribution<int> pick(30, n - 1);
    for (int k = 0; k < 25; ++k) {
      const int cut = pick(rng);  // keep bars [0, cut)
      const Day last = s.bars[cut - 1].day;
      std::vector<const Pattern*> want;
      for (const Pattern& p : full) {
        if (p.confirmation_day <= last) want.push_back(&p);
      }
      const std::vector<Pattern> got = DetectPatterns(s.Truncated(cut));
      ASSERT_EQ(got.size(), want.size())
          << s.symbol << " cut at " << FormatDay(last);
      for (size_t i = 0; i < got.size(); ++i)
        ExpectSamePattern(got[i], *want[i]);
      compared += static_cast<int>(got.size());
      ++cuts;
    }
  }
  std::printf("causality: %d cuts over %zu symbols, %d patterns compared\n",
              cuts, files.size(), compared);
  EXPECT_GT(compared, 100);
}

TEST(RealDataTest, LabelsNeverChangeOnceResolved) {
  const std::vector<std::string> files = SampleFiles();
  if (files.empty()) GTEST_SKIP();
  absl::StatusOr<CsvReadResult> read = ReadOhlcvCsv(files.front());
  ASSERT_TRUE(read.ok()) << read.status();
  const BarSeries& s = read->series;
  const std::vector<Pattern> all = DetectPatterns(s);
  ASSERT_FALSE(all.empty());
  for (const Pattern& p : all) {
    const Outcome full = LabelOutcome(s, p);
    const int c = s.IndexOf(p.confirmation_day);
    for (int extra : {0, 1, 5, 20, 39, 40, 41}) {
      const Outcome part = LabelOutcome(s.Truncated(c + 1 + extra), p);
      if (!part.label.has_value()) continue;
      EXPECT_EQ(part.label, full.label);
      EXPECT_EQ(part.exit_reason, full.exit_reason);
      EXPECT_EQ(part.realized_pnl, full.realized_pnl);
      EXPECT_EQ(part.resolved_day, full.resolved_day);
    }
  }
}

TEST(RealDataTest, AllSharedFilesCountsAndInvariants) {
  const std::vector<std::string> files = SharedFiles();
  if (files.empty()) GTEST_SKIP();
  std::array<int, kNumPatternTypes> count{}, wins{}, resolved{};
  int invalid = 0, duplicates = 0, bad_bars = 0, total = 0;
  for (const std::string& file : files) {
    absl::StatusOr<CsvReadResult> read = ReadOhlcvCsv(file);
    ASSERT_TRUE(read.ok()) << read.status();
    const BarSeries& s = read->series;
    DetectionStats stats;
    std::set<std::string> ids;  // pattern_events primary key
    for (const Pattern& p : DetectPatterns(s, {}, &stats)) {
      ASSERT_TRUE(ids.insert(p.Id()).second) << "duplicate id " << p.Id();
      const double close = s.bars[s.IndexOf(p.confirmation_day)].close;
      const int sign = Sign(p.direction);
      ASSERT_TRUE(std::isfinite(p.target) && std::isfinite(p.stop) &&
                  std::isfinite(p.breakout_level));
      ASSERT_GT(p.stop, 0);
      ASSERT_GT(sign * (p.target - close), 0) << p.symbol << " " << p.Id();
      ASSERT_GT(sign * (close - p.stop), 0) << p.symbol << " " << p.Id();
      ASSERT_GE(p.rule_confidence, 0);
      ASSERT_LE(p.rule_confidence, 1);
      const int t = static_cast<int>(p.type);
      ++count[t];
      ++total;
      const Outcome o = LabelOutcome(s, p);
      if (o.label.has_value()) {
        ++resolved[t];
        wins[t] += *o.label;
      }
    }
    invalid += stats.skipped_invalid_levels;
    duplicates += stats.skipped_duplicates;
    bad_bars += stats.skipped_bad_bars;
  }
  std::printf("%-28s %7s %7s %6s\n", "type", "count", "labeled", "base");
  int all_resolved = 0, all_wins = 0;
  for (int t = 0; t < kNumPatternTypes; ++t) {
    std::printf(
        "%-28s %7d %7d %6.3f\n",
        std::string(PatternTypeName(static_cast<PatternType>(t))).c_str(),
        count[t], resolved[t],
        resolved[t] ? static_cast<double>(wins[t]) / resolved[t] : 0.0);
    all_resolved += resolved[t];
    all_wins += wins[t];
    // A few hundred to a few thousand per type over 300 symbols x 19 years.
    EXPECT_GE(count[t], 300) << PatternTypeName(static_cast<PatternType>(t));
    EXPECT_LE(count[t], 10000) << PatternTypeName(static_cast<PatternType>(t));
  }
  std::printf(
      "total %d, labeled %d, base rate %.4f; skipped: %d invalid levels, "
      "%d duplicates, %d bad bars; %zu files\n",
      total, all_resolved,
      all_resolved ? static_cast<double>(all_wins) / all_resolved : 0.0,
      invalid, duplicates, bad_bars, files.size());
}

}  // namespace
}  // namespace pcs
