// The REST/JSON API's writes end to end (fixture: rest_api_test_fixture.h):
// an analyst override needs write access and automation never overwrites
// it, it drops the cached score, writes are refused from their headers
// before the body is read, and cross-site writes are refused.
#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pipeline/backfill_job.h"
#include "server/rest_api.h"
#include "tests/server/rest_api_test_fixture.h"
#include "tests/test_util/raw_http_client.h"

namespace pcs::rest_test {
namespace {

using ::pcs::testing::kTestReadToken;
using ::pcs::testing::kTestWriteToken;
using ::testing::HasSubstr;

TEST_F(RestApiTest, OverrideNeedsWriteAccessAndAutomationNeverOverwritesIt) {
  // A pattern whose stored (rule-only) state is a resolved outcome, so any
  // automated write would move it away from the analyst's 'confirmed'.
  std::string id;
  {
    pqxx::connection conn(Seeded().conninfo);
    pqxx::read_transaction tx(conn);
    id = tx.exec1(
               "SELECT id FROM pattern_events WHERE lifecycle_state IN "
               "('target_hit', 'stopped_out') AND ml_confidence IS NULL "
               "ORDER BY id LIMIT 1")[0]
             .c_str();
  }
  const json body = {{"decision", "confirm"},
                     {"reason", "clean neckline, volume"}};
  auto anonymous = Override(id, body, "");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401) << anonymous->body;
  auto reader = Override(id, body, kTestReadToken);
  EXPECT_EQ(reader->status, 403) << reader->body;
  EXPECT_EQ(Count("SELECT count(*) FROM pattern_lifecycle_history WHERE "
                  "source = 'analyst' AND pattern_id = '" +
                  id + "'"),
            0);
  auto no_reason = Override(id, {{"decision", "confirm"}}, kTestWriteToken);
  EXPECT_EQ(no_reason->status, 400) << no_reason->body;
  auto extra =
      Override(id, {{"decision", "confirm"}, {"reason", "x"}, {"by", "me"}},
               kTestWriteToken);
  EXPECT_EQ(extra->status, 400) << extra->body;
  auto bad_decision =
      Override(id, {{"decision", "maybe"}, {"reason", "x"}}, kTestWriteToken);
  EXPECT_EQ(bad_decision->status, 400) << bad_decision->body;

  auto ok = Override(id, body, kTestWriteToken);
  ASSERT_EQ(ok->status, 200) << ok->body;
  const json r = json::parse(ok->body);
  EXPECT_EQ(r["to_state"], "confirmed");
  EXPECT_EQ(r["analyst"], "test-writer");
  // int64 is a JSON string in the proto3 mapping.
  const int64_t analyst_row = std::stoll(r["history_id"].get<std::string>());
  const std::string where = "pattern_id = '" + id + "'";
  EXPECT_EQ(
      Count("SELECT count(*) FROM pattern_lifecycle_history WHERE " + where +
            " AND source = 'analyst' AND to_state = 'confirmed' AND "
            "reason LIKE '%clean neckline, volume%'"),
      1);
  auto state = [&] {
    pqxx::connection conn(Seeded().conninfo);
    pqxx::read_transaction tx(conn);
    return std::string(
        tx.exec1("SELECT lifecycle_state || '/' || "
                 "analyst_decision FROM pattern_events WHERE id = '" +
                 id + "'")[0]
            .c_str());
  };
  EXPECT_EQ(state(), "confirmed/confirm");

