#include "training/model_registry.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/sha256.h"
#include "gtest/gtest.h"
#include "model/model_card.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A one-row evaluation whose 30% row and model ECE are set by hand.
EvaluationReport ReportWith(double model_precision, double rule_precision,
                            double ece) {
  EvaluationReport r;
  CoverageRow row;
  row.name = "30%";
  ScorerAtCoverage m;
  m.scorer = "model";
  m.precision = model_precision;
  LiftVs lift;
  lift.reference = "rule";
  lift.lift = model_precision / rule_precision - 1;
  lift.ci = {0.01, 0.3};
  m.lifts.push_back(lift);
  ScorerAtCoverage rule;
  rule.scorer = "rule";
  rule.precision = rule_precision;
  row.scorers = {m, rule};
  r.coverage.push_back(row);
  ScorerSummary s;
  s.name = "model";
  s.ece = ece;
  r.scorers.push_back(s);
  return r;
}

// Policy figures that pass every check; each test breaks one.
GatePolicyFigures PassingPolicy() {
  GatePolicyFigures f;
  f.policy_found = true;
  f.model.tp_lift = 0.20;
  f.model.tp_lift_ci_low = 0.05;
  f.model.tp_lift_ci_high = 0.35;
  f.model.precision_diff = 0.01;
  f.model.precision_diff_ci_low = -0.005;
  f.model.precision_diff_ci_high = 0.03;
  f.analytic_found = true;
  f.tp_vs_analytic = 0.02;
  f.tp_vs_analytic_ci = {-0.03, 0.08};
  return f;
}

bool Failed(const GateDecision& d, const std::string& check) {
  for (const GateCheck& c : d.checks) {
    if (c.name == check) return !c.passed;
  }
  ADD_FAILURE() << "no check " << check;
  return false;
}

TEST(PromotionGateTest, PromotesWhenEveryCheckHolds) {
  const GateOptions o;
  const GateDecision d =
      EvaluateGate(ReportWith(0.55, 0.50, 0.02), PassingPolicy(), o);
  EXPECT_TRUE(d.promote) << d.reason;
  EXPECT_EQ(d.checks.size(), 6u);
  EXPECT_NE(d.reason.find("true positives vs rule-only +20.0%"),
            std::string::npos)
      << d.reason;
  EXPECT_NE(d.reason.find("goal (not gated): +10.0% at 30% coverage, met"),
            std::string::npos)
      << d.reason;
}

TEST(PromotionGateTest, EachCheckRejectsOnItsOwn) {
  const GateOptions o;
  const EvaluationReport good = ReportWith(0.55, 0.50, 0.02);
  GatePolicyFigures f = PassingPolicy();
  f.model.tp_lift = 0.09;  // below +10%
  EXPECT_TRUE(Failed(EvaluateGate(good, f, o), "tp_lift"));
  f = PassingPolicy();
  f.model.tp_lift_ci_low = 0.0;  // lower bound must be ABOVE 0
  EXPECT_TRUE(Failed(EvaluateGate(good, f, o), "tp_lift"));
  f = PassingPolicy();
  f.model.precision_diff = -0.001;
  EXPECT_TRUE(Failed(EvaluateGate(good, f, o), "precision_diff"));
  f = PassingPolicy();
  f.model.precision_diff_ci_low = -0.011;  // below -1 point
  EXPECT_TRUE(Failed(EvaluateGate(good, f, o), "precision_diff"));
  f = PassingPolicy();
  f.tp_vs_analytic_ci.low = -0.06;  // worse than geometry by > 5%
  const GateDecision geometry = EvaluateGate(good, f, o);
  EXPECT_FALSE(geometry.promote);
  EXPECT_TRUE(Failed(geometry, "tp_vs_analytic"));
  EXPECT_NE(geometry.reason.find("rejected (failed: tp_vs_analytic)"),
            std::string::npos)
      << geometry.reason;
  EXPECT_TRUE(Failed(
      EvaluateGate(ReportWith(0.60, 0.50, 0.08), PassingPolicy(), o), "ece"));
  EvaluationReport flat = ReportWith(0.52, 0.50, 0.02);
  flat.coverage[0].scorers[0].lifts[0].ci = {0.0, 0.1};  // ranking ties rule
  EXPECT_TRUE(Failed(EvaluateGate(flat, PassingPolicy(), o), "coverage_lift"));
  f = PassingPolicy();
  f.policy_found = false;
  const GateDecision none = EvaluateGate(good, f, o);
  EXPECT_FALSE(none.promote);
  EXPECT_TRUE(Failed(none, "policy_found"));
  EXPECT_FALSE(EvaluateGate(EvaluationReport{}, PassingPolicy(), o).promote);
}

TEST(PromotionGateTest, CoverageLiftIsAGoalNotAGate) {
  // +4% at 30% coverage with a lower bound above 0: promoted, goal not met.
  const GateDecision d =
      EvaluateGate(ReportWith(0.52, 0.50, 0.02), PassingPolicy(), {});
  EXPECT_TRUE(d.promote) << d.reason;
  EXPECT_FALSE(d.coverage_goal_met);
  EXPECT_NE(d.reason.find("not met"), std::string::npos) << d.reason;
}

