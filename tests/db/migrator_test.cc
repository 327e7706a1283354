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
  for (const char* table :
       {"price_bars", "ingest_runs", "ingest_rejects", "pattern_events",
        "pattern_lifecycle_history", "schema_migrations"}) {
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
