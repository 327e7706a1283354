#include "lifecycle/pattern_detector.h"

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lifecycle/rule_confidence.h"
#include "lifecycle/rule_indicators.h"
#include "lifecycle/swing_pivots.h"
#include "tests/lifecycle/synthetic_bars.h"

namespace pcs {
namespace {

using ::pcs::testing::PathBars;
using ::pcs::testing::Reflect;
using ::pcs::testing::Waypoint;

constexpr Day kDay0 = 14613;  // bar 0 of PathBars

// Textbook paths (closes; bars get +-0.3 wicks). See synthetic_bars.h.
const std::vector<Waypoint> kDoubleTop = {
    {0, 80}, {50, 100}, {65, 92}, {80, 100}, {100, 85}};
const std::vector<Waypoint> kHeadAndShoulders = {
    {0, 80}, {50, 100}, {60, 94}, {75, 106}, {90, 94}, {100, 100}, {120, 85}};
const std::vector<Waypoint> kAscendingTriangle = {
    {0, 75},    {50, 100}, {60, 90},  {70, 100},
    {80, 93.5}, {90, 100}, {100, 97}, {115, 110}};
const std::vector<Waypoint> kSymmetricalTriangle = {
    {0, 75},  {40, 100}, {55, 84},  {70, 97},
    {85, 87}, {100, 94}, {115, 90}, {130, 105}};
const std::vector<Waypoint> kRectangle = {{0, 75},   {40, 100}, {55, 92},
                                          {70, 100}, {85, 92},  {100, 100},
                                          {115, 92}, {130, 108}};
const std::vector<Waypoint> kBullFlag = {
    {0, 80}, {30, 90}, {40, 85}, {50, 100}, {58, 97}, {59, 99}, {65, 104}};

std::vector<Pattern> OfType(const std::vector<Pattern>& all, PatternType t) {
  std::vector<Pattern> out;
  for (const Pattern& p : all) {
    if (p.type == t) out.push_back(p);
  }
  return out;
}

// Invariants every reported pattern must satisfy.
void ExpectWellFormed(const BarSeries& s, const Pattern& p) {
  SCOPED_TRACE(std::string(PatternTypeName(p.type)) + " confirmed " +
               FormatDay(p.confirmation_day));
  const int c = s.IndexOf(p.confirmation_day);
  ASSERT_GE(c, 0);
  const double close = s.bars[c].close;
  for (double x : {p.breakout_level, p.target, p.stop, p.rule_confidence}) {
    EXPECT_TRUE(std::isfinite(x));
  }
  EXPECT_GT(p.stop, 0);
  EXPECT_GT(p.target, 0);
  EXPECT_GT(p.breakout_level, 0);
  if (p.direction == Direction::kBullish) {
    EXPECT_GT(p.target, close);
    EXPECT_LT(p.stop, close);
    EXPECT_GT(close, p.breakout_level);
  } else {
    EXPECT_LT(p.target, close);
    EXPECT_GT(p.stop, close);
    EXPECT_LT(close, p.breakout_level);
  }
  EXPECT_GE(p.rule_confidence, 0);
  EXPECT_LE(p.rule_confidence, 1);
  EXPECT_GE(p.rule_criteria.size(), 8u);
  for (const auto& [name, v] : p.rule_criteria) {
    EXPECT_GE(v, 0) << name;
    EXPECT_LE(v, 1) << name;
  }
  EXPECT_NEAR(p.rule_confidence, CombineRuleCriteria(p.rule_criteria), 1e-12);
  EXPECT_LE(p.formation_start, p.formation_end);
  EXPECT_LT(p.formation_end, p.confirmation_day);
  ASSERT_FALSE(p.key_points.empty());
  EXPECT_EQ(p.key_points.front().day, p.formation_start);
  EXPECT_EQ(p.Id().size(), 16u);
}

// Detects on `path` and returns the single pattern of `type`, checking all
// reported patterns for the invariants.
std::optional<Pattern> DetectOne(const std::vector<Waypoint>& path,
                                 PatternType type) {
  const BarSeries s = PathBars(path);
  const std::vector<Pattern> all = DetectPatterns(s);
  for (const Pattern& p : all) ExpectWellFormed(s, p);
  const std::vector<Pattern> of_type = OfType(all, type);
  EXPECT_LE(of_type.size(), 1u) << "one pattern per formation";
  if (of_type.empty()) return std::nullopt;
  return of_type.front();
}

TEST(PatternDetectorTest, DoubleTop) {
  std::optional<Pattern> p = DetectOne(kDoubleTop, PatternType::kDoubleTop);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->direction, Direction::kBearish);
  EXPECT_EQ(p->formation_start, kDay0 + 50);
  EXPECT_EQ(p->formation_end, kDay0 + 80);
  // Close falls 0.75 a bar from 100 (bar 80): first close < 91.7 is bar 92.
  EXPECT_EQ(p->confirmation_day, kDay0 + 92);
  EXPECT_NEAR(p->breakout_level, 91.7, 1e-9);  // trough low
  EXPECT_NEAR(p->target, 91.7 - (100.3 - 91.7), 1e-9);
  EXPECT_NEAR(p->stop, 100.3, 1e-9);  // higher peak
  ASSERT_EQ(p->key_points.size(), 3u);
  EXPECT_EQ(p->key_points[1].role, "trough");
}

TEST(PatternDetectorTest, DoubleBottom) {
  std::optional<Pattern> p =
      DetectOne(Reflect(kDoubleTop), PatternType::kDoubleBottom);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->direction, Direction::kBullish);
  EXPECT_EQ(p->confirmation_day, kDay0 + 92);
  EXPECT_NEAR(p->breakout_level, 108.3, 1e-9);
  EXPECT_NEAR(p->target, 108.3 + 8.6, 1e-9);
  EXPECT_NEAR(p->stop, 99.7, 1e-9);
  EXPECT_EQ(p->key_points[0].role, "trough1");
}

