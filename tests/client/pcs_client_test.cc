// The pcs-client binary against an in-process server; the Python package
// built, installed, type-checked and its pytest suite run against the real
// pcs-server binary.
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/retry_service_config.h"
#include "core/version.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
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

TEST(PcsClientBinaryTest, VersionAndHelp) {
  auto [rc, out] = RunCommand(std::string(PCS_CLIENT_BINARY) + " --version");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, VersionLine("pcs-client") + "\n");
  auto [help_rc, help] = RunCommand(std::string(PCS_CLIENT_BINARY) + " --help");
  EXPECT_EQ(help_rc, 0) << help;
  EXPECT_THAT(help, HasSubstr("--version"));
  EXPECT_THAT(help, Not(HasSubstr(PCS_SOURCE_DIR)));
  EXPECT_THAT(help, Not(HasSubstr(PCS_BINARY_DIR)));
  auto [range_rc, range] = RunCommand(std::string(PCS_CLIENT_BINARY) +
                                      " --timeout-ms 99999999999999999999 "
                                      "health");
  EXPECT_NE(range_rc, 0) << range;
  EXPECT_THAT(range, HasSubstr("99999999999999999999"));
}

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
  std::ofstream(batch) << "# two ids\n"
                       << ids[0] << "\n"
                       << ids[1] << "\n00000000deadbeef\n";
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

  // The retry policy's service config is accepted by the channel (an
  // invalid one fails every call); out-of-range attempts are a usage error.
  auto [rc8, retried] =
      RunCommand(client + " --retry-attempts 3 score " + ids[0]);
  EXPECT_EQ(rc8, 0) << retried;
  EXPECT_THAT(retried, HasSubstr("pattern " + ids[0]));
  auto [rc9, bad] = RunCommand(client + " --retry-attempts 9 health");
  EXPECT_EQ(rc9, 2) << bad;
}

// The read retry policy (client/retry_service_config.h): UNAVAILABLE only,
// every unary RPC of the service but the writes (EvaluatePattern,
// OverridePattern), never a stream. The RPCs come from the service's
// descriptor, so a read RPC added to the proto fails here until it is
// retried (or named a write below).
TEST(RetryServiceConfigTest, RetriesUnavailableOnUnaryReadsOnly) {
  const std::set<std::string> writes = {"EvaluatePattern", "OverridePattern"};
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          v1::PatternConfidence::service_full_name());
  ASSERT_NE(service, nullptr);
  std::set<std::string> reads;
  for (int i = 0; i < service->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* m = service->method(i);
    if (m->client_streaming() || m->server_streaming()) continue;
    if (!writes.count(m->name())) reads.insert(m->name());
  }
  EXPECT_TRUE(reads.count("GetPatternBars") && reads.count("ScorePattern"));
  pcs::client::RetryPolicyOptions options;
  options.max_attempts = 9;  // clamped to gRPC's 5
  options.initial_backoff_seconds = 0.02;
  const nlohmann::json config =
      nlohmann::json::parse(pcs::client::RetryServiceConfigJson(options));
  ASSERT_EQ(config["methodConfig"].size(), 1u);
  const nlohmann::json& method = config["methodConfig"][0];
  std::set<std::string> names;
  for (const auto& name : method["name"]) {
    EXPECT_EQ(name["service"], "pcs.v1.PatternConfidence");
    names.insert(name["method"].get<std::string>());
  }
  EXPECT_EQ(names, reads);
  const nlohmann::json& policy = method["retryPolicy"];
  EXPECT_EQ(policy["maxAttempts"], 5);
  EXPECT_EQ(policy["initialBackoff"], "0.020s");
  EXPECT_EQ(policy["maxBackoff"], "1.000s");
  EXPECT_EQ(policy["retryableStatusCodes"],
            nlohmann::json::array({"UNAVAILABLE"}));
}

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
  const std::string tls = absl::StrCat(PCS_CLIENT_BINARY, address, " --tls-ca ",
                                       pki->ca, " --tls-server-name localhost");
  const std::string id = pcs::testing::Seeded().pattern_ids[4];
  // Each permitted evaluate moves the pattern out of 'detected'; put it back.
  auto detected = [&] { pcs::testing::ResetToDetected(id); };
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
  auto [rc4, with_cert] =
      RunCommand(tls + " --tls-cert " + pki->client.cert + " --tls-key " +
                 pki->client.key + " --json evaluate " + id);
  EXPECT_EQ(rc4, 0) << with_cert;
  EXPECT_THAT(with_cert, HasSubstr("\"from_state\""));

  auto [rc5, expired] =
      RunCommand(tls + " --tls-cert " + pki->expired.cert + " --tls-key " +
                 pki->expired.key + " evaluate " + id);
  EXPECT_EQ(rc5, 1) << expired;
  EXPECT_THAT(expired, HasSubstr("error: 14 "));  // handshake refused

  auto [rc6, usage] =
      RunCommand(tls + " --tls-cert " + pki->client.cert + " health");
  EXPECT_EQ(rc6, 2) << usage;
  (*server)->Shutdown();
  fs::remove_all(pki->dir);
}

