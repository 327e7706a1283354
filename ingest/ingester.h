#ifndef PCS_INGEST_INGESTER_H_
#define PCS_INGEST_INGESTER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "db/database.h"

namespace pcs {

struct IngestOptions {
  // Symbol for the bars; only allowed with exactly one file. Default: each
  // file's name without extension.
  std::optional<std::string> symbol;
  // Files parsed and loaded per transaction (one COPY into a staging table,
  // then one upsert). Files with the same symbol never share a batch.
  int files_per_batch = 64;
  // Called after each file is read (done = files read so far), e.g. for a
  // progress line. Optional; called on the calling thread.
  std::function<void(int done, int total, const std::string& path)> progress;
  // Follow symbolic links in a folder that point outside it (default: such
  // links are refused files, listed with their reason).
  bool follow_symlinks = false;
};

// What happened to one file (or, for the totals, to all files).
struct FileIngestSummary {
  std::string path;  // absolute, normalised (also stored in the tables)
  std::string symbol;
  std::string format;       // "yahoo" / "stooq"; "" when the file failed
  int64_t rows_read = 0;    // data rows (excluding the header)
  int64_t inserted = 0;     // new bars
  int64_t updated = 0;      // bars that existed with other values
  int64_t unchanged = 0;    // bars that existed with the same values
  int64_t rejected = 0;     // rows not loaded (see rejects_by_reason)
  int64_t zero_volume = 0;  // loaded bars with volume 0 (a warning class)
  std::map<std::string, int64_t> rejects_by_reason;
  // Non-empty when the whole file was refused (not a CSV, unknown or
  // missing columns, unreadable): nothing of it was loaded.
  std::string error;

  int64_t loaded() const { return inserted + updated + unchanged; }
};

struct IngestSummary {
  int64_t run_id = 0;                    // ingest_runs.id
  std::vector<FileIngestSummary> files;  // in load order
  FileIngestSummary total;               // sums; path = "TOTAL"
  int failed_files = 0;                  // files with a non-empty error
};

// Loads OHLCV CSV files into `price_bars`.
//
// The files are read and checked here (ingest/ohlcv_csv_reader.h); the
// writing is db/ingest_store.h's: each batch of files is one transaction,
// the valid bars go through COPY, then one INSERT ... ON CONFLICT (symbol,
// day) DO UPDATE ... WHERE the values changed, which tells inserted, updated
// and unchanged bars apart. Every rejected row (and every refused file, as
// line 0) goes to `ingest_rejects`, replacing the rejects of earlier ingests
// of the same file, and each call records one `ingest_runs` row. Ingesting
// the same files again leaves price_bars identical (0 inserted, 0 updated).
//
// Fatal errors (a path that does not exist, --symbol with several files,
// database errors) return a Status and stop the run; per-file problems
// (a file that is not an OHLCV CSV) are recorded and the run continues.
//
// Threading: one Ingester per connection; not thread-safe.
//
// Example:
//   auto conn = db->Connect();
//   Ingester ingester(**conn, {});
//   auto summary = ingester.Run({"../shared/data/ohlcv"});
//   std::cout << FormatIngestSummary(*summary, /*per_file=*/true);
class Ingester {
 public:
  Ingester(DbConnection& conn, IngestOptions options);

  // `paths`: files and folders (folders contribute their *.csv files, sorted
  // by name, not recursive).
  absl::StatusOr<IngestSummary> Run(const std::vector<std::string>& paths);

 private:
  DbConnection& conn_;
  IngestOptions options_;
};

// The CSV files named by `paths` (files as given, folders expanded), as
// absolute normalised paths. NotFound naming the first path that does not
// exist; InvalidArgument for a folder without CSV files. In a folder, a
// symbolic link whose target lies outside that folder is not followed unless
// `follow_symlinks` (`pcs ingest --follow-symlinks`): it is left out and,
// when `refused` is given, appended there. A file named explicitly is read
// as given.
absl::StatusOr<std::vector<std::string>> ExpandCsvPaths(
    const std::vector<std::string>& paths, bool follow_symlinks = false,
    std::vector<std::string>* refused = nullptr);

// Human-readable table: one line per file (when `per_file`), then the totals
// and the reject counts by reason.
std::string FormatIngestSummary(const IngestSummary& summary, bool per_file);

}  // namespace pcs

#endif  // PCS_INGEST_INGESTER_H_
