#include "model/xgboost_booster.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/model/synthetic_dataset.h"

namespace pcs {
namespace {

using ::pcs::testing::MakeSyntheticDataset;
using ::testing::HasSubstr;

TrainParams FastParams() {
  TrainParams p;
  p.max_depth = 3;
  p.eta = 0.2;
  p.num_boost_round = 200;
  p.early_stopping_rounds = 10;
  p.nthread = 1;  // OpenMP spin-waits crawl on an oversubscribed CI machine
  return p;
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "_" + std::to_string(::getpid()) + ".json"))
      .string();
}

TEST(XGBoostBoosterTest, TrainingIsDeterministic) {
  auto train = MakeSyntheticDataset(2000, 20, 1);
  auto valid = MakeSyntheticDataset(800, 20, 2);
  TrainLog log_a, log_b;
  TrainParams params = FastParams();
  params.nthread = 2;  // determinism must hold with several threads
  auto a = XGBoostBooster::Train(train.x, train.y, &valid.x, &valid.y, params,
                                 &log_a);
  auto b = XGBoostBooster::Train(train.x, train.y, &valid.x, &valid.y, params,
                                 &log_b);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(log_a.best_iteration, log_b.best_iteration);
  EXPECT_EQ(log_a.valid_logloss, log_b.valid_logloss);
  auto pa = (*a)->PredictMargin(valid.x);
  auto pb = (*b)->PredictMargin(valid.x);
  ASSERT_TRUE(pa.ok() && pb.ok());
  ASSERT_EQ(pa->size(), 800u);
  for (size_t i = 0; i < pa->size(); ++i)
    ASSERT_EQ((*pa)[i], (*pb)[i]) << "row " << i;
  EXPECT_EQ(*(*a)->SaveModelToJson(), *(*b)->SaveModelToJson());
}

TEST(XGBoostBoosterTest, EarlyStoppingKeepsOnlyTreesUpToBestIteration) {
  auto train = MakeSyntheticDataset(2000, 20, 3);
  auto valid = MakeSyntheticDataset(800, 20, 4);
  TrainParams params = FastParams();
  params.eta = 0.5;  // overfits quickly, so early stopping triggers
  TrainLog log;
  auto booster =
      XGBoostBooster::Train(train.x, train.y, &valid.x, &valid.y, params, &log);
  ASSERT_TRUE(booster.ok()) << booster.status();
  ASSERT_TRUE(log.stopped_early);
  EXPECT_EQ(log.rounds_run,
            log.best_iteration + 1 + params.early_stopping_rounds);
  ASSERT_EQ(log.valid_logloss.size(), static_cast<size_t>(log.rounds_run));
  ASSERT_EQ(log.train_logloss.size(), static_cast<size_t>(log.rounds_run));
  for (double v : log.valid_logloss) EXPECT_GE(v, log.best_valid_logloss);
  EXPECT_EQ(log.valid_logloss[log.best_iteration], log.best_valid_logloss);
  EXPECT_EQ(*(*booster)->NumRounds(), log.best_iteration + 1);

  // The same training stopped by round count alone builds the same trees.
  TrainParams fixed = params;
  fixed.num_boost_round = log.best_iteration + 1;
  auto reference =
      XGBoostBooster::Train(train.x, train.y, nullptr, nullptr, fixed, nullptr);
  ASSERT_TRUE(reference.ok()) << reference.status();
  auto got = (*booster)->PredictMargin(valid.x);
  auto want = (*reference)->PredictMargin(valid.x);
  ASSERT_TRUE(got.ok() && want.ok());
  for (size_t i = 0; i < got->size(); ++i)
    ASSERT_EQ((*got)[i], (*want)[i]) << "row " << i;
}

TEST(XGBoostBoosterTest, SaveLoadRoundTripAndInplacePrediction) {
  auto train = MakeSyntheticDataset(1500, 12, 5);
  auto booster = XGBoostBooster::Train(train.x, train.y, nullptr, nullptr,
                                       FastParams(), nullptr);
  ASSERT_TRUE(booster.ok()) << booster.status();
  EXPECT_EQ((*booster)->num_features(), 12);
  const std::string path = TempPath("pcs_booster_roundtrip");
  ASSERT_TRUE((*booster)->SaveModel(path).ok());
  auto loaded = XGBoostBooster::LoadFromFile(path);
  std::remove(path.c_str());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->num_features(), 12);
  auto before = (*booster)->PredictMargin(train.x);
  auto after = (*loaded)->PredictMargin(train.x);
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_EQ(*before, *after);

  auto json = (*booster)->SaveModelToJson();
  ASSERT_TRUE(json.ok());
  auto from_json = XGBoostBooster::LoadFromJson(*json);
  ASSERT_TRUE(from_json.ok()) << from_json.status();
  for (int r = 0; r < 50; ++r) {
    auto one = (*from_json)->PredictMarginInplace(train.x.Row(r), 1, 12, 1);
    ASSERT_TRUE(one.ok()) << one.status();
    ASSERT_EQ(one->size(), 1u);
    EXPECT_FLOAT_EQ((*one)[0], (*before)[r]) << "row " << r;
  }
}

