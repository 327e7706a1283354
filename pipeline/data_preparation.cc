#include "pipeline/data_preparation.h"

#include <chrono>

#include "absl/status/status.h"
#include "db/database.h"
#include "ingest/ingester.h"
#include "pipeline/backfill_job.h"

namespace pcs {

absl::StatusOr<PreparationSummary> PrepareDatabase(
    const PreparationOptions& o) {
  PreparationSummary out;
  const auto t0 = std::chrono::steady_clock::now();
  {
    absl::StatusOr<std::unique_ptr<DbConnection>> conn =
        Database::ConnectTo(o.conninfo);
    if (!conn.ok()) return conn.status();
    Ingester ingester(**conn, IngestOptions{});
    absl::StatusOr<IngestSummary> ingest = ingester.Run({o.folder});
    if (!ingest.ok()) return ingest.status();
    out.ingest_text = FormatIngestSummary(*ingest, /*per_file=*/false);
    out.bars_loaded = ingest->total.loaded();
    out.failed_files = ingest->failed_files;
  }
  const auto t1 = std::chrono::steady_clock::now();
  BackfillOptions b;
  b.conninfo = o.conninfo;
  b.symbols = o.symbols;
  b.workers = o.workers;
  b.horizon_bars = o.horizon_bars;
  absl::StatusOr<BackfillSummary> backfill = RunBackfill(b);
  if (!backfill.ok()) return backfill.status();
  const auto t2 = std::chrono::steady_clock::now();
  out.backfill_text = backfill->ToText();
  out.patterns = backfill->patterns;
  out.resolved = backfill->resolved;
  out.backfill_failures = backfill->failures;
  out.ingest_seconds = std::chrono::duration<double>(t1 - t0).count();
  out.backfill_seconds = std::chrono::duration<double>(t2 - t1).count();
  return out;
}

}  // namespace pcs
