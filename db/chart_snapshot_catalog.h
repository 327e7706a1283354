#ifndef PCS_DB_CHART_SNAPSHOT_CATALOG_H_
#define PCS_DB_CHART_SNAPSHOT_CATALOG_H_

#include <cstdint>
#include <optional>
#include <pqxx/connection>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/bar.h"
#include "db/snapshot_kind.h"

namespace pcs {

// One row of chart_snapshots (migrations/0005): which bytes (by sha256) show
// which pattern, what they cover and who drew them.
struct ChartSnapshotEntry {
  std::string pattern_id;
  SnapshotKind kind = SnapshotKind::kDecision;
  std::string sha256;  // of the bytes; the blob's name
  int64_t size_bytes = 0;
  std::string content_type;  // "image/svg+xml"
  Day first_bar = 0;
  Day last_bar = 0;
  int bar_count = 0;
  std::string renderer_version;
  std::string created_at;  // as loaded (timestamptz text); ignored on write
};

struct CatalogWriteCounts {
  int64_t inserted = 0;   // new (pattern, kind) rows
  int64_t updated = 0;    // rows whose hash or renderer changed
  int64_t unchanged = 0;  // rows already as given
  int64_t urls_set = 0;   // pattern_events.snapshot_url values changed

  CatalogWriteCounts& operator+=(const CatalogWriteCounts& o) {
    inserted += o.inserted;
    updated += o.updated;
    unchanged += o.unchanged;
    urls_set += o.urls_set;
    return *this;
  }
};

// Totals over the whole catalog.
struct CatalogSummary {
  int64_t decision_rows = 0;
  int64_t outcome_rows = 0;
  int64_t distinct_blobs = 0;
  int64_t distinct_bytes = 0;     // sum of size_bytes over distinct hashes
  int64_t patterns = 0;           // rows of pattern_events
  int64_t patterns_with_url = 0;  // ... whose snapshot_url is set
};

// The chart snapshot catalog: table chart_snapshots plus the
// pattern_events.snapshot_url reference to each pattern's decision chart.
// The snapshot bytes themselves live in a blob store (snapshots/).
//
// Threading: like pqxx::connection, one thread at a time per instance; the
// connection is borrowed and must outlive the catalog. Each call runs its own
// transaction. Errors: pqxx exceptions are caught and returned as Status
// (Unavailable for a lost connection, Internal otherwise), naming the call.
class ChartSnapshotCatalog {
 public:
  explicit ChartSnapshotCatalog(pqxx::connection& conn) : conn_(conn) {}

  // Upserts `entries` keyed by (pattern_id, kind) in one transaction (a row
  // changes only when its hash or renderer version differs; created_at is
  // then reset) and sets pattern_events.snapshot_url = url_prefix + sha256 of
  // every decision entry whose URL differs. Idempotent.
  absl::StatusOr<CatalogWriteCounts> Record(
      const std::vector<ChartSnapshotEntry>& entries,
      const std::string& url_prefix);

  // Every snapshot of one pattern (decision first).
  absl::StatusOr<std::vector<ChartSnapshotEntry>> ForPattern(
      const std::string& pattern_id);

  absl::StatusOr<CatalogSummary> Summary();

  // Every hash a catalog row names (what the blob store must keep).
  absl::StatusOr<std::set<std::string>> AllHashes();

 private:
  pqxx::connection& conn_;
};

}  // namespace pcs

#endif  // PCS_DB_CHART_SNAPSHOT_CATALOG_H_
