// Authorization end to end: a real pcs-server in-process on loopback with an
// allow-list, real PostgreSQL, stubs over real channels. Writes
// (EvaluatePattern) need a write identity; reads are open or need an
// identity, by configuration; health checks stay open.
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "tests/server/server_test_env.h"
#include "tests/test_util/fake_model_artifact.h"

namespace pcs {
namespace {

using ::pcs::testing::kTestReadToken;
using ::pcs::testing::kTestWriteToken;
using ::pcs::testing::Seeded;
using ::testing::HasSubstr;
using ::testing::Not;

class AuthorizationTest : public ::testing::Test {
 protected:
  void SetUp() override { models_dir_ = pcs::testing::NewModelsDir("auth"); }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(models_dir_);
  }

  void StartServer(bool reads_require_identity) {
    PcsServerOptions options =
        pcs::testing::TestServerOptions(models_dir_.string(), false);
    options.reads_require_identity = reads_require_identity;
    auto server = PcsServer::Create(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    stub_ = pcs::testing::StubFor(*server_);
  }

  // A stored pattern put back to 'detected', so a permitted evaluate moves
  // it and records one history row.
  std::string DetectedPattern() {
    const std::string id = Seeded().pattern_ids[2];
    pcs::testing::ResetToDetected(id);
    pqxx::connection conn(Seeded().conninfo);
    pqxx::work tx(conn);
    tx.exec_params(
        "DELETE FROM pattern_lifecycle_history WHERE "
        "pattern_id = $1 AND source = 'evaluate'",
        id);
    tx.commit();
    return id;
  }

  std::string StateOf(const std::string& id) {
    pqxx::connection conn(Seeded().conninfo);
    pqxx::read_transaction tx(conn);
    return tx
        .exec_params1(
            "SELECT lifecycle_state FROM pattern_events WHERE id = $1", id)[0]
        .c_str();
  }

  // EvaluatePattern with `authorization` metadata ("" = none).
  grpc::Status Evaluate(const std::string& id, const std::string& header,
                        v1::EvaluatePatternResponse* response) {
    grpc::ClientContext context;
    if (!header.empty()) context.AddMetadata("authorization", header);
    v1::EvaluatePatternRequest request;
    request.set_pattern_id(id);
    return stub_->EvaluatePattern(&context, request, response);
  }

  grpc::Status Score(const std::string& header) {
    grpc::ClientContext context;
    if (!header.empty()) context.AddMetadata("authorization", header);
    v1::ScorePatternRequest request;
    request.set_pattern_id(Seeded().pattern_ids.front());
    v1::ScoreResponse response;
    return stub_->ScorePattern(&context, request, &response);
  }

  std::filesystem::path models_dir_;
  std::unique_ptr<PcsServer> server_;
  std::unique_ptr<v1::PatternConfidence::Stub> stub_;
};

std::string Bearer(const char* token) { return absl::StrCat("Bearer ", token); }

TEST_F(AuthorizationTest, WritesNeedAWriteIdentityAndChangeNothingOtherwise) {
  StartServer(false);
  const std::string id = DetectedPattern();
  v1::EvaluatePatternResponse response;

  grpc::Status anonymous = Evaluate(id, "", &response);
  EXPECT_EQ(anonymous.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << anonymous.error_message();
  EXPECT_THAT(anonymous.error_message(), HasSubstr("bearer token"));

  grpc::Status unknown =
      Evaluate(id, "Bearer unknown-token-0123456789", &response);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(unknown.error_message(), Not(HasSubstr("unknown-token")));

  grpc::Status no_scheme = Evaluate(id, kTestWriteToken, &response);
  EXPECT_EQ(no_scheme.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  grpc::Status reader = Evaluate(id, Bearer(kTestReadToken), &response);
  EXPECT_EQ(reader.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(reader.error_message(), HasSubstr("test-reader"));
  EXPECT_THAT(reader.error_message(), Not(HasSubstr(kTestReadToken)));

  // None of the refused calls touched the pattern.
  EXPECT_EQ(StateOf(id), "detected");
  EXPECT_EQ(pcs::testing::HistoryRows(Seeded().conninfo, "evaluate"), 0);

  grpc::Status writer = Evaluate(id, Bearer(kTestWriteToken), &response);
  ASSERT_TRUE(writer.ok()) << writer.error_message();
  EXPECT_TRUE(response.transition_recorded());
  EXPECT_NE(StateOf(id), "detected");
  EXPECT_EQ(pcs::testing::HistoryRows(Seeded().conninfo, "evaluate"), 1);
}

TEST_F(AuthorizationTest, ReadsAreOpenByDefault) {
  StartServer(false);
  grpc::Status s = Score("");
  EXPECT_TRUE(s.ok()) << s.error_message();
  // A wrong token on a read is still a wrong token only where it matters:
  // with open reads it is not looked at.
  EXPECT_TRUE(Score("Bearer unknown-token-0123456789").ok());
}

TEST_F(AuthorizationTest, ReadsCanRequireAnIdentity) {
  StartServer(true);
  EXPECT_EQ(Score("").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Score("Bearer unknown-token-0123456789").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status reader = Score(Bearer(kTestReadToken));
  EXPECT_TRUE(reader.ok()) << reader.error_message();
  EXPECT_TRUE(Score(Bearer(kTestWriteToken)).ok());

  grpc::ClientContext status_context;
  v1::GetServingStatusResponse status;
  EXPECT_EQ(stub_->GetServingStatus(&status_context, {}, &status).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  grpc::ClientContext describe_context;
  v1::DescribeModelResponse describe;
  EXPECT_EQ(stub_->DescribeModel(&describe_context, {}, &describe).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // Health stays open: load balancers and probes carry no token.
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->grpc_port()),
                          grpc::InsecureChannelCredentials()));
  grpc::ClientContext health_context;
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(health->Check(&health_context, request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(AuthorizationTest, WithoutAnAllowListEveryWriteIsRefused) {
  PcsServerOptions options =
      pcs::testing::TestServerOptions(models_dir_.string(), false);
  options.allow_list_file = "";
  auto server = PcsServer::Create(options);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = std::move(*server);
  stub_ = pcs::testing::StubFor(*server_);
  const std::string id = DetectedPattern();
  v1::EvaluatePatternResponse response;
  EXPECT_EQ(Evaluate(id, Bearer(kTestWriteToken), &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(StateOf(id), "detected");
}

TEST_F(AuthorizationTest, AnUnreadableAllowListStopsTheStart) {
  PcsServerOptions options =
      pcs::testing::TestServerOptions(models_dir_.string(), false);
  options.allow_list_file = "/nonexistent/pcs-allow-list";
  auto server = PcsServer::Create(options);
  EXPECT_TRUE(absl::IsNotFound(server.status())) << server.status();
}

}  // namespace
}  // namespace pcs
