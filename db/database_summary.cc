#include "db/database_summary.h"

#include "db/transaction.h"

namespace pcs {
namespace {

std::vector<std::pair<std::string, int64_t>> Counts(pqxx::transaction_base& tx,
                                                    const char* sql) {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& r : tx.exec(sql)) {
    out.emplace_back(r[0].as<std::string>(), r[1].as<int64_t>());
  }
  return out;
}

}  // namespace

absl::StatusOr<DatabaseSummary> LoadDatabaseSummary(DbConnection& conn) {
  return RunInTransaction<pqxx::read_transaction>(
      conn, "reading status",
      [](pqxx::read_transaction& tx) -> absl::StatusOr<DatabaseSummary> {
        DatabaseSummary s;
        const pqxx::row bars = tx.exec1(
            "SELECT count(*), count(DISTINCT symbol), "
            "min(day) - DATE '1970-01-01', max(day) - DATE '1970-01-01', "
            "count(*) FILTER (WHERE volume = 0) FROM price_bars");
        s.bars = bars[0].as<int64_t>();
        s.symbols = bars[1].as<int64_t>();
        if (!bars[2].is_null()) s.first_day = bars[2].as<Day>();
        if (!bars[3].is_null()) s.last_day = bars[3].as<Day>();
        s.zero_volume_bars = bars[4].as<int64_t>();
        s.rejects_by_reason = Counts(
            tx,
            "SELECT reason, count(*) FROM ingest_rejects GROUP BY reason "
            "ORDER BY reason");
        s.ingest_runs =
            tx.exec1("SELECT count(*) FROM ingest_runs")[0].as<int64_t>();
        s.patterns_by_state =
            Counts(tx,
                   "SELECT lifecycle_state, count(*) FROM pattern_events "
                   "GROUP BY lifecycle_state ORDER BY lifecycle_state");
        return s;
      });
}

}  // namespace pcs
