// Limits of the HTTP port (server/limited_http_server.h, http_limits.h)
// against a real MetricsHttpServer on loopback with raw-socket clients:
// oversized bodies refused from their headers (resident memory measured),
// slow clients cut off and unable to starve /healthz, the connection cap
// (over plaintext and over TLS).
#include "server/limited_http_server.h"

#include <httplib.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/http_limits.h"
#include "server/metrics_http_server.h"
#include "server/metrics_registry.h"
#include "tests/test_util/raw_http_client.h"
#include "tests/test_util/test_certificates.h"

namespace pcs {
namespace {

using ::pcs::testing::RawClient;

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Resident set size of this process (server and clients share it; the
// clients hold at most 64 KiB of body at a time).
int64_t ResidentKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      int64_t kib = 0;
      std::string digits;
      for (char c : line) {
        if (c >= '0' && c <= '9') digits += c;
      }
      (void)absl::SimpleAtoi(digits, &kib);
      return kib;
    }
  }
  return -1;
}

// True once `get` (a GET /healthz on a new connection) answers 200, polled
// for at most 5 s: the threads held by closed connections are free again.
template <typename Get>
bool ServedAgain(const Get& get) {
  for (int i = 0; i < 50; ++i) {
    httplib::Result res = get();
    if (res && res->status == 200) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return false;
}

class LimitedHttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpLimits limits,
             MetricsHttpServer::TlsSetup tls_setup = nullptr) {
    auto server = MetricsHttpServer::Create(
        "127.0.0.1:0", &registry_, nullptr,
        [](httplib::Server& http) {
          http.Post(
              "/echo", [](const httplib::Request& req, httplib::Response& res) {
                res.set_content(absl::StrCat(req.body.size()), "text/plain");
              });
        },
        std::move(tls_setup), limits);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  // Serves HTTPS with a certificate from a fresh test PKI (pki_).
  void StartTls(HttpLimits limits) {
    auto pki = pcs::testing::MakeTestPki("limited_http");
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = *pki;
    Start(limits, [server = pki_->server](SSL_CTX* ctx) {
      if (SSL_CTX_use_certificate_chain_file(ctx, server.cert.c_str()) != 1 ||
          SSL_CTX_use_PrivateKey_file(ctx, server.key.c_str(),
                                      SSL_FILETYPE_PEM) != 1) {
        return absl::InternalError("cannot load the test certificate");
      }
      return absl::OkStatus();
    });
  }
  void TearDown() override {
    if (server_) server_->Stop();
    if (pki_) std::filesystem::remove_all(pki_->dir);
  }
  int port() const { return server_->port(); }

  MetricsRegistry registry_;
  std::unique_ptr<MetricsHttpServer> server_;
  std::optional<pcs::testing::TestPki> pki_;
};

TEST_F(LimitedHttpServerTest, OneGigabyteBodyIsRefusedBeforeItIsRead) {
  Start({});
  const int64_t before = ResidentKiB();
  RawClient client(port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(
      client.Send("POST /echo HTTP/1.1\r\nHost: x\r\n"
                  "Content-Type: application/json\r\n"
                  "Content-Length: 1073741824\r\n\r\n"));
  const std::string answer = client.Receive();
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 413"));
  EXPECT_THAT(answer, HasSubstr("\"code\":\"INVALID_ARGUMENT\""));
  EXPECT_THAT(answer, HasSubstr("the limit is 1048576"));
  // Push the body anyway, as an attacker would, until the server hangs up.
  const std::string chunk(64 << 10, 'x');
  int64_t sent = 0;
  while (sent < (int64_t{1} << 30) && client.Send(chunk)) sent += chunk.size();
  const int64_t grown_kib = ResidentKiB() - before;
  std::cout << "1 GiB body: " << sent << " bytes accepted by the socket, "
            << "resident memory grew by " << grown_kib << " KiB\n";
  EXPECT_LT(grown_kib, 10 * 1024);
  EXPECT_LT(sent, int64_t{1} << 30) << "the server never closed";
}

TEST_F(LimitedHttpServerTest, ExpectContinueIsAnswered413) {
  Start({});
  RawClient client(port());
  ASSERT_TRUE(
      client.Send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                  "Content-Length: 2000000\r\n\r\n"));
  EXPECT_THAT(client.Receive(), StartsWith("HTTP/1.1 413"));
}

