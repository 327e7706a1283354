// The contract between training and serving, end to end: a model trained by
// the real training pipeline (training/trainer.h: grid, early stopping,
// isotonic calibration, model card, reference rows, atomic publish) on real
// data is accepted by the server's ModelLoader (sha256, schema hash,
// warm-up within 1e-5) and served by PcsServer.
#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pipeline/data_preparation.h"
#include "server/model_loader.h"
#include "server/pcs_server.h"
#include "tests/server/server_test_env.h"
#include "tests/test_util/shared_data.h"
#include "tests/test_util/test_database.h"
#include "training/labeled_dataset.h"
#include "training/trainer.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;

TEST(TrainedModelTest, ServerLoadsAndServesWhatTrainingPublishes) {
  const fs::path root = pcs::testing::NewModelsDir("trained");
  fs::create_directories(root / "data");
  for (const char* s : {"A", "AA", "AAPL", "ABC", "ABT", "DIA"}) {
    fs::copy_file(pcs::testing::SharedOhlcvFile(s),
                  root / "data" / (std::string(s) + ".csv"));
  }
  const std::string conninfo = pcs::testing::TestDatabase::FreshDatabase();
  PreparationOptions prep;
  prep.conninfo = conninfo;
  prep.folder = (root / "data").string();
  ASSERT_TRUE(PrepareDatabase(prep).ok());
  DatasetLoadOptions load;
  load.conninfo = conninfo;
  auto dataset = LoadLabeledDataset(load);
  ASSERT_TRUE(dataset.ok()) << dataset.status();

  TrainerConfig config = DefaultTrainerConfig();
  config.base.num_boost_round = 30;
  config.base.early_stopping_rounds = 10;
  config.base.nthread = 1;
  config.grid.max_depth = {3};
  config.grid.min_child_weight = {5};
  config.bootstrap_resamples = 20;
  TrainRunOptions options;
  options.models_dir = (root / "models").string();
  options.reports_dir = (root / "reports").string();
  options.version = "20261126T000000Z";
  auto trained = TrainModel(*dataset, config, options);
  ASSERT_TRUE(trained.ok()) << trained.status();

  // The loader accepts it: every check including the warm-up against the
  // trainer's own reference rows.
  auto model = ModelLoader(trained->model_dir).Load();
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ((*model)->version, "20261126T000000Z");
  EXPECT_EQ((*model)->model_sha256, trained->model_sha256);

  // And the server serves it (pinned: the gate may reject a model trained
  // on six symbols, which then is not CHAMPION).
  PcsServerOptions server_options;
  server_options.listen = "127.0.0.1:0";
  server_options.metrics_listen = "";
  server_options.database_url = conninfo;
  server_options.models_dir = options.models_dir;
  server_options.pin_version = "20261126T000000Z";
  server_options.enable_phase5 = true;
  server_options.poll_period = absl::ZeroDuration();
  server_options.trace = false;
  auto server = PcsServer::Create(server_options);
  ASSERT_TRUE(server.ok()) << server.status();
  // No training/serving skew: the server's features (bars read through its
  // pool and caches) give the same probability as the training rows.
  ASSERT_GE(dataset->examples.size(), 20u);
  for (size_t i = 0; i < 20; ++i) {
    const LabeledExample& ex =
        dataset->examples[i * dataset->examples.size() / 20];
    auto score =
        (*server)->engine().ScoreStored(ex.id, 5, absl::InfiniteFuture());
    ASSERT_TRUE(score.ok()) << score.status();
    EXPECT_EQ(score->model_version, "20261126T000000Z");
    // The trained card's policy decides; without one (no policy met the
    // precision constraint on six symbols) the answer says "no_policy".
    EXPECT_EQ(score->fallback_reason, trained->policy.found
                                          ? FallbackReason::kNone
                                          : FallbackReason::kNoPolicy)
        << ex.id;
    EXPECT_EQ((*model)->policy_from_card, trained->policy.found);
    ASSERT_TRUE(score->ml_confidence.has_value());
    double offline = (*model)->Probability(
        (*model)->ensemble.PredictMargin(ex.features.data()));
    EXPECT_NEAR(*score->ml_confidence, offline, 1e-12) << ex.id;
  }
  (*server)->Shutdown();
  fs::remove_all(root);
}

}  // namespace
}  // namespace pcs
