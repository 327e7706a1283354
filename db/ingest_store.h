#ifndef PCS_DB_INGEST_STORE_H_
#define PCS_DB_INGEST_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/bar.h"
#include "db/database.h"

namespace pcs {

// One rejected CSV row (or, as line 0, a refused file) for ingest_rejects.
struct IngestReject {
  int line = 0;
  std::string raw;
  std::string reason;  // machine class, e.g. "non_numeric", "bad_file"
  std::string detail;  // human text
};

// One file of a batch: its valid bars and its rejects.
struct IngestFile {
  std::string symbol;
  std::string path;            // absolute; stored as source_file / file
  absl::Span<const Bar> bars;  // strictly increasing by day; borrowed
  std::vector<IngestReject> rejects;
};

// What LoadBatch did to one file's bars (unchanged = bars - both).
struct IngestFileCounts {
  int64_t inserted = 0;
  int64_t updated = 0;
};

// The ingest_runs row's totals.
struct IngestRunTotals {
  int files = 0;
  int64_t rows_read = 0;
  int64_t inserted = 0;
  int64_t updated = 0;
  int64_t unchanged = 0;
  int64_t rejected = 0;
  int failed_files = 0;
};

// The write side of `pcs ingest`: price_bars, ingest_rejects, ingest_runs
// (the read side of price_bars is db/price_bar_store.h).
//
// LoadBatch writes one batch of files in one transaction, holding an
// advisory lock so that ingesters in other processes take turns per batch:
// the files go through COPY into a temporary staging table; bars of a symbol
// with no bar yet go by COPY straight into price_bars (they cannot conflict,
// and the lock keeps other ingesters from adding the symbol); the others go
// through a staging table and one INSERT ... ON CONFLICT (symbol, day) DO
// UPDATE ... WHERE the values changed, which tells inserted, updated and
// unchanged bars apart and makes a re-ingest write nothing. The rejects
// replace those of earlier ingests of the same file.
//
// Errors: absl::Status as db/transaction.h maps them, with the files named.
// Threading: one IngestStore per connection, one thread at a time.
//
// Example:
//   IngestStore store(*conn);
//   absl::StatusOr<int64_t> run = store.StartRun("data/ohlcv");
//   auto counts = store.LoadBatch(*run, files);
//   store.FinishRun(*run, totals);
class IngestStore {
 public:
  explicit IngestStore(DbConnection& conn) : conn_(conn) {}

  // Inserts the ingest_runs row; returns its id.
  absl::StatusOr<int64_t> StartRun(const std::string& paths);

  // Loads `batch` (symbols distinct within it) as described above; one
  // IngestFileCounts per file, in batch order.
  absl::StatusOr<std::vector<IngestFileCounts>> LoadBatch(
      int64_t run_id, const std::vector<IngestFile>& batch);

  // Sets finished_at and the totals of the run.
  absl::Status FinishRun(int64_t run_id, const IngestRunTotals& totals);

 private:
  DbConnection& conn_;
};

}  // namespace pcs

#endif  // PCS_DB_INGEST_STORE_H_
