// PcsServer start-up and lifecycle on loopback with a real PostgreSQL:
// - a second pcs-server (the real binary) on a port already taken fails at
//   start with a clear message and exit status 1 (gRPC and metrics port);
// - a paused database (postgres SIGSTOPped, then SIGCONT) fails uncached
//   requests with UNAVAILABLE instead of hanging, never wedges the pool,
//   keeps cached answers, liveness and readiness, and recovers by itself;
// - shutdown cancels an in-flight batch, which stops and is not traced.
#include "server/pcs_server.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/version.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "server/trace_logger.h"
#include "tests/server/server_test_env.h"
#include "tests/test_util/fake_model_artifact.h"
#include "tests/test_util/test_database.h"

namespace pcs {
namespace {

using ::pcs::testing::Seeded;
using ::pcs::testing::TestServerOptions;
using ::testing::HasSubstr;
using ::testing::Not;

struct BinaryRun {
  int exit_code = -1;
  std::string output;  // stdout + stderr
};

BinaryRun RunServerBinary(const std::string& args) {
  const std::string command = absl::StrCat(
      "timeout 60 ", PCS_SERVER_BINARY, " --database-url '", Seeded().conninfo,
      "' --warmup-seconds 0 --poll-seconds 0 ", args, " 2>&1 < /dev/null");
  BinaryRun run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) {
    run.output.append(buf.data(), n);
  }
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// The postmaster and its direct children (backends, background workers).
std::vector<pid_t> ClusterPids(pid_t postmaster) {
  std::vector<pid_t> pids = {postmaster};
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return pids;
  while (dirent* e = ::readdir(proc)) {
    const pid_t pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
    std::string line;
    std::getline(stat, line);
    // pid (comm) state ppid ...: comm may hold spaces, so parse after ')'.
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &ppid) == 2 &&
        ppid == postmaster) {
      pids.push_back(pid);
    }
  }
  ::closedir(proc);
  return pids;
}

// SIGSTOPs the cluster; SIGCONT on Resume() or destruction.
class PausedDatabase {
 public:
  explicit PausedDatabase(pid_t postmaster) : pids_(ClusterPids(postmaster)) {
    for (pid_t p : pids_) ::kill(p, SIGSTOP);
  }
  ~PausedDatabase() { Resume(); }
  void Resume() {
    for (pid_t p : pids_) ::kill(p, SIGCONT);
    pids_.clear();
  }
  size_t processes() const { return pids_.size(); }

 private:
  std::vector<pid_t> pids_;
};

class PcsServerTest : public ::testing::Test {
 protected:
  void SetUp() override { models_dir_ = pcs::testing::NewModelsDir("srv"); }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(models_dir_);
  }
  void Start(bool phase5 = false, bool trace = true) {
    PcsServerOptions options = TestServerOptions(models_dir_.string(), phase5);
    options.warmup = absl::ZeroDuration();
    options.trace = trace;
    auto server = PcsServer::Create(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    stub_ = pcs::testing::StubFor(*server_);
  }
  void PublishModel(int rounds = 20) {
    ASSERT_TRUE(pcs::testing::WriteFakeModelArtifact(
                    models_dir_.string(),
                    {.version = "20260101T000000Z", .rounds = rounds})
                    .ok());
    ASSERT_TRUE(
        pcs::testing::WriteChampion(models_dir_.string(), "20260101T000000Z")
            .ok());
  }
  grpc::Status Score(const std::string& id,
                     std::chrono::seconds deadline = std::chrono::seconds(60)) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + deadline);
    v1::ScorePatternRequest request;
    request.set_pattern_id(id);
    v1::ScoreResponse response;
    return stub_->ScorePattern(&context, request, &response);
  }
  grpc::health::v1::HealthCheckResponse::ServingStatus Health(
      const std::string& service) {
    auto health = grpc::health::v1::Health::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->grpc_port()),
                            grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    if (!health->Check(&context, request, &response).ok()) {
      return grpc::health::v1::HealthCheckResponse::UNKNOWN;
    }
    return response.status();
  }
  std::unique_ptr<v1::PatternConfidence::Stub> stub_;
  std::filesystem::path models_dir_;
  std::unique_ptr<PcsServer> server_;
};

TEST(PcsServerBinaryTest, VersionPrintsVersionAndCommitAndStartsNothing) {
  const BinaryRun run = RunServerBinary("--version");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output, VersionLine("pcs-server") + "\n");
  EXPECT_THAT(run.output, Not(HasSubstr("listening")));
}

// Help defaults mean something on another machine: never the source or
// build folder; a value out of range is named as given.
TEST(PcsServerBinaryTest, HelpHasNoBuildPathsAndRangeErrorsAreReadable) {
  BinaryRun run = RunServerBinary("--help");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("--models-dir"));
  EXPECT_THAT(run.output, Not(HasSubstr(PCS_SOURCE_DIR)));
  EXPECT_THAT(run.output, Not(HasSubstr(PCS_BINARY_DIR)));
  run = RunServerBinary("--threads 99999999999999999999");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, HasSubstr("--threads"));
  EXPECT_THAT(run.output, HasSubstr("99999999999999999999"));
  run = RunServerBinary("--blend-weight 1e300");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output,
              HasSubstr("--blend-weight must be in [0, 1], got 1e+300"));
  run = RunServerBinary("--no-such-flag");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, HasSubstr("--no-such-flag"));
}