// The Python package (client/python), handled as a user would: built into a
// wheel and an sdist with `python3 -m build` (the wheel is built from the
// sdist, so the sdist must carry the proto), the wheel installed with pip into
// a temporary folder, `mypy --strict` run over the installed package, its
// tests and its benchmark, then pytest against the real pcs-server binary.
// Nothing may appear or change under client/python meanwhile. The build runs
// once for the suite, without build isolation (the build tools come from
// scripts/install_server_tools.sh), so no network is needed here.
class PythonClientTest : public ClientTest {
 protected:
  static void SetUpTestSuite() {
    auto [probe, probe_out] = RunCommand(
        "cd /tmp && python3 -c 'import grpc, grpc_tools, hatchling, "
        "mypy_protobuf, build, mypy, pytest, google.api.annotations_pb2' && "
        "python3 -m pip show -q "
        "types-grpcio types-protobuf");
    if (probe != 0) {
      skip_reason_ =
          "the Python build and test tools are missing: run "
          "scripts/install_server_tools.sh (" +
          probe_out + ")";
      return;
    }
    char tmpl[] = "/tmp/pcs-pyclient-XXXXXX";
    work_ = ::mkdtemp(tmpl);
    tree_before_ = TreeListing(PythonDir());
    std::tie(build_rc_, build_out_) =
        RunCommand("cd " + work_.string() +
                   " && python3 -m build --no-isolation "
                   "--outdir dist " +
                   PythonDir().string());
    std::tie(install_rc_, install_out_) =
        RunCommand("cd " + work_.string() +
                   " && python3 -m pip install -q --no-deps "
                   "--no-index --target site dist/*.whl");
  }
  static void TearDownTestSuite() {
    if (!work_.empty()) fs::remove_all(work_);
  }
  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
    ClientTest::SetUp();
    ASSERT_EQ(build_rc_, 0) << build_out_;
    ASSERT_EQ(install_rc_, 0) << install_out_;
  }
  static fs::path PythonDir() {
    return fs::path(PCS_SOURCE_DIR) / "client" / "python";
  }
  // Every file under `dir` with its size and modification time.
  static std::string TreeListing(const fs::path& dir) {
    std::vector<std::string> lines;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      std::string line = fs::relative(entry.path(), dir).string();
      if (entry.is_regular_file()) {
        absl::StrAppend(&line, " ", entry.file_size(), " ",
                        entry.last_write_time().time_since_epoch().count());
      }
      lines.push_back(line);
    }
    std::sort(lines.begin(), lines.end());
    return absl::StrJoin(lines, "\n");
  }
  // Runs `command` in the work folder with only the installed wheel
  // importable (never the source folder) and no bytecode written.
  static std::pair<int, std::string> RunInstalled(const std::string& command) {
    return RunCommand("cd " + work_.string() +
                      " && PYTHONPATH=" + (work_ / "site").string() +
                      " PYTHONDONTWRITEBYTECODE=1 " + command);
  }

  static inline std::string skip_reason_;
  static inline fs::path work_;
  static inline std::string tree_before_;
  static inline int build_rc_ = -1;
  static inline int install_rc_ = -1;
  static inline std::string build_out_;
  static inline std::string install_out_;
};

