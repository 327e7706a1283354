#ifndef PCS_DB_PRICE_BAR_STORE_H_
#define PCS_DB_PRICE_BAR_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/bar.h"
#include "pqxx/pqxx"

namespace pcs {

// Read access to the `price_bars` table (written by ingest/ingester.h).
// Each function runs its own short read-only transaction on `conn`; the
// caller owns the connection and must not have a transaction open on it.
// Not thread-safe per connection (libpqxx connections are not).

// The select list of every price_bars query that builds Bars, in the order
// BarFromRow reads it (day as days since 1970-01-01).
inline constexpr char kBarSelectList[] =
    "day - DATE '1970-01-01', open, high, low, close, adj_close, volume";

// One row selected with kBarSelectList. Throws what pqxx throws on a bad
// value, so call it inside the caller's try block.
Bar BarFromRow(const pqxx::row& row);

// Bars of `symbol` with from <= day <= to (either bound optional), in
// increasing day order. NotFound when the table has no bar of the symbol at
// all; an empty series when it has bars but none in the range.
absl::StatusOr<BarSeries> LoadBarSeries(pqxx::connection& conn,
                                        const std::string& symbol,
                                        std::optional<Day> from = {},
                                        std::optional<Day> to = {});

// Every symbol with at least one bar, sorted.
absl::StatusOr<std::vector<std::string>> ListSymbols(pqxx::connection& conn);

// The latest day with a bar of any symbol; none when the table is empty.
absl::StatusOr<std::optional<Day>> LatestBarDay(pqxx::connection& conn);

// The last `limit` bars of `symbol` with day <= up_to, in increasing day
// order (fewer when the symbol has fewer): the feature window the server
// reads. One prepared statement (prepared on the connection's first call),
// no BEGIN/COMMIT round trips.
absl::StatusOr<std::vector<Bar>> LoadLastBars(pqxx::connection& conn,
                                              const std::string& symbol,
                                              Day up_to, int limit);
// LoadLastBars' statement ($1 symbol, $2 day number, $3 limit; newest
// first), for bench/db_floor_bench.
const std::string& LastBarsSql();

// How much of one symbol price_bars holds.
struct SymbolExtent {
  std::string symbol;
  int64_t bars = 0;
  Day last_day = 0;
  // The newest confirmation day of the symbol's stored patterns.
  std::optional<Day> newest_pattern_day;
};

// Every symbol with its bar count, last day and newest pattern
// (pattern_events), sorted by symbol (what the server's warm-up sizes its
// loads by).
absl::StatusOr<std::vector<SymbolExtent>> ListSymbolExtents(
    pqxx::connection& conn);

}  // namespace pcs

#endif  // PCS_DB_PRICE_BAR_STORE_H_