// A config-file key that is no flag is an error naming the key and line,
// never a silently ignored typo that leaves the default in place.
TEST(PcsServerBinaryTest, UnknownConfigKeyIsAnErrorNamingKeyAndLine) {
  const std::string path =
      absl::StrCat(std::filesystem::temp_directory_path().string(),
                   "/pcs_server_config_", ::getpid(), ".ini");
  {
    std::ofstream out(path);
    out << "# pcs-server\nthreads = 2\nlistn = 127.0.0.1:0\n";
  }
  BinaryRun run = RunServerBinary(absl::StrCat("--config ", path));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output,
              HasSubstr(absl::StrCat(path, ":3: unknown key 'listn'")));
  EXPECT_THAT(run.output, Not(HasSubstr("listening")));
  // A flag spelled with underscores is no key either: CLI11 would ignore
  // it (and start without a database URL, or on the default port).
  {
    std::ofstream out(path);
    out << "database_url = \"host=127.0.0.1 port=1 dbname=pcs\"\n";
  }
  run = RunServerBinary(absl::StrCat("--config ", path));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output,
              HasSubstr(absl::StrCat(path,
                                     ":1: unknown key 'database_url' "
                                     "(the flag is spelled with dashes: "
                                     "database-url)")));
  std::filesystem::remove(path);
}

TEST_F(PcsServerTest, SecondServerOnTakenGrpcPortExitsOneWithClearMessage) {
  Start();
  const BinaryRun run =
      RunServerBinary(absl::StrCat("--models-dir ", models_dir_.string(),
                                   " --listen 127.0.0.1:", server_->grpc_port(),
                                   " --metrics-listen 127.0.0.1:0"));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, HasSubstr(absl::StrCat("cannot listen on '127.0.0.1:",
                                                 server_->grpc_port(), "'")));
  EXPECT_THAT(run.output, HasSubstr("port in use"));
  EXPECT_THAT(run.output, ::testing::Not(HasSubstr("listening grpc_port")));
}

TEST_F(PcsServerTest, SecondServerOnTakenMetricsPortExitsOneWithClearMessage) {
  Start();
  const BinaryRun run = RunServerBinary(
      absl::StrCat("--models-dir ", models_dir_.string(),
                   " --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:",
                   server_->metrics_port()));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output,
              HasSubstr(absl::StrCat("cannot bind the metrics listener to "
                                     "'127.0.0.1:",
                                     server_->metrics_port(), "'")));
  EXPECT_THAT(run.output, ::testing::Not(HasSubstr("listening grpc_port")));
}

