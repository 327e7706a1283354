#include "db/price_bar_store.h"

#include "absl/strings/str_cat.h"
#include "db/transaction.h"

namespace pcs {
namespace {
// Open bounds: +-1e6 days from 1970 (years ~ -768 .. 4707) stays inside
// PostgreSQL's date range.
constexpr Day kDayBound = 1000000;
}  // namespace

Bar BarFromRow(const pqxx::row& row) {
  Bar bar;
  bar.day = row[0].as<Day>();
  bar.open = row[1].as<double>();
  bar.high = row[2].as<double>();
  bar.low = row[3].as<double>();
  bar.close = row[4].as<double>();
  bar.adj_close = row[5].as<double>();
  bar.volume = row[6].as<double>();
  return bar;
}

absl::StatusOr<BarSeries> LoadBarSeries(pqxx::connection& conn,
                                        const std::string& symbol,
                                        std::optional<Day> from,
                                        std::optional<Day> to) {
  BarSeries series;
  series.symbol = symbol;
  try {
    pqxx::read_transaction tx(conn);
    // Day numbers come straight from the date arithmetic (days since epoch).
    const pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT ", kBarSelectList,
                     " FROM price_bars WHERE symbol = $1 "
                     "AND day >= DATE '1970-01-01' + $2::integer "
                     "AND day <= DATE '1970-01-01' + $3::integer ORDER BY day"),
        symbol, from.value_or(-kDayBound), to.value_or(kDayBound));
    series.bars.reserve(rows.size());
    for (const auto& row : rows) series.bars.push_back(BarFromRow(row));
    if (series.bars.empty()) {
      const pqxx::result any = tx.exec_params(
          "SELECT 1 FROM price_bars WHERE symbol = $1 LIMIT 1", symbol);
      if (any.empty()) {
        return absl::NotFoundError(
            absl::StrCat("no price bars for symbol '", symbol, "'"));
      }
    }
  } catch (const std::exception& e) {
    return DatabaseErrorStatus(
        e, absl::StrCat("loading bars of '", symbol, "'"), &conn);
  }
  return series;
}

absl::StatusOr<std::vector<std::string>> ListSymbols(pqxx::connection& conn) {
  std::vector<std::string> symbols;
  try {
    pqxx::read_transaction tx(conn);
    // Loose index scan over the primary key: one probe per symbol instead of
    // reading every bar.
    const pqxx::result rows = tx.exec(
        "WITH RECURSIVE s(symbol) AS ("
        " (SELECT symbol FROM price_bars ORDER BY symbol LIMIT 1)"
        " UNION ALL"
        " SELECT (SELECT p.symbol FROM price_bars p WHERE p.symbol > s.symbol"
        "         ORDER BY p.symbol LIMIT 1) FROM s WHERE s.symbol IS NOT NULL)"
        " SELECT symbol FROM s WHERE symbol IS NOT NULL");
    for (const auto& row : rows) symbols.push_back(row[0].as<std::string>());
  } catch (const std::exception& e) {
    return DatabaseErrorStatus(e, "listing symbols", &conn);
  }
  return symbols;
}

absl::StatusOr<std::optional<Day>> LatestBarDay(pqxx::connection& conn) {
  try {
    pqxx::read_transaction tx(conn);
    const pqxx::row r =
        tx.exec1("SELECT max(day) - DATE '1970-01-01' FROM price_bars");
    if (r[0].is_null()) return std::optional<Day>();
    return std::optional<Day>(r[0].as<Day>());
  } catch (const std::exception& e) {
    return DatabaseErrorStatus(e, "reading the latest bar day", &conn);
  }
}

}  // namespace pcs
