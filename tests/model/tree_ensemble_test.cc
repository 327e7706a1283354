#include "model/tree_ensemble.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "model/xgboost_booster.h"
#include "tests/model/synthetic_dataset.h"

namespace pcs {
namespace {

using ::pcs::testing::MakeSyntheticDataset;
using ::testing::HasSubstr;

constexpr int kFeatures = 50;

// One model trained on ~50 features with NaNs, shared by the tests (trained
// once; the booster is freed in TearDownTestSuite, before main returns).
class TreeEnsembleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    train_ = new pcs::testing::SyntheticDataset(
        MakeSyntheticDataset(4000, kFeatures, 11));
    eval_ = new pcs::testing::SyntheticDataset(
        MakeSyntheticDataset(6000, kFeatures, 12));
    TrainParams params;
    params.max_depth = 6;
    params.eta = 0.1;
    params.num_boost_round = 150;
    params.early_stopping_rounds = 20;
    params.nthread = 1;
    TrainLog log;
    auto valid = MakeSyntheticDataset(1000, kFeatures, 13);
    auto booster = XGBoostBooster::Train(train_->x, train_->y, &valid.x,
                                         &valid.y, params, &log);
    ASSERT_TRUE(booster.ok()) << booster.status();
    booster_ = booster->release();
    auto json = booster_->SaveModelToJson();
    ASSERT_TRUE(json.ok());
    json_ = new std::string(*json);
  }
  static void TearDownTestSuite() {
    delete booster_;
    delete train_;
    delete eval_;
    delete json_;
  }

  static XGBoostBooster* booster_;
  static pcs::testing::SyntheticDataset* train_;
  static pcs::testing::SyntheticDataset* eval_;
  static std::string* json_;
};

XGBoostBooster* TreeEnsembleTest::booster_ = nullptr;
pcs::testing::SyntheticDataset* TreeEnsembleTest::train_ = nullptr;
pcs::testing::SyntheticDataset* TreeEnsembleTest::eval_ = nullptr;
std::string* TreeEnsembleTest::json_ = nullptr;

double MaxMarginDiff(const TreeEnsemble& model, XGBoostBooster& booster,
                     const DenseMatrix& x) {
  auto want = booster.PredictMargin(x);
  EXPECT_TRUE(want.ok()) << want.status();
  if (!want.ok()) return 1e9;
  double max_diff = 0;
  for (int r = 0; r < x.rows; ++r) {
    max_diff = std::max(max_diff,
                        std::fabs(model.PredictMargin(x.Row(r)) - (*want)[r]));
  }
  return max_diff;
}

TEST_F(TreeEnsembleTest, MarginsMatchXGBoostOnManyRows) {
  auto model = TreeEnsemble::FromXGBoostJson(*json_);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->num_features(), kFeatures);
  EXPECT_EQ(model->num_trees(), *booster_->NumRounds());
  EXPECT_EQ(model->objective(), "binary:logistic");
  EXPECT_DOUBLE_EQ(model->base_margin(), 0.0);  // base_score 0.5
  EXPECT_LE(model->max_depth(), 6);
  const double train_diff = MaxMarginDiff(*model, *booster_, train_->x);
  const double eval_diff = MaxMarginDiff(*model, *booster_, eval_->x);
  std::printf("max |margin - xgboost|: train %.3g, eval %.3g\n", train_diff,
              eval_diff);
  EXPECT_LT(train_diff, 1e-4);
  EXPECT_LT(eval_diff, 1e-4);
}

