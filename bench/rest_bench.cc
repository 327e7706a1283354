// rest_bench: REST/JSON vs gRPC latency for the same pattern, one request at
// a time over loopback.
//
// World: an embedded PostgreSQL migrated and seeded with real bars (AAPL,
// AA, DIA from the shared data) and the real backfill's patterns, a real
// XGBoost artifact (300 trees) as CHAMPION, an in-process PcsServer with
// ENABLE_PHASE5_CONFIDENCE on. Then, for the same stored pattern, N
// sequential requests of each kind (after a warm-up, so both answer from the
// score cache and the comparison is the transport: HTTP/1.1 keep-alive + JSON
// vs HTTP/2 + protobuf):
//   grpc  ScorePattern(top_k=10, skip_trace=true) on one channel;
//   rest  GET /api/v1/patterns/{id}/confidence?top_k=10&skip_trace=true on
//         one keep-alive cpp-httplib connection (the same RPC, transcoded).
// Prints p50, p90, p99 and mean per kind. Run under the CPU lock:
//   flock /tmp/pcs-cpu.lock build/bench/rest_bench [N]
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <numeric>
#include <vector>

#include "absl/strings/str_cat.h"
#include "db/database.h"
#include "db/migrator.h"
#include "grpcpp/grpcpp.h"
#include "ingest/ingester.h"
#include "pcs/v1/pattern_confidence.grpc.pb.h"
#include "pipeline/backfill_job.h"
#include "pqxx/pqxx"
#include "server/pcs_server.h"
#include "tests/test_util/fake_model_artifact.h"
#include "tests/test_util/shared_data.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

void Die(const std::string& what) {
  std::cerr << "rest_bench: " << what << "\n";
  std::exit(1);
}

void Report(const char* kind, std::vector<double> us) {
  std::sort(us.begin(), us.end());
  auto q = [&](double p) {
    return us[static_cast<size_t>(p * (us.size() - 1))];
  };
  const double mean = std::accumulate(us.begin(), us.end(), 0.0) / us.size();
  std::printf(
      "%-5s n=%zu  p50 %7.1f us  p90 %7.1f us  p99 %7.1f us  mean %7.1f us\n",
      kind, us.size(), q(0.5), q(0.9), q(0.99), mean);
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 5000;
  auto db = pcs::Database::Open({});
  if (!db.ok()) Die(db.status().ToString());
  const std::string conninfo = (*db)->conninfo();
  if (auto s = pcs::Migrate(conninfo, pcs::kDefaultMigrationsDir); !s.ok())
    Die(s.ToString());
  {
    pqxx::connection conn(conninfo);
    pcs::Ingester ingester(conn, {});
    std::vector<std::string> files;
    for (const char* s : {"AAPL", "AA", "DIA"})
      files.push_back(pcs::testing::SharedOhlcvFile(s));
    if (auto r = ingester.Run(files); !r.ok()) Die(r.status().ToString());
  }
  pcs::BackfillOptions backfill;
  backfill.conninfo = conninfo;
  if (auto r = pcs::RunBackfill(backfill); !r.ok()) Die(r.status().ToString());
  std::string id;
  {
    pqxx::connection conn(conninfo);
    pqxx::read_transaction tx(conn);
    id = tx.exec1(
               "SELECT id FROM pattern_events WHERE symbol = 'AAPL' "
               "ORDER BY confirmation_date DESC LIMIT 1")[0]
             .c_str();
  }
  const fs::path models =
      fs::temp_directory_path() / absl::StrCat("pcs_rest_bench_", ::getpid());
  fs::create_directories(models);
  if (auto m = pcs::testing::WriteFakeModelArtifact(
          models.string(),
          {.version = "20260101T000000Z", .rounds = 300, .rows = 2000});
      !m.ok()) {
    Die(m.status().ToString());
  }
  if (auto s = pcs::testing::WriteChampion(models.string(), "20260101T000000Z");
      !s.ok()) {
    Die(s.ToString());
  }
  pcs::PcsServerOptions options;
  options.listen = "127.0.0.1:0";
  options.metrics_listen = "127.0.0.1:0";
  options.database_url = conninfo;
  options.models_dir = models.string();
  options.enable_phase5 = true;
  options.poll_period = absl::ZeroDuration();
  auto server = pcs::PcsServer::Create(options);
  if (!server.ok()) Die(server.status().ToString());

  auto stub = pcs::v1::PatternConfidence::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->grpc_port()),
                          grpc::InsecureChannelCredentials()));
  httplib::Client http("127.0.0.1", (*server)->metrics_port());
  http.set_keep_alive(true);
  http.set_tcp_nodelay(true);
  const std::string path =
      "/api/v1/patterns/" + id + "/confidence?top_k=10&skip_trace=true";

  auto grpc_once = [&] {
    grpc::ClientContext context;
    pcs::v1::ScorePatternRequest request;
    request.set_pattern_id(id);
    request.set_top_k(10);
    request.set_skip_trace(true);
    pcs::v1::ScoreResponse response;
    grpc::Status s = stub->ScorePattern(&context, request, &response);
    if (!s.ok()) Die("grpc: " + s.error_message());
  };
  auto rest_once = [&] {
    auto res = http.Get(path.c_str());
    if (!res || res->status != 200) Die("rest: failed");
  };
  for (int i = 0; i < 200; ++i) {
    grpc_once();
    rest_once();
  }
  std::vector<double> grpc_us, rest_us;
  grpc_us.reserve(n);
  rest_us.reserve(n);
  // Interleaved so both see the same machine conditions.
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    grpc_once();
    auto t1 = Clock::now();
    rest_once();
    auto t2 = Clock::now();
    grpc_us.push_back(
        std::chrono::duration<double, std::micro>(t1 - t0).count());
    rest_us.push_back(
        std::chrono::duration<double, std::micro>(t2 - t1).count());
  }
  std::printf(
      "rest_bench: pattern %s, 300-tree model, score cache warm, "
      "one request at a time, loopback\n",
      id.c_str());
  Report("grpc", grpc_us);
  Report("rest", rest_us);
  (*server)->Shutdown();
  server->reset();
  fs::remove_all(models);
  return 0;
}
