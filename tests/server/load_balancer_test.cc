// Scale-out behind HAProxy (issue 10), with real binaries on loopback: two
// pcs-server replicas on one seeded PostgreSQL database and one model
// registry, HAProxy 2.6 in front running deploy/haproxy/pcs.cfg itself (its
// environment variables pointed at ephemeral ports and a temporary stats
// socket), checking each replica with a gRPC health call.
//
// Under load from 4 client threads (ScorePattern and ScoreBatch through
// HAProxy, on a channel with the read retry policy of
// client/retry_service_config.h), replica 1 is SIGKILLed and restarted on its
// port, then replica 2 is SIGKILLed. Asserted: HAProxy marks each killed
// replica DOWN and the restarted one UP again (its health check only passes on
// SERVING), the restarted replica answers requests again, and no call fails.
// Printed, not asserted (timing is for benchmarks): calls by RPC and code,
// the attempts HAProxy saw beyond the client's calls (= gRPC retries that
// reached it), its own retry / redispatch / 5xx counters, and how long each
// step took.
//
// PCS_LB_TEST_NO_RETRY=1 runs the same load without the retry policy; the test
// then fails whenever a killed replica had calls in flight (how it was checked
// that it can fail).
#include <httplib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "client/retry_service_config.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "pcs/v1/pattern_confidence.grpc.pb.h"
#include "tests/client/subprocess.h"
#include "tests/server/server_test_env.h"
#include "tests/test_util/fake_model_artifact.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;
using pcs::testing::Subprocess;

// A port the kernel hands out now (bound, read back, closed). HAProxy and a
// restarted replica need a fixed port; the race with another process taking
// it in between is accepted.
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// One pcs-server process; `grpc_port` 0 lets the kernel choose.
struct Replica {
  std::unique_ptr<Subprocess> process;
  int grpc_port = 0;
  int http_port = 0;
};

bool StartReplica(const std::string& models_dir, int grpc_port,
                  Replica* replica) {
  replica->process = std::make_unique<Subprocess>(std::vector<std::string>{
      PCS_SERVER_BINARY, "--listen", absl::StrCat("127.0.0.1:", grpc_port),
      "--metrics-listen", "127.0.0.1:0", "--database-url",
      pcs::testing::Seeded().conninfo, "--models-dir", models_dir,
      "--enable-phase5-confidence", "--poll-seconds", "0", "--warmup-seconds",
      "5", "--shutdown-grace-seconds", "1", "--log-level", "warn"});
  if (!replica->process->started()) return false;
  const std::string line = replica->process->ReadLine();
  return std::sscanf(line.c_str(), "listening grpc_port=%d metrics_port=%d",
                     &replica->grpc_port, &replica->http_port) == 2;
}

// Sum of pcs_requests_total over every label set on a replica's /metrics.
double RequestsServed(const Replica& replica) {
  httplib::Client http("127.0.0.1", replica.http_port);
  auto res = http.Get("/metrics");
  if (!res || res->status != 200) return -1;
  double total = 0;
  for (absl::string_view line : absl::StrSplit(res->body, '\n')) {
    if (!absl::StartsWith(line, "pcs_requests_total{")) continue;
    double value = 0;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) {
      total += value;
    }
  }
  return total;
}

// HAProxy's "show stat" as rows of column name -> value, keyed by
// "<proxy>/<server>" (e.g. "pcs_replicas/r1", "pcs_grpc/FRONTEND").
using StatTable = std::map<std::string, std::map<std::string, std::string>>;

StatTable ShowStat(const std::string& socket_path) {
  StatTable table;
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s",
                socket_path.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return table;
  }
  const std::string command = "show stat\n";
  (void)!::write(fd, command.data(), command.size());
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof(buf))) > 0;) text.append(buf, n);
  ::close(fd);
  std::vector<std::string> header;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, "# ")) {
      header = absl::StrSplit(line.substr(2), ',');
      continue;
    }
    std::vector<std::string> fields = absl::StrSplit(line, ',');
    if (header.empty() || fields.size() < 2) continue;
    auto& row = table[absl::StrCat(fields[0], "/", fields[1])];
    for (size_t i = 0; i < fields.size() && i < header.size(); ++i) {
      row[header[i]] = fields[i];
    }
  }
  return table;
}

// Calls by "<rpc> <code>"; ScoreBatch items that failed count as
// "ScoreBatch-item <code>".
struct Load {
  std::mutex mu;
  std::map<std::string, int64_t> calls;
  std::atomic<int64_t> ok{0};
  std::atomic<int64_t> failed{0};
  std::atomic<bool> stop{false};
};

class LoadBalancerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    models_dir_ = pcs::testing::NewModelsDir("lb").string();
    pcs::testing::FakeModelOptions model;
    ASSERT_TRUE(pcs::testing::WriteFakeModelArtifact(models_dir_, model).ok());
    ASSERT_TRUE(pcs::testing::WriteChampion(models_dir_, model.version).ok());
    stats_socket_ =
        (fs::temp_directory_path() / absl::StrCat("pcs_lb_", ::getpid()))
            .string();
  }
  void TearDown() override {
    load_.stop = true;
    for (auto& t : threads_) t.join();
    haproxy_.reset();
    replicas_[0].process.reset();
    replicas_[1].process.reset();
    std::error_code ec;
    fs::remove_all(models_dir_, ec);
    fs::remove(stats_socket_, ec);
  }

  // HAProxy on deploy/haproxy/pcs.cfg, in the foreground (-db).
  bool StartHaproxy() {
    frontend_port_ = FreePort();
    ::setenv("PCS_HAPROXY_BIND",
             absl::StrCat("127.0.0.1:", frontend_port_).c_str(), 1);
    ::setenv("PCS_HAPROXY_STATS_SOCKET", stats_socket_.c_str(), 1);
    ::setenv("PCS_HAPROXY_CHECK_INTER", "200ms", 1);
    for (int i = 0; i < 2; ++i) {
      ::setenv(absl::StrCat("PCS_REPLICA_", i + 1).c_str(),
               absl::StrCat("127.0.0.1:", replicas_[i].grpc_port).c_str(), 1);
    }
    const std::string haproxy =
        fs::exists("/usr/sbin/haproxy") ? "/usr/sbin/haproxy" : "haproxy";
    haproxy_ = std::make_unique<Subprocess>(std::vector<std::string>{
        haproxy, "-db", "-f",
        std::string(PCS_SOURCE_DIR) + "/deploy/haproxy/pcs.cfg"});
    return haproxy_->started();
  }

  // The status HAProxy reports for replica `index` ("UP", "DOWN", "UP 1/2",
  // ...; "" while its stats socket is not up).
  std::string Status(int index) {
    StatTable table = ShowStat(stats_socket_);
    return table[absl::StrCat("pcs_replicas/r", index + 1)]["status"];
  }

  // Polls until replica `index`'s status starts with `want`; false after
  // `limit`.
  bool WaitForStatus(int index, const std::string& want,
                     absl::Duration limit = absl::Seconds(30)) {
    const absl::Time until = absl::Now() + limit;
    while (absl::Now() < until) {
      if (absl::StartsWith(Status(index), want)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // Waits until the load has `n` more OK calls (bounded).
  bool WaitForOk(int64_t n) {
    const int64_t target = load_.ok.load() + n;
    const absl::Time until = absl::Now() + absl::Seconds(30);
    while (load_.ok.load() < target && absl::Now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return load_.ok.load() >= target;
  }

  void StartLoad(bool with_retry) {
    grpc::ChannelArguments args;
    if (with_retry) {
      args.SetServiceConfigJSON(pcs::client::RetryServiceConfigJson({}));
    }
    auto channel =
        grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", frontend_port_),
                                  grpc::InsecureChannelCredentials(), args);
    const auto& ids = pcs::testing::Seeded().pattern_ids;
    for (int t = 0; t < 4; ++t) {
      threads_.emplace_back([this, channel, &ids, t] {
        auto stub = v1::PatternConfidence::NewStub(channel);
        for (size_t i = t; !load_.stop.load(); i += 4) {
          grpc::ClientContext context;
          context.set_deadline(std::chrono::system_clock::now() +
                               std::chrono::seconds(10));
          std::string key;
          int item_failures = 0;
          grpc::Status status;
          if (i % 4 == 3) {
            v1::ScoreBatchRequest request;
            for (size_t k = 0; k < 8; ++k) {
              request.add_pattern_ids(ids[(i + k * 97) % ids.size()]);
            }
            v1::ScoreBatchResponse response;
            status = stub->ScoreBatch(&context, request, &response);
            for (const auto& item : response.items()) {
              item_failures += item.code() != 0;
            }
            key = "ScoreBatch";
          } else {
            v1::ScorePatternRequest request;
            request.set_pattern_id(ids[i % ids.size()]);
            v1::ScoreResponse response;
            status = stub->ScorePattern(&context, request, &response);
            key = "ScorePattern";
          }
          (status.ok() ? load_.ok : load_.failed)++;
          load_.failed += item_failures;
          std::lock_guard<std::mutex> lock(load_.mu);
          ++load_.calls[absl::StrCat(key, " ", status.error_code())];
          if (item_failures > 0) {
            load_.calls["ScoreBatch-item failed"] += item_failures;
          }
        }
      });
    }
  }

  std::string models_dir_;
  std::string stats_socket_;
  int frontend_port_ = 0;
  Replica replicas_[2];
  std::unique_ptr<Subprocess> haproxy_;
  Load load_;
  std::vector<std::thread> threads_;
};

double Since(absl::Time t) { return absl::ToDoubleSeconds(absl::Now() - t); }

TEST_F(LoadBalancerTest, ReplicaKilledAndRestartedUnderLoadWithoutFailures) {
  const char* no_retry = std::getenv("PCS_LB_TEST_NO_RETRY");
  const bool with_retry = no_retry == nullptr || std::string(no_retry) != "1";
  ASSERT_TRUE(StartReplica(models_dir_, 0, &replicas_[0]));
  ASSERT_TRUE(StartReplica(models_dir_, 0, &replicas_[1]));
  ASSERT_TRUE(StartHaproxy());
  ASSERT_TRUE(WaitForStatus(0, "UP")) << "r1: " << Status(0);
  ASSERT_TRUE(WaitForStatus(1, "UP")) << "r2: " << Status(1);

  StartLoad(with_retry);
  ASSERT_TRUE(WaitForOk(300));
  EXPECT_GT(RequestsServed(replicas_[0]), 0) << "HAProxy never used r1";
  EXPECT_GT(RequestsServed(replicas_[1]), 0) << "HAProxy never used r2";

  // 1. SIGKILL replica 1 under load.
  const int r1_port = replicas_[0].grpc_port;
  const absl::Time killed = absl::Now();
  EXPECT_EQ(replicas_[0].process->Stop(SIGKILL), -SIGKILL);
  ASSERT_TRUE(WaitForStatus(0, "DOWN")) << "r1: " << Status(0);
  const double down_after = Since(killed);
  ASSERT_TRUE(WaitForOk(300)) << "no progress on r2 alone";

  // 2. Restart it on the same port: back in the pool once SERVING.
  const absl::Time restarted = absl::Now();
  ASSERT_TRUE(StartReplica(models_dir_, r1_port, &replicas_[0]));
  ASSERT_TRUE(WaitForStatus(0, "UP")) << "r1: " << Status(0);
  const double up_after = Since(restarted);
  const absl::Time until = absl::Now() + absl::Seconds(15);
  while (RequestsServed(replicas_[0]) <= 0 && absl::Now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GT(RequestsServed(replicas_[0]), 0) << "restarted r1 got no request";

  // 3. SIGKILL replica 2: the restarted replica carries the load alone.
  const absl::Time killed2 = absl::Now();
  EXPECT_EQ(replicas_[1].process->Stop(SIGKILL), -SIGKILL);
  ASSERT_TRUE(WaitForStatus(1, "DOWN")) << "r2: " << Status(1);
  const double down2_after = Since(killed2);
  ASSERT_TRUE(WaitForOk(300)) << "no progress on the restarted r1 alone";
  load_.stop = true;
  for (auto& t : threads_) t.join();
  threads_.clear();

  StatTable stats = ShowStat(stats_socket_);
  int64_t calls = 0;
  std::string by_code;
  {
    std::lock_guard<std::mutex> lock(load_.mu);
    for (const auto& [key, n] : load_.calls) {
      if (!absl::StartsWith(key, "ScoreBatch-item")) calls += n;
      absl::StrAppend(&by_code, "  ", key, ": ", n, "\n");
    }
  }
  int64_t frontend_requests = 0;
  (void)absl::SimpleAtoi(stats["pcs_grpc/FRONTEND"]["req_tot"],
                         &frontend_requests);
  auto& backend = stats["pcs_replicas/BACKEND"];
  std::printf(
      "retry policy: %s\n"
      "calls by RPC and gRPC code (0 = OK):\n%s"
      "calls %lld, failed (calls + batch items) %lld\n"
      "HTTP/2 requests HAProxy received: %lld (%lld more than calls: "
      "retries that reached it)\n"
      "HAProxy backend: retries (wretr) %s, redispatches (wredis) %s, "
      "connection errors (econ) %s, response errors (eresp) %s, 5xx %s\n"
      "r1 marked DOWN %.2f s after SIGKILL; back UP %.2f s after restart; "
      "r2 marked DOWN %.2f s after SIGKILL\n",
      with_retry ? "on (client/retry_service_config.h)" : "OFF",
      by_code.c_str(), static_cast<long long>(calls),
      static_cast<long long>(load_.failed.load()),
      static_cast<long long>(frontend_requests),
      static_cast<long long>(frontend_requests - calls),
      backend["wretr"].c_str(), backend["wredis"].c_str(),
      backend["econ"].c_str(), backend["eresp"].c_str(),
      backend["hrsp_5xx"].c_str(), down_after, up_after, down2_after);
  EXPECT_EQ(load_.failed.load(), 0) << by_code;
}

}  // namespace
}  // namespace pcs
