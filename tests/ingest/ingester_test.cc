#include "ingest/ingester.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "tests/test_util/shared_data.h"
#include "tests/test_util/test_database.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;
using ::pcs::testing::SharedOhlcvFile;
using ::pcs::testing::TestDatabase;
using ::testing::HasSubstr;

class IngesterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = TestDatabase::FreshDatabase();
    conn_ = std::make_unique<pqxx::connection>(conninfo_);
    dir_ = fs::temp_directory_path() /
           ("pcs-ingester-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  std::string CopyShared(const std::string& symbol, const std::string& sub) {
    const fs::path p = dir_ / sub / (symbol + ".csv");
    fs::create_directories(p.parent_path());
    fs::copy_file(SharedOhlcvFile(symbol), p);
    return p.string();
  }

  absl::StatusOr<IngestSummary> Ingest(const std::vector<std::string>& paths,
                                       IngestOptions options = {}) {
    Ingester ingester(*conn_, options);
    return ingester.Run(paths);
  }

  long long Count(const std::string& sql) {
    pqxx::nontransaction tx(*conn_);
    return tx.exec1(sql)[0].as<long long>();
  }
  // Digest of every column of price_bars, including ingested_at.
  std::string TableDigest() {
    pqxx::nontransaction tx(*conn_);
    return tx
        .exec1(
            "SELECT md5(string_agg(p::text, '|' ORDER BY symbol, day)) "
            "FROM price_bars p")[0]
        .as<std::string>();
  }

  std::string conninfo_;
  std::unique_ptr<pqxx::connection> conn_;
  fs::path dir_;
};

TEST_F(IngesterTest, LoadsRealFilesWithCountsAndRejects) {
  auto s = Ingest({SharedOhlcvFile("AAPL"), SharedOhlcvFile("DIA"),
                   SharedOhlcvFile("CLWT")});
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->files.size(), 3u);
  EXPECT_EQ(s->files[0].symbol, "AAPL");
  EXPECT_EQ(s->files[0].rows_read, 4779);
  EXPECT_EQ(s->files[0].inserted, 4779);
  EXPECT_EQ(s->files[2].symbol, "CLWT");
  EXPECT_EQ(s->files[2].rows_read, 4780);
  EXPECT_EQ(s->files[2].inserted, 4779);
  EXPECT_EQ(s->files[2].rejected, 1);
  EXPECT_EQ(s->files[2].rejects_by_reason.at("empty_row"), 1);
  EXPECT_EQ(s->total.inserted, s->total.rows_read - 1);
  EXPECT_EQ(s->failed_files, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM price_bars"), s->total.inserted);
  EXPECT_EQ(Count("SELECT count(*) FROM price_bars WHERE symbol = 'DIA'"),
            s->files[1].inserted);
  EXPECT_EQ(Count("SELECT count(*) FROM ingest_rejects WHERE reason = "
                  "'empty_row' AND line = 428 AND raw = '2001-09-11,,,,,,' "
                  "AND file LIKE '%/CLWT.csv'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM price_bars WHERE symbol = 'CLWT' "
                  "AND day = '2001-09-11'"),
            0);
  EXPECT_EQ(Count("SELECT rows_read FROM ingest_runs WHERE id = " +
                  std::to_string(s->run_id)),
            s->total.rows_read);
  // Values round-trip exactly (first AAPL row of the file).
  EXPECT_EQ(Count("SELECT count(*) FROM price_bars WHERE symbol = 'AAPL' AND "
                  "day = '2000-01-03' AND open = 0.936384 AND high = 1.00446 "
                  "AND adj_close = 0.850644 AND volume = 535796800"),
            1);
}

TEST_F(IngesterTest, SecondIngestChangesNothing) {
  const std::vector<std::string> files = {SharedOhlcvFile("AAPL"),
                                          SharedOhlcvFile("CLWT")};
  auto first = Ingest(files);
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string digest = TableDigest();
  const long long rejects = Count("SELECT count(*) FROM ingest_rejects");
  auto second = Ingest(files);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->total.inserted, 0);
  EXPECT_EQ(second->total.updated, 0);
  EXPECT_EQ(second->total.unchanged, first->total.inserted);
  EXPECT_EQ(second->total.rejected, first->total.rejected);
  EXPECT_EQ(TableDigest(), digest);
  // Rejects of a re-ingested file replace the earlier ones.
  EXPECT_EQ(Count("SELECT count(*) FROM ingest_rejects"), rejects);
}

TEST_F(IngesterTest, ModifiedBarIsUpdated) {
  const std::string path = CopyShared("AAPL", "v1");
  auto first = Ingest({path});
  ASSERT_TRUE(first.ok()) << first.status();
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  std::string changed = text.str();
  const std::string old_row =
      "2000-01-03,0.936384,1.00446,0.907924,0.999442,0.850644,535796800";
  const size_t at = changed.find(old_row);
  ASSERT_NE(at, std::string::npos);
  changed.replace(at, old_row.size(),
                  "2000-01-03,0.936384,1.00446,0.907924,0.999442,0.850644,"
                  "535796801");
  std::ofstream(path, std::ios::trunc) << changed;
  auto second = Ingest({path});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->total.inserted, 0);
  EXPECT_EQ(second->total.updated, 1);
  EXPECT_EQ(second->total.unchanged, first->total.inserted - 1);
  EXPECT_EQ(Count("SELECT volume::bigint FROM price_bars WHERE symbol = "
                  "'AAPL' AND day = '2000-01-03'"),
            535796801);
}

