#ifndef PCS_PIPELINE_BACKFILL_JOB_H_
#define PCS_PIPELINE_BACKFILL_JOB_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/bar.h"
#include "db/pattern_event_store.h"
#include "lifecycle/pattern_detector.h"

namespace pcs {

// What RunBackfill does. Every default is the one `pcs backfill` uses.
struct BackfillOptions {
  // libpq conninfo of a migrated database holding price_bars. Required.
  std::string conninfo;
  // Symbols to process; empty = every symbol in price_bars except
  // `market_symbol` (unless include_market_symbol).
  std::vector<std::string> symbols;
  // Only patterns whose confirmation day is in [from, to] are stored.
  // Detection and labelling always see the symbol's whole series, so a
  // pattern near `from` still has its formation bars and one near `to`
  // still has its outcome bars.
  std::optional<Day> from;
  std::optional<Day> to;
  // Triple-barrier horizon in bars after the confirmation bar.
  int horizon_bars = 40;
  // The market proxy (an ETF, not a stock): features use it as market
  // context, and by default no patterns are detected on it, so base rates
  // describe single stocks only. Listing it in `symbols` explicitly also
  // includes it.
  std::string market_symbol = "DIA";
  bool include_market_symbol = false;
  // Worker threads; each has its own database connection. Clamped to
  // [1, number of symbols].
  int workers = 2;
  // One progress line per finished symbol on stderr (the command turns this
  // on only when stderr is a terminal).
  bool show_progress = false;
  DetectorOptions detector;
};

// What one run did. Pattern counts cover the patterns the run stored (those
// with confirmation day in [from, to]), whether new, updated or unchanged.
struct BackfillSummary {
  int symbols_total = 0;
  int symbols_done = 0;
  int64_t bars_read = 0;
  // "SYMBOL: error" for each symbol that failed; the others are committed.
  std::vector<std::string> failures;
  std::map<std::string, int64_t> patterns_by_type;  // PatternTypeName -> n
  std::map<int, int64_t> patterns_by_year;          // confirmation year -> n
  int64_t patterns = 0;
  int64_t resolved = 0;
  int64_t unresolved = 0;
  int64_t label_positive = 0;  // resolved with label 1
  UpsertCounts upserts;
  double seconds = 0;  // wall time of the run
  // Wall time spent in each step, summed over the workers.
  double load_seconds = 0;    // LoadBarSeries
  double detect_seconds = 0;  // BuildPatternRecords (detect + label)
  double upsert_seconds = 0;  // PatternEventStore::Upsert

  // Share of label 1 among resolved patterns (0 when none resolved).
  double BaseRate() const;
  // Human-readable multi-line summary.
  std::string ToText() const;
};

// The records the backfill stores for one symbol's series: every pattern
// DetectPatterns finds whose confirmation day is in [from, to], its
// LabelOutcome, its lifecycle state and its state sequence
// (PatternLifecycleManager::StateSequence). Pure; thread-safe.
std::vector<PatternRecord> BuildPatternRecords(const BarSeries& series,
                                               const BackfillOptions& options);

// Detects, labels and upserts patterns for every requested symbol
// (LoadBarSeries -> BuildPatternRecords -> PatternEventStore::Upsert, one
// transaction per symbol), in `workers` threads.
//
// Idempotent: ids are Pattern::Id() and only changed rows are written, so a
// second run over the same bars reports everything unchanged and adds no
// history. Incremental: after more bars are ingested, a run adds the newly
// confirmed patterns and resolves the ones that were unresolved (their
// label goes from NULL to 0/1 and a confirmed -> target_hit | stopped_out |
// expired history row is added). Patterns are never deleted.
//
// Returns an error only when the run cannot start (connection, symbol list);
// per-symbol failures are listed in BackfillSummary::failures.
absl::StatusOr<BackfillSummary> RunBackfill(const BackfillOptions& options);

}  // namespace pcs

#endif  // PCS_PIPELINE_BACKFILL_JOB_H_