TEST(PatternDetectorTest, HeadAndShouldersTop) {
  std::optional<Pattern> p =
      DetectOne(kHeadAndShoulders, PatternType::kHeadAndShouldersTop);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->direction, Direction::kBearish);
  EXPECT_EQ(p->formation_start, kDay0 + 50);
  EXPECT_EQ(p->formation_end, kDay0 + 100);
  EXPECT_EQ(p->confirmation_day, kDay0 + 109);
  EXPECT_NEAR(p->breakout_level, 93.7, 1e-9);  // flat neckline
  EXPECT_NEAR(p->target, 93.7 - (106.3 - 93.7), 1e-9);
  EXPECT_NEAR(p->stop, 100.3, 1e-9);  // right shoulder
  ASSERT_EQ(p->key_points.size(), 5u);
  EXPECT_EQ(p->key_points[2].role, "head");
  EXPECT_NEAR(p->key_points[2].price, 106.3, 1e-9);
}

TEST(PatternDetectorTest, InverseHeadAndShoulders) {
  std::optional<Pattern> p = DetectOne(Reflect(kHeadAndShoulders),
                                       PatternType::kInverseHeadAndShoulders);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->direction, Direction::kBullish);
  EXPECT_NEAR(p->breakout_level, 106.3, 1e-9);
  EXPECT_NEAR(p->target, 118.9, 1e-9);
  EXPECT_NEAR(p->stop, 99.7, 1e-9);
  EXPECT_NEAR(p->key_points[2].price, 93.7, 1e-9);
}

TEST(PatternDetectorTest, AscendingTriangle) {
  std::optional<Pattern> p =
      DetectOne(kAscendingTriangle, PatternType::kAscendingTriangle);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->direction, Direction::kBullish);
  EXPECT_NEAR(p->breakout_level, 100.3, 1e-6);  // flat top
  EXPECT_NEAR(p->stop, 96.7, 1e-6);             // last swing low
  EXPECT_GT(p->target - p->breakout_level, 8);  // start width
  EXPECT_LT(p->target - p->breakout_level, 13);
  EXPECT_EQ(p->formation_end, kDay0 + 100);
  EXPECT_EQ(p->confirmation_day, kDay0 + 104);
}

TEST(PatternDetectorTest, DescendingTriangle) {
  std::optional<Pattern> p =
      DetectOne(Reflect(kAscendingTriangle), PatternType::kDescendingTriangle);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->direction, Direction::kBearish);
  EXPECT_NEAR(p->breakout_level, 99.7, 1e-6);
  EXPECT_NEAR(p->stop, 103.3, 1e-6);
  EXPECT_GT(p->breakout_level - p->target, 8);
  EXPECT_LT(p->breakout_level - p->target, 13);
}