TEST_F(TreeEnsembleTest, ContributionsMatchXGBoostTreeShap) {
  auto model = TreeEnsemble::FromXGBoostJson(*json_);
  ASSERT_TRUE(model.ok()) << model.status();
  const DenseMatrix& x = eval_->x;
  auto want = booster_->PredictContributions(x);
  auto margins = booster_->PredictMargin(x);
  ASSERT_TRUE(want.ok() && margins.ok());
  std::vector<double> got(kFeatures + 1);
  double max_diff = 0, max_sum_diff = 0;
  for (int r = 0; r < x.rows; ++r) {
    const double margin = model->Contributions(x.Row(r), got.data());
    EXPECT_NEAR(margin, (*margins)[r], 1e-4);
    double sum = 0;
    for (int c = 0; c <= kFeatures; ++c) {
      sum += got[c];
      max_diff = std::max(max_diff,
                          std::fabs(got[c] - (*want)[r * (kFeatures + 1) + c]));
    }
    max_sum_diff = std::max(max_sum_diff, std::fabs(sum - margin));
    ASSERT_DOUBLE_EQ(got[kFeatures], model->expected_margin());
  }
  std::printf("max |contribution - xgboost|: %.3g; max |sum - margin|: %.3g\n",
              max_diff, max_sum_diff);
  EXPECT_TRUE(model->has_shap_tables());
  EXPECT_LT(max_diff, 1e-4);
  // The tables hold float (as XGBoost does): each entry rounds by ~6e-8
  // relative, so the sum misses the margin by ~4e-8 here.
  EXPECT_LT(max_sum_diff, 1e-6);
  // The recursive reference algorithm agrees with XGBoost (and the tables).
  double recursive_diff = 0;
  for (int r = 0; r < x.rows; r += 7) {
    const double margin = model->ContributionsRecursive(x.Row(r), got.data());
    EXPECT_NEAR(margin, (*margins)[r], 1e-4);
    for (int c = 0; c <= kFeatures; ++c) {
      recursive_diff = std::max(
          recursive_diff, std::fabs(got[c] - (*want)[r * (kFeatures + 1) + c]));
    }
  }
  std::printf("max |recursive contribution - xgboost|: %.3g\n", recursive_diff);
  EXPECT_LT(recursive_diff, 1e-4);
  // Missing-value-heavy rows (all NaN, half NaN) take the default directions.
  DenseMatrix nan_rows{2, kFeatures,
                       std::vector<float>(2 * kFeatures, std::nanf(""))};
  for (int c = 0; c < kFeatures; c += 2) nan_rows.values[kFeatures + c] = 0.25f;
  auto nan_want = booster_->PredictContributions(nan_rows);
  ASSERT_TRUE(nan_want.ok());
  for (int r = 0; r < 2; ++r) {
    model->Contributions(nan_rows.Row(r), got.data());
    for (int c = 0; c <= kFeatures; ++c) {
      EXPECT_NEAR(got[c], (*nan_want)[r * (kFeatures + 1) + c], 1e-4)
          << r << "," << c;
    }
  }
}

// Rows placed exactly on split thresholds (and one float below) must follow
// XGBoost's `x < threshold` rule in float.
TEST_F(TreeEnsembleTest, ValuesExactlyOnThresholdsFollowXGBoost) {
  auto model = TreeEnsemble::FromXGBoostJson(*json_);
  ASSERT_TRUE(model.ok());
  const auto doc = nlohmann::json::parse(*json_);
  const auto& trees = doc["learner"]["gradient_booster"]["model"]["trees"];
  DenseMatrix x{0, kFeatures, {}};
  for (size_t t = 0; t < trees.size() && x.rows < 2000; t += 3) {
    const auto& tree = trees[t];
    for (size_t n = 0; n < tree["left_children"].size(); ++n) {
      if (tree["left_children"][n].get<int>() == -1) continue;
      const int f = tree["split_indices"][n].get<int>();
      const float threshold = tree["split_conditions"][n].get<float>();
      for (float v : {threshold, std::nextafter(threshold, -1e30f)}) {
        std::vector<float> row(train_->x.Row(x.rows % 4000),
                               train_->x.Row(x.rows % 4000) + kFeatures);
        row[f] = v;
        x.values.insert(x.values.end(), row.begin(), row.end());
        ++x.rows;
      }
    }
  }
  ASSERT_GT(x.rows, 100);
  EXPECT_LT(MaxMarginDiff(*model, *booster_, x), 1e-4);
}

TEST_F(TreeEnsembleTest, BaseScoreIsConvertedToMarginLikeXGBoost) {
  auto doc = nlohmann::json::parse(*json_);
  doc["learner"]["learner_model_param"]["base_score"] = "2E-1";
  const std::string text = doc.dump();
  auto model = TreeEnsemble::FromXGBoostJson(text);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_NEAR(model->base_margin(), std::log(0.2 / 0.8), 1e-12);
  auto booster = XGBoostBooster::LoadFromJson(text);
  ASSERT_TRUE(booster.ok()) << booster.status();
  EXPECT_LT(MaxMarginDiff(*model, **booster, eval_->x), 1e-4);
}

