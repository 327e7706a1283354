// The transcoder's parse path against the real pcs.v1 descriptors and their
// google.api.http rules: route matching, path bindings, query parameters,
// bodies, and the refusals. The methods are stand-ins that echo what they
// were given (the real service behind the routes is rest_api_test's and
// rest_contract_test's subject).
#include "server/transcoder.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "pcs/v1/pattern_confidence.pb.h"

namespace pcs {
namespace {

using ::testing::HasSubstr;

constexpr char kId[] = "0123456789abcdef";

std::unique_ptr<Transcoder> Make(int max_json_depth = 32) {
  std::map<std::string, Transcoder::UnaryMethod> methods;
  const auto* service = &PatternConfidenceService::Descriptor();
  for (int i = 0; i < service->method_count(); ++i) {
    methods[service->method(i)->full_name()] =
        [](const CallContext&, const google::protobuf::Message&,
           google::protobuf::Message*) { return grpc::Status::OK; };
  }
  auto transcoder = Transcoder::Create(*service, std::move(methods),
                                       {.max_json_depth = max_json_depth});
  EXPECT_TRUE(transcoder.ok()) << transcoder.status();
  return std::move(*transcoder);
}

TEST(TranscoderTest, RoutesComeFromTheProtoRules) {
  auto routes = Transcoder::RoutesOf(PatternConfidenceService::Descriptor());
  ASSERT_TRUE(routes.ok()) << routes.status();
  std::set<std::string> seen;
  for (const auto& r : *routes) {
    seen.insert(r.http_method + " " + r.path_template + " " + r.method->name());
  }
  EXPECT_THAT(seen, ::testing::IsSupersetOf(
                        {"GET /api/v1/patterns ListPatterns",
                         "GET /api/v1/patterns/{pattern_id} GetPattern",
                         "GET /api/v1/patterns/{pattern_id}/confidence "
                         "ScorePattern",
                         "GET /api/v1/patterns/{pattern_id}/bars "
                         "GetPatternBars",
                         "POST /api/v1/patterns/{pattern_id}/override "
                         "OverridePattern",
                         "GET /api/v1/model DescribeModel",
                         "GET /api/v1/monitoring GetMonitoringSummary",
                         "GET /api/v1/monitoring/report "
                         "GetMonitoringReport"}));
}

// A service built at test time (over pcs.v1's messages) whose methods have
// the GET rules `paths`, in order; the pool must outlive the descriptor.
const google::protobuf::ServiceDescriptor* ServiceWithGets(
    google::protobuf::DescriptorPool& pool,
    const std::vector<std::string>& paths) {
  google::protobuf::FileDescriptorProto file;
  file.set_name("overlap_test.proto");
  file.set_package("overlap");
  file.set_syntax("proto3");
  file.add_dependency("pcs/v1/pattern_confidence.proto");
  file.add_dependency("google/api/annotations.proto");
  auto* service = file.add_service();
  service->set_name("Overlap");
  for (size_t i = 0; i < paths.size(); ++i) {
    auto* method = service->add_method();
    method->set_name(absl::StrCat("M", i));
    method->set_input_type(".pcs.v1.GetPatternRequest");
    method->set_output_type(".pcs.v1.GetPatternResponse");
    method->mutable_options()
        ->MutableExtension(google::api::http)
        ->set_get(paths[i]);
  }
  return pool.BuildFile(file)->FindServiceByName("Overlap");
}

// No two routes may match one request: the first declared would win
// silently. The real service has none (RoutesOf succeeds above); a literal
// against a {field}, or two {field}s, at the same place are refused with
// both methods and paths named; disjoint routes are not.
TEST(TranscoderTest, OverlappingRoutesAreRefused) {
  v1::GetPatternRequest::descriptor();  // in the generated pool
  google::api::HttpRule::descriptor();
  google::protobuf::DescriptorPool pool(
      google::protobuf::DescriptorPool::generated_pool());
  const auto* overlapping = ServiceWithGets(
      pool, {"/api/v1/things/{pattern_id}", "/api/v1/things/latest"});
  ASSERT_NE(overlapping, nullptr);
  auto routes = Transcoder::RoutesOf(*overlapping);
  ASSERT_FALSE(routes.ok());
  EXPECT_EQ(routes.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(routes.status().message()),
              ::testing::AllOf(HasSubstr("routes overlap"),
                               HasSubstr("overlap.Overlap.M0 GET "
                                         "/api/v1/things/{pattern_id}"),
                               HasSubstr("overlap.Overlap.M1 GET "
                                         "/api/v1/things/latest")));

  google::protobuf::DescriptorPool pool2(
      google::protobuf::DescriptorPool::generated_pool());
  const auto* two_fields = ServiceWithGets(
      pool2, {"/a/{pattern_id}/b", "/a/x/b", "/a/{pattern_id}/c"});
  ASSERT_NE(two_fields, nullptr);
  EXPECT_FALSE(Transcoder::RoutesOf(*two_fields).ok());

  google::protobuf::DescriptorPool pool3(
      google::protobuf::DescriptorPool::generated_pool());
  const auto* disjoint = ServiceWithGets(
      pool3, {"/a/{pattern_id}", "/a/{pattern_id}/b", "/a/x/c", "/b/x"});
  ASSERT_NE(disjoint, nullptr);
  auto ok = Transcoder::RoutesOf(*disjoint);
  EXPECT_TRUE(ok.ok()) << ok.status();
}

TEST(TranscoderTest, CreateNeedsAMethodForEveryRoute) {
  auto transcoder =
      Transcoder::Create(PatternConfidenceService::Descriptor(), {}, {});
  ASSERT_FALSE(transcoder.ok());
  EXPECT_THAT(std::string(transcoder.status().message()),
              HasSubstr("no implementation"));
}

TEST(TranscoderTest, PathAndQueryFillTheRequest) {
  auto t = Make();
  auto parsed =
      t->Parse({.method = "GET",
                .path = absl::StrCat("/api/v1/patterns/", kId, "/confidence"),
                .query = {{"top_k", "7"}, {"skip_trace", "true"}}});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->route->method->name(), "ScorePattern");
  const auto& request =
      static_cast<const v1::ScorePatternRequest&>(*parsed->message);
  EXPECT_EQ(request.pattern_id(), kId);
  EXPECT_EQ(request.top_k(), 7);
  EXPECT_TRUE(request.skip_trace());