// The in-process form of the same rule (what Create returns).
TEST_F(PcsServerTest, CreateOnTakenGrpcPortFails) {
  Start();
  PcsServerOptions options = TestServerOptions(models_dir_.string(), false);
  options.warmup = absl::ZeroDuration();
  options.listen = absl::StrCat("127.0.0.1:", server_->grpc_port());
  auto second = PcsServer::Create(options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

// Threads of this process named `name` (/proc/self/task/*/comm).
int ThreadsNamed(const std::string& name) {
  int n = 0;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string line;
    if (std::getline(comm, line) && line == name) ++n;
  }
  return n;
}

// gRPC's default health service is a callback service: with it the sync
// server starts a callback completion queue whose two "nexting_thread"s poll
// the same sockets as the workers and hand requests over (docs/SERVER.md,
// "Serving CPU pass"). PcsServer serves health from its sync workers.
TEST_F(PcsServerTest, HealthIsServedWithoutCallbackQueueThreads) {
  Start();
  EXPECT_EQ(Health("liveness"), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(ThreadsNamed("nexting_thread"), 0);
  EXPECT_GT(ThreadsNamed("grpcpp_sync_ser"), 0);  // the names are read right
}

TEST_F(PcsServerTest, PausedDatabaseFailsFastNeverWedgesAndRecovers) {
  const pid_t postmaster = pcs::testing::TestDatabase::EmbeddedPostmasterPid();
  if (postmaster == 0) GTEST_SKIP() << "external database: cannot pause it";
  PublishModel();
  Start(/*phase5=*/true, /*trace=*/false);
  const std::vector<std::string>& ids = Seeded().pattern_ids;
  ASSERT_GE(ids.size(), 20u);
  ASSERT_TRUE(Score(ids[0]).ok());  // now in the score cache

  PausedDatabase paused(postmaster);
  ASSERT_GE(paused.processes(), 2u);
  // Twice the pool size of uncached requests, each with a 60 s deadline: a
  // wedged pool would hold them until the client deadline
  // (DEADLINE_EXCEEDED); the timeouts answer UNAVAILABLE within seconds.
  constexpr int kRequests = 8;
  std::vector<grpc::StatusCode> codes(kRequests);
  std::vector<std::thread> threads;
  const absl::Time start = absl::Now();
  for (int i = 0; i < kRequests; ++i) {
    threads.emplace_back([&, i] { codes[i] = Score(ids[1 + i]).error_code(); });
  }
  for (auto& t : threads) t.join();
  const absl::Duration took = absl::Now() - start;
  for (int i = 0; i < kRequests; ++i) {
    EXPECT_EQ(codes[i], grpc::StatusCode::UNAVAILABLE) << "request " << i;
  }
  std::printf(
      "paused database: %d uncached requests answered UNAVAILABLE "
      "within %.1f s\n",
      kRequests, absl::ToDoubleSeconds(took));
  // Cached answers flow; liveness and readiness hold.
  EXPECT_TRUE(Score(ids[0]).ok());
  EXPECT_EQ(Health("liveness"), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(""), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_GT(server_->engine().pool().timeouts(), 0u);

  paused.Resume();
  // Recovers without a restart: a fresh id scores OK again.
  const absl::Time until = absl::Now() + absl::Seconds(30);
  grpc::Status after = Score(ids[10]);
  while (!after.ok() && absl::Now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    after = Score(ids[11]);
  }
  EXPECT_TRUE(after.ok()) << after.error_message();
  std::printf("resumed database: first OK %.1f s after SIGCONT\n",
              absl::ToDoubleSeconds(absl::Now() - (until - absl::Seconds(30))));
}

// The trace writer's connection has the pool's timeouts too: with the
// database paused, Shutdown() gives the queued batch up (counted as dropped)
// and returns while postgres is still stopped, instead of waiting for it.
TEST_F(PcsServerTest, TraceShutdownDoesNotWaitForAPausedDatabase) {
  const pid_t postmaster = pcs::testing::TestDatabase::EmbeddedPostmasterPid();
  if (postmaster == 0) GTEST_SKIP() << "external database: cannot pause it";
  // A full batch (4) is written at once; a partial one waits for the
  // (hour-long) flush interval or for Shutdown().
  auto logger = TraceLogger::Create({.conninfo = Seeded().conninfo,
                                     .batch_size = 4,
                                     .flush_interval = absl::Hours(1)});
  ASSERT_TRUE(logger.ok()) << logger.status();
  TraceRecord record;
  record.pattern_id = Seeded().pattern_ids[0];
  record.state = "confirmed";
  record.reason = "score test";
  for (int i = 0; i < 4; ++i) ASSERT_TRUE((*logger)->Log(record));
  (*logger)->Flush();  // the writer's connection is open before the pause
  ASSERT_EQ((*logger)->written(), 4);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*logger)->Log(record));

  PausedDatabase paused(postmaster);
  ASSERT_GE(paused.processes(), 2u);
  auto done = std::async(std::launch::async, [&] { (*logger)->Shutdown(); });
  // Bounded only so that a regression fails instead of hanging the suite.
  const bool returned_while_paused =
      done.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  paused.Resume();
  done.wait();
  EXPECT_TRUE(returned_while_paused);
  EXPECT_EQ((*logger)->written(), 4);
  EXPECT_EQ((*logger)->dropped(), 3);
}

TEST_F(PcsServerTest, ShutdownCancelsAnInFlightBatchWhichIsNotTraced) {
  PublishModel(/*rounds=*/300);
  Start(/*phase5=*/true, /*trace=*/true);
  const std::vector<std::string>& ids = Seeded().pattern_ids;
  const int64_t before = pcs::testing::TraceRows(Seeded().conninfo);
  v1::ScoreBatchRequest request;
  for (size_t i = 0; i < ids.size() && i < 1000; ++i) {
    request.add_pattern_ids(ids[i]);
  }
  grpc::Status status;
  std::thread client([&] {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(60));
    v1::ScoreBatchResponse response;
    status = stub_->ScoreBatch(&context, request, &response);
  });
  // Wait until the batch is being scored, then shut down with no grace.
  const absl::Time until = absl::Now() + absl::Seconds(30);
  while (server_->engine().cache_misses() == 0 && absl::Now() < until) {
    std::this_thread::yield();
  }
  ASSERT_GT(server_->engine().cache_misses(), 0u) << "the batch never started";
  server_->Shutdown(absl::ZeroDuration());
  client.join();
  EXPECT_FALSE(status.ok());
  std::printf(
      "batch of %d ids cut by shutdown: %s (%d), %llu ids scored\n",
      request.pattern_ids_size(), status.error_message().c_str(),
      static_cast<int>(status.error_code()),
      static_cast<unsigned long long>(server_->engine().cache_misses()));
  // It stopped early (observed the cancellation) and traced nothing.
  EXPECT_LT(server_->engine().cache_misses(),
            static_cast<uint64_t>(request.pattern_ids_size()));
  EXPECT_EQ(pcs::testing::TraceRows(Seeded().conninfo), before);
}

}  // namespace
}  // namespace pcs
