#include "db/migrator.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "tests/test_util/test_database.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;
using ::pcs::testing::TestDatabase;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

int CountRows(const std::string& conninfo, const std::string& sql) {
  pqxx::connection conn(conninfo);
  pqxx::nontransaction tx(conn);
  return tx.exec1(sql)[0].as<int>();
}

// A private copy of the real migrations, so a test can tamper with it.
class MigrationsCopy {
 public:
  MigrationsCopy() {
    dir_ = fs::temp_directory_path() /
           ("pcs-migrations-" + std::to_string(getpid()) + "-" +
            std::to_string(counter_++));
    fs::create_directories(dir_);
    for (const auto& e : fs::directory_iterator(kDefaultMigrationsDir)) {
      fs::copy_file(e.path(), dir_ / e.path().filename());
    }
  }
  ~MigrationsCopy() { fs::remove_all(dir_); }
  std::string dir() const { return dir_.string(); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  // Moves `name` out of the folder and back.
  void Hide(const std::string& name) {
    fs::rename(dir_ / name,
               dir_.parent_path() / (dir_.filename().string() + "-" + name));
  }
  void Unhide(const std::string& name) {
    fs::rename(dir_.parent_path() / (dir_.filename().string() + "-" + name),
               dir_ / name);
  }

 private:
  static inline int counter_ = 0;
  fs::path dir_;
};

TEST(MigratorTest, FreshDatabaseGetsEveryTable) {
  const std::string db = TestDatabase::EmptyDatabase();
  MigrationReport report;
  ASSERT_TRUE(Migrate(db, kDefaultMigrationsDir, &report).ok());
  auto files = ListMigrationFiles(kDefaultMigrationsDir);
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(report.applied.size(), files->size());
  EXPECT_EQ(report.already_applied, 0);
  EXPECT_EQ(report.latest_version, files->back().version);
  for (const char* table : {"price_bars", "ingest_runs", "ingest_rejects",
                            "pattern_events", "pattern_lifecycle_history",
                            "prediction_traces", "schema_migrations"}) {
    EXPECT_EQ(CountRows(db, std::string("SELECT count(*) FROM "
                                        "information_schema.tables WHERE "
                                        "table_name = '") +
                                table + "'"),
              1)
        << table;
  }
  EXPECT_EQ(CountRows(db,
                      "SELECT count(*) FROM pg_indexes WHERE indexname = "
                      "'pattern_events_unresolved_idx'"),
            1);
  EXPECT_EQ(CountRows(db,
                      "SELECT count(*) FROM schema_migrations WHERE "
                      "length(checksum) = 64"),
            static_cast<int>(files->size()));
}

TEST(MigratorTest, RerunIsNoOp) {
  const std::string db = TestDatabase::EmptyDatabase();
  ASSERT_TRUE(Migrate(db, kDefaultMigrationsDir).ok());
  const int rows = CountRows(db, "SELECT count(*) FROM schema_migrations");
  MigrationReport report;
  ASSERT_TRUE(Migrate(db, kDefaultMigrationsDir, &report).ok());
  EXPECT_TRUE(report.applied.empty());
  EXPECT_EQ(report.already_applied, rows);
  EXPECT_EQ(CountRows(db, "SELECT count(*) FROM schema_migrations"), rows);
}

TEST(MigratorTest, NewFileIsAppliedOnTop) {
  const std::string db = TestDatabase::EmptyDatabase();
  MigrationsCopy copy;
  ASSERT_TRUE(Migrate(db, copy.dir()).ok());
  copy.Write("0900_extra.sql", "CREATE TABLE extra_table (x int);");
  MigrationReport report;
  ASSERT_TRUE(Migrate(db, copy.dir(), &report).ok());
  EXPECT_THAT(report.applied, ElementsAre("0900_extra.sql"));
  EXPECT_EQ(report.latest_version, 900);
  EXPECT_EQ(CountRows(db, "SELECT count(*) FROM extra_table"), 0);
}

// A database from before 0004 (every other migration applied but 0008, which
// alters 0004's table, as on a deployed server) keeps its traces: 0004 moves
// the source 'server' rows of pattern_lifecycle_history into
// prediction_traces, and leaves the rest; 0008 keeps them.
TEST(MigratorTest, PredictionTracesMigrationMovesServerRows) {
  const std::string db = TestDatabase::EmptyDatabase();
  MigrationsCopy copy;
  const std::string file = "0004_prediction_traces.sql";
  const std::string later = "0008_prediction_traces_without_row_locks.sql";
  copy.Hide(file);
  copy.Hide(later);
  ASSERT_TRUE(Migrate(db, copy.dir()).ok());
  {
    pqxx::connection conn(db);
    pqxx::work tx(conn);
    tx.exec0(
        "INSERT INTO pattern_events (id, symbol, pattern_type, direction, "
        "formation_start, formation_end, confirmation_date, key_points, "
        "breakout_level, target_price, stop_price, rule_confidence, "
        "lifecycle_state, detector_version) VALUES ('p1', 'AAPL', "
        "'double_bottom', 'bullish', '2020-01-01', '2020-01-20', "
        "'2020-01-22', '[]', 10, 12, 9, 0.6, 'confirmed', 'test')");
    tx.exec0(
        "INSERT INTO pattern_lifecycle_history (pattern_id, from_state, "
        "to_state, event_date, source, rule_confidence, ml_confidence, "
        "blended_confidence, blend_weight, model_version, latency_ms, "
        "actual_outcome, reason) VALUES "
        "('p1', NULL, 'detected', '2020-01-22', 'backfill', 0.6, NULL, NULL, "
        "NULL, NULL, NULL, NULL, NULL), "
        "('p1', 'confirmed', 'confirmed', '2020-01-22', 'server', 0.6, 0.7, "
        "0.65, 0.5, 'v1', 2.5, 1, 'score ScorePattern'), "
        "('p1', 'confirmed', 'confirmed', '2020-01-22', 'server', 0.6, 0.8, "
        "0.7, 0.5, 'v2', 1.5, NULL, 'score ScoreBatch')");
    tx.commit();
  }
  copy.Unhide(file);
  copy.Unhide(later);
  MigrationReport report;
  ASSERT_TRUE(Migrate(db, copy.dir(), &report).ok());
  EXPECT_THAT(report.applied, ElementsAre(file, later));
  EXPECT_EQ(CountRows(db,
                      "SELECT count(*) FROM pattern_lifecycle_history WHERE "
                      "source = 'server'"),
            0);
  EXPECT_EQ(CountRows(db, "SELECT count(*) FROM pattern_lifecycle_history"), 1);
  EXPECT_EQ(CountRows(db,
                      "SELECT count(*) FROM prediction_traces WHERE "
                      "pattern_id = 'p1' AND state = 'confirmed' AND "
                      "event_date = '2020-01-22' AND blend_weight = 0.5"),
            2);
  EXPECT_EQ(CountRows(db,
                      "SELECT count(*) FROM prediction_traces WHERE "
                      "model_version = 'v1' AND ml_confidence = 0.7 AND "
                      "latency_ms = 2.5 AND actual_outcome = 1 AND reason = "
                      "'score ScorePattern'"),
            1);
  // Oldest first: the v1 trace keeps the lower id.
  EXPECT_EQ(CountRows(db,
                      "SELECT count(*) FROM prediction_traces a JOIN "
                      "prediction_traces b ON a.model_version = 'v1' AND "
                      "b.model_version = 'v2' AND a.id < b.id"),
            1);
}

TEST(MigratorTest, TamperedAppliedFileIsRefusedNamingIt) {
  const std::string db = TestDatabase::EmptyDatabase();
  MigrationsCopy copy;
  ASSERT_TRUE(Migrate(db, copy.dir()).ok());
  auto files = ListMigrationFiles(copy.dir());
  ASSERT_TRUE(files.ok());
  const MigrationFile& first = files->front();
  copy.Write(first.file_name, first.sql + "\n-- edited\n");
  copy.Write("0900_extra.sql", "CREATE TABLE extra_table (x int);");
  const absl::Status status = Migrate(db, copy.dir());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()), HasSubstr(first.file_name));
  EXPECT_THAT(std::string(status.message()), HasSubstr("changed"));
  // Nothing pending was applied after the refusal.
  EXPECT_EQ(CountRows(db,
                      "SELECT count(*) FROM information_schema.tables "
                      "WHERE table_name = 'extra_table'"),
            0);
}

