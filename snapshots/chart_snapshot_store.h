#ifndef PCS_SNAPSHOTS_CHART_SNAPSHOT_STORE_H_
#define PCS_SNAPSHOTS_CHART_SNAPSHOT_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/bar.h"
#include "db/chart_snapshot_catalog.h"
#include "db/database.h"
#include "db/pattern_event_store.h"
#include "snapshots/chart_renderer.h"
#include "snapshots/snapshot_blob_store.h"

namespace pcs {

struct ChartSnapshotStoreOptions {
  // pattern_events.snapshot_url = url_prefix + sha256 (the REST route that
  // serves the bytes, server/rest_api.h).
  std::string url_prefix = "/api/v1/snapshots/";
  ChartRenderOptions render;
};

// What one SnapshotPatterns call did.
struct SnapshotCounts {
  int64_t patterns = 0;
  int64_t decision_charts = 0;
  int64_t outcome_charts = 0;
  int64_t blobs_written = 0;  // new bytes stored
  int64_t blobs_present = 0;  // already stored (same hash)
  int64_t bytes_written = 0;
  int64_t skipped = 0;  // patterns that could not be drawn (no bar)
  CatalogWriteCounts catalog;

  SnapshotCounts& operator+=(const SnapshotCounts& o) {
    patterns += o.patterns;
    decision_charts += o.decision_charts;
    outcome_charts += o.outcome_charts;
    blobs_written += o.blobs_written;
    blobs_present += o.blobs_present;
    bytes_written += o.bytes_written;
    skipped += o.skipped;
    catalog += o.catalog;
    return *this;
  }
};

// ChartSnapshotStore: renders each pattern's charts (chart_renderer.h: the
// decision chart strictly as of the decision day; an outcome chart for
// resolved patterns), stores the bytes content-addressed in a
// SnapshotBlobStore and records them in the catalog (db/
// chart_snapshot_catalog.h), which also sets pattern_events.snapshot_url.
//
// Ownership: borrows the blob store. Threading: thread-safe as long as each
// thread passes its own connection.
//
// Example:
//   auto blobs = LocalSnapshotBlobStore::Create(".pcs/snapshots");
//   ChartSnapshotStore store(blobs->get(), {});
//   auto counts = store.SnapshotPatterns(conn, patterns_of_aapl, aapl_bars);
class ChartSnapshotStore {
 public:
  ChartSnapshotStore(SnapshotBlobStore* blobs,
                     ChartSnapshotStoreOptions options = {})
      : blobs_(blobs), options_(std::move(options)) {}

  // Renders and stores the snapshots of `patterns` (all of `bars.symbol`)
  // and records them in one catalog transaction on `conn`. A pattern whose
  // confirmation bar is missing from `bars` is skipped and counted.
  absl::StatusOr<SnapshotCounts> SnapshotPatterns(
      DbConnection& conn, const std::vector<StoredPattern>& patterns,
      const BarSeries& bars);

  // The bytes of one snapshot (by hash).
  absl::StatusOr<std::string> Get(absl::string_view sha256) const {
    return blobs_->Get(sha256);
  }

  const SnapshotBlobStore& blobs() const { return *blobs_; }
  const ChartSnapshotStoreOptions& options() const { return options_; }

 private:
  // Stores one rendered chart; appends its catalog entry.
  absl::Status Store(const std::string& pattern_id, const RenderedChart& chart,
                     std::vector<ChartSnapshotEntry>& entries,
                     SnapshotCounts& counts);

  SnapshotBlobStore* blobs_;
  ChartSnapshotStoreOptions options_;
};

}  // namespace pcs

#endif  // PCS_SNAPSHOTS_CHART_SNAPSHOT_STORE_H_
