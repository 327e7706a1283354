// Input bounds of the gRPC service against a real in-process server:
// non-finite or absurd numbers in ScoreInline are INVALID_ARGUMENT naming
// the field; echoed input is capped; errors never carry internals (the
// database socket path, libpq text).
#include <cmath>
#include <functional>
#include <limits>

#include "absl/strings/str_cat.h"
#include "db/transaction.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "pqxx/pqxx"
#include "server/proto_conversions.h"
#include "tests/server/server_test_env.h"
#include "tests/test_util/fake_model_artifact.h"

namespace pcs {
namespace {

using ::pcs::testing::InlineRequestFor;
using ::pcs::testing::Seeded;
using ::pcs::testing::StubFor;
using ::pcs::testing::TestServerOptions;
using ::pcs::testing::WriteChampion;
using ::pcs::testing::WriteFakeModelArtifact;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

class InputBoundsTest : public ::testing::Test {
 protected:
  void SetUp() override { models_dir_ = pcs::testing::NewModelsDir("bounds"); }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(models_dir_);
  }
  void Start(std::function<void(PcsServerOptions&)> tweak = nullptr) {
    ASSERT_TRUE(WriteFakeModelArtifact(models_dir_.string(), {}).ok());
    ASSERT_TRUE(WriteChampion(models_dir_.string(), "20260101T000000Z").ok());
    PcsServerOptions options = TestServerOptions(models_dir_.string(), true);
    if (tweak) tweak(options);
    auto server = PcsServer::Create(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    stub_ = StubFor(*server_);
  }
  grpc::Status ScoreInline(const v1::ScoreInlineRequest& request) {
    grpc::ClientContext context;
    v1::ScoreResponse response;
    return stub_->ScoreInline(&context, request, &response);
  }

  std::filesystem::path models_dir_;
  std::unique_ptr<PcsServer> server_;
  std::unique_ptr<v1::PatternConfidence::Stub> stub_;
};

TEST_F(InputBoundsTest, NonFiniteOrAbsurdInlineNumbersNameTheField) {
  Start();
  const v1::ScoreInlineRequest good =
      InlineRequestFor(Seeded().pattern_ids.front());
  ASSERT_TRUE(ScoreInline(good).ok());
  const int last = good.bars_size() - 1;
  struct Case {
    std::function<void(v1::ScoreInlineRequest&)> edit;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[&](auto& r) { r.mutable_bars(last)->set_volume(kInf); },
       absl::StrCat("bars[", last, "].volume")},
      {[&](auto& r) { r.mutable_bars(last)->set_volume(kNaN); },
       absl::StrCat("bars[", last, "].volume")},
      {[&](auto& r) { r.mutable_bars(last)->set_volume(1e300); },
       absl::StrCat("bars[", last, "].volume")},
      {[&](auto& r) {
         r.mutable_bars(last)->set_close(1e308);
         r.mutable_bars(last)->set_high(1e308);
       },
       absl::StrCat("bars[", last, "].high")},
      {[&](auto& r) { r.mutable_bars(0)->set_open(-kInf); }, "bars[0].open"},
      {[&](auto& r) { r.mutable_bars(0)->set_adj_close(kNaN); },
       "bars[0].adj_close"},
      {[&](auto& r) { r.mutable_pattern()->set_target_price(kNaN); },
       "pattern.target_price"},
      {[&](auto& r) { r.mutable_pattern()->set_stop_price(kNaN); },
       "pattern.stop_price"},
      {[&](auto& r) { r.mutable_pattern()->set_stop_price(-1); },
       "pattern.stop_price"},
      {[&](auto& r) { r.mutable_pattern()->set_breakout_level(kInf); },
       "pattern.breakout_level"},
      {[&](auto& r) {
         r.mutable_pattern()->mutable_key_points(0)->set_price(1e200);
       },
       "pattern.key_points[0].price"},
      {[&](auto& r) {
         (*r.mutable_pattern()->mutable_rule_criteria())["x"] = kNaN;
       },
       "pattern.rule_criteria[x]"},
      {[&](auto& r) { r.mutable_pattern()->set_symbol(std::string(33, 'A')); },
       "pattern.symbol"},
      {[&](auto& r) {
         r.mutable_pattern()->set_confirmation_date("9999-12-31");
       },
       "pattern.confirmation_date"},
      {[&](auto& r) { r.mutable_bars(0)->set_day("0001-01-01"); },
       "bars[0].day"},
  };
  for (const Case& c : cases) {
    v1::ScoreInlineRequest request = good;
    c.edit(request);
    grpc::Status s = ScoreInline(request);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_THAT(s.error_message(), HasSubstr(c.field + ":"))
        << s.error_message();
  }
}

// An event date in the far future (or before 1970) is refused before any
// history row is written.
TEST_F(InputBoundsTest, EventDatesAreBounded) {
  Start();
  const std::string id = pcs::testing::Seeded().pattern_ids[2];
  const int64_t before =
      pcs::testing::HistoryRows(pcs::testing::Seeded().conninfo, "evaluate");
  for (const char* date : {"9999-12-31", "1969-12-31", "2200-01-01"}) {
    grpc::ClientContext context;
    pcs::testing::AddWriteToken(&context);
    v1::EvaluatePatternRequest request;
    request.set_pattern_id(id);
    request.set_event_date(date);
    v1::EvaluatePatternResponse response;
    grpc::Status status = stub_->EvaluatePattern(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << date;
    EXPECT_THAT(status.error_message(), HasSubstr("event_date"));
    EXPECT_THAT(status.error_message(), HasSubstr("outside 1970-01-01"));
  }
  EXPECT_EQ(
      pcs::testing::HistoryRows(pcs::testing::Seeded().conninfo, "evaluate"),
      before);
}

TEST_F(InputBoundsTest, EchoedInputIsCapped) {
  Start();
  const std::string huge(20 * 1024, 'z');
  grpc::ClientContext context;
  v1::ScorePatternRequest request;
  request.set_pattern_id(huge);
  v1::ScoreResponse response;
  grpc::Status s = stub_->ScorePattern(&context, request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("pattern_id"));
  EXPECT_THAT(s.error_message(), HasSubstr("(20480 bytes)"));
  EXPECT_LT(s.error_message().size(), 200u);

  v1::ScoreInlineRequest inline_request;
  inline_request.mutable_pattern()->set_symbol("AAPL");
  inline_request.mutable_pattern()->set_pattern_type(huge);
  s = ScoreInline(inline_request);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("pattern.pattern_type"));
  EXPECT_LT(s.error_message().size(), 200u);

  grpc::ClientContext describe_context;
  v1::DescribeModelRequest describe;
  describe.set_version(huge);
  v1::DescribeModelResponse d;
  s = stub_->DescribeModel(&describe_context, describe, &d);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_LT(s.error_message().size(), 250u);

  // Batch items too.
  grpc::ClientContext batch_context;
  v1::ScoreBatchRequest batch;
  batch.add_pattern_ids(huge);
  v1::ScoreBatchResponse items;
  ASSERT_TRUE(stub_->ScoreBatch(&batch_context, batch, &items).ok());
  ASSERT_EQ(items.items_size(), 1);
  EXPECT_LT(items.items(0).error().size(), 200u);
}

TEST_F(InputBoundsTest, DatabaseErrorsDoNotLeakInternals) {
  Start([](PcsServerOptions& o) {
    o.database_url =
        "host=/nonexistent/pcs-socket dbname=nothing connect_timeout=2";
    o.trace = false;
  });
  grpc::ClientContext context;
  v1::ScorePatternRequest request;
  request.set_pattern_id(Seeded().pattern_ids.front());
  v1::ScoreResponse response;
  grpc::Status s = stub_->ScorePattern(&context, request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(s.error_message(), Not(HasSubstr("/nonexistent/pcs-socket")));
  EXPECT_THAT(s.error_message(), Not(HasSubstr("connection to server")));
  EXPECT_FALSE(s.error_message().empty());
}

TEST(ClientMessageTest, KeepsOurContextAndCapsLength) {
  EXPECT_EQ(
      ClientMessage(absl::UnavailableError(
          "cannot connect to the database: connection to server on socket "
          "\"/tmp/x/.s.PGSQL.5432\" failed")),
      "cannot connect to the database");
  EXPECT_EQ(
      ClientMessage(absl::InvalidArgumentError("top_k: 65 is outside [0, 64]")),
      "top_k: 65 is outside [0, 64]");
  EXPECT_LE(
      ClientMessage(absl::InvalidArgumentError(std::string(5000, 'x'))).size(),
      kMaxClientMessageBytes + 20);
  // A database error of a code clients otherwise see in full keeps only our
  // context and the kind of error, not what libpq said.
  const absl::Status duplicate = DatabaseErrorStatus(
      pqxx::unique_violation("ERROR:  duplicate key value violates unique "
                             "constraint \"secret_pkey\"",
                             "INSERT ...", "23505"),
      "recording the override of 0123456789abcdef");
  EXPECT_TRUE(absl::IsAlreadyExists(duplicate)) << duplicate;
  EXPECT_EQ(ClientMessage(duplicate),
            "recording the override of 0123456789abcdef (unique violation)");
  EXPECT_EQ(QuoteInput("ab\ncd"), "'ab?cd'");
  EXPECT_EQ(QuoteInput(std::string(100, 'q')),
            absl::StrCat("'", std::string(64, 'q'), "'... (100 bytes)"));
}

}  // namespace
}  // namespace pcs
