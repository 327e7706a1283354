// Limits of the gRPC port (GrpcLimits, server/pcs_server.h) against a real
// server: connections that never finish the HTTP/2 preface are closed at the
// handshake timeout, and a flood of open ScoreStream calls costs threads only
// up to the ResourceQuota, the calls beyond it answered RESOURCE_EXHAUSTED.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "server/pcs_server.h"
#include "tests/server/server_test_env.h"

namespace pcs {
namespace {

int ThreadCount() {
  int n = 0;
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  while (dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n;
}

int Connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

class GrpcLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    models_dir_ = testing::NewModelsDir("grpc_limits");
    PcsServerOptions options =
        testing::TestServerOptions(models_dir_.string(), false);
    options.grpc_limits.max_threads = kMaxThreads;
    options.grpc_limits.max_concurrent_streams = 50;
    options.grpc_limits.handshake_timeout = absl::Seconds(1);
    auto server = PcsServer::Create(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(models_dir_);
  }

  static constexpr int kMaxThreads = 16;
  std::filesystem::path models_dir_;
  std::unique_ptr<PcsServer> server_;
};

TEST_F(GrpcLimitsTest, ConnectionsThatNeverFinishThePrefaceAreClosed) {
  std::vector<int> fds;
  for (int i = 0; i < 200; ++i) {
    const int fd = Connect(server_->grpc_port());
    ASSERT_GE(fd, 0);
    // Half a preface, then silence.
    if (i % 2 == 0) (void)::send(fd, "PRI * HTTP/2.0\r\n", 16, MSG_NOSIGNAL);
    fds.push_back(fd);
  }
  const absl::Time start = absl::Now();
  int closed = 0;
  std::vector<bool> done(fds.size(), false);
  while (closed < static_cast<int>(fds.size()) &&
         absl::Now() - start < absl::Seconds(10)) {
    for (size_t i = 0; i < fds.size(); ++i) {
      if (done[i]) continue;
      pollfd pfd{fds[i], POLLIN, 0};
      if (::poll(&pfd, 1, 0) <= 0) continue;
      char buffer[256];
      ssize_t n;
      while ((n = ::recv(fds[i], buffer, sizeof(buffer), MSG_DONTWAIT)) > 0) {
      }
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        done[i] = true;
        ++closed;
      }
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  std::cout << closed << " of " << fds.size()
            << " preface-less connections closed after " << absl::Now() - start
            << " (handshake timeout 1 s)\n";
  EXPECT_EQ(closed, static_cast<int>(fds.size()));
  for (int fd : fds) ::close(fd);
}

TEST_F(GrpcLimitsTest, StreamFloodIsCappedByTheThreadQuota) {
  constexpr int kChannels = 4;
  constexpr int kStreamsPerChannel = 50;
  std::vector<std::unique_ptr<v1::PatternConfidence::Stub>> stubs;
  for (int i = 0; i < kChannels; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // own connection
    args.SetInt("pcs.test.channel", i);
    stubs.push_back(v1::PatternConfidence::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", server_->grpc_port()),
        grpc::InsecureChannelCredentials(), args)));
  }
  const int before = ThreadCount();
  grpc::CompletionQueue cq;
  struct Call {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientAsyncReaderWriter<v1::ScorePatternRequest,
                                                  v1::ScoreBatchItem>>
        stream;
    grpc::Status status;
    bool finished = false;
  };
  std::vector<std::unique_ptr<Call>> calls;
  for (auto& stub : stubs) {
    for (int i = 0; i < kStreamsPerChannel; ++i) {
      auto call = std::make_unique<Call>();
      call->stream = stub->AsyncScoreStream(&call->context, &cq,
                                            reinterpret_cast<void*>(1));
      call->stream->Finish(&call->status, call.get());
      calls.push_back(std::move(call));
    }
  }
  // Calls beyond the quota finish at once; the others stay open.
  int exhausted = 0;
  int peak_threads = 0;
  const absl::Time until = absl::Now() + absl::Seconds(3);
  for (;;) {
    void* tag = nullptr;
    bool ok = false;
    const auto next = cq.AsyncNext(
        &tag, &ok, absl::ToChronoTime(absl::Now() + absl::Milliseconds(100)));
    peak_threads = std::max(peak_threads, ThreadCount());
    if (next == grpc::CompletionQueue::SHUTDOWN) break;
    if (next == grpc::CompletionQueue::TIMEOUT) {
      if (absl::Now() > until) break;
      continue;
    }
    if (tag == reinterpret_cast<void*>(1)) continue;  // a call started
    Call* call = static_cast<Call*>(tag);
    call->finished = true;
    if (call->status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++exhausted;
    }
  }
  const int open = static_cast<int>(std::count_if(
      calls.begin(), calls.end(), [](const auto& c) { return !c->finished; }));
  std::cout << calls.size() << " ScoreStream calls: " << open << " open, "
            << exhausted << " RESOURCE_EXHAUSTED; threads " << before
            << " before, peak " << peak_threads << " (quota " << kMaxThreads
            << ")\n";
  EXPECT_GT(exhausted, 0);
  EXPECT_LE(open, kMaxThreads);
  EXPECT_LE(peak_threads - before, kMaxThreads + 4);
  for (auto& call : calls) call->context.TryCancel();
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
}

}  // namespace
}  // namespace pcs
