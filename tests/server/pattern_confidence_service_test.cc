// End-to-end tests of the gRPC service (fixture: service_test_fixture.h):
// scoring, explanations, validation, the decision policy and the fallbacks.
#include "tests/server/service_test_fixture.h"

namespace pcs::service_test {
namespace {

TEST_F(ServiceTest, ScorePatternBlendsMlAndExplains) {
  Publish({.version = kV1, .blend_weight = 0.4});
  StartServer(true);
  v1::ScoreResponse r;
  grpc::Status status = Score(AnyId(), &r, 7);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(r.pattern_id(), AnyId());
  EXPECT_TRUE(r.has_ml_confidence());
  EXPECT_EQ(r.fallback_reason(), "");
  EXPECT_EQ(r.model_version(), kV1);
  EXPECT_DOUBLE_EQ(r.ml_weight_used(), 0.4);
  EXPECT_NEAR(r.blended_confidence(),
              0.4 * r.ml_confidence() + 0.6 * r.rule_confidence(), 1e-12);
  EXPECT_GT(r.ml_confidence(), 0);
  EXPECT_LT(r.ml_confidence(), 1);
  ASSERT_EQ(r.top_contributions_size(), 7);
  for (int i = 1; i < 7; ++i) {
    EXPECT_GE(std::abs(r.top_contributions(i - 1).contribution()),
              std::abs(r.top_contributions(i).contribution()));
  }
  EXPECT_FALSE(r.top_contributions(0).feature().empty());
  // Each contribution carries its plain-language reason for this pattern's
  // type, whose effect matches the contribution's sign
  // (features/feature_reasons.h).
  const absl::StatusOr<PatternType> type = ParsePatternType(r.pattern_type());
  ASSERT_TRUE(type.ok()) << r.pattern_type();
  for (const v1::FeatureContribution& c : r.top_contributions()) {
    EXPECT_EQ(c.reason(), FeatureReasonByName(c.feature(), c.value(),
                                              c.contribution(), *type));
    EXPECT_NE(c.reason().find(c.contribution() > 0 ? "raises confidence"
                                                   : "lowers confidence"),
              std::string::npos)
        << c.feature() << ": " << c.reason();
  }
  EXPECT_TRUE(r.decision() == "confirm" || r.decision() == "reject");
  EXPECT_EQ(r.decision() == "confirm",
            r.blended_confidence() >= r.decision_threshold());
  EXPECT_GT(r.timing().database_us(), 0);
  EXPECT_GT(r.timing().total_us(), 0);
  EXPECT_FALSE(r.cache_hit());
  EXPECT_FALSE(r.symbol().empty());

  // Second call: served from the (pattern id, model version) cache.
  v1::ScoreResponse again;
  ASSERT_TRUE(Score(AnyId(), &again, 7).ok());
  EXPECT_TRUE(again.cache_hit());
  EXPECT_EQ(again.ml_confidence(), r.ml_confidence());
  EXPECT_EQ(again.margin(), r.margin());
  EXPECT_EQ(again.timing().database_us(), 0);
}

TEST_F(ServiceTest, InlineScoreEqualsStoredScore) {
  Publish({.version = kV1});
  StartServer(true);
  v1::ScoreResponse stored;
  ASSERT_TRUE(Score(AnyId(), &stored, 3).ok());
  ASSERT_TRUE(stored.has_ml_confidence());

  // The same pattern and its bars, rebuilt from the database.
  v1::ScoreInlineRequest request = pcs::testing::InlineRequestFor(AnyId());
  request.set_top_k(3);
  grpc::ClientContext context;
  v1::ScoreResponse inline_r;
  grpc::Status status = stub_->ScoreInline(&context, request, &inline_r);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(inline_r.pattern_id(), AnyId());
  EXPECT_DOUBLE_EQ(inline_r.ml_confidence(), stored.ml_confidence());
  EXPECT_DOUBLE_EQ(inline_r.margin(), stored.margin());
  EXPECT_EQ(inline_r.timing().database_us(), 0);
}

TEST_F(ServiceTest, InvalidRequestsNameTheField) {
  StartServer(false);
  struct Case {
    std::string id;
    int top_k;
    const char* field;
  };
  for (const Case& c : std::vector<Case>{{"", 0, "pattern_id"},
                                         {"XYZ", 0, "pattern_id"},
                                         {"0123456789ABCDEF", 0, "pattern_id"},
                                         {AnyId(), 65, "top_k"}}) {
    v1::ScoreResponse r;
    grpc::Status s = Score(c.id, &r, c.top_k);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.id;
    EXPECT_THAT(s.error_message(), HasSubstr(c.field));
  }
  v1::ScoreInlineRequest inline_request;
  inline_request.mutable_pattern()->set_symbol("AAPL");
  inline_request.mutable_pattern()->set_pattern_type("zigzag");
  grpc::ClientContext context;
  v1::ScoreResponse r;
  grpc::Status s = stub_->ScoreInline(&context, inline_request, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("pattern.pattern_type"));
  grpc::ClientContext batch_context;
  v1::ScoreBatchResponse batch;
  s = stub_->ScoreBatch(&batch_context, v1::ScoreBatchRequest(), &batch);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("pattern_ids"));
}

TEST_F(ServiceTest, UnknownIdIsNotFoundAndLateCallIsDeadlineExceeded) {
  StartServer(false);
  v1::ScoreResponse r;
  grpc::Status s = Score("00000000deadbeef", &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("00000000deadbeef"));

  // A call whose deadline has passed is answered DEADLINE_EXCEEDED.
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() -
                       std::chrono::milliseconds(1));
  v1::ScorePatternRequest request;
  request.set_pattern_id(AnyId());
  s = stub_->ScorePattern(&context, request, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // Server side: the engine refuses work once the deadline has passed
  // (checked at the start and between stages).
  auto late =
      server_->engine().ScoreStored(AnyId(), 0, absl::Now() - absl::Seconds(1));
  EXPECT_TRUE(absl::IsDeadlineExceeded(late.status())) << late.status();
}

TEST_F(ServiceTest, FlagOffFallsBackToRules) {
  Publish({.version = kV1});
  StartServer(false);
  v1::ScoreResponse r;
  ASSERT_TRUE(Score(AnyId(), &r).ok());
  EXPECT_EQ(r.fallback_reason(), "flag_off");
  EXPECT_FALSE(r.has_ml_confidence());
  EXPECT_EQ(r.ml_weight_used(), 0);
  EXPECT_EQ(r.blended_confidence(), r.rule_confidence());
  EXPECT_EQ(r.model_version(), "");
  EXPECT_EQ(r.top_contributions_size(), 0);
}

// A card without a trained policy: the model still blends (serving.*
// constants) and every answer says so; with a policy the decision is the
// policy's threshold on its blend.
TEST_F(ServiceTest, ACardWithoutPolicyDecidesByTheOldDefaultAndSaysSo) {
  Publish({.version = kV1, .blend_weight = 0.4, .with_policy = false});
  StartServer(true);
  v1::ScoreResponse r;
  ASSERT_TRUE(Score(AnyId(), &r).ok());
  EXPECT_TRUE(r.has_ml_confidence());
  EXPECT_EQ(r.fallback_reason(), "no_policy");
  EXPECT_EQ(r.model_version(), kV1);
  EXPECT_DOUBLE_EQ(r.ml_weight_used(), 0.4);
  EXPECT_DOUBLE_EQ(r.decision_threshold(), 0.5);
}

TEST_F(ServiceTest, ThePolicyDecides) {
  // Threshold 0: every pattern is confirmed by the policy, whatever the rule.
  Publish({.version = kV1,
           .decision_threshold = 0.0,
           .blend_weight = 1.0,
           .with_policy = true});
  StartServer(true);
  for (int i = 0; i < 10; ++i) {
    v1::ScoreResponse r;
    ASSERT_TRUE(Score(Seeded().pattern_ids[i], &r).ok());
    EXPECT_EQ(r.fallback_reason(), "");
    EXPECT_EQ(r.decision(), "confirm");
    EXPECT_DOUBLE_EQ(r.decision_threshold(), 0.0);
    EXPECT_DOUBLE_EQ(r.blended_confidence(), r.ml_confidence());
  }
}

TEST_F(ServiceTest, NoModelFallsBackAndHealthStaysServing) {
  StartServer(true);
  v1::ScoreResponse r;
  ASSERT_TRUE(Score(AnyId(), &r).ok());
  EXPECT_EQ(r.fallback_reason(), "no_model");
  EXPECT_EQ(r.blended_confidence(), r.rule_confidence());

  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->grpc_port()),
                          grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  for (const char* service : {"", "pcs.v1.PatternConfidence"}) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    ASSERT_TRUE(health->Check(&context, request, &response).ok());
    EXPECT_EQ(response.status(),
              grpc::health::v1::HealthCheckResponse::SERVING);
  }
}

