// Fault injection against the real pcs-server binary on loopback, under a
// bounded load (4 client threads, ScorePattern over distinct ids, about 15 s
// in all), with its own PostgreSQL cluster:
//   1. PostgreSQL stopped (pg_ctl stop -m fast) for 3 s and started again:
//      only UNAVAILABLE / DEADLINE_EXCEEDED while it is down, OK again after
//      the restart, from the same server process (no restart needed);
//   2. SIGTERM under load: the process exits 0 by itself; calls end OK, or
//      UNAVAILABLE / CANCELLED once it stops accepting.
// Errors by code and the recovery and exit times are printed (figures for
// docs/PHASE5_TESTING_GUIDE.md), not asserted: timing is for benchmarks.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "db/embedded_postgres.h"
#include "db/migrator.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ingest/ingester.h"
#include "pcs/v1/pattern_confidence.grpc.pb.h"
#include "pipeline/backfill_job.h"
#include "pqxx/pqxx"
#include "tests/test_util/shared_data.h"

extern char** environ;

namespace pcs {
namespace {

namespace fs = std::filesystem;

// Runs `args` (as the postgres user when we are root); true on exit 0.
bool RunAsPostgres(std::vector<std::string> args) {
  if (::geteuid() == 0) {
    args.insert(args.begin(), {"runuser", "-u", "postgres", "--"});
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (::posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) !=
      0) {
    return false;
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

struct Load {
  std::mutex mu;
  std::map<std::string, int> codes;  // "phase code" -> count
  std::atomic<int> ok_since_mark{0};
  std::atomic<bool> stop{false};
  std::string phase = "before";
};

class FaultInjectionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new fs::path(fs::temp_directory_path() /
                         absl::StrCat("pcs_fault_pg_", ::getpid()));
    fs::create_directories(*root_ / "models");  // empty: rule-only answers
    auto pg = EmbeddedPostgres::Start({.root = root_->string()});
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = pg->release();
    const std::string conninfo = pg_->ConnInfo();
    ASSERT_TRUE(Migrate(conninfo, kDefaultMigrationsDir).ok());
    {
      pqxx::connection conn(conninfo);
      Ingester ingester(conn, {});
      std::vector<std::string> files;
      for (const char* s : {"AAPL", "AA", "DIA"}) {
        files.push_back(pcs::testing::SharedOhlcvFile(s));
      }
      ASSERT_TRUE(ingester.Run(files).ok());
    }
    BackfillOptions backfill;
    backfill.conninfo = conninfo;
    ASSERT_TRUE(RunBackfill(backfill).ok());
    pqxx::connection conn(conninfo);
    pqxx::read_transaction tx(conn);
    ids_ = new std::vector<std::string>();
    for (const auto& row :
         tx.exec("SELECT id FROM pattern_events ORDER BY md5(id)")) {
      ids_->push_back(row[0].c_str());
    }
  }
  static void TearDownTestSuite() {
    if (pg_ != nullptr) {
      (void)pg_->Stop();
      delete pg_;
    }
    std::error_code ec;
    if (root_ != nullptr) fs::remove_all(*root_, ec);
  }

  // Starts the binary; returns false when it does not print its port line.
  bool StartServer() {
    out_ = fs::temp_directory_path() /
           absl::StrCat("pcs_fault_server_", ::getpid(), ".out");
    const std::string url = pg_->ConnInfo();
    std::vector<std::string> args = {PCS_SERVER_BINARY,
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--metrics-listen",
                                     "",
                                     "--database-url",
                                     url,
                                     "--models-dir",
                                     root_->string() + "/models",
                                     "--warmup-seconds",
                                     "0",
                                     "--poll-seconds",
                                     "0",
                                     "--shutdown-grace-seconds",
                                     "2",
                                     "--log-level",
                                     "warn"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int rc = ::posix_spawn(&server_pid_, argv[0], &actions, nullptr,
                                 argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return false;
    const absl::Time until = absl::Now() + absl::Seconds(60);
    while (absl::Now() < until) {
      std::ifstream in(out_);
      std::string line;
      if (std::getline(in, line) &&
          std::sscanf(line.c_str(), "listening grpc_port=%d", &port_) == 1) {
        stub_ = v1::PatternConfidence::NewStub(
            grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_),
                                grpc::InsecureChannelCredentials()));
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  void TearDown() override {
    if (server_pid_ > 0) {
      ::kill(server_pid_, SIGKILL);
      ::waitpid(server_pid_, nullptr, 0);
    }
    std::error_code ec;
    fs::remove(out_, ec);
  }

  // 4 threads scoring distinct ids (each thread its own stride) until stop.
  std::vector<std::thread> StartLoad(Load* load) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([this, load, t] {
        for (size_t i = t; !load->stop.load(); i += 4) {
          grpc::ClientContext context;
          context.set_deadline(std::chrono::system_clock::now() +
                               std::chrono::seconds(5));
          v1::ScorePatternRequest request;
          request.set_pattern_id((*ids_)[i % ids_->size()]);
          request.set_skip_trace(true);
          v1::ScoreResponse response;
          const grpc::Status s =
              stub_->ScorePattern(&context, request, &response);
          if (s.ok()) ++load->ok_since_mark;
          {
            std::lock_guard<std::mutex> lock(load->mu);
            ++load->codes[absl::StrCat(load->phase, " ", s.error_code())];
          }
          if (!s.ok()) {  // do not spin on fast failures
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
          }
        }
      });
    }
    return threads;
  }

  void SetPhase(Load* load, const std::string& phase) {
    std::lock_guard<std::mutex> lock(load->mu);
    load->phase = phase;
    load->ok_since_mark = 0;
  }

  static std::string Codes(Load* load) {
    std::lock_guard<std::mutex> lock(load->mu);
    std::string out;
    for (const auto& [key, n] : load->codes)
      absl::StrAppend(&out, "  ", key, ": ", n, "\n");
    return out;
  }

  static inline fs::path* root_ = nullptr;
  static inline EmbeddedPostgres* pg_ = nullptr;
  static inline std::vector<std::string>* ids_ = nullptr;
  fs::path out_;
  pid_t server_pid_ = 0;
  int port_ = 0;
  std::unique_ptr<v1::PatternConfidence::Stub> stub_;
};

// gRPC code numbers allowed while PostgreSQL is down: UNAVAILABLE (14) and
// DEADLINE_EXCEEDED (4).
bool OutageCode(const std::string& key) {
  return key.ends_with(" 14") || key.ends_with(" 4");
}

TEST_F(FaultInjectionTest, PostgresStoppedAndRestartedUnderLoad) {
  ASSERT_TRUE(StartServer());
  const pid_t pid = server_pid_;
  Load load;
  std::vector<std::thread> threads = StartLoad(&load);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  SetPhase(&load, "down");
  const std::string pg_ctl = "/usr/lib/postgresql/15/bin/pg_ctl";
  ASSERT_TRUE(RunAsPostgres(
      {pg_ctl, "-D", pg_->data_dir(), "-w", "-s", "-m", "fast", "stop"}));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  SetPhase(&load, "restarted");
  const absl::Time restart = absl::Now();
  ASSERT_TRUE(RunAsPostgres(
      {pg_ctl, "-D", pg_->data_dir(), "-l", root_->string() + "/server.log",
       "-w", "-s", "-o",
       absl::StrCat("-k ", pg_->socket_dir(), " -p ", pg_->port()), "start"}));
  const absl::Time started = absl::Now();
  const absl::Time until = absl::Now() + absl::Seconds(30);
  while (load.ok_since_mark.load() == 0 && absl::Now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const absl::Time recovered = absl::Now();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  load.stop = true;
  for (auto& t : threads) t.join();

  const std::string codes = Codes(&load);
  std::printf(
      "requests by phase and gRPC code:\n%s"
      "postgres start took %.2f s; first OK %.2f s after it answered\n",
      codes.c_str(), absl::ToDoubleSeconds(started - restart),
      absl::ToDoubleSeconds(recovered - started));
  EXPECT_GT(load.ok_since_mark.load(), 0) << "no OK after the restart\n"
                                          << codes;
  EXPECT_EQ(::kill(pid, 0), 0) << "the server process is gone";
  EXPECT_EQ(server_pid_, pid);
  std::lock_guard<std::mutex> lock(load.mu);
  for (const auto& [key, n] : load.codes) {
    if (key.starts_with("down ")) {
      EXPECT_TRUE(OutageCode(key) || key == "down 0") << key << ": " << n;
    } else if (key.starts_with("before ")) {
      EXPECT_EQ(key, "before 0") << n;
    }
  }
}

TEST_F(FaultInjectionTest, SigtermUnderLoadExitsZeroWithinGrace) {
  ASSERT_TRUE(StartServer());
  Load load;
  std::vector<std::thread> threads = StartLoad(&load);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  SetPhase(&load, "after-sigterm");
  const absl::Time sent = absl::Now();
  ASSERT_EQ(::kill(server_pid_, SIGTERM), 0);
  int status = 0;
  pid_t done = 0;
  const absl::Time until = absl::Now() + absl::Seconds(60);
  while ((done = ::waitpid(server_pid_, &status, WNOHANG)) == 0 &&
         absl::Now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const absl::Duration took = absl::Now() - sent;
  load.stop = true;
  for (auto& t : threads) t.join();
  ASSERT_EQ(done, server_pid_) << "still running 60 s after SIGTERM";
  server_pid_ = 0;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  const std::string codes = Codes(&load);
  std::printf("SIGTERM under load (grace 2 s): exited after %.2f s\n%s",
              absl::ToDoubleSeconds(took), codes.c_str());
  std::lock_guard<std::mutex> lock(load.mu);
  for (const auto& [key, n] : load.codes) {
    // OK (0), CANCELLED (1), UNAVAILABLE (14) only.
    EXPECT_TRUE(key.ends_with(" 0") || key.ends_with(" 1") ||
                key.ends_with(" 14"))
        << key << ": " << n;
  }
}

}  // namespace
}  // namespace pcs
