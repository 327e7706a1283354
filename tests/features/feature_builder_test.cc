#include "features/feature_builder.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "core/sha256.h"
#include "gtest/gtest.h"

namespace pcs {
namespace {

constexpr Day kFirstDay = 10957;  // 2000-01-01

int Col(const std::string& name) {
  const auto& names = FeatureBuilder::Schema().names;
  auto it = std::find(names.begin(), names.end(), name);
  EXPECT_NE(it, names.end()) << "no feature named " << name;
  return static_cast<int>(it - names.begin());
}

// Deterministic random walk (LCG), one bar per day.
BarSeries RandomWalk(const std::string& symbol, int n, uint64_t seed,
                     double start = 50) {
  BarSeries s;
  s.symbol = symbol;
  uint64_t state = seed;
  auto uniform = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(state >> 11) / 9007199254740992.0;  // [0, 1)
  };
  double close = start;
  for (int i = 0; i < n; ++i) {
    Bar b;
    b.day = kFirstDay + i;
    b.open = close * (1 + 0.01 * (uniform() - 0.5));
    close = close * (1 + 0.04 * (uniform() - 0.5));
    b.close = close;
    b.high = std::max(b.open, b.close) * (1 + 0.01 * uniform());
    b.low = std::min(b.open, b.close) * (1 - 0.01 * uniform());
    b.adj_close = b.close;
    b.volume = 1e6 * (0.5 + uniform());
    s.bars.push_back(b);
  }
  return s;
}

// A bullish double bottom shaped pattern confirmed at bar `t` of `s`.
Pattern DoubleBottomAt(const BarSeries& s, int t) {
  Pattern p;
  p.symbol = s.symbol;
  p.type = PatternType::kDoubleBottom;
  p.direction = Direction::kBullish;
  const Bar& a = s.bars[t - 50];
  const Bar& b = s.bars[t - 30];
  const Bar& c = s.bars[t - 10];
  // Trough prices relative to the peak keep the geometry sane on any walk.
  const double bottom = 0.9 * b.high;
  p.key_points = {{"trough1", a.day, bottom},
                  {"peak", b.day, b.high},
                  {"trough2", c.day, 0.91 * b.high}};
  p.formation_start = a.day;
  p.formation_end = c.day;
  p.confirmation_day = s.bars[t].day;
  p.breakout_level = b.high;
  p.target = b.high + (b.high - bottom);
  p.stop = bottom;
  p.rule_confidence = 0.7;
  p.rule_criteria = {{"symmetry", 0.8}, {"breakout_volume", 0.4}};
  return p;
}

// Equal including NaN == NaN (bitwise on the float values).
void ExpectSameRow(const std::vector<float>& a, const std::vector<float>& b) {
  ASSERT_EQ(a.size(), b.size());
  const auto& names = FeatureBuilder::Schema().names;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i])) {
      EXPECT_TRUE(std::isnan(b[i])) << names[i];
    } else {
      EXPECT_EQ(a[i], b[i]) << names[i];
    }
  }
}

std::vector<float> BuildOk(const Pattern& p, const BarSeries& bars,
                           const BarSeries* market) {
  absl::StatusOr<std::vector<float>> row =
      FeatureBuilder().Build(p, bars, market);
  EXPECT_TRUE(row.ok()) << row.status();
  return row.ok() ? *row : std::vector<float>();
}

TEST(FeatureSchemaTest, PinnedCountUniqueNamesAndHash) {
  const FeatureSchema& schema = FeatureBuilder::Schema();
  EXPECT_EQ(schema.version, "features-v1");
  EXPECT_EQ(schema.names.size(), 99u);  // changing this needs a version bump
  EXPECT_GE(schema.names.size(), 50u);
  const std::set<std::string> unique(schema.names.begin(), schema.names.end());
  EXPECT_EQ(unique.size(), schema.names.size());
  EXPECT_EQ(schema.hash, Sha256Hex(schema.version + "\n" +
                                   absl::StrJoin(schema.names, "\n")));
  EXPECT_EQ(schema.hash,
            "f8ea4b1e9c735338d4faf1835d4b147cf15dd0a9ba2ffdeb0928c3d647be1413");
  EXPECT_EQ(&schema, &FeatureBuilder::Schema());  // one process-wide instance
}

