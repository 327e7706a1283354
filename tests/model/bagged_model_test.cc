#include "model/bagged_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "model/tree_ensemble.h"
#include "model/xgboost_booster.h"
#include "tests/model/synthetic_dataset.h"

namespace pcs {
namespace {

using ::pcs::testing::MakeSyntheticDataset;
using ::pcs::testing::SyntheticDataset;

std::string TrainJson(const TrainParams& p, const SyntheticDataset& d) {
  auto b = XGBoostBooster::Train(d.x, d.y, nullptr, nullptr, p, nullptr);
  EXPECT_TRUE(b.ok()) << b.status();
  auto json = (*b)->SaveModelToJson();
  EXPECT_TRUE(json.ok()) << json.status();
  return *json;
}

TrainParams Params(int seed, const std::string& objective = "binary:logistic") {
  TrainParams p;
  p.max_depth = 3;
  p.eta = 0.3;
  p.num_boost_round = 8;
  p.nthread = 1;
  p.seed = seed;
  p.objective = objective;
  return p;
}

// The merged model's margin is the members' mean margin, TreeSHAP still sums
// to it, and XGBoost itself loads the merged model and agrees.
TEST(BaggedModelTest, MarginIsTheMeanOfTheMembersAndContributionsSumToIt) {
  for (const std::string objective : {"binary:logistic", "rank:pairwise"}) {
    const SyntheticDataset d = MakeSyntheticDataset(600, 12, 3);
    const std::vector<std::string> members = {
        TrainJson(Params(1, objective), d), TrainJson(Params(2, objective), d),
        TrainJson(Params(3, objective), d)};
    absl::StatusOr<std::string> merged = AverageXGBoostModels(members);
    ASSERT_TRUE(merged.ok()) << merged.status();
    auto m = TreeEnsemble::FromXGBoostJson(*merged);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->num_trees(), 24);
    std::vector<TreeEnsemble> each;
    for (const std::string& j : members)
      each.push_back(*TreeEnsemble::FromXGBoostJson(j));
    auto xgb = XGBoostBooster::LoadFromJson(*merged);
    ASSERT_TRUE(xgb.ok()) << xgb.status();
    auto xgb_margin = (*xgb)->PredictMargin(d.x);
    ASSERT_TRUE(xgb_margin.ok()) << xgb_margin.status();
    std::vector<double> contrib(m->num_features() + 1);
    for (int r = 0; r < 50; ++r) {
      double mean = 0;
      for (const TreeEnsemble& e : each)
        mean += (e.PredictMargin(d.x.Row(r)) - e.base_margin());
      mean = m->base_margin() + mean / 3;
      const double margin = m->PredictMargin(d.x.Row(r));
      EXPECT_NEAR(margin, mean, 1e-5) << objective;
      EXPECT_NEAR(margin, (*xgb_margin)[r], 1e-4) << objective;
      const double total = m->Contributions(d.x.Row(r), contrib.data());
      double sum = 0;
      for (double v : contrib) sum += v;
      EXPECT_NEAR(sum, total, 1e-6);
      EXPECT_NEAR(total, margin, 1e-6);
    }
  }
}

TEST(BaggedModelTest, RejectsEmptyAndMismatchedMembers) {
  EXPECT_FALSE(AverageXGBoostModels({}).ok());
  EXPECT_FALSE(AverageXGBoostModels({"not json"}).ok());
  const SyntheticDataset d = MakeSyntheticDataset(300, 12, 4);
  const SyntheticDataset narrow = MakeSyntheticDataset(300, 6, 4);
  EXPECT_FALSE(AverageXGBoostModels(
                   {TrainJson(Params(1), d), TrainJson(Params(1), narrow)})
                   .ok());
  EXPECT_FALSE(AverageXGBoostModels({TrainJson(Params(1), d),
                                     TrainJson(Params(1, "rank:pairwise"), d)})
                   .ok());
}

// Monotone constraints reach XGBoost: with +1 on feature 0 the margin never
// falls when only feature 0 rises.
TEST(BaggedModelTest, MonotoneConstraintsAreApplied) {
  const SyntheticDataset d = MakeSyntheticDataset(800, 12, 5);
  TrainParams p = Params(1);
  p.num_boost_round = 20;
  p.monotone_constraints.assign(12, 0);
  p.monotone_constraints[0] = -1;
  auto m = TreeEnsemble::FromXGBoostJson(TrainJson(p, d));
  ASSERT_TRUE(m.ok()) << m.status();
  for (int r = 0; r < 40; ++r) {
    std::vector<float> x(d.x.Row(r), d.x.Row(r) + 12);
    double last = INFINITY;
    for (float v = -3; v <= 3; v += 0.25f) {
      x[0] = v;
      const double margin = m->PredictMargin(x.data());
      EXPECT_LE(margin, last + 1e-9);
      last = margin;
    }
  }
}

}  // namespace
}  // namespace pcs