TEST(MigratorTest, FailingFileIsRolledBackAndNamed) {
  const std::string db = TestDatabase::EmptyDatabase();
  MigrationsCopy copy;
  copy.Write("0900_broken.sql",
             "CREATE TABLE half_done (x int); SELECT no_such_function();");
  const absl::Status status = Migrate(db, copy.dir());
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("0900_broken.sql"));
  EXPECT_EQ(CountRows(db,
                      "SELECT count(*) FROM information_schema.tables "
                      "WHERE table_name = 'half_done'"),
            0);
  EXPECT_EQ(CountRows(db,
                      "SELECT count(*) FROM schema_migrations WHERE "
                      "version = 900"),
            0);
}

TEST(MigratorTest, BadFileNameIsAnError) {
  MigrationsCopy copy;
  copy.Write("add_stuff.sql", "SELECT 1;");
  auto files = ListMigrationFiles(copy.dir());
  ASSERT_FALSE(files.ok());
  EXPECT_THAT(std::string(files.status().message()),
              HasSubstr("add_stuff.sql"));
}

TEST(MigratorTest, ConcurrentRunsBothSucceedAndApplyOnce) {
  for (int round = 0; round < 3; ++round) {
    const std::string db = TestDatabase::EmptyDatabase();
    absl::Status a, b;
    MigrationReport report_a, report_b;
    std::thread ta([&] { a = Migrate(db, kDefaultMigrationsDir, &report_a); });
    std::thread tb([&] { b = Migrate(db, kDefaultMigrationsDir, &report_b); });
    ta.join();
    tb.join();
    ASSERT_TRUE(a.ok()) << a;
    ASSERT_TRUE(b.ok()) << b;
    auto files = ListMigrationFiles(kDefaultMigrationsDir);
    ASSERT_TRUE(files.ok());
    // Between them every file was applied exactly once.
    EXPECT_EQ(report_a.applied.size() + report_b.applied.size(), files->size());
    EXPECT_EQ(CountRows(db, "SELECT count(*) FROM schema_migrations"),
              static_cast<int>(files->size()));
  }
}

}  // namespace
}  // namespace pcs