// The committed model was trained when SHA-256 was still hand-written; its card
// must still match the schema hash computed by today's implementation
// (OpenSSL EVP), or the server would refuse it.
TEST(FeatureSchemaTest, HashMatchesCommittedModelCard) {
  const std::string path = std::string(PCS_SOURCE_DIR) +
                           "/models/phase5/20261126T235550Z/model_card.json";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot open " << path;
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(
      text.str().find("\"hash\": \"" + FeatureBuilder::Schema().hash + "\""),
      std::string::npos)
      << path << " does not carry schema hash "
      << FeatureBuilder::Schema().hash;
}

TEST(FeatureBuilderTest, RowHasSchemaLengthAndNoInfinities) {
  const BarSeries bars = RandomWalk("AAA", 600, 1);
  const BarSeries dia = RandomWalk("DIA", 600, 2, 100);
  const std::vector<float> row = BuildOk(DoubleBottomAt(bars, 450), bars, &dia);
  ASSERT_EQ(row.size(), FeatureBuilder::Schema().names.size());
  std::set<std::string> nan_names;
  for (size_t i = 0; i < row.size(); ++i) {
    EXPECT_FALSE(std::isinf(row[i])) << FeatureBuilder::Schema().names[i];
    if (std::isnan(row[i])) nan_names.insert(FeatureBuilder::Schema().names[i]);
  }
  // With 450 bars of history only the rule criteria the pattern lacks and the
  // boundary line (a double bottom has a single boundary point) are NaN.
  EXPECT_EQ(
      nan_names,
      (std::set<std::string>{
          "pat_boundary_slope_atr", "pat_boundary_spread_atr",
          "rule_breakout_strength", "rule_convergence", "rule_duration",
          "rule_flatness", "rule_neckline_flatness", "rule_pole_strength",
          "rule_prior_trend", "rule_size_atr", "rule_target_reach",
          "rule_barrier_odds", "rule_type_specific", "rule_valley_depth"}));
  EXPECT_FLOAT_EQ(row[Col("rule_symmetry")], 0.8f);
  EXPECT_TRUE(std::isnan(row[Col("rule_duration")]));
  EXPECT_FLOAT_EQ(row[Col("rule_confidence")], 0.7f);
  EXPECT_FLOAT_EQ(row[Col("pat_is_double_bottom")], 1.0f);
  EXPECT_FLOAT_EQ(row[Col("pat_is_double_top")], 0.0f);
  EXPECT_FLOAT_EQ(row[Col("pat_direction")], 1.0f);
  EXPECT_FLOAT_EQ(row[Col("pat_width_bars")], 40.0f);
  EXPECT_FLOAT_EQ(row[Col("pat_breakout_delay_bars")], 10.0f);
}

TEST(FeatureBuilderTest, CausalLaterBarsRemovedOrGarbageChangeNothing) {
  const BarSeries bars = RandomWalk("AAA", 600, 3);
  const BarSeries dia = RandomWalk("DIA", 600, 4, 100);
  const int t = 450;
  const Pattern p = DoubleBottomAt(bars, t);
  const std::vector<float> full = BuildOk(p, bars, &dia);

  const BarSeries cut_bars = bars.Truncated(t + 1);
  const BarSeries cut_dia = dia.Truncated(t + 1);
  ExpectSameRow(full, BuildOk(p, cut_bars, &cut_dia));

  BarSeries bad_bars = bars, bad_dia = dia;
  for (int i = t + 1; i < 600; ++i) {
    for (BarSeries* s : {&bad_bars, &bad_dia}) {
      Bar& b = s->bars[i];
      b.open = 1e9;
      b.high = 2e9;
      b.low = 1e-9;
      b.close = -5;
      b.volume = (i % 2) ? 0 : 1e15;
    }
  }
  ExpectSameRow(full, BuildOk(p, bad_bars, &bad_dia));
}

