// `pcs outcomes` on real bars: bars up to mid-2005 first (patterns near the
// end are unresolved, the server scores them), then the rest of the bars
// arrive; the outcome job resolves them through the backfill's incremental
// path and joins the server's predictions to the outcomes.
#include "monitoring/outcome_job.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ingest/ingester.h"
#include "model/model_card.h"
#include "monitoring/rolling_accuracy.h"
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

  // The served policy over resolved outcomes: the committed champion
  // (models/phase5/CHAMPION) served the 2003-2005 patterns with ml 0.9. Its
  // policy (w 0.5, t 0.435: 0.45 + 0.5 rule >= t) confirms every one of them;
  // rule-only confirms those with rule >= 0.5.
  const std::string models_dir = PCS_SOURCE_DIR "/models/phase5";
  absl::StatusOr<std::optional<std::string>> champion =
      ReadChampion(models_dir);
  ASSERT_TRUE(champion.ok() && champion->has_value()) << champion.status();
  {
    pqxx::work tx(conn);
    tx.exec_params(
        "INSERT INTO prediction_traces (pattern_id, state, rule_confidence, "
        "  ml_confidence, blended_confidence, model_version) "
        "SELECT id, 'confirmed', rule_confidence, 0.9, "
        "  0.5 * rule_confidence + 0.45, $1 FROM pattern_events "
        "WHERE outcome_label IS NOT NULL "
        "  AND confirmation_date < '2006-01-01'",
        **champion);
    tx.commit();
  }
  const std::string resolved =
      "FROM pattern_events WHERE outcome_label IS NOT NULL "
      "AND confirmation_date < '2006-01-01'";
  const int64_t rows = Count(conn, "SELECT count(*) " + resolved);
  const int64_t positives =
      Count(conn, "SELECT count(*) " + resolved + " AND outcome_label = 1");
  const int64_t rule_confirmed = Count(
      conn, "SELECT count(*) " + resolved + " AND rule_confidence >= 0.5");
  const int64_t rule_tp =
      Count(conn, "SELECT count(*) " + resolved +
                      " AND rule_confidence >= 0.5 AND outcome_label = 1");
  ASSERT_GT(rows, 30);
  ASSERT_LT(rows, 500);  // all of them in the last_500 window
  o.model.models_dir = models_dir;
  auto fourth = RunOutcomeJob(o);
  ASSERT_TRUE(fourth.ok()) << fourth.status();
  std::printf("%s", fourth->ToText().c_str());
  EXPECT_EQ(fourth->predictions_joined, rows);
  EXPECT_EQ(fourth->model_version, **champion);
  ASSERT_TRUE(fourth->policy.has_value()) << fourth->policy_note;
  const WindowAccuracy& w = fourth->policy->windows[0];
  EXPECT_EQ(w.window, "last_500");
  EXPECT_EQ(w.rows, rows);
  EXPECT_EQ(w.positives, positives);
  EXPECT_EQ(w.policy.confirmed, rows);
  EXPECT_DOUBLE_EQ(*w.policy_confirmation_rate, 1.0);
  EXPECT_DOUBLE_EQ(*w.policy_tp_rate, 1.0);
  EXPECT_DOUBLE_EQ(*w.policy.precision, static_cast<double>(positives) / rows);
  EXPECT_EQ(w.rule.confirmed, rule_confirmed);
  EXPECT_EQ(w.rule.true_positives, rule_tp);
  EXPECT_DOUBLE_EQ(*w.rule_tp_rate, static_cast<double>(rule_tp) / positives);
  const std::string prom = fourth->ToPrometheusText();
  for (const std::string& line :
       {std::string("pcs_outcomes_confirmation_rate{scorer=\"policy\","
                    "window=\"last_500\"} 1\n"),
        std::string("pcs_outcomes_tp_rate{scorer=\"policy\",window=\"last_"
                    "500\"} 1\n"),
        absl::StrCat("pcs_outcomes_rows{window=\"last_500\"} ", rows, "\n"),
        absl::StrCat("pcs_outcomes_model_info{version=\"", **champion,
                     "\"} 1\n")}) {
    EXPECT_NE(prom.find(line), std::string::npos) << line << "\n" << prom;
  }
  EXPECT_NE(fourth->ToJson()["policy"]["windows"][0]["policy_tp_rate"],
            nullptr);
  // The policy alert: its precision below the rule's by more than the
  // champion card's tolerance (2 points), on the textfile and in the text.
  const bool below = *w.policy.precision < *w.rule.precision - 0.02;
  EXPECT_NE(prom.find(absl::StrCat(
                "pcs_outcomes_policy_precision_alert{window=\"last_500\"} ",
                below ? 1 : 0, "\n")),
            std::string::npos)
      << prom;
  EXPECT_NE(fourth->ToText().find(below ? "policy alert: ALERT: policy "
                                        : "policy alert: none"),
            std::string::npos)
      << fourth->ToText();
}

}  // namespace
}  // namespace pcs
