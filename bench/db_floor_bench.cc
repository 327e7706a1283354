// db_floor_bench: the database's own floor under a ScorePattern load. For
// each pattern id it issues exactly the SQL a cold ScorePattern issues (no
// cache holds anything): the pattern row by id, then the feature window of
// its symbol and of the market proxy (the last FeatureBuilder::kHistoryBars
// bars up to the confirmation day), with the statements the server
// prepares: the pattern through PatternEventStore::Load (its one row
// parsed, since the windows need its symbol and day), each window by
// LastBarsSql() with its rows fetched but not converted, so the figure is
// PostgreSQL's and the socket's, not a client's parsing. Run it
// with the ids, concurrency and rate given to ghz and it answers "how fast
// could any server on this PostgreSQL socket be", one line of JSON:
//
//   db_floor_bench --ids FILE [--first N] [--count N] [-c 16] [--rps 1000]
//                  [--market DIA]          (conninfo: $PCS_DATABASE_URL)
//   {"n":..., "errors":..., "rps":..., "p50_ms":..., "p99_ms":...,
//    "p999_ms":..., "max_ms":...}
//
// -c: connections, one worker thread each (ghz -c). --rps: requests start no
// earlier than first + k / rps (ghz --rps); 0 = flat out. Latency is timed
// from a request's start to its last row. bench/user_path_bench.sh prints it
// next to pcs's figures as ratios.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "db/pattern_event_store.h"
#include "db/price_bar_store.h"
#include "features/feature_builder.h"
#include "pqxx/pqxx"

namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  std::string ids_file;
  size_t first = 0;
  size_t count = 0;  // 0 = all after first
  int concurrency = 16;
  double rps = 0;
  std::string market = "DIA";
};

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::string v = argv[i + 1];
    bool ok = true;
    if (k == "--ids") {
      f->ids_file = v;
    } else if (k == "--first") {
      ok = absl::SimpleAtoi(v, &f->first);
    } else if (k == "--count") {
      ok = absl::SimpleAtoi(v, &f->count);
    } else if (k == "-c") {
      ok = absl::SimpleAtoi(v, &f->concurrency) && f->concurrency > 0;
    } else if (k == "--rps") {
      ok = absl::SimpleAtod(v, &f->rps) && f->rps >= 0;
    } else if (k == "--market") {
      f->market = v;
    } else {
      ok = false;
    }
    if (!ok) {
      std::cerr << "db_floor_bench: bad flag " << k << " " << v << "\n";
      return false;
    }
  }
  return argc % 2 == 1 && !f->ids_file.empty();
}

// One cold ScorePattern's SQL; false on any error.
bool OneRequest(pqxx::connection& conn, const std::string& id,
                const std::string& market) {
  absl::StatusOr<pcs::StoredPattern> p = pcs::PatternEventStore(conn).Load(id);
  if (!p.ok()) return false;
  const int window = pcs::FeatureBuilder::kHistoryBars;
  const int day = static_cast<int>(p->pattern.confirmation_day);
  try {
    conn.prepare("floor_last_bars", pcs::LastBarsSql());
    pqxx::nontransaction tx(conn);
    const pqxx::result bars =
        tx.exec_prepared("floor_last_bars", p->pattern.symbol, day, window);
    const pqxx::result proxy =
        tx.exec_prepared("floor_last_bars", market, day, window);
    return !bars.empty() && !proxy.empty();
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) {
    std::cerr << "usage: db_floor_bench --ids FILE [--first N] [--count N] "
                 "[-c C] [--rps R] [--market SYM]\n";
    return 2;
  }
  const char* url = std::getenv("PCS_DATABASE_URL");
  std::vector<std::string> ids;
  {
    std::ifstream in(flags.ids_file);
    std::string id;
    for (size_t i = 0; in >> id; ++i) {
      if (i >= flags.first && (flags.count == 0 || ids.size() < flags.count)) {
        ids.push_back(id);
      }
    }
  }
  if (url == nullptr || ids.empty()) {
    std::cerr << "db_floor_bench: need $PCS_DATABASE_URL and ids\n";
    return 2;
  }
  std::vector<double> latency_ms(ids.size(), -1);
  std::atomic<size_t> next{0};
  std::atomic<int> errors{0};
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < flags.concurrency; ++w) {
    workers.emplace_back([&] {
      std::unique_ptr<pqxx::connection> conn;
      try {
        conn = std::make_unique<pqxx::connection>(url);
      } catch (const std::exception& e) {
        std::cerr << "db_floor_bench: cannot connect: " << e.what() << "\n";
        ++errors;
        return;
      }
      for (size_t k = next++; k < ids.size(); k = next++) {
        if (flags.rps > 0) {
          std::this_thread::sleep_until(
              start + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(k / flags.rps)));
        }
        const Clock::time_point t = Clock::now();
        if (!OneRequest(*conn, ids[k], flags.market)) ++errors;
        latency_ms[k] =
            std::chrono::duration<double, std::milli>(Clock::now() - t).count();
      }
    });
  }
  for (auto& w : workers) w.join();
  const double seconds =
      std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> sorted;
  for (double ms : latency_ms) {
    if (ms >= 0) sorted.push_back(ms);  // requests that ran
  }
  if (sorted.empty()) return 1;
  std::sort(sorted.begin(), sorted.end());
  auto q = [&](double p) {
    return sorted[std::min(sorted.size() - 1,
                           static_cast<size_t>(p * sorted.size()))];
  };
  std::printf(
      "{\"n\": %zu, \"errors\": %d, \"rps\": %.1f, \"p50_ms\": %.3f, "
      "\"p99_ms\": %.3f, \"p999_ms\": %.3f, \"max_ms\": %.3f}\n",
      sorted.size(), errors.load(), sorted.size() / seconds, q(0.5), q(0.99),
      q(0.999), sorted.back());
  return 0;
}