// Serving loads only FeatureBuilder::kHistoryBars bars; the row must equal
// the one computed from the full series.
TEST(FeatureBuilderTest, IndependentOfHistoryBeyondKHistoryBars) {
  const BarSeries bars = RandomWalk("AAA", 1300, 5);
  const BarSeries dia = RandomWalk("DIA", 1300, 6, 100);
  const int t = 1100;
  const Pattern p = DoubleBottomAt(bars, t);
  const int drop = t + 1 - FeatureBuilder::kHistoryBars;
  BarSeries shorter = bars, shorter_dia = dia;
  shorter.bars.erase(shorter.bars.begin(), shorter.bars.begin() + drop);
  shorter_dia.bars.erase(shorter_dia.bars.begin(),
                         shorter_dia.bars.begin() + drop);
  ExpectSameRow(BuildOk(p, bars, &dia), BuildOk(p, shorter, &shorter_dia));
}

TEST(FeatureBuilderTest, InvariantToPriceAndVolumeScale) {
  const BarSeries bars = RandomWalk("AAA", 600, 7);
  const BarSeries dia = RandomWalk("DIA", 600, 8, 100);
  const Pattern p = DoubleBottomAt(bars, 450);
  BarSeries scaled = bars;
  for (Bar& b : scaled.bars) {
    for (double* v : {&b.open, &b.high, &b.low, &b.close, &b.adj_close}) {
      *v *= 37.5;
    }
    b.volume *= 13;
  }
  Pattern scaled_p = p;
  for (KeyPoint& kp : scaled_p.key_points) kp.price *= 37.5;
  scaled_p.breakout_level *= 37.5;
  scaled_p.target *= 37.5;
  scaled_p.stop *= 37.5;
  const std::vector<float> a = BuildOk(p, bars, &dia);
  const std::vector<float> b = BuildOk(scaled_p, scaled, &dia);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i])) {
      EXPECT_TRUE(std::isnan(b[i]));
    } else {
      EXPECT_NEAR(a[i], b[i], 1e-4 * std::max(1.0f, std::fabs(a[i])))
          << FeatureBuilder::Schema().names[i];
    }
  }
}

TEST(FeatureBuilderTest, ErrorsNameThePattern) {
  const BarSeries bars = RandomWalk("AAA", 100, 9);
  Pattern p = DoubleBottomAt(bars, 80);
  p.confirmation_day = bars.bars.back().day + 3;  // no such bar
  absl::StatusOr<std::vector<float>> row =
      FeatureBuilder().Build(p, bars, nullptr);
  EXPECT_EQ(row.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(row.status().message().find(p.Id()), absl::string_view::npos);

  Pattern other = DoubleBottomAt(bars, 80);
  other.symbol = "BBB";
  EXPECT_EQ(FeatureBuilder().Build(other, bars, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FeatureBuilderTest, MissingOrStaleMarketGivesNaNMarketFeaturesOnly) {
  const BarSeries bars = RandomWalk("AAA", 600, 10);
  const BarSeries dia = RandomWalk("DIA", 600, 11, 100);
  const Pattern p = DoubleBottomAt(bars, 450);
  const std::vector<float> with = BuildOk(p, bars, &dia);
  const std::vector<float> without = BuildOk(p, bars, nullptr);
  const BarSeries stale_dia = dia.Truncated(440);  // ends 10 days before t
  const std::vector<float> stale = BuildOk(p, bars, &stale_dia);
  const auto& names = FeatureBuilder::Schema().names;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].rfind("mkt_", 0) == 0) {
      EXPECT_FALSE(std::isnan(with[i])) << names[i];
      EXPECT_TRUE(std::isnan(without[i])) << names[i];
      EXPECT_TRUE(std::isnan(stale[i])) << names[i];
    } else if (!std::isnan(with[i])) {
      EXPECT_EQ(with[i], without[i]) << names[i];
    }
  }
}