TEST_F(IngesterTest, FolderWithBadFilesLoadsTheGoodOnes) {
  Write("mixed/GOOD.csv",
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2001-01-02,10,11,9,10.5,10.4,100\n"
        "2001-01-03,10,9,11,10.5,10.4,100\n"   // high < low
        "2001-01-04,10,11,9,10.5,10.4,-1\n");  // negative volume
  Write("mixed/HEADER.csv", "Date,Open,High,Low,Close,Foo\n1,2,3,4,5,6\n");
  Write("mixed/BINARY.csv", std::string("\x00\x01\x02", 3));
  Write("mixed/notes.txt", "ignored: not a .csv\n");
  auto s = Ingest({(dir_ / "mixed").string()});
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->files.size(), 3u);
  EXPECT_EQ(s->failed_files, 2);
  EXPECT_EQ(s->total.inserted, 1);
  EXPECT_EQ(s->total.rejects_by_reason.at("high_lt_low"), 1);
  EXPECT_EQ(s->total.rejects_by_reason.at("negative_volume"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM ingest_rejects WHERE line = 0 AND "
                  "reason = 'bad_file'"),
            2);
  EXPECT_EQ(Count("SELECT count(*) FROM ingest_rejects WHERE line = 0 AND "
                  "detail LIKE '%unknown column ''Foo''%'"),
            1);
  const std::string text = FormatIngestSummary(*s, true);
  EXPECT_THAT(text, HasSubstr("HEADER.csv: REFUSED"));
  EXPECT_THAT(text, HasSubstr("high_lt_low"));
}

// A symlink in the folder pointing outside it is not followed by default
// (a refused file whose target's content is never read or echoed); with
// follow_symlinks it is read. A link to a file inside the folder is read.
TEST_F(IngesterTest, SymlinksOutOfTheFolderAreNotFollowed) {
  const std::string secret =
      Write("outside/secret.csv", "root:x:0:0:root:/root:/bin/bash\n");
  Write("in/GOOD.csv",
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2001-01-02,10,11,9,10.5,10.4,100\n");
  fs::create_symlink(secret, dir_ / "in" / "LEAK.csv");
  fs::create_symlink(dir_ / "in" / "GOOD.csv", dir_ / "in" / "ALIAS.csv");
  auto s = Ingest({(dir_ / "in").string()});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->failed_files, 1);
  EXPECT_EQ(s->total.inserted, 2);  // GOOD and ALIAS
  const std::string text = FormatIngestSummary(*s, true);
  EXPECT_THAT(text, HasSubstr("--follow-symlinks"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("root:x")));
  EXPECT_EQ(
      Count("SELECT count(*) FROM ingest_rejects WHERE detail LIKE '%root:x%'"),
      0);

  IngestOptions follow;
  follow.follow_symlinks = true;
  auto followed = Ingest({(dir_ / "in").string()}, follow);
  ASSERT_TRUE(followed.ok()) << followed.status();
  EXPECT_EQ(followed->files.size(), 3u);
  EXPECT_EQ(followed->failed_files, 1);  // read, and refused as not a CSV
  EXPECT_THAT(FormatIngestSummary(*followed, true), HasSubstr("no commas"));
}

TEST_F(IngesterTest, MissingPathIsFatalAndLoadsNothing) {
  auto s = Ingest({SharedOhlcvFile("AAPL"), (dir_ / "nope.csv").string()});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("nope.csv"));
  EXPECT_EQ(Count("SELECT count(*) FROM price_bars"), 0);
}

TEST_F(IngesterTest, SymbolOverrideNeedsOneFile) {
  IngestOptions options;
  options.symbol = "XYZ";
  auto bad = Ingest({SharedOhlcvFile("AAPL"), SharedOhlcvFile("DIA")}, options);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  auto good = Ingest({SharedOhlcvFile("AAPL")}, options);
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(Count("SELECT count(*) FROM price_bars WHERE symbol = 'XYZ'"),
            4779);
}

TEST_F(IngesterTest, SameSymbolTwiceInOneRunIsNotAConflict) {
  const std::string a = CopyShared("DIA", "a");
  const std::string b = CopyShared("DIA", "b");
  IngestOptions options;
  options.files_per_batch = 10;
  auto s = Ingest({a, b}, options);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->files.size(), 2u);
  EXPECT_EQ(s->files[0].inserted, 4779);
  EXPECT_EQ(s->files[1].unchanged, 4779);
}

TEST_F(IngesterTest, SmallBatchesGiveTheSameResult) {
  IngestOptions options;
  options.files_per_batch = 1;
  int progress_calls = 0;
  options.progress = [&](int done, int total, const std::string&) {
    ++progress_calls;
    EXPECT_EQ(total, 3);
    EXPECT_EQ(done, progress_calls);
  };
  auto s = Ingest({SharedOhlcvFile("AAPL"), SharedOhlcvFile("DIA"),
                   SharedOhlcvFile("CLWT")},
                  options);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(progress_calls, 3);
  EXPECT_EQ(s->total.inserted, 3 * 4779);
}

}  // namespace
}  // namespace pcs