  auto list = t->Parse(
      {.method = "HEAD",
       .path = "/api/v1/patterns",
       .query = {{"symbol", "AAPL"}, {"scored", "false"}, {"pageSize", "25"}}});
  ASSERT_TRUE(list.ok()) << list.status();
  const auto& filter =
      static_cast<const v1::ListPatternsRequest&>(*list->message);
  EXPECT_EQ(filter.symbol(), "AAPL");
  ASSERT_TRUE(filter.has_scored());  // optional: false is not "absent"
  EXPECT_FALSE(filter.scored());
  EXPECT_FALSE(filter.has_disagreement());
  EXPECT_EQ(filter.page_size(), 25);  // the JSON name works too
}

TEST(TranscoderTest, QueryRefusalsNameTheParameter) {
  auto t = Make();
  auto refused = [&](std::vector<std::pair<std::string, std::string>> query) {
    auto parsed =
        t->Parse({.method = "GET", .path = "/api/v1/patterns", .query = query});
    EXPECT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(parsed.status().message());
  };
  EXPECT_EQ(refused({{"symbl", "A"}}), "symbl: unknown query parameter");
  EXPECT_EQ(refused({{"page_size", "x"}}), "page_size: must be an integer");
  EXPECT_EQ(refused({{"page_size", "99999999999"}}),
            "page_size: must be an integer");
  EXPECT_EQ(refused({{"scored", "yes"}}), "scored: must be true or false");
  EXPECT_EQ(refused({{"symbol", "A"}, {"symbol", "B"}}), "symbol: given twice");
  EXPECT_EQ(refused({{"symbol", "\xff"}}), "symbol: must be UTF-8");
  EXPECT_EQ(refused({{"\xff", "1"}}), "?: unknown query parameter");
  // A path-bound field cannot be set again from the query.
  auto bound = t->Parse({.method = "GET",
                         .path = absl::StrCat("/api/v1/patterns/", kId),
                         .query = {{"pattern_id", "ffffffffffffffff"}}});
  EXPECT_EQ(bound.status().message(), "pattern_id: unknown query parameter");
}

TEST(TranscoderTest, BodyStarReadsJson) {
  auto t = Make(/*max_json_depth=*/4);
  const std::string path = absl::StrCat("/api/v1/patterns/", kId, "/override");
  auto ok = t->Parse({.method = "POST",
                      .path = path,
                      .body = R"({"decision": "reject", "reason": "late"})"});
  ASSERT_TRUE(ok.ok()) << ok.status();
  const auto& o = static_cast<const v1::OverridePatternRequest&>(*ok->message);
  EXPECT_EQ(o.pattern_id(), kId);
  EXPECT_EQ(o.decision(), "reject");
  EXPECT_EQ(o.reason(), "late");

  auto code = [&](const std::string& body) {
    auto parsed = t->Parse({.method = "POST", .path = path, .body = body});
    return parsed.ok() ? std::string("OK")
                       : std::string(parsed.status().message());
  };
  EXPECT_THAT(code(R"({"decison": "reject"})"), HasSubstr("body: "));
  EXPECT_THAT(code("[1, 2]"), HasSubstr("body: "));
  EXPECT_THAT(code("not json"), HasSubstr("body: "));
  EXPECT_THAT(code(R"({"decision": 3})"), HasSubstr("body: "));
  EXPECT_THAT(code(R"({"reason": [[[[["deep"]]]]]})"),
              HasSubstr("nested deeper than 4"));
  EXPECT_EQ(code(R"({"pattern_id": "ffffffffffffffff"})"),
            "pattern_id: given in both the path and the body");
  // Query parameters are not part of a body: "*" route.
  auto query = t->Parse({.method = "POST",
                         .path = path,
                         .query = {{"decision", "confirm"}},
                         .body = "{}"});
  EXPECT_EQ(query.status().message(), "decision: unknown query parameter");
  auto get_body = t->Parse(
      {.method = "GET", .path = "/api/v1/model", .body = R"({"version":"x"})"});
  EXPECT_EQ(get_body.status().message(), "body: this route takes no body");
}

TEST(TranscoderTest, UnknownPathsAre404AndOtherMethods405) {
  auto t = Make();
  for (const char* path :
       {"/api/v1/nope", "/api/v1/patterns/a/b/c", "/api/v1/patterns//bars", "",
        "api/v1/model", "/api/v1/model/"}) {
    auto parsed = t->Parse({.method = "GET", .path = path});
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kNotFound) << path;
  }
  std::string allow;
  auto post = t->Parse({.method = "POST", .path = "/api/v1/model"}, &allow);
  EXPECT_EQ(post.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(allow, "GET, HEAD");
  auto get =
      t->Parse({.method = "GET",
                .path = absl::StrCat("/api/v1/patterns/", kId, "/override")},
               &allow);
  EXPECT_EQ(get.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(allow, "POST");
}

TEST(TranscoderTest, HandleAnswersJsonAndMapsCodes) {
  std::map<std::string, Transcoder::UnaryMethod> methods;
  const auto* service = &PatternConfidenceService::Descriptor();
  for (int i = 0; i < service->method_count(); ++i) {
    methods[service->method(i)->full_name()] =
        [](const CallContext& call, const google::protobuf::Message& request,
           google::protobuf::Message* response) {
          EXPECT_EQ(call.entrypoint, Entrypoint::kHttp);
          const auto& r = static_cast<const v1::GetPatternRequest&>(request);
          if (r.pattern_id() == "aaaaaaaaaaaaaaaa") {
            return grpc::Status(grpc::StatusCode::ABORTED, "try again");
          }
          auto* out = static_cast<v1::GetPatternResponse*>(response);
          out->mutable_pattern()->set_id(r.pattern_id());
          out->mutable_pattern()->set_ml_confidence(0.25);
          return grpc::Status::OK;
        };
  }
  auto t = Transcoder::Create(*service, std::move(methods), {});
  ASSERT_TRUE(t.ok());
  CallContext call{.entrypoint = Entrypoint::kHttp};
  auto ok = (*t)->Handle(
      {.method = "GET", .path = absl::StrCat("/api/v1/patterns/", kId)}, call);
  EXPECT_EQ(ok.status, 200);
  // Proto field names; primitives printed; unset optional fields omitted.
  EXPECT_THAT(ok.json, HasSubstr(R"("id":"0123456789abcdef")"));
  EXPECT_THAT(ok.json, HasSubstr(R"("ml_confidence":0.25)"));
  EXPECT_THAT(ok.json, HasSubstr(R"("rule_confidence":0)"));
  EXPECT_THAT(ok.json, ::testing::Not(HasSubstr("blended_confidence")));
  // Empty repeated fields are printed (the console reads detail.history).
  EXPECT_THAT(ok.json, HasSubstr(R"("history":[])"));
  auto aborted = (*t)->Handle(
      {.method = "GET", .path = "/api/v1/patterns/aaaaaaaaaaaaaaaa"}, call);
  EXPECT_EQ(aborted.status, 409);
  EXPECT_THAT(aborted.json, HasSubstr(R"("code":"ABORTED")"));
  EXPECT_THAT(aborted.json, HasSubstr(R"("message":"try again")"));
  auto missing = (*t)->Handle({.method = "GET", .path = "/api/v1/x"}, call);
  EXPECT_EQ(missing.status, 404);
  auto wrong = (*t)->Handle({.method = "POST", .path = "/api/v1/model"}, call);
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.allow, "GET, HEAD");
}

}  // namespace
}  // namespace pcs
