// Every traced answer is accounted for under overload (issue 10, trace-queue
// overflow): a real PcsServer on loopback with a 16-row trace queue, 8 client
// threads scoring cached patterns as fast as they can (so the queue
// overflows), then a flush. Asserted: rows written + rows dropped == traced
// OK answers, the counters agree with the rows that reached the database,
// and drops happened (the queue is far smaller than the load). Figures:
// bench/trace_overflow_bench.sh (docs/DEPLOY.md).
#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
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

}  // namespace
}  // namespace pcs