GateDecision Decision(bool promote, const std::string& reason) {
  GateDecision d;
  d.promote = promote;
  d.reason = reason;
  return d;
}

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ =
        fs::path(::testing::TempDir()) /
        ("registry_" +
         std::string(
             ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(root_);
  }
  ModelArtifact Artifact(const std::string& version) {
    ModelArtifact a;
    a.version = version;
    a.model_json = "{\"learner\":{}}";
    a.card = {{"feature_schema",
               {{"version", "v"}, {"hash", "h"}, {"names", {"a"}}}}};
    a.reference_rows = {{"rows", nlohmann::json::array()}};
    return a;
  }
  fs::path root_;
};

TEST_F(RegistryTest, PublishesAtomicallyAndPromotesChampion) {
  GateDecision pass = Decision(true, "promoted: test");
  auto r = PublishModel(root_.string(), Artifact("20990101T000000Z"), pass,
                        GateOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, "champion");
  EXPECT_FALSE(r->previous_champion.has_value());
  const fs::path dir = root_ / "20990101T000000Z";
  EXPECT_FALSE(fs::exists(root_ / ".tmp-20990101T000000Z"));
  const nlohmann::json card =
      nlohmann::json::parse(Slurp(dir / "model_card.json"));
  EXPECT_EQ(card["status"], "champion");
  EXPECT_EQ(card["version"], "20990101T000000Z");
  EXPECT_EQ(card["model_file"], "model.json");
  EXPECT_EQ(card["model_sha256"],
            *Sha256HexOfFile((dir / "model.json").string()));
  EXPECT_EQ(card["reference_rows_sha256"],
            *Sha256HexOfFile((dir / "reference_rows.json").string()));
  EXPECT_TRUE(card["gate"]["passed"]);
  EXPECT_EQ(card["feature_schema"]["hash"], "h");
  EXPECT_EQ(ReadChampion(root_.string()).value_or(std::nullopt),
            "20990101T000000Z");
  EXPECT_EQ(Slurp(root_ / "CHAMPION"), "20990101T000000Z\n");

  // A second champion replaces the pointer and appends history.
  auto r2 = PublishModel(root_.string(), Artifact("20990102T000000Z"), pass,
                         GateOptions{});
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->previous_champion, "20990101T000000Z");
  EXPECT_EQ(ReadChampion(root_.string()).value_or(std::nullopt),
            "20990102T000000Z");
  std::ifstream hist(root_ / "champion_history.jsonl");
  std::string line;
  std::vector<nlohmann::json> lines;
  while (std::getline(hist, line)) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["version"], "20990102T000000Z");
  EXPECT_EQ(lines[1]["previous"], "20990101T000000Z");
  // No temporary pointer files are left behind.
  for (const auto& e : fs::directory_iterator(root_)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos)
        << e.path();
    EXPECT_EQ(e.path().filename().string().find("CHAMPION.tmp"),
              std::string::npos);
  }
}

TEST_F(RegistryTest, RejectedChallengerDoesNotMoveThePointer) {
  GateDecision pass = Decision(true, "promoted");
  GateDecision fail = Decision(false, "rejected (lift below the bar): x");
  ASSERT_TRUE(PublishModel(root_.string(), Artifact("20990101T000000Z"), pass,
                           GateOptions{})
                  .ok());
  auto r = PublishModel(root_.string(), Artifact("20990103T000000Z"), fail,
                        GateOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, "rejected_challenger");
  EXPECT_EQ(ReadChampion(root_.string()).value_or(std::nullopt),
            "20990101T000000Z");
  const nlohmann::json card = nlohmann::json::parse(
      Slurp(root_ / "20990103T000000Z" / "model_card.json"));
  EXPECT_EQ(card["status"], "rejected_challenger");
  EXPECT_EQ(card["gate"]["reason"], "rejected (lift below the bar): x");
  std::ifstream hist(root_ / "champion_history.jsonl");
  int n = 0;
  std::string line;
  while (std::getline(hist, line)) ++n;
  EXPECT_EQ(n, 1);
}

TEST_F(RegistryTest, RefusesToOverwriteAnExistingVersionAndCleansStaleTmp) {
  GateDecision fail = Decision(false, "r");
  fs::create_directories(root_ / ".tmp-20990101T000000Z");
  std::ofstream(root_ / ".tmp-20990101T000000Z" / "junk") << "x";
  ASSERT_TRUE(PublishModel(root_.string(), Artifact("20990101T000000Z"), fail,
                           GateOptions{})
                  .ok());
  EXPECT_FALSE(fs::exists(root_ / "20990101T000000Z" / "junk"));
  auto again = PublishModel(root_.string(), Artifact("20990101T000000Z"), fail,
                            GateOptions{});
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_FALSE(ReadChampion(root_.string()).value_or("x").has_value());
}

}  // namespace
}  // namespace pcs
