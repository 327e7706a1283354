// The live server seen through real external tools: grpcurl (reflection,
// describe, a JSON call, health) and a real Prometheus scraping /metrics.
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/server/server_test_env.h"
#include "tests/test_util/fake_model_artifact.h"

extern char** environ;

namespace pcs {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// Runs a shell command; returns (exit code, stdout+stderr).
std::pair<int, std::string> RunCommand(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  std::string output;
  char buf[1024];
  while (pipe && std::fgets(buf, sizeof(buf), pipe)) output += buf;
  int rc = pipe ? ::pclose(pipe) : -1;
  return {rc == -1 ? -1 : WEXITSTATUS(rc), output};
}

// grpcurl: $PCS_GRPCURL, else <build>/tools/grpcurl, else PATH.
std::string FindGrpcurl() {
  if (const char* env = std::getenv("PCS_GRPCURL"); env && *env) return env;
  fs::path built = fs::path(PCS_TOOLS_DIR) / "grpcurl";
  if (fs::exists(built)) return built.string();
  auto [rc, out] = RunCommand("command -v grpcurl");
  if (rc == 0 && !out.empty()) return out.substr(0, out.find('\n'));
  return "";
}

class ServerToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    models_dir_ = pcs::testing::NewModelsDir("tools");
    auto path = pcs::testing::WriteFakeModelArtifact(
        models_dir_.string(), {.version = "20260101T000000Z"});
    ASSERT_TRUE(path.ok()) << path.status();
    ASSERT_TRUE(
        pcs::testing::WriteChampion(models_dir_.string(), "20260101T000000Z")
            .ok());
    auto server = PcsServer::Create(
        pcs::testing::TestServerOptions(models_dir_.string(), true));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    target_ = absl::StrCat("127.0.0.1:", server_->grpc_port());
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(models_dir_);
  }

  fs::path models_dir_;
  std::unique_ptr<PcsServer> server_;
  std::string target_;
};

TEST_F(ServerToolsTest, GrpcurlListsDescribesAndCalls) {
  std::string grpcurl = FindGrpcurl();
  if (grpcurl.empty()) {
    GTEST_SKIP() << "grpcurl not found: install it with `GOBIN=<build>/tools "
                    "go install github.com/fullstorydev/grpcurl/cmd/"
                    "grpcurl@v1.9.1` or set PCS_GRPCURL";
  }
  auto [rc, list] = RunCommand(grpcurl + " -plaintext " + target_ + " list");
  ASSERT_EQ(rc, 0) << list;
  EXPECT_THAT(list, HasSubstr("pcs.v1.PatternConfidence"));
  EXPECT_THAT(list, HasSubstr("grpc.health.v1.Health"));

  auto [rc2, describe] = RunCommand(grpcurl + " -plaintext " + target_ +
                                    " describe pcs.v1.PatternConfidence");
  ASSERT_EQ(rc2, 0) << describe;
  EXPECT_THAT(describe, HasSubstr("rpc ScorePattern"));
  EXPECT_THAT(describe, HasSubstr("rpc GetServingStatus"));

  const std::string id = pcs::testing::Seeded().pattern_ids.front();
  auto [rc3, call] = RunCommand(grpcurl + " -plaintext -d '{\"pattern_id\":\"" +
                                id + "\",\"top_k\":3}' " + target_ +
                                " pcs.v1.PatternConfidence/ScorePattern");
  ASSERT_EQ(rc3, 0) << call;
  nlohmann::json response = nlohmann::json::parse(call, nullptr, false);
  ASSERT_FALSE(response.is_discarded()) << call;
  EXPECT_EQ(response["pattern_id"], id) << call;
  EXPECT_EQ(response["model_version"], "20260101T000000Z");
  EXPECT_EQ(response["top_contributions"].size(), 3u);

  auto [rc4, health] = RunCommand(grpcurl + " -plaintext " + target_ +
                                  " grpc.health.v1.Health/Check");
  ASSERT_EQ(rc4, 0) << health;
  EXPECT_THAT(health, HasSubstr("SERVING"));

  auto [rc5, missing] =
      RunCommand(grpcurl +
                 " -plaintext -d "
                 "'{\"pattern_id\":\"00000000deadbeef\"}' " +
                 target_ + " pcs.v1.PatternConfidence/ScorePattern");
  EXPECT_NE(rc5, 0);
  EXPECT_THAT(missing, HasSubstr("NotFound"));
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

// Value of the first sample of an instant query, or "".
std::string QueryValue(httplib::Client& prometheus, const std::string& query) {
  auto res = prometheus.Get("/api/v1/query", httplib::Params{{"query", query}},
                            httplib::Headers{});
  if (!res || res->status != 200) return "";
  nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
  if (body.is_discarded() || body["data"]["result"].empty()) return "";
  return body["data"]["result"][0]["value"][1].get<std::string>();
}

TEST_F(ServerToolsTest, RealPrometheusScrapesTheMetricsPort) {
  if (RunCommand("command -v prometheus").first != 0) {
    GTEST_SKIP() << "prometheus is not installed";
  }
  // Produce a pcs_ sample worth scraping.
  auto stub = pcs::testing::StubFor(*server_);
  grpc::ClientContext context;
  v1::ScorePatternRequest request;
  request.set_pattern_id(pcs::testing::Seeded().pattern_ids.front());
  v1::ScoreResponse response;
  ASSERT_TRUE(stub->ScorePattern(&context, request, &response).ok());

  fs::path dir = models_dir_ / "prometheus";
  fs::create_directories(dir / "data");
  std::ofstream(dir / "prometheus.yml")
      << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
      << "scrape_configs:\n  - job_name: pcs\n    static_configs:\n"
      << "      - targets: ['127.0.0.1:" << server_->metrics_port() << "']\n";
  const int web_port = FreePort();
  std::vector<std::string> args = {
      "prometheus", "--config.file=" + (dir / "prometheus.yml").string(),
      "--storage.tsdb.path=" + (dir / "data").string(),
      absl::StrCat("--web.listen-address=127.0.0.1:", web_port),
      "--log.level=warn"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(::posix_spawnp(&pid, "prometheus", nullptr, nullptr, argv.data(),
                           environ),
            0);
  httplib::Client prometheus("127.0.0.1", web_port);
  std::string up;
  std::string requests;
  const absl::Time deadline = absl::Now() + absl::Seconds(90);
  while (absl::Now() < deadline) {
    up = QueryValue(prometheus, "up{job=\"pcs\"}");
    requests = QueryValue(
        prometheus, "pcs_requests_total{method=\"ScorePattern\",code=\"OK\"}");
    if (up == "1" && !requests.empty()) break;
    absl::SleepFor(absl::Milliseconds(250));  // poll interval, not a wait
  }
  ::kill(pid, SIGTERM);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  EXPECT_EQ(up, "1");
  EXPECT_EQ(requests, "1");
}

}  // namespace
}  // namespace pcs
