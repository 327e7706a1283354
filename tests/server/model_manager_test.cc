// Tests of the model lifecycle: server/model_registry_source,
// server/model_loader and server/model_manager, on real (tiny) XGBoost
// artifacts written by tests/test_util/fake_model_artifact.
#include "server/model_manager.h"

#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/synchronization/notification.h"
#include "features/feature_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/metrics_registry.h"
#include "server/model_loader.h"
#include "server/model_registry_source.h"
#include "tests/test_util/fake_model_artifact.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;
using ::pcs::testing::FakeModelOptions;
using ::pcs::testing::WriteChampion;
using ::pcs::testing::WriteFakeModelArtifact;
using ::testing::HasSubstr;

class ModelLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("pcs_models_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(FakeModelOptions options) {
    auto path = WriteFakeModelArtifact(dir_.string(), options);
    EXPECT_TRUE(path.ok()) << path.status();
    return path.ok() ? *path : "";
  }

  fs::path dir_;
};

TEST_F(ModelLifecycleTest, LoaderAcceptsACompleteArtifact) {
  std::string path = Write({.version = "20260101T000000Z"});
  auto model = ModelLoader(path).Load();
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ((*model)->version, "20260101T000000Z");
  EXPECT_EQ((*model)->ensemble.num_trees(), 20);
  EXPECT_EQ((*model)->feature_names, FeatureBuilder::Schema().names);
  EXPECT_EQ((*model)->card_status, "champion");
  EXPECT_DOUBLE_EQ((*model)->decision_threshold, 0.5);
  // Calibration knots interpolate linearly between (0.3,0.25),(0.5,0.5).
  EXPECT_NEAR((*model)->calibrator.Apply(0.4), 0.375, 1e-12);
}

TEST_F(ModelLifecycleTest, LoaderRefusesShaMismatch) {
  std::string path =
      Write({.version = "20260101T000000Z", .corrupt_sha = true});
  auto model = ModelLoader(path).Load();
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(model.status().message(), HasSubstr("model_sha256"));
}

TEST_F(ModelLifecycleTest, LoaderRefusesSchemaMismatch) {
  std::string path =
      Write({.version = "20260101T000000Z", .wrong_schema = true});
  auto model = ModelLoader(path).Load();
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(model.status().message(), HasSubstr("feature schema mismatch"));
}

TEST_F(ModelLifecycleTest, LoaderRefusesWarmupMismatch) {
  std::string path =
      Write({.version = "20260101T000000Z", .bad_reference = true});
  auto model = ModelLoader(path).Load();
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(model.status().message(), HasSubstr("warm-up mismatch"));
}

TEST_F(ModelLifecycleTest, LoaderRefusesMissingModelFile) {
  std::string path = Write({.version = "20260101T000000Z"});
  fs::remove(fs::path(path) / "model.json");
  auto model = ModelLoader(path).Load();
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(model.status().message(), HasSubstr("model.json is missing"));
}

TEST_F(ModelLifecycleTest, SourceIgnoresTmpAndCardlessFolders) {
  Write({.version = "20260101T000000Z"});
  Write({.version = "20260102T000000Z", .omit_card = true});
  fs::create_directories(dir_ / ".tmp-20260103T000000Z");
  fs::create_directories(dir_ / "20260104T000000Z");
  std::ofstream(dir_ / "20260104T000000Z" / "model_card.json") << "{not json";
  ASSERT_TRUE(WriteChampion(dir_.string(), "20260101T000000Z").ok());
  RegistrySnapshot s = ModelRegistrySource::Scan(dir_.string(), "");
  // A card that is not JSON is listed: its load fails (and is counted) in
  // the manager, like every other bad card.
  EXPECT_THAT(s.versions,
              ::testing::ElementsAre("20260101T000000Z", "20260104T000000Z"));
  EXPECT_EQ(s.ignored.size(), 1u);
  EXPECT_THAT(s.ignored["20260102T000000Z"], HasSubstr("missing"));
  EXPECT_EQ(s.aspired_version, "20260101T000000Z");
  EXPECT_FALSE(s.pinned);
  RegistrySnapshot pinned = ModelRegistrySource::Scan(dir_.string(), "x");
  EXPECT_EQ(pinned.aspired_version, "x");
  EXPECT_TRUE(pinned.pinned);
}