TEST(PatternDetectorTest, SymmetricalTriangleBothSides) {
  std::optional<Pattern> up =
      DetectOne(kSymmetricalTriangle, PatternType::kSymmetricalTriangle);
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->direction, Direction::kBullish);
  EXPECT_EQ(up->formation_start, kDay0 + 40);
  EXPECT_EQ(up->confirmation_day, kDay0 + 118);
  // Upper line through (40, 100.3), (70, 97.3), (100, 94.3): at 118, 92.5.
  EXPECT_NEAR(up->breakout_level, 92.5, 1e-6);
  EXPECT_NEAR(up->stop, 89.7, 1e-6);
  EXPECT_NEAR(up->target, 92.5 + 18.1, 1e-6);  // width at bar 40

  std::optional<Pattern> down = DetectOne(Reflect(kSymmetricalTriangle),
                                          PatternType::kSymmetricalTriangle);
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->direction, Direction::kBearish);
  EXPECT_NEAR(down->breakout_level, 107.5, 1e-6);
  EXPECT_NEAR(down->target, 107.5 - 18.1, 1e-6);
}

TEST(PatternDetectorTest, RectangleBothSides) {
  std::optional<Pattern> up = DetectOne(kRectangle, PatternType::kRectangle);
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->direction, Direction::kBullish);
  EXPECT_NEAR(up->breakout_level, 100.3, 1e-6);
  EXPECT_NEAR(up->target, 108.9, 1e-6);
  EXPECT_NEAR(up->stop, 91.7, 1e-6);
  std::optional<Pattern> down =
      DetectOne(Reflect(kRectangle), PatternType::kRectangle);
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->direction, Direction::kBearish);
  EXPECT_NEAR(down->breakout_level, 99.7, 1e-6);
  EXPECT_NEAR(down->target, 91.1, 1e-6);
  EXPECT_NEAR(down->stop, 108.3, 1e-6);
}

TEST(PatternDetectorTest, BullFlag) {
  std::optional<Pattern> p = DetectOne(kBullFlag, PatternType::kBullFlag);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->direction, Direction::kBullish);
  EXPECT_EQ(p->formation_start, kDay0 + 40);  // pole base
  EXPECT_EQ(p->formation_end, kDay0 + 50);    // pole top
  EXPECT_EQ(p->confirmation_day, kDay0 + 59);
  const double pole = 100.3 - 84.7;
  EXPECT_NEAR(p->target - p->breakout_level, pole, 1e-9);
  EXPECT_NEAR(p->stop, 96.7, 1e-9);  // flag low
  EXPECT_GT(p->breakout_level, 97);
  EXPECT_LT(p->breakout_level, 99);
}

TEST(PatternDetectorTest, BearFlag) {
  std::optional<Pattern> p =
      DetectOne(Reflect(kBullFlag), PatternType::kBearFlag);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->direction, Direction::kBearish);
  EXPECT_NEAR(p->breakout_level - p->target, 115.3 - 99.7, 1e-9);
  EXPECT_NEAR(p->stop, 103.3, 1e-9);
}

// ----- near misses: must not be reported -----

TEST(PatternDetectorNearMissTest, PeaksTenPercentApartIsNoDoubleTop) {
  const std::vector<Waypoint> path = {
      {0, 80}, {50, 100}, {65, 92}, {80, 110}, {105, 85}};
  EXPECT_FALSE(DetectOne(path, PatternType::kDoubleTop).has_value());
}

TEST(PatternDetectorNearMissTest, NoBreakoutCloseIsNoDoubleTop) {
  // Falls back to 93 (above the 91.7 neckline) and recovers.
  const std::vector<Waypoint> path = {{0, 80},   {50, 100}, {65, 92},
                                      {80, 100}, {90, 93},  {110, 99}};
  EXPECT_FALSE(DetectOne(path, PatternType::kDoubleTop).has_value());
}

TEST(PatternDetectorNearMissTest, BreakoutTooLateIsNoDoubleTop) {
  // Drifts sideways above the neckline for 40 bars, then breaks.
  const std::vector<Waypoint> path = {
      {0, 80},    {50, 100}, {65, 92},    {80, 100}, {88, 94},
      {96, 96.5}, {104, 94}, {112, 96.5}, {125, 94}, {135, 85}};
  EXPECT_FALSE(DetectOne(path, PatternType::kDoubleTop).has_value());
}

TEST(PatternDetectorNearMissTest, HeadNotHigherIsNoHeadAndShoulders) {
  const std::vector<Waypoint> path = {{0, 80},  {50, 100},  {60, 94}, {75, 100},
                                      {90, 94}, {100, 100}, {120, 85}};
  EXPECT_FALSE(DetectOne(path, PatternType::kHeadAndShouldersTop).has_value());
}

