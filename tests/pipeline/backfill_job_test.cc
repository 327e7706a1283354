#include "pipeline/backfill_job.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "db/pattern_event_store.h"
#include "gtest/gtest.h"
#include "ingest/ohlcv_csv_reader.h"
#include "lifecycle/pattern_detector.h"
#include "pqxx/pqxx"
#include "tests/pipeline/pipeline_test_util.h"
#include "tests/test_util/shared_data.h"
#include "tests/test_util/test_database.h"

namespace pcs {
namespace {

using testing::CountRows;
using testing::PatternRows;

// Three real stocks plus the market proxy (which the backfill skips).
const std::vector<std::string> kSymbols = {"AAPL", "AA", "A"};

BackfillOptions Options(const std::string& conninfo) {
  BackfillOptions o;
  o.conninfo = conninfo;
  o.workers = 2;
  return o;
}

TEST(BackfillJobTest, SecondRunChangesNothing) {
  const std::string db = testing::TestDatabase::FreshDatabase();
  std::vector<std::string> symbols = kSymbols;
  symbols.push_back("DIA");
  ASSERT_NO_FATAL_FAILURE(testing::IngestShared(db, symbols));

  absl::StatusOr<BackfillSummary> first = RunBackfill(Options(db));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->failures.empty()) << first->ToText();
  EXPECT_EQ(first->symbols_done, 3);  // DIA excluded
  ASSERT_GT(first->patterns, 0) << first->ToText();
  EXPECT_EQ(first->upserts.inserted, first->patterns);
  EXPECT_EQ(first->resolved + first->unresolved, first->patterns);
  EXPECT_EQ(CountRows(db, "SELECT count(*) FROM pattern_events"),
            first->patterns);
  EXPECT_EQ(
      CountRows(db, "SELECT count(*) FROM pattern_events WHERE symbol = 'DIA'"),
      0);
  EXPECT_EQ(CountRows(db,
                      "SELECT count(*) FROM pattern_events "
                      "WHERE outcome_label = 1"),
            first->label_positive);
  const std::vector<std::string> rows = PatternRows(db);
  const int64_t history =
      CountRows(db, "SELECT count(*) FROM pattern_lifecycle_history");
  EXPECT_EQ(history, first->upserts.history_rows);
  // Every pattern: null->detected, detected->confirmed, plus one resolving row.
  EXPECT_EQ(history, 2 * first->patterns + first->resolved);

  absl::StatusOr<BackfillSummary> second = RunBackfill(Options(db));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->patterns, first->patterns);
  EXPECT_EQ(second->upserts.inserted, 0);
  EXPECT_EQ(second->upserts.updated, 0);
  EXPECT_EQ(second->upserts.unchanged, first->patterns);
  EXPECT_EQ(second->upserts.history_rows, 0);
  EXPECT_EQ(PatternRows(db), rows);
  EXPECT_EQ(CountRows(db, "SELECT count(*) FROM pattern_lifecycle_history"),
            history);
  EXPECT_EQ(CountRows(db,
                      "SELECT count(*) FROM (SELECT pattern_id, to_state "
                      "FROM pattern_lifecycle_history GROUP BY 1, 2 "
                      "HAVING count(*) > 1) d"),
            0);
}

TEST(BackfillJobTest, ConcurrentRunsWriteHistoryOnce) {
  const std::string db = testing::TestDatabase::FreshDatabase();
  ASSERT_NO_FATAL_FAILURE(testing::IngestShared(db, kSymbols));
  absl::StatusOr<BackfillSummary> a, b;
  std::thread other([&] { b = RunBackfill(Options(db)); });
  a = RunBackfill(Options(db));
  other.join();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(a->failures.empty() && b->failures.empty());
  EXPECT_EQ(a->upserts.inserted + b->upserts.inserted, a->patterns);
  const int64_t patterns = CountRows(db, "SELECT count(*) FROM pattern_events");
  EXPECT_EQ(patterns, a->patterns);
  EXPECT_EQ(CountRows(db, "SELECT count(*) FROM pattern_lifecycle_history"),
            2 * patterns + a->resolved);
}

// Writes the header and the rows dated <= `last_day` of `symbol`'s shared
// CSV into `dir`/<symbol>.csv and returns that path.
std::string TruncatedCopy(const std::string& symbol,
                          const std::string& last_day,
                          const std::filesystem::path& dir) {
  std::ifstream in(testing::SharedOhlcvFile(symbol));
  const std::string path = (dir / (symbol + ".csv")).string();
  std::ofstream out(path);
  std::string line;
  std::getline(in, line);
  out << line << "\n";
  while (std::getline(in, line)) {
    if (line.size() >= 10 && line.substr(0, 10) > last_day) break;
    out << line << "\n";
  }
  return path;
}