TEST_F(ModelLifecycleTest, ManagerPublishesChampionAndSwapsOnPromotion) {
  MetricsRegistry metrics;
  ModelManager manager({.models_dir = dir_.string(), .metrics = &metrics});
  auto source = ModelRegistrySource::Create(
      {.models_dir = dir_.string(), .poll_period = absl::ZeroDuration()},
      [&](const RegistrySnapshot& s) { manager.OnSnapshot(s); });
  ASSERT_TRUE(source.ok());
  EXPECT_EQ(manager.Current(), nullptr);  // no CHAMPION yet

  Write({.version = "20260101T000000Z"});
  ASSERT_TRUE(WriteChampion(dir_.string(), "20260101T000000Z").ok());
  (*source)->PollNow();
  auto first = manager.Current();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->version, "20260101T000000Z");

  Write({.version = "20260102T000000Z", .seed = 2});
  ASSERT_TRUE(WriteChampion(dir_.string(), "20260102T000000Z").ok());
  (*source)->PollNow();
  ASSERT_NE(manager.Current(), nullptr);
  EXPECT_EQ(manager.Current()->version, "20260102T000000Z");
  // The old snapshot stays valid for whoever still holds it.
  EXPECT_EQ(first->version, "20260101T000000Z");
  EXPECT_EQ(manager.reloads_succeeded(), 2);

  auto versions = manager.Versions();
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0].version, "20260102T000000Z");
  EXPECT_EQ(versions[0].state, ModelVersionState::kAvailable);
  EXPECT_TRUE(versions[0].serving);
  EXPECT_EQ(versions[1].state, ModelVersionState::kUnloaded);
  EXPECT_THAT(versions[1].reason, HasSubstr("replaced by 20260102T000000Z"));

  std::string page = metrics.Render();
  EXPECT_THAT(page,
              HasSubstr("pcs_model_reloads_total{outcome=\"success\"} 2"));
  // Labels in alphabetical order of label name (prometheus-cpp).
  EXPECT_THAT(page, HasSubstr("pcs_model_info{feature_schema_hash=\""));
  EXPECT_THAT(page, HasSubstr(",version=\"20260102T000000Z\"} 1\n"));
  EXPECT_THAT(page, HasSubstr(",version=\"20260101T000000Z\"} 0\n"));
  EXPECT_THAT(page, HasSubstr("pcs_model_version_state{state=\"unloaded\","
                              "version=\"20260101T000000Z\"} 1"));
}

TEST_F(ModelLifecycleTest, FailingVersionNeverServesAndOldOneKeepsServing) {
  MetricsRegistry metrics;
  ModelManager manager({.models_dir = dir_.string(), .metrics = &metrics});
  Write({.version = "20260101T000000Z"});
  ASSERT_TRUE(WriteChampion(dir_.string(), "20260101T000000Z").ok());
  manager.OnSnapshot(ModelRegistrySource::Scan(dir_.string(), ""));
  ASSERT_NE(manager.Current(), nullptr);

  struct Case {
    FakeModelOptions options;
    const char* reason;
  };
  std::vector<Case> cases = {
      {{.version = "20260102T000000Z", .corrupt_sha = true}, "sha256"},
      {{.version = "20260103T000000Z", .wrong_schema = true}, "schema"},
      {{.version = "20260104T000000Z", .omit_card = true}, "missing"},
  };
  for (const Case& c : cases) {
    Write(c.options);
    ASSERT_TRUE(WriteChampion(dir_.string(), c.options.version).ok());
    manager.OnSnapshot(ModelRegistrySource::Scan(dir_.string(), ""));
    ASSERT_NE(manager.Current(), nullptr);
    EXPECT_EQ(manager.Current()->version, "20260101T000000Z")
        << c.options.version;
    EXPECT_THAT(manager.last_error(), HasSubstr(c.reason));
  }
  for (const ModelVersionInfo& v : manager.Versions()) {
    if (v.version == "20260101T000000Z") {
      EXPECT_EQ(v.state, ModelVersionState::kAvailable);
    } else {
      EXPECT_EQ(v.state, ModelVersionState::kFailed) << v.version;
      EXPECT_FALSE(v.reason.empty());
    }
  }
  // Two load failures and the card-less aspired folder, counted once.
  EXPECT_EQ(manager.reloads_failed(), 3);
  // Polling again neither retries the same bytes nor counts again.
  manager.OnSnapshot(ModelRegistrySource::Scan(dir_.string(), ""));
  EXPECT_EQ(manager.reloads_failed(), 3);
  EXPECT_THAT(metrics.Render(),
              HasSubstr("pcs_model_reloads_total{outcome=\"failure\"} 3"));
}