TEST_F(TreeEnsembleTest, FileLoadingAndConcurrentReadsAgree) {
  const std::string path =
      (std::filesystem::temp_directory_path() /
       ("pcs_tree_ensemble_" + std::to_string(::getpid()) + ".json"))
          .string();
  ASSERT_TRUE(booster_->SaveModel(path).ok());
  auto model = TreeEnsemble::FromXGBoostJsonFile(path);
  std::remove(path.c_str());
  ASSERT_TRUE(model.ok()) << model.status();
  const DenseMatrix& x = eval_->x;
  std::vector<double> serial(x.rows);
  std::vector<double> contrib(kFeatures + 1);
  for (int r = 0; r < x.rows; ++r)
    serial[r] = model->Contributions(x.Row(r), contrib.data());
  std::vector<double> parallel(x.rows);
  auto work = [&](int begin) {
    std::vector<double> out(kFeatures + 1);
    for (int r = begin; r < x.rows; r += 2)
      parallel[r] = model->Contributions(x.Row(r), out.data());
  };
  std::thread a(work, 0), b(work, 1);
  a.join();
  b.join();
  EXPECT_EQ(serial, parallel);
}

// Deep trees: depth 7 with few splits still gets tables (generic stride);
// depth 14 has more than 64 splits per tree and falls back to recursive
// TreeSHAP. Both match XGBoost.
TEST(TreeEnsembleDeepTest, DeepTreesUseGenericTablesOrRecursiveFallback) {
  auto data = MakeSyntheticDataset(4000, 20, 31);
  for (int depth : {7, 14}) {
    TrainParams params;
    params.max_depth = depth;
    params.min_child_weight = depth == 7 ? 30 : 0.5;
    params.num_boost_round = 3;
    params.nthread = 1;
    auto booster = XGBoostBooster::Train(data.x, data.y, nullptr, nullptr,
                                         params, nullptr);
    ASSERT_TRUE(booster.ok()) << booster.status();
    auto model = TreeEnsemble::FromXGBoostJson(*(*booster)->SaveModelToJson());
    ASSERT_TRUE(model.ok()) << model.status();
    EXPECT_GT(model->max_depth(), 6);
    EXPECT_EQ(model->has_shap_tables(), depth == 7) << "depth " << depth;
    DenseMatrix x{
        300, 20, {data.x.values.begin(), data.x.values.begin() + 300 * 20}};
    auto want = (*booster)->PredictContributions(x);
    ASSERT_TRUE(want.ok());
    std::vector<double> got(21);
    double max_diff = 0;
    for (int r = 0; r < x.rows; ++r) {
      model->Contributions(x.Row(r), got.data());
      for (int c = 0; c <= 20; ++c) {
        max_diff = std::max(max_diff, std::fabs(got[c] - (*want)[r * 21 + c]));
      }
    }
    EXPECT_LT(max_diff, 1e-4) << "depth " << depth;
  }
}

TEST(TreeEnsembleErrorsTest, RejectsBadModels) {
  EXPECT_EQ(TreeEnsemble::FromXGBoostJsonFile("/nonexistent/model.json")
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  auto not_json = TreeEnsemble::FromXGBoostJson("{not json");
  ASSERT_FALSE(not_json.ok());
  EXPECT_THAT(std::string(not_json.status().message()), HasSubstr("JSON"));
  EXPECT_FALSE(TreeEnsemble::FromXGBoostJson(R"({"learner": {}})").ok());

  auto data = MakeSyntheticDataset(300, 4, 21);
  TrainParams params;
  params.num_boost_round = 3;
  params.nthread = 1;
  auto booster =
      XGBoostBooster::Train(data.x, data.y, nullptr, nullptr, params, nullptr);
  ASSERT_TRUE(booster.ok());
  auto doc = nlohmann::json::parse(*(*booster)->SaveModelToJson());
  booster->reset();
  auto categorical = doc;
  categorical["learner"]["gradient_booster"]["model"]["trees"][1]["split_type"]
             [0] = 1;
  auto cat = TreeEnsemble::FromXGBoostJson(categorical.dump());
  ASSERT_FALSE(cat.ok());
  EXPECT_THAT(std::string(cat.status().message()), HasSubstr("tree 1"));
  auto objective = doc;
  objective["learner"]["objective"]["name"] = "multi:softprob";
  EXPECT_EQ(TreeEnsemble::FromXGBoostJson(objective.dump()).status().code(),
            absl::StatusCode::kUnimplemented);
  auto bad_child = doc;
  bad_child["learner"]["gradient_booster"]["model"]["trees"][0]["left_children"]
           [0] = 1000;
  EXPECT_FALSE(TreeEnsemble::FromXGBoostJson(bad_child.dump()).ok());
}

}  // namespace
}  // namespace pcs
