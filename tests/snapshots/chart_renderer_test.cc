// The chart renderer on real shared data: decision charts are strictly
// causal (no bar after the decision day is read or drawn) and the levels
// and pivots drawn are the stored pattern's.

#include "snapshots/chart_renderer.h"

#include <cmath>
#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ingest/ohlcv_csv_reader.h"
#include "lifecycle/outcome_labeler.h"
#include "lifecycle/pattern_detector.h"
#include "tests/test_util/shared_data.h"

namespace pcs {
namespace {

struct Loaded {
  BarSeries bars;
  std::vector<Pattern> patterns;
};

Loaded Load(const std::string& symbol) {
  auto read = ReadOhlcvCsv(testing::SharedOhlcvFile(symbol));
  if (!read.ok()) return {};
  Loaded l{read->series, DetectPatterns(read->series)};
  return l;
}

// A copy of `bars` whose bars after index `last` are wildly different.
BarSeries WithFutureChanged(const BarSeries& bars, int last) {
  BarSeries out = bars;
  for (size_t i = last + 1; i < out.bars.size(); ++i) {
    Bar& b = out.bars[i];
    b.open *= 3;
    b.high *= 5;
    b.low *= 0.2;
    b.close *= 0.4;
  }
  return out;
}

// Attribute `name` of the first element whose class attribute is `cls`.
std::string Attr(const std::string& svg, const std::string& cls,
                 const std::string& name) {
  const std::string key = "class=\"" + cls + "\"";
  size_t at = svg.find(key);
  if (at == std::string::npos) return "";
  size_t end = svg.find("/>", at);
  std::string element = svg.substr(at, end - at);
  std::smatch m;
  if (!std::regex_search(element, m,
                         std::regex(" " + name + "=\"([^\"]*)\""))) {
    return "";
  }
  return m[1];
}

std::vector<std::string> AllDays(const std::string& svg) {
  std::vector<std::string> out;
  std::regex day("data-day=\"([0-9-]{10})\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), day);
       it != std::sregex_iterator(); ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

TEST(ChartRendererTest, DecisionChartIsCausal) {
  int checked = 0;
  for (const std::string symbol : {"AAPL", "AA", "ABT"}) {
    Loaded l = Load(symbol);
    if (l.bars.bars.empty()) GTEST_SKIP() << "no shared data";
    ASSERT_FALSE(l.patterns.empty());
    for (const Pattern& p : l.patterns) {
      SCOPED_TRACE(symbol + " " + p.Id());
      const int c = l.bars.IndexOf(p.confirmation_day);
      auto full = RenderDecisionChart(p, l.bars);
      ASSERT_TRUE(full.ok()) << full.status();
      auto cut = RenderDecisionChart(p, l.bars.Truncated(c + 1));
      ASSERT_TRUE(cut.ok()) << cut.status();
      auto changed = RenderDecisionChart(p, WithFutureChanged(l.bars, c));
      ASSERT_TRUE(changed.ok()) << changed.status();
      // Byte-identical whatever follows the decision day.
      EXPECT_EQ(full->svg, cut->svg);
      EXPECT_EQ(full->svg, changed->svg);
      EXPECT_EQ(full->last_bar, p.confirmation_day);
      EXPECT_LE(full->first_bar, p.formation_start);
      for (const std::string& d : AllDays(full->svg)) {
        EXPECT_LE(d, FormatDay(p.confirmation_day));
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 50);
}

void ExpectLevel(const RenderedChart& chart, const std::string& name,
                 double stored) {
  const std::string cls = "level " + name;
  const std::string price = Attr(chart.svg, cls, "data-price");
  ASSERT_FALSE(price.empty()) << name << " not drawn";
  EXPECT_EQ(std::strtod(price.c_str(), nullptr), stored) << name;
  const double y1 = std::strtod(Attr(chart.svg, cls, "y1").c_str(), nullptr);
  const double y2 = std::strtod(Attr(chart.svg, cls, "y2").c_str(), nullptr);
  EXPECT_NEAR(y1, chart.YOf(stored), 0.051) << name;
  EXPECT_EQ(y1, y2) << name << " is not horizontal";
  EXPECT_GE(y1, chart.plot_top) << name << " outside the plot";
  EXPECT_LE(y1, chart.plot_bottom) << name << " outside the plot";
}

TEST(ChartRendererTest, DrawnLevelsAndPivotsAreTheStoredPattern) {
  Loaded l = Load("AAPL");
  if (l.bars.bars.empty()) GTEST_SKIP() << "no shared data";
  std::vector<bool> type_seen(kNumPatternTypes, false);
  for (const Pattern& p : l.patterns) {
    SCOPED_TRACE(p.Id());
    auto chart = RenderDecisionChart(p, l.bars);
    ASSERT_TRUE(chart.ok()) << chart.status();
    ExpectLevel(*chart, "target", p.target);
    ExpectLevel(*chart, "stop", p.stop);
    ExpectLevel(*chart, "breakout", p.breakout_level);
    EXPECT_EQ(Attr(chart->svg, "breakout-bar", "data-day"),
              FormatDay(p.confirmation_day));
    EXPECT_NE(chart->svg.find("class=\"boundary"), std::string::npos)
        << "no neckline/boundary for " << PatternTypeName(p.type);
    for (const KeyPoint& k : p.key_points) {
      const std::string element = "data-role=\"" + k.role + "\" data-day=\"" +
                                  FormatDay(k.day) + "\" data-price=\"";
      size_t at = chart->svg.find(element);
      ASSERT_NE(at, std::string::npos) << "pivot " << k.role << " missing";
      const double drawn =
          std::strtod(chart->svg.c_str() + at + element.size(), nullptr);
      EXPECT_EQ(drawn, k.price) << k.role;
    }
    type_seen[static_cast<int>(p.type)] = true;
  }
  int types = 0;
  for (bool b : type_seen) types += b;
  EXPECT_GE(types, 6) << "AAPL should cover most pattern types";
}

TEST(ChartRendererTest, OutcomeChartEndsOnTheResolvedDay) {
  Loaded l = Load("AA");
  if (l.bars.bars.empty()) GTEST_SKIP() << "no shared data";
  int resolved = 0;
  for (const Pattern& p : l.patterns) {
    const Outcome o = LabelOutcome(l.bars, p);
    auto chart = RenderOutcomeChart(p, o, l.bars);
    if (!o.resolved_day.has_value()) {
      EXPECT_FALSE(chart.ok());
      continue;
    }
    ASSERT_TRUE(chart.ok()) << chart.status();
    EXPECT_EQ(chart->kind, SnapshotKind::kOutcome);
    EXPECT_EQ(chart->last_bar, *o.resolved_day);
    EXPECT_EQ(Attr(chart->svg, "exit", "data-reason"), o.exit_reason);
    auto decision = RenderDecisionChart(p, l.bars);
    ASSERT_TRUE(decision.ok());
    EXPECT_NE(decision->svg, chart->svg);
    // Causal up to the resolved day as well.
    auto cut = RenderOutcomeChart(
        p, o, l.bars.Truncated(l.bars.IndexOf(*o.resolved_day) + 1));
    ASSERT_TRUE(cut.ok());
    EXPECT_EQ(cut->svg, chart->svg);
    ++resolved;
  }
  EXPECT_GT(resolved, 10);
}

TEST(ChartRendererTest, MissingConfirmationBarIsAnError) {
  Loaded l = Load("AA");
  if (l.bars.bars.empty()) GTEST_SKIP() << "no shared data";
  const Pattern& p = l.patterns.front();
  auto chart = RenderDecisionChart(
      p, l.bars.Truncated(l.bars.IndexOf(p.confirmation_day)));
  EXPECT_EQ(chart.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace pcs
