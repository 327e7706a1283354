// `pcs outcomes` on real bars: bars up to mid-2005 first (patterns near the
// end are unresolved, the server scores them), then the rest of the bars
// arrive; the outcome job resolves them through the backfill's incremental
// path and joins the server's predictions to the outcomes.
#include "monitoring/outcome_job.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ingest/ingester.h"
#include "pqxx/pqxx"
#include "tests/test_util/shared_data.h"
#include "tests/test_util/test_database.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kSymbols = {"AAPL", "ADBE", "AMGN", "ADI",
                                           "ALB",  "AMAT", "DIA"};

// Copies of the shared files holding only rows dated <= `last` (header kept).
std::vector<std::string> TruncatedCopies(const std::string& dir,
                                         const std::string& last) {
  fs::create_directories(dir);
  std::vector<std::string> out;
  for (const std::string& s : kSymbols) {
    std::ifstream in(testing::SharedOhlcvFile(s));
    const std::string path = dir + "/" + s + ".csv";
    std::ofstream copy(path);
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
      if (header || line.substr(0, 10) <= last) copy << line << "\n";
      header = false;
    }
    out.push_back(path);
  }
  return out;
}

void Ingest(pqxx::connection& conn, const std::vector<std::string>& files) {
  auto summary = Ingester(conn, IngestOptions{}).Run(files);
  ASSERT_TRUE(summary.ok()) << summary.status();
  ASSERT_EQ(summary->failed_files, 0);
}

int64_t Count(pqxx::connection& conn, const std::string& sql) {
  pqxx::read_transaction tx(conn);
  return tx.exec1(sql)[0].as<int64_t>();
}

TEST(OutcomeJobTest, ResolvesOnNewBarsAndJoinsPredictions) {
  const std::string conninfo = testing::TestDatabase::FreshDatabase();
  pqxx::connection conn(conninfo);
  const std::string dir = ::testing::TempDir() + "/pcs_outcomes_truncated";
  fs::remove_all(dir);
  Ingest(conn, TruncatedCopies(dir, "2005-06-30"));

  OutcomeJobOptions o;
  o.conninfo = conninfo;
  auto first = RunOutcomeJob(o);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->scan_from.has_value());  // nothing stored: full backfill
  EXPECT_GT(first->patterns_inserted, 0);
  ASSERT_GT(first->unresolved_after, 0)
      << "no pattern near the cut is unresolved";
  EXPECT_EQ(first->predictions_joined, 0);
  EXPECT_GT(first->run_id, 0);

  // The server scored every unresolved pattern.
  {
    pqxx::work tx(conn);
    tx.exec(
        "INSERT INTO prediction_traces (pattern_id, state, "
        "  rule_confidence, ml_confidence, blended_confidence, model_version) "
        "SELECT id, 'confirmed', rule_confidence, 0.6, "
        "  0.5 * rule_confidence + 0.3, 'v1' FROM pattern_events "
        "WHERE outcome_label IS NULL AND exit_reason IS NULL");
    tx.commit();
  }
  const int64_t predictions = first->unresolved_after;

  // The rest of the bars arrive.
  std::vector<std::string> full;
  for (const std::string& s : kSymbols)
    full.push_back(testing::SharedOhlcvFile(s));
  Ingest(conn, full);
  auto second = RunOutcomeJob(o);
  ASSERT_TRUE(second.ok()) << second.status();
  std::printf(
      "[outcomes] first run: %lld patterns, %lld unresolved; second run from "
      "%s: "
      "%lld updated, %lld inserted, %lld predictions joined, %lld unresolved\n",
      static_cast<long long>(first->patterns_inserted),
      static_cast<long long>(first->unresolved_after),
      second->scan_from ? FormatDay(*second->scan_from).c_str() : "-",
      static_cast<long long>(second->patterns_updated),
      static_cast<long long>(second->patterns_inserted),
      static_cast<long long>(second->predictions_joined),
      static_cast<long long>(second->unresolved_after));
  ASSERT_TRUE(second->scan_from.has_value());
  EXPECT_LE(*second->scan_from, *ParseDay("2005-06-30"));
  EXPECT_EQ(second->unresolved_before, predictions);
  EXPECT_EQ(second->resolved,
            predictions);  // all of them had their horizon by 2018
  EXPECT_GT(second->patterns_inserted, 0);  // patterns confirmed after mid-2005
  EXPECT_GE(second->patterns_updated, predictions);  // all of them got a label
  EXPECT_EQ(second->predictions_joined, predictions);
  // Every joined row carries its pattern's label.
  EXPECT_EQ(Count(conn,
                  "SELECT count(*) FROM prediction_traces h JOIN "
                  "pattern_events e "
                  "ON e.id = h.pattern_id "
                  "WHERE h.actual_outcome = e.outcome_label"),
            predictions);
  EXPECT_EQ(Count(conn,
                  "SELECT count(*) FROM prediction_traces h JOIN "
                  "pattern_events e "
                  "ON e.id = h.pattern_id "
                  "WHERE h.actual_outcome IS DISTINCT FROM e.outcome_label"),
            0);

  auto third = RunOutcomeJob(o);  // nothing new: idempotent
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->patterns_inserted, 0);
  EXPECT_EQ(third->patterns_updated, 0);
  EXPECT_EQ(third->predictions_joined, 0);
  EXPECT_EQ(
      Count(conn,
            "SELECT count(*) FROM monitoring_runs WHERE kind = 'outcomes'"),
      3);
}

}  // namespace
}  // namespace pcs