// The confirmation day of the AAPL pattern in the middle of its list: cut
// there, that pattern is unresolved whatever the detector's thresholds.
std::string CutDay() {
  absl::StatusOr<CsvReadResult> csv =
      ReadOhlcvCsv(testing::SharedOhlcvFile("AAPL"));
  if (!csv.ok()) return "2010-06-30";
  const std::vector<Pattern> patterns = DetectPatterns(csv->series);
  if (patterns.empty()) return "2010-06-30";
  return FormatDay(patterns[patterns.size() / 2].confirmation_day);
}

TEST(BackfillJobTest, NewBarsAddPatternsAndResolveOpenOnes) {
  const std::string db = testing::TestDatabase::FreshDatabase();
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("pcs_backfill_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string cut = CutDay();
  ASSERT_NO_FATAL_FAILURE(testing::IngestFiles(
      db, {TruncatedCopy("AAPL", cut, dir), TruncatedCopy("AA", cut, dir)}));
  std::filesystem::remove_all(dir);

  ASSERT_TRUE(RunBackfill(Options(db)).ok());
  pqxx::connection conn(db);
  PatternEventStore store(conn);
  absl::StatusOr<std::vector<StoredPattern>> loaded_before =
      store.LoadPatterns({});
  ASSERT_TRUE(loaded_before.ok()) << loaded_before.status();
  const std::vector<StoredPattern>& before = *loaded_before;
  std::vector<std::string> open_ids;
  for (const StoredPattern& s : before) {
    if (!s.outcome.label) open_ids.push_back(s.pattern.Id());
  }
  ASSERT_FALSE(before.empty());
  ASSERT_FALSE(open_ids.empty()) << "no open pattern at the cut " << cut;

  ASSERT_NO_FATAL_FAILURE(testing::IngestShared(db, {"AAPL", "AA"}));
  absl::StatusOr<BackfillSummary> run = RunBackfill(Options(db));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_TRUE(run->failures.empty()) << run->ToText();
  EXPECT_GT(run->upserts.inserted, 0);  // new patterns
  EXPECT_GE(run->upserts.updated, static_cast<int64_t>(open_ids.size()));

  absl::StatusOr<std::vector<StoredPattern>> loaded = store.LoadPatterns({});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  std::map<std::string, StoredPattern> after;
  for (StoredPattern& s : *loaded) after[s.pattern.Id()] = s;
  EXPECT_GT(after.size(), before.size());
  for (const StoredPattern& old : before) {
    auto it = after.find(old.pattern.Id());
    ASSERT_NE(it, after.end()) << "lost pattern " << old.pattern.Id();
    if (old.outcome.label) {  // resolved outcomes never change
      EXPECT_EQ(it->second.outcome.label, old.outcome.label);
      EXPECT_EQ(it->second.outcome.resolved_day, old.outcome.resolved_day);
      EXPECT_EQ(it->second.lifecycle_state, old.lifecycle_state);
    }
  }
  for (const std::string& id : open_ids) {
    const StoredPattern& now = after.at(id);
    ASSERT_TRUE(now.outcome.label.has_value()) << id << " still unresolved";
    absl::StatusOr<std::vector<StoredTransition>> history =
        store.LoadHistory(id);
    ASSERT_TRUE(history.ok()) << history.status();
    ASSERT_EQ(history->size(), 3u) << id;
    EXPECT_EQ(history->back().transition.from, LifecycleState::kConfirmed);
    EXPECT_EQ(history->back().transition.to, now.lifecycle_state);
    EXPECT_EQ(history->back().transition.actual_outcome, now.outcome.label);
  }
}

TEST(BackfillJobTest, ConfirmationRangeLimitsStoredPatterns) {
  const std::string db = testing::TestDatabase::FreshDatabase();
  ASSERT_NO_FATAL_FAILURE(testing::IngestShared(db, {"AAPL"}));
  BackfillOptions o = Options(db);
  o.symbols = {"AAPL"};
  o.from = *ParseDay("2005-01-01");
  o.to = *ParseDay("2006-12-31");
  absl::StatusOr<BackfillSummary> run = RunBackfill(o);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(CountRows(db, "SELECT count(*) FROM pattern_events"),
            run->patterns);
  EXPECT_EQ(CountRows(db,
                      "SELECT count(*) FROM pattern_events WHERE "
                      "confirmation_date NOT BETWEEN '2005-01-01' AND "
                      "'2006-12-31'"),
            0);
  o.symbols = {"NOPE"};
  absl::StatusOr<BackfillSummary> missing = RunBackfill(o);
  ASSERT_TRUE(missing.ok());
  ASSERT_EQ(missing->failures.size(), 1u);
  EXPECT_NE(missing->failures[0].find("NOPE"), std::string::npos);
}

}  // namespace
}  // namespace pcs
