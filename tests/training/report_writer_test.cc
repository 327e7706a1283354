#include "training/report_writer.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "training/svg_plot.h"

namespace pcs {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// 400 synthetic holdout rows over 8 symbols; the model is informative, the
// rule weakly so, base rate and analytic are noise.
EvaluationInput SyntheticInput() {
  EvaluationInput in;
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < 400; ++i) {
    const int label = u(rng) < 0.4 ? 1 : 0;
    char id[17];
    std::snprintf(id, sizeof(id), "%016d", i);
    in.ids.push_back(id);
    in.symbols.push_back(absl::StrCat("S", i % 8));
    in.pattern_types.push_back(i % 2 ? "double_top" : "bull_flag");
    in.labels.push_back(label);
    in.model.push_back(
        std::clamp(0.25 + 0.3 * label + 0.3 * (u(rng) - 0.5), 0.0, 1.0));
    in.rule.push_back(
        std::clamp(0.5 + 0.1 * label + 0.4 * (u(rng) - 0.5), 0.0, 1.0));
    in.type_base_rate.push_back(i % 2 ? 0.38 : 0.41);
    in.analytic.push_back(u(rng));
  }
  in.rule_threshold = 0.5;
  in.resamples = 200;
  return in;
}

// Minimal well-formedness check: every '<tag' has a matching close or is
// self-closing, in order (no attributes contain '<' or '>').
bool WellFormed(const std::string& xml) {
  std::vector<std::string> stack;
  size_t pos = 0;
  while ((pos = xml.find('<', pos)) != std::string::npos) {
    const size_t end = xml.find('>', pos);
    if (end == std::string::npos) return false;
    std::string tag = xml.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    if (tag.empty() || tag[0] == '?' || tag[0] == '!') continue;
    if (tag.back() == '/') continue;
    const std::string name = tag.substr(
        tag[0] == '/' ? 1 : 0, tag.find(' ') - (tag[0] == '/' ? 1 : 0));
    if (tag[0] == '/') {
      if (stack.empty() || stack.back() != name) return false;
      stack.pop_back();
    } else {
      stack.push_back(name);
    }
  }
  return stack.empty();
}

TEST(SvgPlotTest, ProducesWellFormedSvgWithLegendAndEscapedText) {
  SvgPlotOptions o;
  o.title = "A & B <test>";
  o.x_label = "x";
  o.y_label = "y";
  SvgSeries one;
  one.name = "one";
  one.points = {{0, 0}, {0.5, 0.7}, {1, 1}};
  SvgSeries two;
  two.name = "two \"q\"";
  two.points = {{0, 1}, {1, 0}};
  two.color = "#ff0000";
  two.dashed = true;
  two.markers = true;
  const std::string svg = RenderLinePlot(o, {one, two});
  EXPECT_TRUE(WellFormed(svg)) << svg;
  EXPECT_NE(svg.find("A &amp; B &lt;test&gt;"), std::string::npos);
  EXPECT_NE(svg.find("two &quot;q&quot;"), std::string::npos);
  EXPECT_NE(svg.find("class=\"legend\""), std::string::npos);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_NE(svg.find("stroke-dasharray"), std::string::npos);
}

TEST(ReportWriterTest, WritesJsonMarkdownAndFourPlots) {
  absl::StatusOr<EvaluationReport> report = Evaluate(SyntheticInput());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_GT(report->Scorer("model")->roc_auc,
            report->Scorer("analytic")->roc_auc);
  const std::string dir = ::testing::TempDir() + "/report_writer_test";
  std::filesystem::remove_all(dir);
  ReportContext c;
  c.model_version = "20990101T000000Z";
  c.status = "champion";
  c.top_features = {{"f1", 10, 0.2}};
  ShuffleCheck shuffle;
  shuffle.lift_vs_rule_at_30 = -0.02;
  shuffle.lift_ci = {-0.1, 0.05};
  shuffle.lift_vanished = true;
  c.shuffle = shuffle;
  c.extra["hyperparameters"] = {{"max_depth", 4}};
  ASSERT_TRUE(WriteReport(dir, *report, c).ok());
  for (const char* f :
       {"evaluation.json", "report.md", "reliability.svg", "roc.svg",
        "precision_recall.svg", "precision_coverage.svg"}) {
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + f)) << f;
  }
  for (const char* f : {"reliability.svg", "roc.svg", "precision_recall.svg",
                        "precision_coverage.svg"}) {
    EXPECT_TRUE(WellFormed(Slurp(dir + "/" + f))) << f;
  }
  const nlohmann::json j =
      nlohmann::json::parse(Slurp(dir + "/evaluation.json"));
  EXPECT_EQ(j["rows"], 400);
  EXPECT_EQ(j["matched_coverage"].size(), 5u);  // 10/20/30/50% + rule threshold
  EXPECT_TRUE(j["matched_coverage"][2]["scorers"]["model"].contains(
      "lift_vs_analytic"));
  EXPECT_EQ(j["hyperparameters"]["max_depth"], 4);
  EXPECT_TRUE(j["shuffle_check"]["lift_vanished"]);
  const std::string md = Slurp(dir + "/report.md");
  EXPECT_NE(md.find("matched coverage"), std::string::npos);
  EXPECT_NE(md.find("Label-shuffle check"), std::string::npos);
  EXPECT_NE(md.find("| 30% (30.0%) | 120"), std::string::npos) << md;
}

}  // namespace
}  // namespace pcs
