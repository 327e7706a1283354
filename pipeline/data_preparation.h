#ifndef PCS_PIPELINE_DATA_PREPARATION_H_
#define PCS_PIPELINE_DATA_PREPARATION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pcs {

// Fills a migrated database from a folder of OHLCV CSVs: ingest every CSV
// (ingest/ingester.h), then detect and label patterns
// (pipeline/backfill_job.h). Used by `pcs train --ingest-from` and `pcs
// evaluate --data`, so one command can go from raw files to a trained or
// evaluated model.
//
// Threading: runs on the calling thread; the backfill uses `workers` threads.
struct PreparationOptions {
  std::string conninfo;
  std::string folder;
  std::vector<std::string> symbols;  // backfill only these (empty = all)
  int workers = 2;
  int horizon_bars = 40;
};

struct PreparationSummary {
  std::string ingest_text;    // FormatIngestSummary (totals only)
  std::string backfill_text;  // BackfillSummary::ToText
  int64_t bars_loaded = 0;
  int64_t patterns = 0;
  int64_t resolved = 0;
  double ingest_seconds = 0;
  double backfill_seconds = 0;
  int failed_files = 0;
  std::vector<std::string> backfill_failures;
};

absl::StatusOr<PreparationSummary> PrepareDatabase(
    const PreparationOptions& options);

}  // namespace pcs

#endif  // PCS_PIPELINE_DATA_PREPARATION_H_