TEST(PatternDetectorNearMissTest, LopsidedShouldersIsNoHeadAndShoulders) {
  // Right shoulder barely above the neckline.
  const std::vector<Waypoint> path = {{0, 80},   {50, 104}, {60, 94},
                                      {75, 106}, {90, 94},  {100, 96.5},
                                      {120, 85}};
  EXPECT_FALSE(DetectOne(path, PatternType::kHeadAndShouldersTop).has_value());
}

TEST(PatternDetectorNearMissTest, DivergingLinesAreNoTriangleOrRectangle) {
  // Broadening formation: higher highs and lower lows.
  const std::vector<Waypoint> path = {{0, 75},   {40, 95},  {55, 90},
                                      {70, 97},  {85, 87},  {100, 100},
                                      {115, 84}, {130, 104}};
  const std::vector<Pattern> all = DetectPatterns(PathBars(path));
  for (const Pattern& p : all) {
    EXPECT_NE(p.type, PatternType::kAscendingTriangle);
    EXPECT_NE(p.type, PatternType::kDescendingTriangle);
    EXPECT_NE(p.type, PatternType::kSymmetricalTriangle);
    EXPECT_NE(p.type, PatternType::kRectangle);
  }
}

TEST(PatternDetectorNearMissTest, RisingFlagIsNoBullFlag) {
  // The "flag" keeps rising at the pole's pace: a trend, not a flag.
  const std::vector<Waypoint> path = {{0, 80},  {30, 90},  {40, 85}, {50, 100},
                                      {51, 98}, {58, 101}, {65, 106}};
  EXPECT_FALSE(DetectOne(path, PatternType::kBullFlag).has_value());
}

TEST(PatternDetectorNearMissTest, DeepPullbackIsNoBullFlag) {
  // Gives back 70% of the pole.
  const std::vector<Waypoint> path = {{0, 80},   {30, 90}, {40, 85},
                                      {50, 100}, {58, 89}, {65, 104}};
  EXPECT_FALSE(DetectOne(path, PatternType::kBullFlag).has_value());
}

// ----- bad input -----

TEST(PatternDetectorBadInputTest, TooFewBars) {
  BarSeries s = PathBars({{0, 100}, {10, 110}});
  EXPECT_TRUE(DetectPatterns(s).empty());
  EXPECT_TRUE(DetectPatterns(BarSeries{}).empty());
}

TEST(PatternDetectorBadInputTest, FlatPricesYieldNothing) {
  BarSeries s = PathBars({{0, 100}, {300, 100}}, /*wick=*/0);
  DetectionStats stats;
  EXPECT_TRUE(DetectPatterns(s, {}, &stats).empty());
  EXPECT_EQ(stats.pivots, 0);
}

TEST(PatternDetectorBadInputTest, ZeroVolumeAndDateGapsAreHandled) {
  BarSeries s = PathBars(kDoubleTop);
  for (size_t i = 0; i < s.bars.size(); ++i) {
    s.bars[i].volume = 0;
    s.bars[i].day = kDay0 + static_cast<Day>(i * 3);  // holes in the calendar
  }
  const std::vector<Pattern> all = DetectPatterns(s);
  for (const Pattern& p : all) ExpectWellFormed(s, p);
  const std::vector<Pattern> tops = OfType(all, PatternType::kDoubleTop);
  ASSERT_FALSE(tops.empty());
  const Pattern& p = tops.front();
  EXPECT_EQ(p.confirmation_day, kDay0 + 92 * 3);
  EXPECT_DOUBLE_EQ(*p.Criterion("breakout_volume"), 0.5);  // neutral
}

TEST(PatternDetectorBadInputTest, CorruptBarsAreSkippedAndCounted) {
  BarSeries s = PathBars(kDoubleTop);
  s.bars[20].close = std::numeric_limits<double>::quiet_NaN();
  s.bars[30].low = -5;
  s.bars[40].day = s.bars[39].day;  // duplicate day
  DetectionStats stats;
  const std::vector<Pattern> all = DetectPatterns(s, {}, &stats);
  EXPECT_EQ(stats.skipped_bad_bars, 3);
  for (const Pattern& p : all) ExpectWellFormed(s, p);
  EXPECT_FALSE(OfType(all, PatternType::kDoubleTop).empty());
}