TEST_F(PythonClientTest, BuildsWheelAndSdistWithoutWritingIntoTheCheckout) {
  EXPECT_THAT(build_out_, HasSubstr("Successfully built pcs_client-"));
  // One version for the binaries and the package: the VERSION file.
  EXPECT_THAT(build_out_,
              HasSubstr(absl::StrCat("pcs_client-", PcsVersion(), ".tar.gz")));
  auto [rc, sdist] = RunCommand("tar tzf " + work_.string() + "/dist/*.tar.gz");
  ASSERT_EQ(rc, 0) << sdist;
  EXPECT_THAT(sdist, HasSubstr("/proto/pcs/v1/pattern_confidence.proto"));
  EXPECT_THAT(sdist, HasSubstr("/proto/google/api/annotations.proto"));
  EXPECT_THAT(sdist, HasSubstr("/pcs_client/py.typed"));
  auto [rc2, wheel] = RunCommand("cd " + work_.string() +
                                 "/site && find pcs_client -type f | sort");
  ASSERT_EQ(rc2, 0) << wheel;
  for (const char* file :
       {"pcs_client/aio.py", "pcs_client/py.typed",
        "pcs_client/_generated/pattern_confidence_pb2.py",
        "pcs_client/_generated/pattern_confidence_pb2.pyi"}) {
    EXPECT_THAT(wheel, HasSubstr(file));
  }
  auto [rc3, where] = RunInstalled(
      "python3 -c 'import pcs_client.aio; print(pcs_client.__file__)'");
  ASSERT_EQ(rc3, 0) << where;
  EXPECT_THAT(where, HasSubstr((work_ / "site").string()));
  EXPECT_EQ(TreeListing(PythonDir()), tree_before_)
      << "building or installing wrote into " << PythonDir();
}

TEST_F(PythonClientTest, IsMypyStrictClean) {
  const std::string src = PythonDir().string();
  auto [rc, out] = RunInstalled(
      "python3 -m mypy --strict --no-incremental --cache-dir=/dev/null "
      "site/pcs_client " +
      src + "/tests " + src + "/tests_tls " + src + "/bench");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("Success: no issues found"));
}

// Starts the real pcs-server binary, runs the pytest suite (sync and asyncio
// clients, every RPC) against it, then stops the server with SIGTERM and
// checks it drained its traces.
TEST_F(PythonClientTest, PytestPassesAgainstTheServerBinary) {
  const auto& seeded = pcs::testing::Seeded();
  const std::string conninfo = seeded.conninfo;
  const std::string inline_json = (work_ / "inline.json").string();
  std::vector<std::string> evaluate_ids;
  {
    pqxx::connection conn(conninfo);
    pqxx::work tx(conn);
    // A drift run for GetMonitoringReport to return.
    tx.exec0(
        "INSERT INTO monitoring_runs (kind, model_version, since, as_of, "
        "recent_rows, max_feature, max_psi, score_psi, alert, alert_outcome, "
        "details) VALUES ('drift', '" +
        std::string(kVersion) +
        "', '2018-01-01', '2018-12-31', 42, 'atr_14', 0.31, 0.05, true, "
        "'not_configured', '{\"source\": \"pcs_client_test\"}')");
    // A stored pattern with its bars, for ScoreInline.
    auto bars = [](const std::string& symbol) {
      return "(SELECT coalesce(json_agg(json_build_object('day', "
             "b.day::text, 'open', b.open, 'high', b.high, 'low', b.low, "
             "'close', b.close, 'adj_close', b.adj_close, 'volume', "
             "b.volume) ORDER BY b.day), '[]') FROM price_bars b WHERE "
             "b.symbol = " +
             symbol + " AND b.day <= p.confirmation_date)";
    };
    const pqxx::row row = tx.exec_params1(
        "SELECT json_build_object('pattern_id', p.id, 'pattern', "
        "json_build_object('symbol', p.symbol, 'pattern_type', "
        "p.pattern_type, 'direction', p.direction, 'formation_start', "
        "p.formation_start::text, 'formation_end', p.formation_end::text, "
        "'confirmation_date', p.confirmation_date::text, 'breakout_level', "
        "p.breakout_level, 'target_price', p.target_price, 'stop_price', "
        "p.stop_price, 'rule_confidence', p.rule_confidence, "
        "'rule_criteria', p.rule_criteria, 'key_points', p.key_points), "
        "'bars', " +
            bars("p.symbol") + ", 'market_bars', " + bars("'DIA'") +
            ")::text FROM pattern_events p WHERE p.id = $1",
        seeded.pattern_ids.front());
    std::ofstream(inline_json) << row[0].as<std::string>();
    // Two patterns EvaluatePattern may decide: the seeded ones are all
    // resolved already (terminal), so two are set back to 'detected'.
    evaluate_ids = {seeded.pattern_ids.at(4), seeded.pattern_ids.at(5)};
    for (const std::string& id : evaluate_ids) {
      tx.exec_params0(
          "UPDATE pattern_events SET lifecycle_state = 'detected' "
          "WHERE id = $1",
          id);
    }
    tx.commit();
  }
  // Writes (EvaluatePattern) need a write token; reads stay open.
  const std::string write_token = "pyclient-write-token-0123456789";
  const std::string read_token = "pyclient-read-token-0123456789";
  const std::string allow_list = (work_ / "allow-list").string();
  std::ofstream(allow_list)
      << "write token pytest-writer " << write_token
      << "\nread token pytest-reader " << read_token << "\n";
  const int64_t traces_before = pcs::testing::TraceRows(conninfo);
  pcs::testing::Subprocess server(
      {PCS_SERVER_BINARY, "--listen", "127.0.0.1:0", "--metrics-listen",
       "127.0.0.1:0", "--database-url", conninfo, "--models-dir",
       models_dir_.string(), "--enable-phase5-confidence", "--poll-seconds",
       "0", "--threads", "2", "--allow-list", allow_list});
  ASSERT_TRUE(server.started());
  std::string line;
  std::smatch m;
  do {
    line = server.ReadLine();
  } while (!line.empty() &&
           !std::regex_search(line, m, std::regex("grpc_port=(\\d+)")));
  ASSERT_FALSE(line.empty()) << "pcs-server printed no listening line";
  const std::string target = "127.0.0.1:" + m[1].str();
  const std::vector<std::string> ids(seeded.pattern_ids.begin(),
                                     seeded.pattern_ids.begin() + 4);
  auto [rc, out] = RunInstalled(
      "PCS_SERVER=" + target + " PCS_PATTERN_IDS=" + absl::StrJoin(ids, ",") +
      " PCS_EVALUATE_IDS=" + absl::StrJoin(evaluate_ids, ",") +
      " PCS_TOKEN=" + write_token + " PCS_READ_TOKEN=" + read_token +
      " PCS_MODEL_VERSION=" + kVersion + " PCS_INLINE_JSON=" + inline_json +
      " python3 -m pytest -q -p no:cacheprovider " + PythonDir().string() +
      "/tests");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("25 passed"));
  EXPECT_THAT(out, Not(HasSubstr("skipped")));
  EXPECT_EQ(server.Stop(SIGTERM), 0);  // graceful exit
  // The traced scores pytest made were written before exit.
  EXPECT_GT(pcs::testing::TraceRows(conninfo), traces_before);
  EXPECT_EQ(TreeListing(PythonDir()), tree_before_)
      << "running the tests wrote into " << PythonDir();
}

