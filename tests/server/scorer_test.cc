// Scorer without a database: real AAPL and DIA bars read from the shared CSV
// files, patterns from the real detectors, a small real XGBoost model
// published as training does and loaded by ModelLoader.
#include "server/scorer.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "lifecycle/pattern_detector.h"
#include "server/model_loader.h"
#include "tests/test_util/fake_model_artifact.h"
#include "tests/test_util/shared_data.h"

namespace pcs {
namespace {

// Yahoo-layout rows in increasing day order; unparsable rows are skipped.
bool LoadCsv(const std::string& symbol, BarSeries* out) {
  std::ifstream in(testing::SharedOhlcvFile(symbol));
  if (!in) return false;
  out->symbol = symbol;
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    const std::vector<absl::string_view> f = absl::StrSplit(line, ',');
    if (f.size() != 7) continue;
    absl::StatusOr<Day> day = ParseDay(f[0]);
    Bar b;
    if (!day.ok() || !absl::SimpleAtod(f[1], &b.open) ||
        !absl::SimpleAtod(f[2], &b.high) || !absl::SimpleAtod(f[3], &b.low) ||
        !absl::SimpleAtod(f[4], &b.close) ||
        !absl::SimpleAtod(f[5], &b.adj_close) ||
        !absl::SimpleAtod(f[6], &b.volume) ||
        (!out->bars.empty() && *day <= out->bars.back().day)) {
      continue;
    }
    b.day = *day;
    out->bars.push_back(b);
  }
  return !out->bars.empty();
}

class ScorerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto* w = new World;
    if (!LoadCsv("AAPL", &w->aapl) || !LoadCsv("DIA", &w->dia)) {
      delete w;
      return;
    }
    w->patterns = DetectPatterns(w->aapl);
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() /
        ("pcs-scorer-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto version = testing::WriteFakeModelArtifact(
        dir.string(), {.decision_threshold = 0.4, .blend_weight = 0.7});
    absl::StatusOr<std::shared_ptr<const ServableModel>> model =
        version.ok() ? ModelLoader(*version).Load()
                     : absl::StatusOr<std::shared_ptr<const ServableModel>>(
                           version.status());
    std::filesystem::remove_all(dir);
    if (model.ok()) {
      w->model = *model;
    } else {
      w->error = model.status().ToString();
    }
    world_ = w;
  }
  void SetUp() override {
    if (world_ == nullptr) {
      GTEST_SKIP() << "shared data not found under "
                   << testing::SharedOhlcvDir();
    }
    ASSERT_EQ(world_->error, "") << "the test model did not load";
    ASSERT_GE(world_->patterns.size(), 10u);
  }
  struct World {
    BarSeries aapl, dia;
    std::vector<Pattern> patterns;
    std::shared_ptr<const ServableModel> model;
    std::string error;  // why the model did not load
  };
  static inline World* world_ = nullptr;
};

TEST_F(ScorerTest, ScoresEveryPatternWithTheModelsCalibratedProbability) {
  const Scorer scorer({.phase5_enabled = true});
  const ServableModel& model = *world_->model;
  const FeatureBuilder builder;
  for (const Pattern& p : world_->patterns) {
    ScoreResult r = scorer.Score(&model, p, LifecycleState::kConfirmed,
                                 world_->aapl, &world_->dia, 3);
    auto row = builder.Build(p, world_->aapl, &world_->dia);
    ASSERT_TRUE(row.ok()) << row.status();
    const double margin = model.ensemble.PredictMargin(row->data());
    ASSERT_EQ(r.fallback_reason, FallbackReason::kNone) << p.Id();
    EXPECT_EQ(r.margin, margin);
    ASSERT_TRUE(r.ml_confidence.has_value());
    EXPECT_EQ(*r.ml_confidence, model.Probability(margin));
    EXPECT_EQ(r.model_version, model.version);
    EXPECT_EQ(r.decision_threshold, 0.4);
    EXPECT_EQ(r.ml_weight_used, 0.7);  // the card's blend weight
    EXPECT_EQ(r.top_contributions.size(), 3u);
    EXPECT_EQ(r.decision, r.blended_confidence >= 0.4
                              ? LifecycleDecisionKind::kConfirm
                              : LifecycleDecisionKind::kReject);
    EXPECT_EQ(r.state, LifecycleState::kConfirmed);
  }
}

TEST_F(ScorerTest, PredictThenDecideIsScore) {
  const Scorer scorer({.phase5_enabled = true, .default_top_k = 4});
  const Pattern& p = world_->patterns.front();
  StageTimings timing;
  Prediction prediction =
      scorer.Predict(*world_->model, p, world_->aapl, &world_->dia, &timing);
  ASSERT_NE(prediction.output, nullptr);
  ScoreResult decided = scorer.Decide(p, LifecycleState::kDetected,
                                      world_->model.get(), prediction, 0);
  ScoreResult scored =
      scorer.Score(world_->model.get(), p, LifecycleState::kDetected,
                   world_->aapl, &world_->dia, 0);
  EXPECT_EQ(decided.ml_confidence, scored.ml_confidence);
  EXPECT_EQ(decided.blended_confidence, scored.blended_confidence);
  ASSERT_EQ(decided.top_contributions.size(), 4u);  // default_top_k
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(decided.top_contributions[i].feature,
              scored.top_contributions[i].feature);
  }
}

TEST_F(ScorerTest, FallsBackToTheRuleConfidence) {
  const Pattern& p = world_->patterns.front();
  const ServableModel* model = world_->model.get();
  ScoreResult off = Scorer({.phase5_enabled = false})
                        .Score(model, p, LifecycleState::kConfirmed,
                               world_->aapl, &world_->dia, 3);
  EXPECT_EQ(off.fallback_reason, FallbackReason::kFlagOff);
  EXPECT_FALSE(off.ml_confidence.has_value());
  EXPECT_EQ(off.blended_confidence, off.rule_confidence);
  EXPECT_EQ(off.model_version, "");

  const Scorer on({.phase5_enabled = true});
  ScoreResult none = on.Score(nullptr, p, LifecycleState::kConfirmed,
                              world_->aapl, &world_->dia, 3);
  EXPECT_EQ(none.fallback_reason, FallbackReason::kNoModel);
  EXPECT_EQ(none.decision_threshold, kDefaultRuleDecisionThreshold);

  // Bars that stop before the confirmation day: no feature row.
  const int t = world_->aapl.IndexOf(p.confirmation_day);
  ASSERT_GT(t, 0);
  BarSeries cut = world_->aapl.Truncated(t);
  ScoreResult no_bar =
      on.Score(model, p, LifecycleState::kConfirmed, cut, &world_->dia, 3);
  EXPECT_EQ(no_bar.fallback_reason, FallbackReason::kFeaturesUnavailable);
  EXPECT_FALSE(no_bar.ml_confidence.has_value());
  EXPECT_TRUE(no_bar.top_contributions.empty());
  EXPECT_EQ(no_bar.model_version, "");
}

}  // namespace
}  // namespace pcs
