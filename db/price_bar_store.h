#ifndef PCS_DB_PRICE_BAR_STORE_H_
#define PCS_DB_PRICE_BAR_STORE_H_

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

}  // namespace pcs

#endif  // PCS_DB_PRICE_BAR_STORE_H_
