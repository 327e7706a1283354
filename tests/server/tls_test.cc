// TLS and mTLS end to end: a real pcs-server in-process on loopback with
// certificates made by openssl at test time (tests/test_util/
// test_certificates.h), real PostgreSQL, real channels. Covers the gRPC and
// the HTTP listener, UNAUTHENTICATED / PERMISSION_DENIED over TLS, client
// certificates as identities, an expired certificate, a certificate from
// the wrong CA and a plaintext client against a TLS server.
#include <httplib.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "server/request_identity.h"
#include "server/tls_credentials.h"
#include "tests/server/server_test_env.h"
#include "tests/test_util/test_certificates.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;
using ::pcs::testing::CertFiles;
using ::pcs::testing::kClientSubject;
using ::pcs::testing::kReaderSubject;
using ::pcs::testing::kTestReadToken;
using ::pcs::testing::kTestWriteToken;
using ::pcs::testing::Seeded;
using ::pcs::testing::TestPki;
using ::testing::HasSubstr;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pki = pcs::testing::MakeTestPki("tls");
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = new TestPki(*pki);
    allow_list_ = new std::string((pki_->dir / "allow-list").string());
    std::ofstream(*allow_list_)
        << "write token test-writer " << kTestWriteToken << "\n"
        << "read token test-reader " << kTestReadToken << "\n"
        << "write subject " << kClientSubject << "\n"
        << "read subject " << kReaderSubject << "\n";
  }
  static void TearDownTestSuite() {
    if (pki_ != nullptr) fs::remove_all(pki_->dir);
  }
  void SetUp() override { models_dir_ = pcs::testing::NewModelsDir("tls"); }
  void TearDown() override {
    server_.reset();
    fs::remove_all(models_dir_);
  }

  TlsOptions ServerTls(bool require_client_cert) const {
    return {.cert_file = pki_->server.cert,
            .key_file = pki_->server.key,
            .client_ca_file = pki_->ca,
            .require_client_cert = require_client_cert};
  }

  void StartServer(TlsOptions tls) {
    PcsServerOptions options =
        pcs::testing::TestServerOptions(models_dir_.string(), false);
    options.allow_list_file = *allow_list_;
    options.tls = std::move(tls);
    auto server = PcsServer::Create(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  // A stub over TLS trusting `ca`, presenting `client` when given.
  std::unique_ptr<v1::PatternConfidence::Stub> TlsStub(
      const std::string& ca, const CertFiles* client = nullptr) const {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadAll(ca);
    if (client != nullptr) {
      ssl.pem_cert_chain = ReadAll(client->cert);
      ssl.pem_private_key = ReadAll(client->key);
    }
    return v1::PatternConfidence::NewStub(
        grpc::CreateChannel(absl::StrCat("localhost:", server_->grpc_port()),
                            grpc::SslCredentials(ssl)));
  }

  static grpc::Status Score(v1::PatternConfidence::Stub& stub) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    v1::ScorePatternRequest request;
    request.set_pattern_id(Seeded().pattern_ids.front());
    v1::ScoreResponse response;
    return stub.ScorePattern(&context, request, &response);
  }

  // EvaluatePattern on a pattern put back to 'detected'; `header` is the
  // authorization metadata ("" = none). *moved: whether the state changed.
  static grpc::Status Evaluate(v1::PatternConfidence::Stub& stub,
                               const std::string& header, bool* moved) {
    const std::string id = Seeded().pattern_ids[3];
    pcs::testing::ResetToDetected(id);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    if (!header.empty()) context.AddMetadata("authorization", header);
    v1::EvaluatePatternRequest request;
    request.set_pattern_id(id);
    v1::EvaluatePatternResponse response;
    grpc::Status status = stub.EvaluatePattern(&context, request, &response);
    pqxx::connection conn(Seeded().conninfo);
    pqxx::read_transaction tx(conn);
    *moved = std::string(tx.exec_params1("SELECT lifecycle_state FROM "
                                         "pattern_events WHERE id = $1",
                                         id)[0]
                             .c_str()) != "detected";
    return status;
  }

  static TestPki* pki_;
  static std::string* allow_list_;
  fs::path models_dir_;
  std::unique_ptr<PcsServer> server_;
};

TestPki* TlsTest::pki_ = nullptr;
std::string* TlsTest::allow_list_ = nullptr;

