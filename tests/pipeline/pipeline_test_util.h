#ifndef PCS_TESTS_PIPELINE_PIPELINE_TEST_UTIL_H_
#define PCS_TESTS_PIPELINE_PIPELINE_TEST_UTIL_H_

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ingest/ingester.h"
#include "pqxx/pqxx"
#include "tests/test_util/shared_data.h"

namespace pcs::testing {

// Ingests `paths` (CSV files) into the database at `conninfo` with the
// project's ingester; fails the test on any error.
inline void IngestFiles(const std::string& conninfo,
                        const std::vector<std::string>& paths) {
  pqxx::connection conn(conninfo);
  Ingester ingester(conn, {});
  absl::StatusOr<IngestSummary> summary = ingester.Run(paths);
  ASSERT_TRUE(summary.ok()) << summary.status();
  ASSERT_EQ(summary->failed_files, 0);
}

inline void IngestShared(const std::string& conninfo,
                         const std::vector<std::string>& symbols) {
  std::vector<std::string> paths;
  for (const std::string& s : symbols) paths.push_back(SharedOhlcvFile(s));
  IngestFiles(conninfo, paths);
}

// Every pattern_events row (all backfill-owned columns, not timestamps) as
// text, ordered by id: equal vectors mean identical stored rows.
inline std::vector<std::string> PatternRows(const std::string& conninfo) {
  pqxx::connection conn(conninfo);
  pqxx::work tx(conn);
  std::vector<std::string> out;
  for (const pqxx::row& row : tx.exec(
           "SELECT (id, symbol, pattern_type, direction, formation_start, "
           "formation_end, confirmation_date, key_points, breakout_level, "
           "target_price, stop_price, rule_confidence, rule_criteria, "
           "lifecycle_state, detector_version, outcome_label, realized_pnl, "
           "max_drawdown, bars_to_outcome, exit_reason, outcome_horizon_bars, "
           "outcome_resolved_at)::text FROM pattern_events ORDER BY id")) {
    out.push_back(row[0].as<std::string>());
  }
  return out;
}

inline int64_t CountRows(const std::string& conninfo, const std::string& sql) {
  pqxx::connection conn(conninfo);
  pqxx::work tx(conn);
  return tx.exec1(sql)[0].as<int64_t>();
}

}  // namespace pcs::testing

#endif  // PCS_TESTS_PIPELINE_PIPELINE_TEST_UTIL_H_
