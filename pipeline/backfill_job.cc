#include "pipeline/backfill_job.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "db/database.h"
#include "db/price_bar_store.h"
#include "lifecycle/outcome_labeler.h"
#include "lifecycle/pattern_lifecycle_manager.h"

namespace pcs {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

bool InRange(Day day, const BackfillOptions& o) {
  return (!o.from || day >= *o.from) && (!o.to || day <= *o.to);
}

// Totals of one symbol, merged into the summary under the lock.
void Tally(const std::vector<PatternRecord>& records, BackfillSummary& s) {
  for (const PatternRecord& r : records) {
    ++s.patterns;
    ++s.patterns_by_type[std::string(PatternTypeName(r.pattern.type))];
    ++s.patterns_by_year[YearOf(r.pattern.confirmation_day)];
    if (r.outcome.label) {
      ++s.resolved;
      if (*r.outcome.label == 1) ++s.label_positive;
    } else {
      ++s.unresolved;
    }
  }
}

absl::StatusOr<std::vector<std::string>> ResolveSymbols(
    DbConnection& conn, const BackfillOptions& options) {
  if (!options.symbols.empty()) return options.symbols;
  absl::StatusOr<std::vector<std::string>> all = ListSymbols(conn);
  if (!all.ok()) return all.status();
  std::vector<std::string> out;
  for (std::string& s : *all) {
    if (s == options.market_symbol && !options.include_market_symbol) continue;
    out.push_back(std::move(s));
  }
  return out;
}

// State shared by the workers of one run.
class BackfillRun {
 public:
  BackfillRun(const BackfillOptions& options, std::vector<std::string> symbols)
      : options_(options), symbols_(std::move(symbols)) {
    summary_.symbols_total = static_cast<int>(symbols_.size());
  }

  // Processes symbols until none is left. One connection per call.
  void Work() {
    absl::StatusOr<std::unique_ptr<DbConnection>> conn =
        Database::ConnectTo(options_.conninfo);
    if (!conn.ok()) {
      Fail("(worker)", conn.status().ToString());
      return;
    }
    PatternEventStore store(**conn);
    for (size_t i = next_++; i < symbols_.size(); i = next_++) {
      ProcessSymbol(**conn, store, symbols_[i]);
    }
  }

  BackfillSummary TakeSummary() {
    absl::MutexLock lock(&mu_);
    return std::move(summary_);
  }

 private:
  void ProcessSymbol(DbConnection& conn, PatternEventStore& store,
                     const std::string& symbol) {
    const auto t0 = Clock::now();
    absl::StatusOr<BarSeries> series = LoadBarSeries(conn, symbol);
    if (!series.ok()) return Fail(symbol, series.status().ToString());
    const auto t1 = Clock::now();
    const std::vector<PatternRecord> records =
        BuildPatternRecords(*series, options_);
    const auto t2 = Clock::now();
    absl::StatusOr<UpsertCounts> counts = store.Upsert(records, "backfill");
    if (!counts.ok()) return Fail(symbol, counts.status().ToString());
    const auto t3 = Clock::now();
    absl::MutexLock lock(&mu_);
    summary_.load_seconds += Seconds(t1 - t0);
    summary_.detect_seconds += Seconds(t2 - t1);
    summary_.upsert_seconds += Seconds(t3 - t2);
    summary_.bars_read += static_cast<int64_t>(series->bars.size());
    Tally(records, summary_);
    summary_.upserts += *counts;
    ++summary_.symbols_done;
    if (options_.show_progress) {
      absl::FPrintF(stderr, "\r[%d/%d] %-8s %5d patterns (+%d new)   ",
                    summary_.symbols_done, summary_.symbols_total, symbol,
                    records.size(), counts->inserted);
    }
  }

  void Fail(const std::string& symbol, const std::string& message) {
    absl::MutexLock lock(&mu_);
    summary_.failures.push_back(absl::StrCat(symbol, ": ", message));
  }

  const BackfillOptions& options_;
  const std::vector<std::string> symbols_;
  std::atomic<size_t> next_{0};
  absl::Mutex mu_;
  BackfillSummary summary_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

double BackfillSummary::BaseRate() const {
  return resolved == 0 ? 0.0 : static_cast<double>(label_positive) / resolved;
}

std::string BackfillSummary::ToText() const {
  std::string out = absl::StrFormat(
      "backfill: %d/%d symbols, %d bars, %.1f s (summed over workers: "
      "load %.1f s, detect+label %.1f s, upsert %.1f s)\n"
      "patterns: %d (resolved %d, unresolved %d), base rate %.4f "
      "(label 1 among resolved)\n"
      "rows: %d inserted, %d updated, %d unchanged; %d history rows added\n",
      symbols_done, symbols_total, bars_read, seconds, load_seconds,
      detect_seconds, upsert_seconds, patterns, resolved, unresolved,
      BaseRate(), upserts.inserted, upserts.updated, upserts.unchanged,
      upserts.history_rows);
  absl::StrAppend(&out, "by type:\n");
  for (const auto& [type, n] : patterns_by_type) {
    absl::StrAppendFormat(&out, "  %-28s %8d\n", type, n);
  }
  absl::StrAppend(&out, "by confirmation year:\n");
  for (const auto& [year, n] : patterns_by_year) {
    absl::StrAppendFormat(&out, "  %d %8d\n", year, n);
  }
  for (const std::string& f : failures)
    absl::StrAppend(&out, "FAILED ", f, "\n");
  return out;
}

std::vector<PatternRecord> BuildPatternRecords(const BarSeries& series,
                                               const BackfillOptions& options) {
  static const PatternLifecycleManager kManager;
  LabelerOptions labeler;
  labeler.horizon_bars = options.horizon_bars;
  std::vector<PatternRecord> records;
  for (Pattern& p : DetectPatterns(series, options.detector)) {
    if (!InRange(p.confirmation_day, options)) continue;
    PatternRecord r;
    r.outcome = LabelOutcome(series, p, labeler);
    r.transitions = kManager.StateSequence(p, r.outcome);
    r.lifecycle_state = r.transitions.empty() ? LifecycleState::kConfirmed
                                              : r.transitions.back().to;
    r.outcome_horizon_bars = options.horizon_bars;
    r.detector_version = kDetectorVersion;
    r.pattern = std::move(p);
    records.push_back(std::move(r));
  }
  return records;
}

absl::StatusOr<BackfillSummary> RunBackfill(const BackfillOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> symbols;
  {
    absl::StatusOr<std::unique_ptr<DbConnection>> conn =
        Database::ConnectTo(options.conninfo);
    if (!conn.ok()) return conn.status();
    absl::StatusOr<std::vector<std::string>> resolved =
        ResolveSymbols(**conn, options);
    if (!resolved.ok()) return resolved.status();
    symbols = *std::move(resolved);
  }
  BackfillRun run(options, symbols);
  const int workers = std::clamp<int>(
      options.workers, 1, std::max<int>(1, static_cast<int>(symbols.size())));
  std::vector<std::thread> threads;
  for (int i = 0; i < workers; ++i)
    threads.emplace_back([&run] { run.Work(); });
  for (std::thread& t : threads) t.join();
  if (options.show_progress) absl::FPrintF(stderr, "\n");
  BackfillSummary summary = run.TakeSummary();
  const int64_t unaccounted = summary.symbols_total - summary.symbols_done -
                              static_cast<int64_t>(summary.failures.size());
  if (unaccounted > 0) {
    summary.failures.push_back(absl::StrCat(
        unaccounted, " symbols not processed (no worker could connect)"));
  }
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return summary;
}

}  // namespace pcs
