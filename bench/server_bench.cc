// server_bench: latency of ScorePattern (score by id).
//
// Sets up a self-contained world: an embedded PostgreSQL (db/database.h)
// migrated and seeded with real bars (AAPL, AA, DIA from the shared data)
// and the real backfill's patterns, a real XGBoost model artifact (300
// trees, tests/test_util/fake_model_artifact) as CHAMPION, and an
// in-process PcsServer on loopback with ENABLE_PHASE5_CONFIDENCE on.
//
// Part 1 (Google Benchmark): the scoring path without gRPC
// (ScoringEngine::ScoreStored, cache hit and cache miss) and unary
// ScorePattern round trips over a real loopback channel.
// Part 2 (load, when ghz is found: $PCS_GHZ or <build>/tools/ghz): ghz at
// 1,000 req/s and flat out; p50/p95/p99/p99.9 from ghz's per-request
// details, cross-checked with the server's own pcs_requests_total and
// pcs_request_duration_seconds histogram (scraped before and after).
//
// Usage: server_bench [--benchmark_filter=...] [--load-seconds=N]
#include <httplib.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "db/database.h"
#include "db/migrator.h"
#include "ingest/ingester.h"
#include "nlohmann/json.hpp"
#include "pipeline/backfill_job.h"
#include "server/pcs_server.h"
#include "tests/test_util/fake_model_artifact.h"
#include "tests/test_util/shared_data.h"

namespace {

namespace fs = std::filesystem;

struct World {
  std::unique_ptr<pcs::Database> db;
  fs::path models_dir;
  std::vector<std::string> ids;
  std::unique_ptr<pcs::PcsServer> server;
  std::unique_ptr<pcs::v1::PatternConfidence::Stub> stub;
};
World* g_world = nullptr;

void Die(const std::string& what) {
  std::cerr << "server_bench: " << what << "\n";
  std::exit(1);
}

void SetUpWorld(World* w) {
  auto db = pcs::Database::Open({});
  if (!db.ok()) Die(db.status().ToString());
  w->db = std::move(*db);
  const std::string conninfo = w->db->conninfo();
  if (auto s = pcs::Migrate(conninfo, pcs::kDefaultMigrationsDir); !s.ok()) {
    Die(s.ToString());
  }
  {
    pqxx::connection conn(conninfo);
    pcs::Ingester ingester(conn, {});
    std::vector<std::string> files;
    for (const char* s : {"AAPL", "AA", "DIA"}) {
      files.push_back(pcs::testing::SharedOhlcvFile(s));
    }
    if (auto r = ingester.Run(files); !r.ok()) Die(r.status().ToString());
  }
  pcs::BackfillOptions backfill;
  backfill.conninfo = conninfo;
  if (auto r = pcs::RunBackfill(backfill); !r.ok()) Die(r.status().ToString());
  pqxx::connection conn(conninfo);
  pqxx::read_transaction tx(conn);
  for (const auto& row : tx.exec("SELECT id FROM pattern_events ORDER BY id")) {
    w->ids.push_back(row[0].c_str());
  }
  w->models_dir =
      fs::temp_directory_path() / absl::StrCat("pcs_server_bench_", ::getpid());
  fs::create_directories(w->models_dir);
  auto model = pcs::testing::WriteFakeModelArtifact(
      w->models_dir.string(),
      {.version = "20260101T000000Z", .rounds = 300, .rows = 2000});
  if (!model.ok()) Die(model.status().ToString());
  if (auto s = pcs::testing::WriteChampion(w->models_dir.string(),
                                           "20260101T000000Z");
      !s.ok()) {
    Die(s.ToString());
  }
  pcs::PcsServerOptions options;
  options.listen = "127.0.0.1:0";
  options.metrics_listen = "127.0.0.1:0";
  options.database_url = conninfo;
  options.models_dir = w->models_dir.string();
  options.enable_phase5 = true;
  options.poll_period = absl::ZeroDuration();
  options.threads = 4;
  auto server = pcs::PcsServer::Create(options);
  if (!server.ok()) Die(server.status().ToString());
  w->server = std::move(*server);
  w->stub = pcs::v1::PatternConfidence::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", w->server->grpc_port()),
                          grpc::InsecureChannelCredentials()));
  std::cerr << "server_bench: " << w->ids.size() << " patterns, model "
            << "300 trees, server on port " << w->server->grpc_port() << "\n";
}