TEST(PatternDetectorBadInputTest, HugeTargetBelowZeroIsSkipped) {
  // A double top whose measured move would go below zero: the pattern is
  // skipped, never reported with a non-positive target.
  const std::vector<Waypoint> path = {
      {0, 20}, {50, 100}, {65, 45}, {80, 100}, {100, 30}};
  DetectionStats stats;
  const std::vector<Pattern> all =
      DetectPatterns(PathBars(path, 0.3), {}, &stats);
  EXPECT_TRUE(OfType(all, PatternType::kDoubleTop).empty());
  EXPECT_GE(stats.skipped_invalid_levels, 1);
}

// ----- indicators and pivots -----

TEST(RuleIndicatorsTest, WilderAtrMatchesHandComputation) {
  BarSeries s = PathBars({{0, 100}, {20, 110}}, 0.25);  // +0.5 a bar
  const std::vector<double> atr = WilderAtrSeries(s.bars, 14);
  EXPECT_TRUE(std::isnan(atr[12]));
  // TR[0] = 0.5 (no move on bar 0), later TR = 0.5 + 0.5 = 1.0.
  EXPECT_NEAR(atr[13], (0.5 + 13 * 1.0) / 14, 1e-12);
  EXPECT_NEAR(atr[14], (atr[13] * 13 + 1.0) / 14, 1e-12);
}

TEST(RuleIndicatorsTest, TrailingMeanVolumeExcludesCurrentBar) {
  BarSeries s = PathBars({{0, 100}, {30, 110}});
  for (size_t i = 0; i < s.bars.size(); ++i) s.bars[i].volume = i;
  const std::vector<double> v = rules::TrailingMeanVolume(s.bars, 20);
  EXPECT_TRUE(std::isnan(v[19]));
  EXPECT_DOUBLE_EQ(v[20], 9.5);   // mean of 0..19
  EXPECT_DOUBLE_EQ(v[25], 14.5);  // mean of 5..24
}

TEST(SwingPivotsTest, ConfirmedOnlyAfterThresholdMove) {
  const BarSeries s = PathBars(kDoubleTop);
  const std::vector<double> atr = WilderAtrSeries(s.bars, 14);
  const std::vector<rules::Pivot> pv = rules::ZigzagPivots(s.bars, atr, 2.0);
  ASSERT_EQ(pv.size(), 4u);
  EXPECT_TRUE(pv[1].is_high);
  EXPECT_EQ(pv[1].index, 50);
  EXPECT_NEAR(pv[1].price, 100.3, 1e-12);
  const int c = pv[1].confirmed;
  EXPECT_GE(100.3 - s.bars[c].low, 2.0 * atr[c]);
  for (int t = pv[1].index + 1; t < c; ++t) {
    EXPECT_LT(100.3 - s.bars[t].low, 2.0 * atr[t]);
  }
}

TEST(SwingPivotsTest, TruncationNeverChangesConfirmedPivots) {
  const BarSeries s = PathBars(kHeadAndShoulders);
  const auto full =
      rules::ZigzagPivots(s.bars, WilderAtrSeries(s.bars, 14), 2.0);
  for (int cut = 1; cut <= static_cast<int>(s.bars.size()); ++cut) {
    const BarSeries t = s.Truncated(cut);
    const auto part =
        rules::ZigzagPivots(t.bars, WilderAtrSeries(t.bars, 14), 2.0);
    size_t expected = 0;
    for (const auto& p : full) expected += p.confirmed < cut;
    ASSERT_EQ(part.size(), expected) << "cut " << cut;
    for (size_t k = 0; k < part.size(); ++k) {
      EXPECT_EQ(part[k].index, full[k].index);
      EXPECT_EQ(part[k].confirmed, full[k].confirmed);
    }
  }
}

TEST(PatternDetectorTest, SyntheticTruncationIsCausal) {
  for (const auto& path : {kDoubleTop, kHeadAndShoulders, kAscendingTriangle,
                           kSymmetricalTriangle, kRectangle, kBullFlag}) {
    const BarSeries s = PathBars(path);
    const std::vector<Pattern> full = DetectPatterns(s);
    for (int cut = 1; cut <= static_cast<int>(s.bars.size()); ++cut) {
      const Day last = s.bars[cut - 1].day;
      std::vector<std::string> want, got;
      for (const Pattern& p : full) {
        if (p.confirmation_day <= last) want.push_back(p.Id());
      }
      for (const Pattern& p : DetectPatterns(s.Truncated(cut)))
        got.push_back(p.Id());
      EXPECT_EQ(got, want) << "cut " << cut;
    }
  }
}

}  // namespace
}  // namespace pcs
