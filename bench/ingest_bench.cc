// Ingest throughput: the whole shared OHLCV folder (301 files, ~1.44M bars)
// into a fresh database of an embedded PostgreSQL cluster.
//
//   build/bench/ingest_bench                      # shared data folder
//   PCS_DATA_DIR=/some/folder build/bench/ingest_bench
//
// Figures: wall seconds per full ingest (real_time) and rows/s. The first
// benchmark loads an empty table (all inserts); the second re-ingests into a
// table that already holds the same bars (all unchanged), the idempotent
// re-run path. The argument is IngestOptions::files_per_batch.

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "db/database.h"
#include "db/embedded_postgres.h"
#include "db/migrator.h"
#include "ingest/ingester.h"
#include "pqxx/pqxx"

namespace pcs {
namespace {

std::string DataDir() {
  if (const char* env = std::getenv("PCS_DATA_DIR"); env && *env) return env;
  return std::string(PCS_SOURCE_DIR) + "/../shared/data/ohlcv";
}

EmbeddedPostgres& Cluster() {
  static std::unique_ptr<EmbeddedPostgres> pg = [] {
    EmbeddedPostgresOptions options;
    options.database = "postgres";
    auto started = EmbeddedPostgres::Start(options);
    if (!started.ok()) {
      std::cerr << started.status() << "\n";
      std::exit(1);
    }
    return std::move(*started);
  }();
  return *pg;
}

// A new migrated database; returns its conninfo.
std::string FreshDatabase() {
  static int counter = 0;
  const std::string name = absl::StrCat("ingest_bench_", ++counter);
  {
    pqxx::connection admin(Cluster().ConnInfo("postgres"));
    pqxx::nontransaction tx(admin);
    tx.exec0("CREATE DATABASE " + name);
  }
  const std::string conninfo = Cluster().ConnInfo(name);
  const absl::Status status = Migrate(conninfo, kDefaultMigrationsDir);
  if (!status.ok()) {
    std::cerr << status << "\n";
    std::exit(1);
  }
  return conninfo;
}

IngestSummary IngestAll(pqxx::connection& conn, int files_per_batch,
                        benchmark::State& state) {
  IngestOptions options;
  options.files_per_batch = files_per_batch;
  Ingester ingester(conn, options);
  auto summary = ingester.Run({DataDir()});
  if (!summary.ok()) {
    state.SkipWithError(std::string(summary.status().message()).c_str());
    return {};
  }
  return *summary;
}

void BM_IngestSharedFolderFresh(benchmark::State& state) {
  int64_t rows = 0;
  for (auto _ : state) {
    state.PauseTiming();
    pqxx::connection conn(FreshDatabase());
    state.ResumeTiming();
    const IngestSummary s =
        IngestAll(conn, static_cast<int>(state.range(0)), state);
    rows += s.total.rows_read;
    state.counters["files"] = static_cast<double>(s.files.size());
    state.counters["inserted"] = static_cast<double>(s.total.inserted);
    state.counters["rejected"] = static_cast<double>(s.total.rejected);
  }
  state.counters["rows_per_s"] = benchmark::Counter(
      static_cast<double>(rows), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_IngestSharedFolderFresh)
    ->Arg(64)
    ->Arg(301)
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

void BM_ReingestUnchanged(benchmark::State& state) {
  int64_t rows = 0;
  for (auto _ : state) {
    state.PauseTiming();
    pqxx::connection conn(FreshDatabase());
    IngestAll(conn, 64, state);
    state.ResumeTiming();
    const IngestSummary s = IngestAll(conn, 64, state);
    rows += s.total.rows_read;
    state.counters["unchanged"] = static_cast<double>(s.total.unchanged);
    state.counters["inserted"] = static_cast<double>(s.total.inserted);
  }
  state.counters["rows_per_s"] = benchmark::Counter(
      static_cast<double>(rows), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ReingestUnchanged)
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

}  // namespace
}  // namespace pcs

BENCHMARK_MAIN();