void BM_EngineScoreCached(benchmark::State& state) {
  auto& engine = g_world->server->engine();
  const std::string& id = g_world->ids.front();
  (void)engine.ScoreStored(id, 5, absl::InfiniteFuture());
  for (auto _ : state) {
    auto r = engine.ScoreStored(id, 5, absl::InfiniteFuture());
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_EngineScoreCached);

// A fresh engine per batch of ids so every call misses the score cache
// (pattern query + feature build + predict + TreeSHAP; bars stay cached).
void BM_EngineScoreUncached(benchmark::State& state) {
  pcs::ScoringEngineOptions options;
  options.conninfo = g_world->db->conninfo();
  options.pool_size = 1;
  options.phase5_enabled = true;
  options.score_cache_entries = 0;
  auto engine = pcs::ScoringEngine::Create(options, &g_world->server->models());
  size_t i = 0;
  for (auto _ : state) {
    auto r = (*engine)->ScoreStored(g_world->ids[i++ % g_world->ids.size()], 5,
                                    absl::InfiniteFuture());
    if (!r.ok() || r->fallback_reason != pcs::FallbackReason::kNone)
      state.SkipWithError("no ML");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_EngineScoreUncached);

void BM_ScorePatternRpc(benchmark::State& state) {
  pcs::v1::ScorePatternRequest request;
  request.set_pattern_id(g_world->ids.front());
  request.set_skip_trace(true);
  for (auto _ : state) {
    grpc::ClientContext context;
    pcs::v1::ScoreResponse response;
    grpc::Status s = g_world->stub->ScorePattern(&context, request, &response);
    if (!s.ok()) state.SkipWithError(s.error_message().c_str());
  }
}
BENCHMARK(BM_ScorePatternRpc)->UseRealTime();

// ---- Part 2: ghz load --------------------------------------------------

std::string RunCapture(const std::string& command, int* rc) {
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while (pipe && (n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) {
    out.append(buf, n);
  }
  int status = pipe ? ::pclose(pipe) : -1;
  *rc = status == -1 ? -1 : WEXITSTATUS(status);
  return out;
}

struct ServerCounters {
  double ok = 0;
  double other = 0;
  std::map<double, double> buckets;  // le -> cumulative count
};

ServerCounters Scrape() {
  httplib::Client client("127.0.0.1", g_world->server->metrics_port());
  auto res = client.Get("/metrics");
  ServerCounters c;
  if (!res) return c;
  std::regex req(
      R"re(pcs_requests_total\{code="([A-Z_]+)",method="ScorePattern"\} (\S+))re");
  std::regex bucket(
      R"re(pcs_request_duration_seconds_bucket\{method="ScorePattern",le="([^"]+)"\} (\S+))re");
  std::smatch m;
  std::istringstream lines(res->body);
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_search(line, m, req)) {
      (m[1] == "OK" ? c.ok : c.other) += std::stod(m[2]);
    } else if (std::regex_search(line, m, bucket)) {
      double le = m[1] == "+Inf" ? 1e9 : std::stod(m[1]);
      c.buckets[le] = std::stod(m[2]);
    }
  }
  return c;
}

// Upper bound of the bucket holding quantile q of the delta histogram.
double ServerQuantile(const ServerCounters& a, const ServerCounters& b,
                      double q) {
  double total = b.buckets.rbegin()->second - a.buckets.rbegin()->second;
  for (const auto& [le, count] : b.buckets) {
    double delta = count - (a.buckets.count(le) ? a.buckets.at(le) : 0);
    if (delta >= q * total) return le;
  }
  return 1e9;
}

void RunLoad(const std::string& ghz, const std::string& label,
             const std::string& rate_flags, int requests) {
  nlohmann::json data = nlohmann::json::array();
  for (size_t i = 0; i < std::min<size_t>(g_world->ids.size(), 200); ++i) {
    data.push_back({{"pattern_id", g_world->ids[i]}});
  }
  fs::path data_file = g_world->models_dir / "ghz_data.json";
  std::ofstream(data_file) << data.dump();
  ServerCounters before = Scrape();
  std::string cmd = absl::StrCat(
      ghz, " --insecure --call pcs.v1.PatternConfidence.ScorePattern",
      " --data-file ", data_file.string(), " ", rate_flags, " -n ", requests,
      " --format json 127.0.0.1:", g_world->server->grpc_port(),
      " 2>/dev/null");
  int rc = 0;
  std::string out = RunCapture(cmd, &rc);
  ServerCounters after = Scrape();
  nlohmann::json report = nlohmann::json::parse(out, nullptr, false);
  if (report.is_discarded()) {
    std::cerr << "ghz failed (rc " << rc << "): " << out.substr(0, 500) << "\n";
    return;
  }
  std::vector<double> latencies_ms;
  int errors = 0;
  for (const auto& d : report["details"]) {
    if (d.value("status", "") != "OK") ++errors;
    latencies_ms.push_back(d["latency"].get<double>() / 1e6);
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto q = [&](double p) {
    if (latencies_ms.empty()) return 0.0;
    size_t i = std::min(latencies_ms.size() - 1,
                        static_cast<size_t>(p * latencies_ms.size()));
    return latencies_ms[i];
  };
  std::cout << absl::StrFormat(
      "%-18s requests %d  rps %.0f  errors %d  p50 %.3f ms  p95 %.3f ms  "
      "p99 %.3f ms  p99.9 %.3f ms  max %.3f ms\n",
      label, static_cast<int>(latencies_ms.size()), report.value("rps", 0.0),
      errors, q(0.50), q(0.95), q(0.99), q(0.999),
      latencies_ms.empty() ? 0.0 : latencies_ms.back());
  std::cout << absl::StrFormat(
      "%-18s server: OK +%.0f, non-OK +%.0f; server-side p50 <= %.3g ms, "
      "p99 <= %.3g ms (histogram bucket bounds)\n",
      "", after.ok - before.ok, after.other - before.other,
      ServerQuantile(before, after, 0.5) * 1e3,
      ServerQuantile(before, after, 0.99) * 1e3);
}

// The same 1,000 req/s load while a second version is published and the
// CHAMPION pointer flips between the two every 250 ms, each flip followed by
// a registry poll (load + checks + atomic swap on this thread, as the poll
// thread would). Compare its p99 with the plain 1,000 req/s run.
void RunLoadDuringSwaps(const std::string& ghz, int load_seconds) {
  const std::string a = "20260101T000000Z";
  const std::string b = "20260102T000000Z";
  auto model = pcs::testing::WriteFakeModelArtifact(
      g_world->models_dir.string(),
      {.version = b, .rounds = 300, .seed = 2, .rows = 2000});
  if (!model.ok()) Die(model.status().ToString());
  std::atomic<bool> stop{false};
  int swaps = 0;
  std::thread swapper([&] {
    while (!stop.load()) {
      const std::string next = swaps % 2 == 0 ? b : a;
      if (!pcs::testing::WriteChampion(g_world->models_dir.string(), next).ok())
        break;
      g_world->server->model_source().PollNow();
      ++swaps;
      for (int i = 0; i < 25 && !stop.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  });
  RunLoad(ghz, "1000 req/s + swaps", "--rps 1000 -c 8", 1000 * load_seconds);
  stop = true;
  swapper.join();
  std::cout << absl::StrFormat("%-18s %d CHAMPION swaps during the run\n", "",
                               swaps);
}

std::string ResidentMemory() {
  std::ifstream status("/proc/self/status");
  std::string out;
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM", 0) == 0 || line.rfind("VmRSS", 0) == 0) {
      absl::StrAppend(
          &out, out.empty() ? "" : ", ", line.substr(0, line.find(':')), " ",
          absl::StripAsciiWhitespace(line.substr(line.find(':') + 1)));
    }
  }
  return out.empty() ? "unknown" : out;
}

}  // namespace

int main(int argc, char** argv) {
  int load_seconds = 10;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--load-seconds=", 0) == 0) {
      load_seconds = std::stoi(a.substr(15));
    } else {
      args.push_back(argv[i]);
    }
  }
  int bench_argc = static_cast<int>(args.size());
  benchmark::Initialize(&bench_argc, args.data());
  World world;
  g_world = &world;
  SetUpWorld(&world);
  benchmark::RunSpecifiedBenchmarks();

  std::string ghz =
      std::getenv("PCS_GHZ") ? std::getenv("PCS_GHZ") : PCS_TOOLS_DIR "/ghz";
  if (load_seconds > 0 && fs::exists(ghz)) {
    std::cout << "\nghz load on ScorePattern (" << load_seconds
              << " s at 1000 req/s, then flat out with 8 workers):\n";
    RunLoad(ghz, "1000 req/s", "--rps 1000 -c 8", 1000 * load_seconds);
    RunLoad(ghz, "flat out", "-c 8", 20000);
    RunLoadDuringSwaps(ghz, load_seconds);
    std::cout << "bench process (server in-process) " << ResidentMemory()
              << "\n";
  } else if (load_seconds > 0) {
    std::cout << "ghz not found at " << ghz << " (install: GOBIN=<build>/tools "
              << "go install github.com/bojand/ghz/cmd/ghz@v0.120.0)\n";
  }
  world.server->Shutdown();
  world.server.reset();
  fs::remove_all(world.models_dir);
  benchmark::Shutdown();
  return 0;
}
