#include "snapshots/snapshot_backfill.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>

#include "absl/strings/str_cat.h"
#include "db/price_bar_store.h"

namespace pcs {
namespace {

absl::StatusOr<std::vector<std::string>> SymbolsWithPatterns(
    const std::string& conninfo) {
  try {
    pqxx::connection conn(conninfo);
    pqxx::read_transaction tx(conn);
    std::vector<std::string> out;
    for (const auto& row : tx.exec(
             "SELECT DISTINCT symbol FROM pattern_events ORDER BY symbol")) {
      out.push_back(row[0].as<std::string>());
    }
    return out;
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("listing symbols with patterns: ", e.what()));
  }
}

absl::StatusOr<SnapshotCounts> SnapshotSymbol(pqxx::connection& conn,
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
    std::unique_ptr<pqxx::connection> conn;
    try {
      conn = std::make_unique<pqxx::connection>(options.conninfo);
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(mu);
      report.failures.push_back(absl::StrCat("(connect): ", e.what()));
      return;
    }
    for (size_t i = next++; i < symbols.size(); i = next++) {
      auto counts = SnapshotSymbol(*conn, symbols[i], store);
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
