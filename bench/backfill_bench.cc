// Outcome backfill speed: detect + label + upsert every pattern of the shared
// OHLCV folder (300 stocks; DIA skipped) in a fresh embedded PostgreSQL.
//
//   build/bench/backfill_bench                    # shared data folder
//   PCS_DATA_DIR=/some/folder build/bench/backfill_bench
//
// Set-up (not timed): one cluster, one database, the folder ingested once.
// BM_BackfillFresh/<workers>: pattern tables emptied, then a full backfill
// (all inserts). BM_BackfillUnchanged: a rerun over the stored patterns (all
// unchanged, the idempotent path). BM_BuildPatternRecords: CPU only, one
// symbol's detect + label (AAPL, bars already in memory).
// Figures: wall seconds (real_time) and patterns per second.

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "db/embedded_postgres.h"
#include "db/migrator.h"
#include "db/price_bar_store.h"
#include "ingest/ingester.h"
#include "pipeline/backfill_job.h"
#include "pqxx/pqxx"

namespace pcs {
namespace {

std::string DataDir() {
  if (const char* env = std::getenv("PCS_DATA_DIR"); env && *env) return env;
  return std::string(PCS_SOURCE_DIR) + "/../shared/data/ohlcv";
}

[[noreturn]] void Die(const absl::Status& status) {
  std::cerr << status << "\n";
  std::exit(1);
}

// conninfo of a migrated database holding the whole folder's bars.
const std::string& IngestedDatabase() {
  static std::unique_ptr<EmbeddedPostgres> pg;
  static const std::string conninfo = [] {
    EmbeddedPostgresOptions options;
    options.database = "backfill_bench";
    auto started = EmbeddedPostgres::Start(options);
    if (!started.ok()) Die(started.status());
    pg = std::move(*started);
    const std::string info = pg->ConnInfo();
    if (absl::Status s = Migrate(info, kDefaultMigrationsDir); !s.ok()) Die(s);
    pqxx::connection conn(info);
    Ingester ingester(conn, {});
    auto summary = ingester.Run({DataDir()});
    if (!summary.ok()) Die(summary.status());
    return info;
  }();
  return conninfo;
}

void ClearPatterns(const std::string& conninfo) {
  pqxx::connection conn(conninfo);
  pqxx::work tx(conn);
  tx.exec0("TRUNCATE pattern_events CASCADE");
  tx.commit();
}

void Report(benchmark::State& state, const BackfillSummary& s, int64_t& total) {
  total += s.patterns;
  state.counters["symbols"] = s.symbols_done;
  state.counters["patterns"] = static_cast<double>(s.patterns);
  state.counters["inserted"] = static_cast<double>(s.upserts.inserted);
  state.counters["unchanged"] = static_cast<double>(s.upserts.unchanged);
  state.counters["failures"] = static_cast<double>(s.failures.size());
}

void BM_BackfillFresh(benchmark::State& state) {
  BackfillOptions options;
  options.conninfo = IngestedDatabase();
  options.workers = static_cast<int>(state.range(0));
  int64_t patterns = 0;
  for (auto _ : state) {
    state.PauseTiming();
    ClearPatterns(options.conninfo);
    state.ResumeTiming();
    auto summary = RunBackfill(options);
    if (!summary.ok()) {
      state.SkipWithError(std::string(summary.status().message()).c_str());
      return;
    }
    Report(state, *summary, patterns);
  }
  state.counters["patterns_per_s"] = benchmark::Counter(
      static_cast<double>(patterns), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BackfillFresh)
    ->Arg(1)
    ->Arg(2)
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

void BM_BackfillUnchanged(benchmark::State& state) {
  BackfillOptions options;
  options.conninfo = IngestedDatabase();
  int64_t patterns = 0;
  for (auto _ : state) {
    auto summary = RunBackfill(options);
    if (!summary.ok()) {
      state.SkipWithError(std::string(summary.status().message()).c_str());
      return;
    }
    Report(state, *summary, patterns);
  }
  state.counters["patterns_per_s"] = benchmark::Counter(
      static_cast<double>(patterns), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BackfillUnchanged)
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

void BM_BuildPatternRecords(benchmark::State& state) {
  pqxx::connection conn(IngestedDatabase());
  auto series = LoadBarSeries(conn, "AAPL");
  if (!series.ok()) {
    state.SkipWithError(std::string(series.status().message()).c_str());
    return;
  }
  BackfillOptions options;
  size_t n = 0;
  for (auto _ : state) {
    auto records = BuildPatternRecords(*series, options);
    n = records.size();
    benchmark::DoNotOptimize(records.data());
  }
  state.counters["bars"] = static_cast<double>(series->bars.size());
  state.counters["patterns"] = static_cast<double>(n);
}
BENCHMARK(BM_BuildPatternRecords)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace pcs

BENCHMARK_MAIN();