  // The backfill (the write `pcs outcomes` also runs) keeps it, even with
  // its own history rows gone (so it tries to append them again).
  {
    pqxx::connection conn(Seeded().conninfo);
    pqxx::work tx(conn);
    tx.exec("DELETE FROM pattern_lifecycle_history WHERE " + where +
            " AND source = 'backfill'");
    tx.commit();
  }
  BackfillOptions backfill;
  backfill.conninfo = Seeded().conninfo;
  ASSERT_TRUE(RunBackfill(backfill).ok());
  EXPECT_EQ(state(), "confirmed/confirm");
  EXPECT_EQ(Count(absl::StrCat(
                "SELECT count(*) FROM pattern_lifecycle_history WHERE ", where,
                " AND id > ", analyst_row,
                " AND source <> 'analyst' AND to_state <> 'confirmed'")),
            0)
      << "automation appended a transition after the analyst's decision";
  // EvaluatePattern refuses it and changes nothing.
  v1::EvaluatePatternResponse response;
  grpc::Status evaluated = Evaluate(id, &response);
  EXPECT_EQ(evaluated.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(evaluated.error_message(), HasSubstr("analyst"));
  EXPECT_EQ(state(), "confirmed/confirm");

  // A second override replaces the first; both stay in the history.
  auto reject = Override(
      id, {{"decision", "reject"}, {"reason", "second look"}}, kTestWriteToken);
  ASSERT_EQ(reject->status, 200) << reject->body;
  EXPECT_EQ(state(), "rejected/reject");
  EXPECT_EQ(Count("SELECT count(*) FROM pattern_lifecycle_history WHERE " +
                  where + " AND source = 'analyst'"),
            2);
  EXPECT_EQ(Override("0123456789abcdef", body, kTestWriteToken)->status, 404);

  json detail = Get("/api/v1/patterns/" + id);
  EXPECT_EQ(detail["pattern"]["analyst_decision"], "reject");
  EXPECT_EQ(detail["history"].back()["source"], "analyst");
  json monitoring = Get("/api/v1/monitoring");
  EXPECT_FALSE(monitoring.contains("drift"));
  EXPECT_GE(monitoring["analyst_agreement"]["overrides"].get<int>(), 1);
}

// An override changes the stored state: the cached score must go, so the
// next score (and its trace) reads the new state rather than the old one.
TEST_F(RestApiTest, OverrideDropsTheCachedScore) {
  const std::string id = Seeded().pattern_ids[9];
  auto score = [&] {
    grpc::ClientContext context;
    v1::ScorePatternRequest request;
    request.set_pattern_id(id);
    v1::ScoreResponse response;
    EXPECT_TRUE(testing::StubFor(*server_)
                    ->ScorePattern(&context, request, &response)
                    .ok());
    return response.cache_hit();
  };
  score();
  ASSERT_TRUE(score()) << "the second score should come from the cache";
  auto res = Override(id, {{"decision", "reject"}, {"reason", "cache check"}},
                      kTestWriteToken);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_FALSE(score()) << "the override left the old score in the cache";
}

// Size and credentials are checked from the headers: an anonymous override
// announcing a body gets its 401 before sending a byte of it, a 1 GiB one
// its 413; JSON nested deeper than the limit is 400 before any parser.
TEST_F(RestApiTest, WritesAreRefusedBeforeTheirBodyIsRead) {
  const std::string path =
      absl::StrCat("/api/v1/patterns/", Seeded().pattern_ids[0], "/override");
  {
    testing::RawClient client(server_->metrics_port());
    ASSERT_TRUE(client.Send(absl::StrCat(
        "POST ", path, " HTTP/1.1\r\nHost: x\r\n",
        "Content-Type: application/json\r\nContent-Length: 500000\r\n\r\n")));
    const std::string answer = client.Receive();
    EXPECT_THAT(answer, ::testing::StartsWith("HTTP/1.1 401")) << answer;
  }
  {
    testing::RawClient client(server_->metrics_port());
    ASSERT_TRUE(client.Send(
        absl::StrCat("POST ", path, " HTTP/1.1\r\nHost: x\r\n",
                     "Authorization: Bearer ", kTestWriteToken, "\r\n",
                     "Content-Type: application/json\r\nContent-Length: "
                     "1073741824\r\n\r\n")));
    EXPECT_THAT(client.Receive(), ::testing::StartsWith("HTTP/1.1 413"));
  }
  const std::string deep = std::string(1000, '[') + std::string(1000, ']');
  httplib::Headers headers = {
      {"Authorization", absl::StrCat("Bearer ", kTestWriteToken)}};
  auto res = Http().Post(path.c_str(), headers, deep, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400) << res->body;
  EXPECT_THAT(res->body, HasSubstr("nested deeper than 32"));
}

// A cross-site page cannot write: a non-JSON content type (what a form or a
// no-preflight fetch sends) is 415, a foreign Origin 403, the server's own
// origin passes; the console forbids framing and sniffing.
TEST_F(RestApiTest, CrossSiteWritesAreRefused) {
  const std::string id = Seeded().pattern_ids[1];
  const std::string path = absl::StrCat("/api/v1/patterns/", id, "/override");
  const std::string body = R"({"decision":"reject","reason":"csrf"})";
  const std::string bearer = absl::StrCat("Bearer ", kTestWriteToken);
  auto text = Http().Post(path.c_str(), {{"Authorization", bearer}}, body,
                          "text/plain");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 415) << text->body;
  auto foreign = Http().Post(
      path.c_str(),
      {{"Authorization", bearer}, {"Origin", "https://evil.example"}}, body,
      "application/json");
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 403) << foreign->body;
  EXPECT_THAT(foreign->body, HasSubstr("cross-site write refused"));
  auto fetch_site =
      Http().Post(path.c_str(),
                  {{"Authorization", bearer}, {"Sec-Fetch-Site", "cross-site"}},
                  body, "application/json");
  ASSERT_TRUE(fetch_site);
  EXPECT_EQ(fetch_site->status, 403) << fetch_site->body;
  EXPECT_EQ(Count("SELECT count(*) FROM pattern_lifecycle_history WHERE "
                  "source = 'analyst' AND pattern_id = '" +
                  id + "'"),
            0);
  // Same origin (the Host it was reached at) passes the gate: the bad id
  // is the handler's 400, not the gate's 403.
  const std::string own =
      absl::StrCat("http://127.0.0.1:", server_->metrics_port());
  auto same = Http().Post("/api/v1/patterns/NOT-AN-ID/override",
                          {{"Authorization", bearer}, {"Origin", own}}, body,
                          "application/json");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->status, 400) << same->body;

  auto page = Http().Get("/console");
  ASSERT_TRUE(page);
  EXPECT_THAT(page->get_header_value("Content-Security-Policy"),
              HasSubstr("frame-ancestors 'none'"));
  EXPECT_EQ(page->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(page->get_header_value("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(page->get_header_value("X-Frame-Options"), "DENY");
}

}  // namespace
}  // namespace pcs::rest_test
