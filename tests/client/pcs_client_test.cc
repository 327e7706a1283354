// The pcs-client binary against an in-process server, and the Python
// client's pytest suite against the real pcs-server binary.
#include <filesystem>
#include <fstream>
#include <regex>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "pqxx/pqxx"
#include "tests/client/subprocess.h"
#include "tests/server/server_test_env.h"
#include "tests/test_util/fake_model_artifact.h"
#include "tests/test_util/test_certificates.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;
using ::pcs::testing::RunCommand;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kVersion[] = "20260101T000000Z";

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    models_dir_ = pcs::testing::NewModelsDir("client");
    ASSERT_TRUE(pcs::testing::WriteFakeModelArtifact(models_dir_.string(),
                                                     {.version = kVersion})
                    .ok());
    ASSERT_TRUE(
        pcs::testing::WriteChampion(models_dir_.string(), kVersion).ok());
  }
  void TearDown() override { fs::remove_all(models_dir_); }
  fs::path models_dir_;
};

TEST_F(ClientTest, CppClientScoresDescribesAndChecksHealth) {
  auto server = PcsServer::Create(
      pcs::testing::TestServerOptions(models_dir_.string(), true));
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string client = absl::StrCat(
      PCS_CLIENT_BINARY, " --server 127.0.0.1:", (*server)->grpc_port());
  const auto& ids = pcs::testing::Seeded().pattern_ids;

  auto [rc, human] = RunCommand(client + " score " + ids[0] + " --top-k 3");
  ASSERT_EQ(rc, 0) << human;
  EXPECT_THAT(human, HasSubstr("pattern " + ids[0]));
  EXPECT_THAT(human, HasSubstr("model version       " + std::string(kVersion)));

  auto [rc2, json] = RunCommand(client + " --json score " + ids[0]);
  ASSERT_EQ(rc2, 0) << json;
  nlohmann::json parsed = nlohmann::json::parse(json);
  EXPECT_EQ(parsed["pattern_id"], ids[0]);
  EXPECT_EQ(parsed["model_version"], kVersion);
  EXPECT_EQ(parsed["top_contributions"].size(), 5u);

  fs::path batch = models_dir_ / "ids.txt";
  std::ofstream(batch) << "# two ids\n" << ids[0] << "\n" << ids[1]
                       << "\n00000000deadbeef\n";
  auto [rc3, batch_out] = RunCommand(client + " batch " + batch.string());
  EXPECT_EQ(rc3, 1) << batch_out;  // one id failed
  EXPECT_THAT(batch_out, HasSubstr("3 scored, 1 failed"));

  auto [rc4, missing] = RunCommand(client + " score 00000000deadbeef");
  EXPECT_EQ(rc4, 1);
  EXPECT_THAT(missing, HasSubstr("no pattern with id 00000000deadbeef"));

  auto [rc5, describe] = RunCommand(client + " describe");
  ASSERT_EQ(rc5, 0) << describe;
  EXPECT_THAT(describe, HasSubstr("model " + std::string(kVersion)));
  EXPECT_THAT(describe, HasSubstr("trees 20"));

  auto [rc6, health] = RunCommand(client + " health");
  EXPECT_EQ(rc6, 0) << health;
  EXPECT_THAT(health, HasSubstr("SERVING"));

  auto [rc7, status] = RunCommand(client + " status");
  EXPECT_EQ(rc7, 0) << status;
  EXPECT_THAT(status, HasSubstr("database reachable"));
}