TEST_F(ModelLifecycleTest, RepublishedVersionIsRetriedAndPinWins) {
  ModelManager manager({.models_dir = dir_.string()});
  Write({.version = "20260101T000000Z"});
  Write({.version = "20260102T000000Z", .corrupt_sha = true});
  ASSERT_TRUE(WriteChampion(dir_.string(), "20260102T000000Z").ok());
  manager.OnSnapshot(ModelRegistrySource::Scan(dir_.string(), ""));
  EXPECT_EQ(manager.Current(), nullptr);
  EXPECT_EQ(manager.reloads_failed(), 1);
  // Roll back by pinning the good version.
  manager.OnSnapshot(
      ModelRegistrySource::Scan(dir_.string(), "20260101T000000Z"));
  ASSERT_NE(manager.Current(), nullptr);
  EXPECT_EQ(manager.Current()->version, "20260101T000000Z");
  EXPECT_TRUE(manager.pinned());
  // Fixed and re-published: unpinned, CHAMPION is loaded again.
  Write({.version = "20260102T000000Z", .seed = 3});
  manager.OnSnapshot(ModelRegistrySource::Scan(dir_.string(), ""));
  ASSERT_NE(manager.Current(), nullptr);
  EXPECT_EQ(manager.Current()->version, "20260102T000000Z");
}

// The load runs without the manager's mutex: while a load is blocked,
// Versions(), last_error() and Current() answer (with the mutex held they
// would block until the load ends and this test would time out).
TEST_F(ModelLifecycleTest, StatusAnswersWhileAVersionLoads) {
  Write({.version = "20260101T000000Z"});
  ASSERT_TRUE(WriteChampion(dir_.string(), "20260101T000000Z").ok());
  absl::Notification load_started;
  absl::Notification release_load;
  ModelManager manager(
      {.models_dir = dir_.string(),
       .load_hook = [&](const std::string& dir)
           -> absl::StatusOr<std::shared_ptr<const ServableModel>> {
         load_started.Notify();
         release_load.WaitForNotification();
         return ModelLoader(dir).Load();
       }});
  std::thread poller([&] {
    manager.OnSnapshot(ModelRegistrySource::Scan(dir_.string(), ""));
  });
  load_started.WaitForNotification();
  std::vector<ModelVersionInfo> versions = manager.Versions();
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(versions[0].state, ModelVersionState::kLoading);
  EXPECT_EQ(manager.aspired_version(), "20260101T000000Z");
  EXPECT_EQ(manager.Current(), nullptr);
  release_load.Notify();
  poller.join();
  ASSERT_NE(manager.Current(), nullptr);
  EXPECT_EQ(manager.Versions()[0].state, ModelVersionState::kAvailable);
}

TEST_F(ModelLifecycleTest, PollThreadPicksUpANewChampion) {
  ModelManager manager({.models_dir = dir_.string()});
  auto source = ModelRegistrySource::Create(
      {.models_dir = dir_.string(), .poll_period = absl::Milliseconds(20)},
      [&](const RegistrySnapshot& s) { manager.OnSnapshot(s); });
  ASSERT_TRUE(source.ok());
  Write({.version = "20260101T000000Z"});
  ASSERT_TRUE(WriteChampion(dir_.string(), "20260101T000000Z").ok());
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (manager.Current() == nullptr && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_NE(manager.Current(), nullptr);
  EXPECT_EQ(manager.Current()->version, "20260101T000000Z");
}

}  // namespace
}  // namespace pcs