TEST_F(TlsTest, TokensOverTlsAnswerUnauthenticatedOrPermissionDenied) {
  StartServer(ServerTls(false));
  auto stub = TlsStub(pki_->ca);  // TLS, no client certificate
  grpc::Status read = Score(*stub);
  ASSERT_TRUE(read.ok()) << read.error_message();

  bool moved = true;
  grpc::Status anonymous = Evaluate(*stub, "", &moved);
  EXPECT_EQ(anonymous.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_FALSE(moved);
  grpc::Status reader =
      Evaluate(*stub, absl::StrCat("Bearer ", kTestReadToken), &moved);
  EXPECT_EQ(reader.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_FALSE(moved);
  grpc::Status writer =
      Evaluate(*stub, absl::StrCat("Bearer ", kTestWriteToken), &moved);
  EXPECT_TRUE(writer.ok()) << writer.error_message();
  EXPECT_TRUE(moved);
}

TEST_F(TlsTest, ClientCertificateSubjectsAreIdentities) {
  StartServer(ServerTls(false));
  bool moved = false;
  auto analyst = TlsStub(pki_->ca, &pki_->client);
  grpc::Status write = Evaluate(*analyst, "", &moved);
  EXPECT_TRUE(write.ok()) << write.error_message();
  EXPECT_TRUE(moved);

  auto dashboard = TlsStub(pki_->ca, &pki_->reader);
  EXPECT_TRUE(Score(*dashboard).ok());
  grpc::Status denied = Evaluate(*dashboard, "", &moved);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(denied.error_message(), HasSubstr(kReaderSubject));
  EXPECT_FALSE(moved);
}

TEST_F(TlsTest, BadCertificatesAndPlaintextNeverReachTheService) {
  StartServer(ServerTls(false));
  bool moved = false;
  // Expired client certificate: the handshake fails.
  auto expired = TlsStub(pki_->ca, &pki_->expired);
  grpc::Status s = Evaluate(*expired, "", &moved);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_FALSE(moved);
  // Same subject as the allowed writer, but signed by a CA nobody trusts.
  auto stranger = TlsStub(pki_->ca, &pki_->stranger);
  s = Evaluate(*stranger, "", &moved);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_FALSE(moved);
  // A client that trusts the wrong CA refuses the server.
  auto wrong_trust = TlsStub(pki_->other_ca);
  EXPECT_EQ(Score(*wrong_trust).error_code(), grpc::StatusCode::UNAVAILABLE);
  // Plaintext against the TLS port.
  auto plaintext = v1::PatternConfidence::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->grpc_port()),
                          grpc::InsecureChannelCredentials()));
  s = Evaluate(*plaintext, absl::StrCat("Bearer ", kTestWriteToken), &moved);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_FALSE(moved);
  EXPECT_EQ(Score(*plaintext).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, AnExpiredServerCertificateIsRefusedByClients) {
  StartServer({.cert_file = pki_->expired_server.cert,
               .key_file = pki_->expired_server.key});
  EXPECT_EQ(Score(*TlsStub(pki_->ca)).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, RequiredClientCertificates) {
  StartServer(ServerTls(true));
  EXPECT_EQ(Score(*TlsStub(pki_->ca)).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  grpc::Status s = Score(*TlsStub(pki_->ca, &pki_->reader));
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(TlsTest, HttpListenerServesHttpsAndMtls) {
  StartServer(ServerTls(true));
  const int port = server_->metrics_port();
  {
    httplib::SSLClient client("127.0.0.1", port, pki_->client.cert,
                              pki_->client.key);
    client.set_ca_cert_path(pki_->ca.c_str());
    client.enable_server_certificate_verification(true);
    auto res = client.Get("/healthz");
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 200);
    auto metrics = client.Get("/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_THAT(metrics->body, HasSubstr("pcs_requests_total"));
  }
  {
    httplib::SSLClient no_cert("127.0.0.1", port);
    no_cert.set_ca_cert_path(pki_->ca.c_str());
    no_cert.enable_server_certificate_verification(true);
    EXPECT_FALSE(no_cert.Get("/healthz"));
  }
  {
    httplib::SSLClient expired("127.0.0.1", port, pki_->expired.cert,
                               pki_->expired.key);
    expired.set_ca_cert_path(pki_->ca.c_str());
    EXPECT_FALSE(expired.Get("/healthz"));
  }
  {
    httplib::Client plaintext("127.0.0.1", port);
    auto res = plaintext.Get("/healthz");
    EXPECT_FALSE(res && res->status == 200);
  }
}

// IdentityFromHttp (what HTTP routes hand the authorizer) reports the same
// subject string gRPC does, and the bearer token.
TEST_F(TlsTest, HttpIdentityMatchesGrpcSubjects) {
  TlsOptions tls = ServerTls(false);
  httplib::SSLServer https(
      [&](SSL_CTX& ctx) { return ConfigureSslServerContext(tls, &ctx).ok(); });
  ASSERT_TRUE(https.is_valid());
  https.Get("/who", [](const httplib::Request& req, httplib::Response& res) {
    Identity id = IdentityFromHttp(req);
    res.set_content(absl::StrCat(id.certificate_subject.value_or("-"), "|",
                                 id.bearer_token.value_or("-")),
                    "text/plain");
  });
  int port = https.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread thread([&] { https.listen_after_bind(); });
  {
    httplib::SSLClient client("127.0.0.1", port, pki_->client.cert,
                              pki_->client.key);
    client.set_ca_cert_path(pki_->ca.c_str());
    client.enable_server_certificate_verification(true);
    auto res = client.Get("/who", {{"Authorization", "Bearer abc"}});
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->body, absl::StrCat(kClientSubject, "|abc"));
    httplib::SSLClient anonymous("127.0.0.1", port);
    anonymous.set_ca_cert_path(pki_->ca.c_str());
    auto res2 = anonymous.Get("/who");
    ASSERT_TRUE(res2);
    EXPECT_EQ(res2->body, "-|-");
  }
  https.stop();
  thread.join();
}

TEST_F(TlsTest, BadTlsOptionsStopTheStart) {
  PcsServerOptions options =
      pcs::testing::TestServerOptions(models_dir_.string(), false);
  options.tls = {.cert_file = pki_->server.cert};
  EXPECT_TRUE(absl::IsInvalidArgument(PcsServer::Create(options).status()));
  options.tls = {.cert_file = pki_->server.cert, .key_file = "/nonexistent"};
  EXPECT_TRUE(absl::IsNotFound(PcsServer::Create(options).status()));
  options.tls = {.require_client_cert = true};
  EXPECT_TRUE(absl::IsInvalidArgument(PcsServer::Create(options).status()));
  // A key that does not match the certificate.
  options.tls = {.cert_file = pki_->server.cert, .key_file = pki_->client.key};
  EXPECT_FALSE(PcsServer::Create(options).ok());
}

}  // namespace
}  // namespace pcs