TEST(XGBoostBoosterTest, ContributionsSumToMarginAndImportanceFindsSignal) {
  auto train = MakeSyntheticDataset(2000, 15, 6);
  auto booster = XGBoostBooster::Train(train.x, train.y, nullptr, nullptr,
                                       FastParams(), nullptr);
  ASSERT_TRUE(booster.ok()) << booster.status();
  auto margin = (*booster)->PredictMargin(train.x);
  auto contrib = (*booster)->PredictContributions(train.x);
  ASSERT_TRUE(margin.ok() && contrib.ok()) << contrib.status();
  ASSERT_EQ(contrib->size(), 2000u * 16u);
  for (int r = 0; r < 2000; ++r) {
    double sum = 0;
    for (int c = 0; c < 16; ++c) sum += (*contrib)[r * 16 + c];
    ASSERT_NEAR(sum, (*margin)[r], 1e-4) << "row " << r;
  }
  auto gain = (*booster)->TotalGainImportance();
  ASSERT_TRUE(gain.ok()) << gain.status();
  ASSERT_EQ(gain->size(), 15u);
  for (double g : *gain) EXPECT_GE(g, 0.0);
  // Feature 0 carries the strongest signal; noise feature 14 far less.
  EXPECT_GT((*gain)[0], 5 * (*gain)[14]);
}

TEST(XGBoostBoosterTest, BaseMarginStartsEveryRowAtItsOwnMargin) {
  // A per-row starting margin that knows the label: boosting from it fits
  // the training rows far better than boosting from base_score.
  auto train = MakeSyntheticDataset(1000, 8, 11);
  TrainParams params = FastParams();
  params.num_boost_round = 3;
  TrainLog plain_log, offset_log;
  ASSERT_TRUE(XGBoostBooster::Train(train.x, train.y, nullptr, nullptr, params,
                                    &plain_log)
                  .ok());
  DenseMatrix with_offset = train.x;
  for (float y : train.y) with_offset.base_margin.push_back(y > 0 ? 3 : -3);
  ASSERT_TRUE(XGBoostBooster::Train(with_offset, train.y, nullptr, nullptr,
                                    params, &offset_log)
                  .ok());
  ASSERT_FALSE(plain_log.train_logloss.empty());
  ASSERT_FALSE(offset_log.train_logloss.empty());
  EXPECT_GT(plain_log.train_logloss.back(), 0.4);
  EXPECT_LT(offset_log.train_logloss.back(), 0.1);

  with_offset.base_margin.pop_back();
  auto bad = XGBoostBooster::Train(with_offset, train.y, nullptr, nullptr,
                                   params, nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("base_margin"));
}

TEST(XGBoostBoosterTest, BadInputIsRejectedWithClearErrors) {
  auto train = MakeSyntheticDataset(100, 5, 7);
  std::vector<float> bad_labels = train.y;
  bad_labels[17] = 2.0f;
  auto bad = XGBoostBooster::Train(train.x, bad_labels, nullptr, nullptr,
                                   FastParams(), nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("row 17"));

  std::vector<float> short_labels(99, 0.0f);
  EXPECT_FALSE(XGBoostBooster::Train(train.x, short_labels, nullptr, nullptr,
                                     FastParams(), nullptr)
                   .ok());

  auto missing = XGBoostBooster::LoadFromFile("/nonexistent/model.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("XGBoosterLoadModel"));

  auto booster = XGBoostBooster::Train(train.x, train.y, nullptr, nullptr,
                                       FastParams(), nullptr);
  ASSERT_TRUE(booster.ok());
  EXPECT_FALSE((*booster)->SaveModel("/tmp/model.bin").ok());
  DenseMatrix wrong{2, 4, std::vector<float>(8, 0.0f)};
  EXPECT_FALSE((*booster)->PredictMargin(wrong).ok());
}

}  // namespace
}  // namespace pcs
