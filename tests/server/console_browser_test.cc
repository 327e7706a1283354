// The analyst review console in a real headless browser (Debian's chromium
// driven by Selenium through chromium-driver): a real pcs-server in-process
// (real PostgreSQL with real bars, the real backfill and snapshot backfill,
// a real tiny model, an allow-list), tests/server/console_browser_test.py
// loads the page, filters (ML and rule disagree), opens a pattern and
// overrides it; this test then checks the database. Screenshots are kept in
// <build>/test_artifacts/console/ (listed in the test output).
//
// Needs /usr/bin/chromium, /usr/bin/chromedriver and python3-selenium
// (scripts/install_deps.sh). Without them the test FAILS, unless
// PCS_SKIP_BROWSER_TEST=1 says to skip it.
#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "monitoring/score_job.h"
#include "nlohmann/json.hpp"
#include "pqxx/pqxx"
#include "snapshots/local_snapshot_blob_store.h"
#include "snapshots/snapshot_backfill.h"
#include "tests/client/subprocess.h"
#include "tests/server/server_test_env.h"
#include "tests/test_util/fake_model_artifact.h"

namespace pcs {
namespace {

using ::pcs::testing::Seeded;

TEST(ConsoleBrowserTest, FilterOpenOverrideInHeadlessChromium) {
  for (const char* tool : {"/usr/bin/chromium", "/usr/bin/chromedriver"}) {
    if (!std::filesystem::exists(tool)) {
      if (std::getenv("PCS_SKIP_BROWSER_TEST") != nullptr) {
        GTEST_SKIP() << tool << " missing and PCS_SKIP_BROWSER_TEST set";
      }
      FAIL() << tool << " is missing (scripts/install_deps.sh installs it)";
    }
  }
  const auto models = pcs::testing::NewModelsDir("console");
  pcs::testing::FakeModelOptions model;
  ASSERT_TRUE(
      pcs::testing::WriteFakeModelArtifact(models.string(), model).ok());
  ASSERT_TRUE(pcs::testing::WriteChampion(models.string(), model.version).ok());
  const auto root = std::filesystem::temp_directory_path() /
                    absl::StrCat("pcs_console_snapshots_", ::getpid());
  auto blobs = LocalSnapshotBlobStore::Create(root.string());
  ASSERT_TRUE(blobs.ok());
  ChartSnapshotStore store(blobs->get());
  ASSERT_TRUE(RunSnapshotBackfill({.conninfo = Seeded().conninfo}, store).ok());

  PcsServerOptions options =
      pcs::testing::TestServerOptions(models.string(), true);
  options.snapshot_root = root.string();
  auto server = PcsServer::Create(options);
  ASSERT_TRUE(server.ok()) << server.status();

  // 60 newly detected patterns, scored and decided by EvaluatePattern (so
  // the console lists scored patterns, some where ML and rule disagree).
  {
    pqxx::connection conn(Seeded().conninfo);
    pqxx::work tx(conn);
    tx.exec(
        "UPDATE pattern_events SET lifecycle_state = 'detected' WHERE id IN "
        "(SELECT id FROM pattern_events ORDER BY confirmation_date DESC LIMIT "
        "60)");
    tx.commit();
  }
  auto stub = pcs::testing::StubFor(**server);
  for (const std::string& id : Seeded().pattern_ids) {
    grpc::ClientContext context;
    pcs::testing::AddWriteToken(&context);
    v1::EvaluatePatternRequest request;
    request.set_pattern_id(id);
    v1::EvaluatePatternResponse response;
    (void)stub->EvaluatePattern(&context, request, &response);  // detected only
  }
  // `pcs score`: every stored pattern (history too) gets the served
  // version's score, so the day-one list and the disagreement filter have
  // something to show.
  ScoreJobOptions score;
  score.conninfo = Seeded().conninfo;
  score.model_dir = (models / model.version).string();
  auto scored = RunScoreJob(score);
  ASSERT_TRUE(scored.ok()) << scored.status();
  int64_t total = 0;
  {
    pqxx::connection conn(Seeded().conninfo);
    pqxx::read_transaction tx(conn);
    ASSERT_GT(
        tx.exec1("SELECT count(*) FROM pattern_events WHERE ml_confidence "
                 "IS NOT NULL AND (ml_confidence >= 0.5) <> "
                 "(rule_confidence >= 0.5) AND outcome_label IS NOT NULL")[0]
            .as<int>(),
        0)
        << "no resolved pattern where ML and rule disagree";
    total = tx.exec1("SELECT count(*) FROM pattern_events")[0].as<int64_t>();
  }

  const std::string out = std::string(PCS_ARTIFACTS_DIR) + "/console";
  std::filesystem::remove_all(out);
  const std::string reason = "browser test: breakout on low volume";
  auto [rc, output] = pcs::testing::RunCommand(absl::StrCat(
      "timeout 240 /usr/bin/python3 ", PCS_SOURCE_DIR,
      "/tests/server/console_browser_test.py --url http://127.0.0.1:",
      (*server)->metrics_port(), " --token ", pcs::testing::kTestWriteToken,
      " --out ", out, " --reason '", reason, "' --total ", total));
  ASSERT_EQ(rc, 0) << output;
  const std::string last = output.substr(output.rfind('{'));
  const nlohmann::json result = nlohmann::json::parse(last, nullptr, false);
  ASSERT_FALSE(result.is_discarded()) << output;
  const std::string id = result["pattern_id"];
  for (const auto& shot : result["screenshots"]) {
    std::printf("screenshot: %s\n", shot.get<std::string>().c_str());
    EXPECT_GT(std::filesystem::file_size(shot.get<std::string>()), 10000u);
  }

  // The database holds the analyst's override.
  pqxx::connection conn(Seeded().conninfo);
  pqxx::read_transaction tx(conn);
  const pqxx::row row = tx.exec_params1(
      "SELECT lifecycle_state, analyst_decision, analyst_identity, "
      "analyst_reason, (SELECT count(*) FROM pattern_lifecycle_history h WHERE "
      "h.pattern_id = p.id AND h.source = 'analyst' AND h.to_state = "
      "'rejected' AND h.reason LIKE '%' || $2 || '%') FROM pattern_events p "
      "WHERE id = $1",
      id, reason);
  EXPECT_EQ(row[0].as<std::string>(), "rejected");
  EXPECT_EQ(row[1].as<std::string>(), "reject");
  EXPECT_EQ(row[2].as<std::string>(), "test-writer");
  EXPECT_EQ(row[3].as<std::string>(), reason);
  EXPECT_EQ(row[4].as<int>(), 1);
  (*server)->Shutdown();
  std::filesystem::remove_all(root);
  std::filesystem::remove_all(models);
}

}  // namespace
}  // namespace pcs
