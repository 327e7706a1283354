// Fuzz target: the OHLCV CSV reader (ingest/ohlcv_csv_reader.h) on any
// bytes. Besides "no crash, no sanitizer report", it checks the reader's
// promises on what it accepts: days strictly increasing and within
// [kMinCsvDay, kMaxCsvDay], prices > 0 and finite, low <= high, volume >= 0,
// and every reject's raw text at most kMaxCsvLineBytes.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "ingest/ohlcv_csv_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  absl::StatusOr<pcs::CsvReadResult> r =
      pcs::ReadOhlcvCsvStream(in, "fuzz.csv", "FUZZ");
  if (!r.ok()) return 0;
  const pcs::Bar* previous = nullptr;
  for (const pcs::Bar& b : r->series.bars) {
    if (previous != nullptr && b.day <= previous->day) std::abort();
    if (b.day < pcs::kMinCsvDay || b.day > pcs::kMaxCsvDay) std::abort();
    for (double v : {b.open, b.high, b.low, b.close, b.adj_close}) {
      if (!(v > 0) || !std::isfinite(v)) std::abort();
    }
    if (b.high < b.low || !(b.volume >= 0)) std::abort();
    previous = &b;
  }
  for (const pcs::CsvReject& j : r->rejects) {
    if (j.raw.size() > pcs::kMaxCsvLineBytes) std::abort();
  }
  return 0;
}
