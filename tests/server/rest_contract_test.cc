// One contract, two doors: every REST route is the JSON form of a pcs.v1
// RPC served by the same PatternConfidenceService as gRPC. A real
// pcs-server in-process (real PostgreSQL seeded with real bars, a real tiny
// model), gRPC stubs and cpp-httplib clients on loopback. Checks that both
// doors answer the same message, refuse with the same code and message,
// count in the same metrics, and that the console's RPCs work over gRPC.
#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/server/server_test_env.h"
#include "tests/test_util/fake_model_artifact.h"

namespace pcs {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::pcs::testing::kTestReadToken;
using ::pcs::testing::kTestWriteToken;
using ::pcs::testing::Seeded;
using ::testing::HasSubstr;

constexpr char kVersion[] = "20260101T000000Z";

class RestContractTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    models_dir_ =
        new std::filesystem::path(pcs::testing::NewModelsDir("contract"));
    testing::FakeModelOptions model;
    model.version = kVersion;
    ASSERT_TRUE(
        testing::WriteFakeModelArtifact(models_dir_->string(), model).ok());
    ASSERT_TRUE(testing::WriteChampion(models_dir_->string(), kVersion).ok());
    auto server = PcsServer::Create(
        testing::TestServerOptions(models_dir_->string(), true));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    std::filesystem::remove_all(*models_dir_);
  }

  // GET `path` and parse its JSON body into `out` (the proto3 mapping).
  int Get(const std::string& path, google::protobuf::Message* out) {
    httplib::Client http("127.0.0.1", server_->metrics_port());
    http.set_read_timeout(30, 0);
    auto res = http.Get(path.c_str());
    EXPECT_TRUE(res) << path;
    if (!res) return 0;
    last_body_ = res->body;
    if (res->status == 200 && out != nullptr) {
      EXPECT_TRUE(
          google::protobuf::util::JsonStringToMessage(res->body, out).ok())
          << res->body;
    }
    return res->status;
  }

  std::string Metrics() {
    httplib::Client http("127.0.0.1", server_->metrics_port());
    auto res = http.Get("/metrics");
    return res ? res->body : "";
  }

  static PcsServer* server_;
  static std::filesystem::path* models_dir_;
  std::string last_body_;
};
PcsServer* RestContractTest::server_ = nullptr;
std::filesystem::path* RestContractTest::models_dir_ = nullptr;

TEST_F(RestContractTest, BothDoorsAnswerTheSameMessages) {
  const std::string id = Seeded().pattern_ids[4];
  {
    grpc::ClientContext context;
    v1::GetPatternRequest request;
    request.set_pattern_id(id);
    v1::GetPatternResponse by_grpc, by_rest;
    ASSERT_TRUE(testing::StubFor(*server_)
                    ->GetPattern(&context, request, &by_grpc)
                    .ok());
    ASSERT_EQ(Get("/api/v1/patterns/" + id, &by_rest), 200) << last_body_;
    EXPECT_TRUE(MessageDifferencer::Equals(by_grpc, by_rest))
        << by_grpc.DebugString() << "\nvs\n"
        << by_rest.DebugString();
    EXPECT_FALSE(by_grpc.history().empty());
    // RFC 3339 in UTC, not PostgreSQL's text.
    EXPECT_THAT(by_grpc.history(0).recorded_at(),
                ::testing::MatchesRegex("[0-9-]+T[0-9:.]+Z"));
  }
  {
    grpc::ClientContext context;
    v1::ListPatternsRequest request;
    request.set_symbol("AAPL");
    request.set_page_size(7);
    request.set_scored(false);
    v1::ListPatternsResponse by_grpc, by_rest;
    ASSERT_TRUE(testing::StubFor(*server_)
                    ->ListPatterns(&context, request, &by_grpc)
                    .ok());
    ASSERT_EQ(
        Get("/api/v1/patterns?symbol=AAPL&page_size=7&scored=false", &by_rest),
        200)
        << last_body_;
    EXPECT_TRUE(MessageDifferencer::Equals(by_grpc, by_rest));
    EXPECT_GT(by_grpc.patterns_size(), 0);
    EXPECT_LE(by_grpc.patterns_size(), 7);
  }
  {
    // One default for top_k: the server's (5) on both doors.
    grpc::ClientContext context;
    v1::ScorePatternRequest request;
    request.set_pattern_id(id);
    request.set_skip_trace(true);
    v1::ScoreResponse by_grpc, by_rest;
    ASSERT_TRUE(testing::StubFor(*server_)
                    ->ScorePattern(&context, request, &by_grpc)
                    .ok());
    ASSERT_EQ(
        Get("/api/v1/patterns/" + id + "/confidence?skip_trace=true", &by_rest),
        200);
    EXPECT_EQ(by_grpc.top_contributions_size(), 5);
    EXPECT_EQ(by_rest.top_contributions_size(), 5);
    EXPECT_EQ(by_rest.blended_confidence(), by_grpc.blended_confidence());
  }
}