TEST(FeatureBuilderTest, ShortHistoryGivesNaNNotCrash) {
  const BarSeries bars = RandomWalk("AAA", 60, 12);
  const std::vector<float> row =
      BuildOk(DoubleBottomAt(bars, 55), bars, nullptr);
  EXPECT_TRUE(std::isnan(row[Col("ctx_ret_60")]));
  EXPECT_TRUE(std::isnan(row[Col("ctx_dist_sma200_atr")]));
  EXPECT_TRUE(std::isnan(row[Col("ctx_range_250_pos")]));
  EXPECT_TRUE(std::isnan(row[Col("vol_bb_width_pctile_250")]));
  EXPECT_FALSE(std::isnan(row[Col("ctx_ret_20")]));
  EXPECT_FALSE(std::isnan(row[Col("mom_rsi14_dir")]));
  EXPECT_FALSE(std::isnan(row[Col("mom_macd_hist_atr")]));
  // Confirmation on the very first bar: a valid row of mostly NaN.
  Pattern first = DoubleBottomAt(bars, 55);
  first.confirmation_day = bars.bars[0].day;
  const std::vector<float> tiny = BuildOk(first, bars, nullptr);
  EXPECT_TRUE(std::isnan(tiny[Col("vol_atr_pct")]));
  EXPECT_TRUE(std::isnan(tiny[Col("pat_target_dist_atr")]));
  EXPECT_FALSE(std::isnan(tiny[Col("pat_target_dist_pct")]));
}

TEST(FeatureBuilderTest, ZeroVolumeMakesRatiosNaNNotZero) {
  BarSeries bars = RandomWalk("AAA", 400, 13);
  for (Bar& b : bars.bars) b.volume = 0;
  const std::vector<float> row =
      BuildOk(DoubleBottomAt(bars, 350), bars, nullptr);
  for (const char* name :
       {"volu_breakout_ratio", "volu_trend_5_50", "volu_formation_vs_before",
        "volu_obv_slope_20", "volu_updown_log_20"}) {
    EXPECT_TRUE(std::isnan(row[Col(name)])) << name;
  }
  EXPECT_FLOAT_EQ(row[Col("volu_zero_share_60")], 1.0f);
}

// Bars with high = close + 1, low = close - 1 and daily changes below 1 have
// a true range of exactly 2, so ATR(14) = 2 and level features are exact.
BarSeries ConstantRangeSeries(int n) {
  BarSeries s;
  s.symbol = "CCC";
  for (int i = 0; i < n; ++i) {
    Bar b;
    b.day = kFirstDay + i;
    b.close = 100 + 0.5 * std::sin(i * 0.3);
    b.open = b.close;
    b.high = b.close + 1;
    b.low = b.close - 1;
    b.adj_close = b.close;
    b.volume = 1000;
    s.bars.push_back(b);
  }
  return s;
}

