// Every traced answer is accounted for under overload (issue 10, trace-queue
// overflow): a real PcsServer on loopback with a 16-row trace queue, 8 client
// threads scoring cached patterns as fast as they can (so the queue
// overflows), then a flush. Asserted: rows written + rows dropped == traced
// OK answers, the counters agree with the rows that reached the database,
// and drops happened (the queue is far smaller than the load). Figures:
// bench/trace_overflow_bench.sh (docs/DEPLOY.md).
// Then sampling of anonymous reads (--trace-anonymous-one-in): exactly one
// of every N anonymous callers' traces is written, the rest counted on
// /metrics, identified callers' traces all written.
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/server/server_test_env.h"
#include "tests/test_util/fake_model_artifact.h"

namespace pcs {
namespace {

TEST(TraceAccountingTest, WrittenPlusDroppedEqualsTracedAnswers) {
  const std::string models_dir =
      pcs::testing::NewModelsDir("trace_accounting").string();
  pcs::testing::FakeModelOptions model;
  ASSERT_TRUE(pcs::testing::WriteFakeModelArtifact(models_dir, model).ok());
  ASSERT_TRUE(pcs::testing::WriteChampion(models_dir, model.version).ok());
  PcsServerOptions options = pcs::testing::TestServerOptions(models_dir, true);
  options.trace_queue = 16;
  auto server = PcsServer::Create(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const auto& ids = pcs::testing::Seeded().pattern_ids;
  const int64_t rows_before =
      pcs::testing::TraceRows(pcs::testing::Seeded().conninfo);
  auto stub = pcs::testing::StubFor(**server);
  for (const std::string& id : ids) {  // fill the score cache, untraced
    grpc::ClientContext context;
    v1::ScorePatternRequest request;
    request.set_pattern_id(id);
    request.set_skip_trace(true);
    v1::ScoreResponse response;
    ASSERT_TRUE(stub->ScorePattern(&context, request, &response).ok());
  }
  std::atomic<int64_t> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        grpc::ClientContext context;
        v1::ScorePatternRequest request;
        request.set_pattern_id(ids[(t * 500 + i) % ids.size()]);
        v1::ScoreResponse response;
        if (stub->ScorePattern(&context, request, &response).ok()) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  TraceLogger* traces = (*server)->traces();
  ASSERT_NE(traces, nullptr);
  traces->Flush();
  const int64_t written = traces->written();
  const int64_t dropped = traces->dropped();
  const int64_t rows =
      pcs::testing::TraceRows(pcs::testing::Seeded().conninfo) - rows_before;
  std::printf(
      "traced OK answers %lld, written %lld (rows %lld), dropped %lld\n",
      static_cast<long long>(ok.load()), static_cast<long long>(written),
      static_cast<long long>(rows), static_cast<long long>(dropped));
  EXPECT_EQ(ok.load(), 4000);
  EXPECT_EQ(written + dropped, ok.load());
  EXPECT_EQ(rows, written);
  EXPECT_GT(dropped, 0) << "a 16-row queue absorbed 4,000 answers";
  (*server)->Shutdown();
  std::error_code ec;
  std::filesystem::remove_all(models_dir, ec);
}

// `calls` cached ScorePattern calls, each with `authorization` when not "".
int64_t ScoreCached(PcsServer& server, int calls,
                    const std::string& authorization) {
  auto stub = pcs::testing::StubFor(server);
  const auto& ids = pcs::testing::Seeded().pattern_ids;
  int64_t ok = 0;
  for (int i = 0; i < calls; ++i) {
    grpc::ClientContext context;
    if (!authorization.empty()) {
      context.AddMetadata("authorization", authorization);
    }
    v1::ScorePatternRequest request;
    request.set_pattern_id(ids[i % ids.size()]);
    v1::ScoreResponse response;
    if (stub->ScorePattern(&context, request, &response).ok()) ++ok;
  }
  return ok;
}

TEST(TraceAccountingTest, AnonymousReadsAreSampledWithExactCounters) {
  const std::string models_dir =
      pcs::testing::NewModelsDir("trace_sampling").string();
  pcs::testing::FakeModelOptions model;
  ASSERT_TRUE(pcs::testing::WriteFakeModelArtifact(models_dir, model).ok());
  ASSERT_TRUE(pcs::testing::WriteChampion(models_dir, model.version).ok());
  PcsServerOptions options = pcs::testing::TestServerOptions(models_dir, true);
  options.trace_anonymous_one_in = 4;
  auto server = PcsServer::Create(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string& conninfo = pcs::testing::Seeded().conninfo;
  const int64_t rows_before = pcs::testing::TraceRows(conninfo);
  // Reads are open: a bearer token is not looked at, so a junk one is as
  // anonymous as none (it cannot buy a caller out of sampling).
  EXPECT_EQ(ScoreCached(**server, 80, ""), 80);
  EXPECT_EQ(ScoreCached(**server, 20, "Bearer junk-token-0123456789"), 20);
  TraceLogger* traces = (*server)->traces();
  ASSERT_NE(traces, nullptr);
  traces->Flush();
  EXPECT_EQ(traces->written(), 25);
  EXPECT_EQ(traces->sampled_out(), 75);
  EXPECT_EQ(traces->dropped(), 0);
  EXPECT_EQ(pcs::testing::TraceRows(conninfo) - rows_before, 25);
  httplib::Client metrics("127.0.0.1", (*server)->metrics_port());
  auto page = metrics.Get("/metrics");
  ASSERT_TRUE(page);
  EXPECT_THAT(page->body, ::testing::HasSubstr("pcs_trace_written_total 25\n"));
  EXPECT_THAT(page->body,
              ::testing::HasSubstr("pcs_trace_sampled_out_total 75\n"));
  (*server)->Shutdown();

  // Identified callers are never sampled.
  options.reads_require_identity = true;
  auto identified = PcsServer::Create(options);
  ASSERT_TRUE(identified.ok()) << identified.status();
  const int64_t rows_identified = pcs::testing::TraceRows(conninfo);
  EXPECT_EQ(ScoreCached(**identified, 12,
                        absl::StrCat("Bearer ", pcs::testing::kTestReadToken)),
            12);
  (*identified)->traces()->Flush();
  EXPECT_EQ((*identified)->traces()->written(), 12);
  EXPECT_EQ((*identified)->traces()->sampled_out(), 0);
  EXPECT_EQ(pcs::testing::TraceRows(conninfo) - rows_identified, 12);
  (*identified)->Shutdown();
  std::error_code ec;
  std::filesystem::remove_all(models_dir, ec);
}

}  // namespace
}  // namespace pcs