// Starts the real pcs-server binary, runs pytest client/python/tests against
// it, then stops the server with SIGTERM and checks it drained its traces.
// pcs-client over TLS and mTLS: --tls-ca, --tls-cert/--tls-key,
// --tls-server-name and --token-file against a TLS server with an
// allow-list; `evaluate` is the write.
TEST_F(ClientTest, CppClientSpeaksTlsAndSendsTokens) {
  auto pki = pcs::testing::MakeTestPki("client");
  ASSERT_TRUE(pki.ok()) << pki.status();
  PcsServerOptions options =
      pcs::testing::TestServerOptions(models_dir_.string(), true);
  options.allow_list_file = (pki->dir / "allow-list").string();
  std::ofstream(options.allow_list_file)
      << "write token ci " << pcs::testing::kTestWriteToken << "\n"
      << "write subject " << pcs::testing::kClientSubject << "\n";
  options.tls = {.cert_file = pki->server.cert,
                 .key_file = pki->server.key,
                 .client_ca_file = pki->ca};
  auto server = PcsServer::Create(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string token_file = (pki->dir / "token").string();
  std::ofstream(token_file) << pcs::testing::kTestWriteToken << "\n";
  const std::string address =
      absl::StrCat(" --server 127.0.0.1:", (*server)->grpc_port());
  const std::string tls = absl::StrCat(
      PCS_CLIENT_BINARY, address, " --tls-ca ", pki->ca,
      " --tls-server-name localhost");
  const std::string id = pcs::testing::Seeded().pattern_ids[4];
  // Each permitted evaluate moves the pattern out of 'detected'; put it back.
  auto detected = [&] {
    pqxx::connection conn(pcs::testing::Seeded().conninfo);
    pqxx::work tx(conn);
    tx.exec_params("UPDATE pattern_events SET lifecycle_state = 'detected' "
                   "WHERE id = $1", id);
    tx.commit();
  };
  detected();

  auto [rc, plain] = RunCommand(PCS_CLIENT_BINARY + address + " health");
  EXPECT_EQ(rc, 1) << plain;  // plaintext against TLS
  EXPECT_THAT(plain, HasSubstr("error: 14 "));

  auto [rc1, health] = RunCommand(tls + " health");
  EXPECT_EQ(rc1, 0) << health;

  auto [rc2, anonymous] = RunCommand(tls + " evaluate " + id);
  EXPECT_EQ(rc2, 1) << anonymous;
  EXPECT_THAT(anonymous, HasSubstr("error: 16 "));  // UNAUTHENTICATED

  auto [rc3, with_token] =
      RunCommand(tls + " --token-file " + token_file + " evaluate " + id);
  EXPECT_EQ(rc3, 0) << with_token;
  EXPECT_THAT(with_token, HasSubstr("state "));
  EXPECT_THAT(with_token, Not(HasSubstr(pcs::testing::kTestWriteToken)));

  detected();
  auto [rc4, with_cert] = RunCommand(
      tls + " --tls-cert " + pki->client.cert + " --tls-key " +
      pki->client.key + " --json evaluate " + id);
  EXPECT_EQ(rc4, 0) << with_cert;
  EXPECT_THAT(with_cert, HasSubstr("\"from_state\""));

  auto [rc5, expired] = RunCommand(
      tls + " --tls-cert " + pki->expired.cert + " --tls-key " +
      pki->expired.key + " evaluate " + id);
  EXPECT_EQ(rc5, 1) << expired;
  EXPECT_THAT(expired, HasSubstr("error: 14 "));  // handshake refused

  auto [rc6, usage] = RunCommand(tls + " --tls-cert " + pki->client.cert +
                                 " health");
  EXPECT_EQ(rc6, 2) << usage;
  (*server)->Shutdown();
  fs::remove_all(pki->dir);
}

TEST_F(ClientTest, PythonClientPassesAgainstTheServerBinary) {
  const std::string python_dir = std::string(PCS_SOURCE_DIR) + "/client/python";
  auto [probe, probe_out] = RunCommand(
      "cd /tmp && PYTHONPATH=" + python_dir +
      " python3 -c 'import grpc, pytest, pcs_client._generated.pcs.v1'");
  if (probe != 0) {
    GTEST_SKIP() << "the Python client is not built: run `python3 -m pip "
                    "install grpcio grpcio-tools pytest && python3 -m pip "
                    "install ./client/python` (" << probe_out << ")";
  }
  const std::string conninfo = pcs::testing::Seeded().conninfo;
  const int64_t traces_before =
      pcs::testing::HistoryRows(conninfo, "server");
  pcs::testing::Subprocess server(
      {PCS_SERVER_BINARY, "--listen", "127.0.0.1:0", "--metrics-listen",
       "127.0.0.1:0", "--database-url", conninfo, "--models-dir",
       models_dir_.string(), "--enable-phase5-confidence", "--poll-seconds",
       "0", "--threads", "2"});
  ASSERT_TRUE(server.started());
  std::string line;
  std::smatch m;
  do {
    line = server.ReadLine();
  } while (!line.empty() &&
           !std::regex_search(line, m, std::regex("grpc_port=(\\d+)")));
  ASSERT_FALSE(line.empty()) << "pcs-server printed no listening line";
  const std::string target = "127.0.0.1:" + m[1].str();
  auto [rc, out] = RunCommand(
      "cd " + python_dir + " && PYTHONPATH=" + python_dir +
      " PCS_SERVER=" + target + " PCS_PATTERN_ID=" +
      pcs::testing::Seeded().pattern_ids.front() + " PCS_MODEL_VERSION=" +
      kVersion + " python3 -m pytest -q -p no:cacheprovider tests");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("6 passed"));
  EXPECT_EQ(server.Stop(SIGTERM), 0);  // graceful exit
  // The scores pytest made were traced and flushed before exit (the batch
  // call traces one row; score calls one each).
  EXPECT_GT(pcs::testing::HistoryRows(conninfo, "server"), traces_before);
}

}  // namespace
}  // namespace pcs