TEST_F(LimitedHttpServerTest, ChunkedBodyIs411AndSmallBodyIsServed) {
  Start({});
  {
    RawClient client(port());
    ASSERT_TRUE(client.Send(
        "POST /echo HTTP/1.1\r\nHost: x\r\n"
        "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
    EXPECT_THAT(client.Receive(), StartsWith("HTTP/1.1 411"));
  }
  RawClient client(port());
  ASSERT_TRUE(
      client.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                  "\r\nhello"));
  const std::string answer = client.Receive();
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(answer, HasSubstr("\r\n\r\n5"));
}

TEST_F(LimitedHttpServerTest, SlowHeadersAreCutOffAtTheHeaderTimeout) {
  HttpLimits limits;
  limits.header_timeout = absl::Seconds(1);
  Start(limits);
  RawClient client(port());
  ASSERT_TRUE(client.Send("GET /healthz HTTP/1.1\r\n"));
  // One header line every 300 ms: each read is quick, the total is not.
  const absl::Time start = absl::Now();
  bool cut = false;
  for (int i = 0; i < 20 && !cut; ++i) {
    absl::SleepFor(absl::Milliseconds(300));
    // Any answer (a 400, or the close) means the server gave up on it.
    pollfd pfd{client.fd(), POLLIN, 0};
    cut = !client.Send(absl::StrCat("X-Slow-", i, ": 1\r\n")) ||
          ::poll(&pfd, 1, 0) > 0;
  }
  EXPECT_TRUE(cut) << "a client trickling headers was never cut off";
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
}

TEST_F(LimitedHttpServerTest, HealthzAnswersWhile64SlowClientsHoldConnections) {
  Start({});
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < 64; ++i) {
    slow.push_back(std::make_unique<RawClient>(port()));
    ASSERT_TRUE(slow.back()->Send("GET /api/v1/patterns HTTP/1.1\r\n"));
  }
  absl::Duration worst;
  for (int round = 0; round < 5; ++round) {
    for (auto& c : slow) (void)c->Send("X-Slow: 1\r\n");
    const absl::Time start = absl::Now();
    httplib::Client health("127.0.0.1", port());
    auto res = health.Get("/healthz");
    const absl::Duration took = absl::Now() - start;
    ASSERT_TRUE(res) << "round " << round;
    EXPECT_EQ(res->status, 200);
    worst = std::max(worst, took);
    absl::SleepFor(absl::Milliseconds(200));
  }
  std::cout << "/healthz with 64 slow clients: worst of 5 = " << worst << "\n";
  EXPECT_LT(worst, absl::Milliseconds(100));
}

// Four connections that sent `held_sends` (and nothing more) hold the four
// connection threads of a server capped at four; a fifth GET /healthz
// through `get` (a new client each call) is answered 503, read whole by an
// ordinary client; once the four close it is served 200 again.
template <typename Get>
void ExpectFifthIs503UntilTheFourClose(int port, const std::string& held_sends,
                                       const Get& get) {
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<RawClient>(port));
    ASSERT_TRUE(held.back()->connected());
    if (!held_sends.empty()) {
      ASSERT_TRUE(held.back()->Send(held_sends));
    }
  }
  absl::SleepFor(absl::Milliseconds(200));  // the four are being served
  httplib::Result res = get();
  ASSERT_TRUE(res) << "closed unanswered: " << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 503);
  EXPECT_THAT(res->body, HasSubstr("--http-max-connections"));
  held.clear();  // closing them frees the threads
  EXPECT_TRUE(ServedAgain(get));
}

TEST_F(LimitedHttpServerTest, ConnectionsBeyondTheCapAre503) {
  HttpLimits limits;
  limits.max_connections = 4;
  Start(limits);
  ExpectFifthIs503UntilTheFourClose(port(), "GET /healthz HTTP/1.1\r\n", [&] {
    return httplib::Client("127.0.0.1", port()).Get("/healthz");
  });
}

// Over TLS the connection beyond the cap gets its 503 too (after a
// handshake on the rejecting thread), not a bare close. The four held ones
// never start their handshake.
TEST_F(LimitedHttpServerTest, HttpsConnectionsBeyondTheCapAre503) {
  HttpLimits limits;
  limits.max_connections = 4;
  StartTls(limits);
  ExpectFifthIs503UntilTheFourClose(port(), "", [&] {
    httplib::SSLClient client("127.0.0.1", port());
    client.set_ca_cert_path(pki_->ca.c_str());
    client.enable_server_certificate_verification(true);
    return client.Get("/healthz");
  });
}

// The 503 over TLS costs the answering thread up to 500 ms a connection, so
// at most 64 connections wait for it: the ones beyond are closed at once
// instead of holding a descriptor for half a minute.
TEST_F(LimitedHttpServerTest, HttpsConnectionsBeyondTheBusyQueueAreClosed) {
  HttpLimits limits;
  limits.max_connections = 1;
  StartTls(limits);
  // None of them starts a handshake: one holds the connection thread, the
  // answering thread takes one every 500 ms (one or two in this loop of
  // about 0.6 s; the last four stay over the 64 that wait unless it took
  // 17 s), the rest wait or are over. Paced, so that the listener (backlog
  // 5) accepts each before the next comes.
  std::vector<std::unique_ptr<RawClient>> silent;
  for (int i = 0; i < 1 + 64 + 40; ++i) {
    silent.push_back(std::make_unique<RawClient>(port()));
    ASSERT_TRUE(silent.back()->connected());
    absl::SleepFor(absl::Milliseconds(5));
  }
  for (size_t i = silent.size() - 4; i < silent.size(); ++i) {
    EXPECT_EQ(silent[i]->Receive(absl::Seconds(2)), "") << "connection " << i;
    EXPECT_TRUE(silent[i]->closed()) << "connection " << i << " still open";
  }
}

TEST(HttpLimitsTest, JsonDepth) {
  EXPECT_TRUE(CheckJsonDepth(R"({"a": [1, {"b": 2}]})", 3).ok());
  EXPECT_FALSE(CheckJsonDepth(R"({"a": [1, {"b": 2}]})", 2).ok());
  EXPECT_TRUE(CheckJsonDepth(R"({"a": "[[[[[[\"[[["})", 1).ok());
  const std::string deep(6 << 20, '[');
  absl::Status s = CheckJsonDepth(deep, 32);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("nested deeper than 32"));
}

TEST(HttpLimitsTest, BadLimitsAreRefused) {
  HttpLimits limits;
  limits.max_connections = 0;
  EXPECT_FALSE(MakeLimitedHttpServer(limits, nullptr).ok());
  limits = {};
  limits.header_timeout = absl::ZeroDuration();
  EXPECT_FALSE(MakeLimitedHttpServer(limits, nullptr).ok());
}

}  // namespace
}  // namespace pcs