TEST(FeatureBuilderTest, LevelsAndGeometryByHandForBothDirections) {
  const BarSeries bars = ConstantRangeSeries(500);
  const int t = 430;
  const double c = bars.bars[t].close;
  Pattern top;  // bearish double top: peaks c+4 (bar 400), c+3.5 (bar 420)
  top.symbol = "CCC";
  top.type = PatternType::kDoubleTop;
  top.direction = Direction::kBearish;
  top.key_points = {{"peak1", bars.bars[400].day, c + 4},
                    {"trough", bars.bars[410].day, c},
                    {"peak2", bars.bars[420].day, c + 3.5}};
  top.formation_start = bars.bars[400].day;
  top.formation_end = bars.bars[420].day;
  top.confirmation_day = bars.bars[t].day;
  top.breakout_level = c + 1;
  top.target = c - 6;
  top.stop = c + 3;
  top.rule_criteria = {{"neckline_flatness", 0.6}, {"barrier_odds", 0.9}};
  const std::vector<float> row = BuildOk(top, bars, nullptr);
  EXPECT_FLOAT_EQ(row[Col("rule_neckline_flatness")], 0.6f);
  EXPECT_FLOAT_EQ(row[Col("rule_type_specific")], 0.6f);
  EXPECT_FLOAT_EQ(row[Col("rule_barrier_odds")], 0.9f);
  EXPECT_TRUE(std::isnan(row[Col("rule_convergence")]));
  EXPECT_NEAR(row[Col("vol_atr_pct")], 2 / c, 1e-6);
  EXPECT_NEAR(row[Col("pat_target_dist_atr")], 3.0, 1e-5);  // 6 / 2
  EXPECT_NEAR(row[Col("pat_stop_dist_atr")], 1.5, 1e-5);    // 3 / 2
  EXPECT_NEAR(row[Col("pat_reward_risk")], 2.0, 1e-5);
  EXPECT_NEAR(row[Col("pat_breakout_dist_atr")], 0.5, 1e-5);  // -1 * -1 / 2
  EXPECT_NEAR(row[Col("pat_target_dist_pct")], 6 / c, 1e-6);
  EXPECT_NEAR(row[Col("pat_height_atr")], 2.0, 1e-5);  // 4 / 2
  EXPECT_NEAR(row[Col("pat_width_bars")], 20, 1e-6);
  EXPECT_NEAR(row[Col("pat_breakout_delay_bars")], 10, 1e-6);
  EXPECT_NEAR(row[Col("pat_subwidth_max_frac")], 0.5, 1e-6);
  EXPECT_NEAR(row[Col("pat_outer_spread_atr")], 0.25, 1e-6);  // 0.5 / 2
  // Peaks fall 0.5 over 20 bars = -0.0125 ATR/bar; bearish => +0.0125.
  EXPECT_NEAR(row[Col("pat_outer_slope_atr")], 0.0125, 1e-6);
  EXPECT_TRUE(std::isnan(row[Col("pat_boundary_slope_atr")]));  // one trough
  EXPECT_NEAR(row[Col("pat_extreme_position")], 0.0, 1e-6);     // peak1 highest
  EXPECT_FLOAT_EQ(row[Col("pat_key_point_count")], 3);
  // Constant volume, opens inside the previous range, closes within 100 +- 0.5.
  EXPECT_FLOAT_EQ(row[Col("volu_breakout_ratio")], 1);
  EXPECT_FLOAT_EQ(row[Col("volu_trend_5_50")], 1);
  EXPECT_FLOAT_EQ(row[Col("volu_zero_share_60")], 0);
  EXPECT_FLOAT_EQ(row[Col("vol_gap_count_60")], 0);
  EXPECT_NEAR(row[Col("ctx_ret_20")], -(c / bars.bars[t - 20].close - 1), 1e-6);
  double high_250 = 0;
  for (int i = t - 249; i <= t; ++i) {
    high_250 = std::max(high_250, bars.bars[i].high);
  }
  EXPECT_NEAR(row[Col("ctx_drawdown_250")], c / high_250 - 1, 1e-6);

  // The bullish mirror (targets above, stop below) shares the same values.
  Pattern bottom = top;
  bottom.type = PatternType::kDoubleBottom;
  bottom.direction = Direction::kBullish;
  bottom.breakout_level = c - 1;
  bottom.target = c + 6;
  bottom.stop = c - 3;
  const std::vector<float> mirror = BuildOk(bottom, bars, nullptr);
  for (const char* name : {"pat_target_dist_atr", "pat_stop_dist_atr",
                           "pat_reward_risk", "pat_breakout_dist_atr"}) {
    EXPECT_NEAR(mirror[Col(name)], row[Col(name)], 1e-5) << name;
  }
  EXPECT_FLOAT_EQ(mirror[Col("pat_direction")], -row[Col("pat_direction")]);
}

}  // namespace
}  // namespace pcs