TEST_F(RestContractTest, BothDoorsRefuseWithTheSameCodeAndMessage) {
  struct Case {
    std::string path;
    v1::ListPatternsRequest request;
  };
  v1::ListPatternsRequest bad_symbol;
  bad_symbol.set_symbol("aapl!");
  v1::ListPatternsRequest bad_order;
  bad_order.set_order("loudest");
  for (const Case& c : {Case{"/api/v1/patterns?symbol=aapl!", bad_symbol},
                        Case{"/api/v1/patterns?order=loudest", bad_order}}) {
    grpc::ClientContext context;
    v1::ListPatternsResponse unused;
    grpc::Status by_grpc =
        testing::StubFor(*server_)->ListPatterns(&context, c.request, &unused);
    ASSERT_EQ(Get(c.path, nullptr), 400) << c.path;
    EXPECT_EQ(by_grpc.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(last_body_, HasSubstr(by_grpc.error_message())) << c.path;
  }
  // NOT_FOUND on both, for the console's GetPatternBars too.
  grpc::ClientContext context;
  v1::GetPatternBarsRequest request;
  request.set_pattern_id("00000000deadbeef");
  v1::GetPatternBarsResponse unused;
  EXPECT_EQ(testing::StubFor(*server_)
                ->GetPatternBars(&context, request, &unused)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Get("/api/v1/patterns/00000000deadbeef/bars", nullptr), 404);
  // GetMonitoringReport has its REST route: with no `pcs drift` run in this
  // database both doors answer NOT_FOUND with the service's message (not
  // the transcoder's "no such route").
  grpc::ClientContext report_context;
  v1::GetMonitoringReportResponse no_report;
  grpc::Status report = testing::StubFor(*server_)->GetMonitoringReport(
      &report_context, v1::GetMonitoringReportRequest(), &no_report);
  EXPECT_EQ(report.error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_EQ(Get("/api/v1/monitoring/report", nullptr), 404);
  EXPECT_THAT(last_body_, HasSubstr(report.error_message()));
  EXPECT_THAT(last_body_, ::testing::Not(HasSubstr("no such route")));
}

// REST calls go through the service's instrumented path: they are counted
// under their RPC's name in pcs_requests_total, like gRPC calls, with
// entrypoint="http".
TEST_F(RestContractTest, RestCallsAreCountedAsTheirRpc) {
  const std::string id = Seeded().pattern_ids[2];
  const std::string ok_line =
      "pcs_requests_total{code=\"OK\",entrypoint=\"http\","
      "method=\"GetPatternBars\"} ";
  const std::string not_found_line =
      "pcs_requests_total{code=\"NOT_FOUND\",entrypoint=\"http\","
      "method=\"DescribeModel\"} ";
  auto count = [&](const std::string& prefix) {
    const std::string page = Metrics();
    const size_t at = page.find(prefix);
    return at == std::string::npos ? 0
                                   : std::stoi(page.substr(at + prefix.size()));
  };
  const int ok_before = count(ok_line);
  const int not_found_before = count(not_found_line);
  ASSERT_EQ(Get("/api/v1/patterns/" + id + "/bars", nullptr), 200);
  ASSERT_EQ(Get("/api/v1/model?version=19990101T000000Z", nullptr), 404);
  EXPECT_EQ(count(ok_line), ok_before + 1);
  EXPECT_EQ(count(not_found_line), not_found_before + 1);
}

// The console's write is an RPC too: gRPC clients can override, with the
// same write-access check as the REST route.
TEST_F(RestContractTest, OverrideIsAnRpcWithWriteAccess) {
  const std::string id = Seeded().pattern_ids[11];
  v1::OverridePatternRequest request;
  request.set_pattern_id(id);
  request.set_decision("reject");
  request.set_reason("grpc client override");
  v1::OverridePatternResponse response;
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization",
                        absl::StrCat("Bearer ", kTestReadToken));
    EXPECT_EQ(testing::StubFor(*server_)
                  ->OverridePattern(&context, request, &response)
                  .error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  grpc::ClientContext context;
  context.AddMetadata("authorization",
                      absl::StrCat("Bearer ", kTestWriteToken));
  grpc::Status status =
      testing::StubFor(*server_)->OverridePattern(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.to_state(), "rejected");
  EXPECT_EQ(response.analyst(), "test-writer");
  EXPECT_GT(response.history_id(), 0);
  v1::GetPatternResponse detail;
  ASSERT_EQ(Get("/api/v1/patterns/" + id, &detail), 200);
  EXPECT_EQ(detail.pattern().analyst_decision(), "reject");
  v1::GetMonitoringSummaryResponse summary;
  ASSERT_EQ(Get("/api/v1/monitoring", &summary), 200) << last_body_;
  EXPECT_GE(summary.analyst_agreement().overrides(), 1);
  EXPECT_FALSE(summary.has_drift());  // no `pcs drift` run in this database
  EXPECT_FALSE(summary.drift_status().empty());
}

}  // namespace
}  // namespace pcs