// The Python clients' TLS options (client/python/tests_tls) against the
// pcs-server binary serving TLS and mTLS with certificates made by openssl.
TEST_F(PythonClientTest, TlsOptionsAgainstATlsServer) {
  auto pki = pcs::testing::MakeTestPki("pyclient-tls");
  ASSERT_TRUE(pki.ok()) << pki.status();
  const std::string allow_list = (pki->dir / "allow-list").string();
  std::ofstream(allow_list)
      << "write subject " << pcs::testing::kClientSubject << "\n";
  pcs::testing::Subprocess server({PCS_SERVER_BINARY,
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--metrics-listen",
                                   "",
                                   "--database-url",
                                   pcs::testing::Seeded().conninfo,
                                   "--models-dir",
                                   models_dir_.string(),
                                   "--poll-seconds",
                                   "0",
                                   "--threads",
                                   "2",
                                   "--allow-list",
                                   allow_list,
                                   "--tls-cert",
                                   pki->server.cert,
                                   "--tls-key",
                                   pki->server.key,
                                   "--tls-client-ca",
                                   pki->ca});
  ASSERT_TRUE(server.started());
  std::string line;
  std::smatch m;
  do {
    line = server.ReadLine();
  } while (!line.empty() &&
           !std::regex_search(line, m, std::regex("grpc_port=(\\d+)")));
  ASSERT_FALSE(line.empty()) << "pcs-server printed no listening line";
  auto [rc, out] = RunInstalled(
      "PCS_TLS_SERVER=localhost:" + m[1].str() + " PCS_TLS_CA=" + pki->ca +
      " PCS_TLS_OTHER_CA=" + pki->other_ca + " PCS_TLS_CLIENT_CERT=" +
      pki->client.cert + " PCS_TLS_CLIENT_KEY=" + pki->client.key +
      " PCS_PATTERN_ID=" + pcs::testing::Seeded().pattern_ids.front() +
      " python3 -m pytest -q -p no:cacheprovider " + PythonDir().string() +
      "/tests_tls");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("6 passed"));
  EXPECT_THAT(out, Not(HasSubstr("skipped")));
  EXPECT_EQ(server.Stop(SIGTERM), 0);
  std::error_code ec;
  fs::remove_all(pki->dir, ec);
}

}  // namespace
}  // namespace pcs
