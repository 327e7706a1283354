#ifndef PCS_SNAPSHOTS_SNAPSHOT_BACKFILL_H_
#define PCS_SNAPSHOTS_SNAPSHOT_BACKFILL_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "snapshots/chart_snapshot_store.h"

namespace pcs {

struct SnapshotBackfillOptions {
  // PostgreSQL conninfo (pattern_events, price_bars, chart_snapshots).
  std::string conninfo = {};
  // Only these symbols (default: every symbol with a stored pattern).
  std::vector<std::string> symbols = {};
  // Worker threads; each holds its own connection and takes whole symbols.
  int workers = 2;
  // Called after each symbol (from worker threads, serialised) with the
  // symbols done, the total and the running counts.
  std::function<void(int done, int total, const SnapshotCounts&)> progress =
      nullptr;
};

struct SnapshotBackfillReport {
  int symbols = 0;
  SnapshotCounts counts;
  std::vector<std::string> failures;  // "SYMBOL: error"
  double seconds = 0;
};

// `pcs snapshots`: renders and records the chart snapshots of every stored
// pattern (ChartSnapshotStore), symbol by symbol: one bar query and one
// pattern query per symbol, one catalog transaction per symbol. Idempotent:
// a second run writes no blob and changes no row (same bytes, same hashes).
// A failing symbol is listed in `failures`; the others still run.
absl::StatusOr<SnapshotBackfillReport> RunSnapshotBackfill(
    const SnapshotBackfillOptions& options, ChartSnapshotStore& store);

}  // namespace pcs

#endif  // PCS_SNAPSHOTS_SNAPSHOT_BACKFILL_H_
