#ifndef PCS_INGEST_OHLCV_CSV_READER_H_
#define PCS_INGEST_OHLCV_CSV_READER_H_

#include <cstddef>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/bar.h"

namespace pcs {

// One CSV row that failed validation. Nothing is dropped silently: every
// rejected row is reported (and stored in `ingest_rejects` by the ingester).
struct CsvReject {
  std::string file;
  int line = 0;        // 1-based line number in the file (header is line 1)
  std::string raw;     // the raw text of the line
  std::string reason;  // a short machine-friendly class, e.g. "empty_row",
                       // "missing_field" (some fields empty), "non_numeric",
                       // "non_positive_price", "high_lt_low",
                       // "open_close_outside_range", "negative_volume",
                       // "duplicate_date", "date_out_of_order", "bad_date",
                       // "date_out_of_range", "line_too_long",
                       // "wrong_field_count"
  std::string detail;  // human text naming the field and value at fault
};

// The bars of one file plus everything that was rejected from it.
struct CsvReadResult {
  BarSeries series;  // valid rows, strictly increasing by day
  std::vector<CsvReject> rejects;
  int rows_read = 0;         // data rows (excluding the header)
  std::string format;        // "yahoo" (has Adj Close) or "stooq"
  int zero_volume_rows = 0;  // accepted bars with volume 0 (valid, but
                             // worth a warning in summaries)
};

// Relative tolerance of the Open/Close-within-[Low, High] check. The sources
// round every price to 6 significant digits independently, which can move
// Open or Close up to 5e-6 (relative) past High or Low; 1e-5 covers that.
// High < Low is checked without tolerance.
inline constexpr double kOhlcRangeTolerance = 1e-5;

// Longest CSV line read (bytes, without the newline). A longer data line is
// rejected as "line_too_long" (only its first 200 bytes are kept for the
// report), a longer header line refuses the file; the reader never holds
// more than this of one line in memory, so a 1 GB line costs no 1 GB.
inline constexpr size_t kMaxCsvLineBytes = 4096;

// Dates accepted in a CSV row: 1900-01-01 .. 2100-12-31 (days since
// 1970-01-01). A row outside is rejected as "date_out_of_range"; the rows
// after it are unaffected.
inline constexpr Day kMinCsvDay = -25567;  // 1900-01-01
inline constexpr Day kMaxCsvDay = 47846;   // 2100-12-31

// Reads a Yahoo-style (Date,Open,High,Low,Close,Adj Close,Volume) or
// Stooq-style (Date,Open,High,Low,Close,Volume; no Adj Close) CSV; the format
// is detected from the header (names case-insensitive, any column order; "Adj
// Close" may also be spelled adj_close/adjclose). "null" counts as empty.
// The symbol is `symbol` when given, otherwise
// the file name without extension. Returns an error (naming the file) for
// fatal problems: unreadable file, not a CSV, missing/unknown columns.
// Thread-safe (no shared state).
absl::StatusOr<CsvReadResult> ReadOhlcvCsv(
    const std::string& path, std::optional<std::string> symbol = std::nullopt);

// The same on any stream (`path` only names it in messages and rejects);
// used by ReadOhlcvCsv and the fuzz target.
absl::StatusOr<CsvReadResult> ReadOhlcvCsvStream(
    std::istream& in, const std::string& path,
    std::optional<std::string> symbol = std::nullopt);

}  // namespace pcs

#endif  // PCS_INGEST_OHLCV_CSV_READER_H_
