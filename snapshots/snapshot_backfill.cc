#include "snapshots/snapshot_backfill.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "db/database.h"
#include "db/pattern_event_store.h"
#include "db/price_bar_store.h"

namespace pcs {
namespace {

absl::StatusOr<std::vector<std::string>> SymbolsWithPatterns(
    const std::string& conninfo) {
  absl::StatusOr<std::unique_ptr<DbConnection>> conn =
      Database::ConnectTo(conninfo);
  if (!conn.ok()) return conn.status();
  return PatternEventStore(**conn).ListSymbols();
}

absl::StatusOr<SnapshotCounts> SnapshotSymbol(DbConnection& conn,
                                              const std::string& symbol,
                                              ChartSnapshotStore& store) {
  PatternEventStore events(conn);
  PatternFilter filter;
  filter.symbols = {symbol};
  auto patterns = events.LoadPatterns(filter);
  if (!patterns.ok()) return patterns.status();
  if (patterns->empty()) return SnapshotCounts{};
  auto bars = LoadBarSeries(conn, symbol);
  if (!bars.ok()) return bars.status();
  return store.SnapshotPatterns(conn, *patterns, *bars);
}

}  // namespace

absl::StatusOr<SnapshotBackfillReport> RunSnapshotBackfill(
    const SnapshotBackfillOptions& options, ChartSnapshotStore& store) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> symbols = options.symbols;
  if (symbols.empty()) {
    auto all = SymbolsWithPatterns(options.conninfo);
    if (!all.ok()) return all.status();
    symbols = std::move(*all);
  }
  SnapshotBackfillReport report;
  report.symbols = static_cast<int>(symbols.size());
  std::atomic<size_t> next{0};
  std::mutex mu;  // guards report and the progress callback
  int done = 0;
  auto work = [&] {
    absl::StatusOr<std::unique_ptr<DbConnection>> conn =
        Database::ConnectTo(options.conninfo);
    if (!conn.ok()) {
      std::lock_guard<std::mutex> lock(mu);
      report.failures.push_back(
          absl::StrCat("(connect): ", conn.status().message()));
      return;
    }
    for (size_t i = next++; i < symbols.size(); i = next++) {
      auto counts = SnapshotSymbol(**conn, symbols[i], store);
      std::lock_guard<std::mutex> lock(mu);
      ++done;
      if (counts.ok()) {
        report.counts += *counts;
      } else {
        report.failures.push_back(
            absl::StrCat(symbols[i], ": ", counts.status().message()));
      }
      if (options.progress) {
        options.progress(done, report.symbols, report.counts);
      }
    }
  };
  const int workers = std::max(
      1, std::min<int>(options.workers, static_cast<int>(symbols.size())));
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) threads.emplace_back(work);
  for (std::thread& t : threads) t.join();
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return report;
}

}  // namespace pcs
