#include "db/price_bar_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "db/transaction.h"

namespace pcs {
namespace {
// Open bounds: +-1e6 days from 1970 (years ~ -768 .. 4707) stays inside
// PostgreSQL's date range.
constexpr Day kDayBound = 1000000;
}  // namespace

namespace {

// absl's parsers on the field text: several times faster than libpqxx 6's
// stream-based as<double>() on the 3,500 fields of one window. Text they
// do not take goes to as<>(), which throws as before.
double Double(const pqxx::field& f) {
  double v = 0;
  return absl::SimpleAtod(f.c_str(), &v) ? v : f.as<double>();
}

}  // namespace

Bar BarFromRow(const pqxx::row& row) {
  Bar bar;
  if (!absl::SimpleAtoi(row[0].c_str(), &bar.day)) bar.day = row[0].as<Day>();
  bar.open = Double(row[1]);
  bar.high = Double(row[2]);
  bar.low = Double(row[3]);
  bar.close = Double(row[4]);
  bar.adj_close = Double(row[5]);
  bar.volume = Double(row[6]);
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

const std::string& LastBarsSql() {
  // Newest first through the (symbol, day) key (LoadLastBars reverses).
  static const std::string kSql = absl::StrCat(
      "SELECT ", kBarSelectList,
      " FROM price_bars WHERE symbol = $1 AND day <= DATE '1970-01-01' + "
      "$2::int ORDER BY day DESC LIMIT $3");
  return kSql;
}

absl::StatusOr<std::vector<Bar>> LoadLastBars(pqxx::connection& conn,
                                              const std::string& symbol,
                                              Day up_to, int limit) {
  return RunInTransaction<pqxx::nontransaction>(
      conn, absl::StrCat("loading bars of ", symbol),
      [&](pqxx::nontransaction& tx) -> absl::StatusOr<std::vector<Bar>> {
        conn.prepare("pcs_last_bars", LastBarsSql());
        const pqxx::result rows = tx.exec_prepared(
            "pcs_last_bars", symbol, static_cast<int>(up_to), limit);
        std::vector<Bar> bars;
        bars.reserve(rows.size());
        for (auto row = rows.rbegin(); row != rows.rend(); ++row) {
          bars.push_back(BarFromRow(*row));
        }
        return bars;
      });
}

absl::StatusOr<std::vector<SymbolExtent>> ListSymbolExtents(
    pqxx::connection& conn) {
  return RunInTransaction<pqxx::read_transaction>(
      conn, "listing symbols with their bar counts",
      [](pqxx::read_transaction& tx)
          -> absl::StatusOr<std::vector<SymbolExtent>> {
        std::vector<SymbolExtent> out;
        for (const pqxx::row& row : tx.exec(
                 "SELECT b.symbol, b.n, b.last - DATE '1970-01-01', "
                 "p.newest - DATE '1970-01-01' FROM (SELECT symbol, count(*) "
                 "AS n, max(day) AS last FROM price_bars GROUP BY symbol) b "
                 "LEFT JOIN (SELECT symbol, max(confirmation_date) AS newest "
                 "FROM pattern_events GROUP BY symbol) p USING (symbol) "
                 "ORDER BY b.symbol")) {
          SymbolExtent e{row[0].as<std::string>(), row[1].as<int64_t>(),
                         row[2].as<Day>(), std::nullopt};
          if (!row[3].is_null()) e.newest_pattern_day = row[3].as<Day>();
          out.push_back(std::move(e));
        }
        return out;
      });
}

}  // namespace pcs