TEST_F(ServiceTest, FailingModelNeverServesAndIsReported) {
  Publish({.version = kV1, .corrupt_sha = true});
  StartServer(true);
  v1::ScoreResponse r;
  ASSERT_TRUE(Score(AnyId(), &r).ok());
  EXPECT_EQ(r.fallback_reason(), "no_model");

  grpc::ClientContext context;
  v1::ListModelVersionsResponse versions;
  ASSERT_TRUE(stub_->ListModelVersions(&context, {}, &versions).ok());
  ASSERT_EQ(versions.versions_size(), 1);
  EXPECT_EQ(versions.versions(0).state(), "failed");
  EXPECT_THAT(versions.versions(0).reason(), HasSubstr("sha256"));
  EXPECT_EQ(versions.aspired_version(), kV1);

  grpc::ClientContext status_context;
  v1::GetServingStatusResponse status;
  ASSERT_TRUE(stub_->GetServingStatus(&status_context, {}, &status).ok());
  EXPECT_TRUE(status.database_reachable());
  EXPECT_EQ(status.serving_version(), "");
  EXPECT_EQ(status.reloads_failed(), 1);
  EXPECT_THAT(status.last_reload_error(), HasSubstr("sha256"));
}

}  // namespace
}  // namespace pcs::service_test
