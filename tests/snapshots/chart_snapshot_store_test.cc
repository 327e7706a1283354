// ChartSnapshotStore and `pcs snapshots`' backfill against a real
// PostgreSQL holding real bars and the real backfill's patterns.

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/sha256.h"
#include "db/chart_snapshot_catalog.h"
#include "gtest/gtest.h"
#include "ingest/ingester.h"
#include "pipeline/backfill_job.h"
#include "pqxx/pqxx"
#include "snapshots/local_snapshot_blob_store.h"
#include "snapshots/snapshot_backfill.h"
#include "tests/test_util/shared_data.h"
#include "tests/test_util/test_database.h"

namespace pcs {
namespace {

class ChartSnapshotStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(testing::SharedOhlcvFile("AAPL"))) return;
    conninfo_ = new std::string(testing::TestDatabase::FreshDatabase());
    pqxx::connection conn(*conninfo_);
    Ingester ingester(conn, {});
    auto summary = ingester.Run(
        {testing::SharedOhlcvFile("AAPL"), testing::SharedOhlcvFile("AA")});
    ASSERT_TRUE(summary.ok()) << summary.status();
    BackfillOptions options;
    options.conninfo = *conninfo_;
    auto run = RunBackfill(options);
    ASSERT_TRUE(run.ok()) << run.status();
  }

  void SetUp() override {
    if (conninfo_ == nullptr) GTEST_SKIP() << "no shared data";
    root_ = std::filesystem::temp_directory_path() /
            absl::StrCat("pcs_snapshots_", ::getpid(), "_",
                         ::testing::UnitTest::GetInstance()->random_seed(), "_",
                         counter_++);
    std::filesystem::remove_all(root_);
    auto blobs = LocalSnapshotBlobStore::Create(root_.string());
    ASSERT_TRUE(blobs.ok()) << blobs.status();
    blobs_ = std::move(*blobs);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  int64_t Count(const std::string& sql) {
    pqxx::connection conn(*conninfo_);
    pqxx::read_transaction tx(conn);
    return tx.exec1(sql)[0].as<int64_t>();
  }

  static std::string* conninfo_;
  static int counter_;
  std::filesystem::path root_;
  std::unique_ptr<LocalSnapshotBlobStore> blobs_;
};
std::string* ChartSnapshotStoreTest::conninfo_ = nullptr;
int ChartSnapshotStoreTest::counter_ = 0;

TEST_F(ChartSnapshotStoreTest,
       BackfillCoversEveryPatternCausallyAndIsIdempotent) {
  ChartSnapshotStore store(blobs_.get());
  SnapshotBackfillOptions options;
  options.conninfo = *conninfo_;
  int progress_calls = 0;
  options.progress = [&](int, int, const SnapshotCounts&) { ++progress_calls; };
  auto first = RunSnapshotBackfill(options, store);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->failures.empty());
  EXPECT_EQ(progress_calls, 2);
  const int64_t patterns = Count("SELECT count(*) FROM pattern_events");
  const int64_t resolved = Count(
      "SELECT count(*) FROM pattern_events WHERE outcome_resolved_at IS NOT "
      "NULL");
  ASSERT_GT(patterns, 50);
  EXPECT_EQ(first->counts.patterns, patterns);
  EXPECT_EQ(first->counts.skipped, 0);
  EXPECT_EQ(first->counts.decision_charts, patterns);
  EXPECT_EQ(first->counts.outcome_charts, resolved);
  // snapshot_url is set for every pattern and names its decision chart.
  EXPECT_EQ(
      Count("SELECT count(*) FROM pattern_events WHERE snapshot_url IS NULL"),
      0);
  EXPECT_EQ(
      Count("SELECT count(*) FROM pattern_events p JOIN chart_snapshots c "
            "ON c.pattern_id = p.id AND c.kind = 'decision' "
            "WHERE p.snapshot_url = '/api/v1/snapshots/' || c.sha256"),
      patterns);
  // Causality in the catalog: decision charts end on the decision day,
  // outcome charts on the resolved day; the kinds never share bytes.
  EXPECT_EQ(
      Count("SELECT count(*) FROM chart_snapshots c JOIN pattern_events p "
            "ON p.id = c.pattern_id WHERE c.kind = 'decision' AND "
            "c.last_bar <> p.confirmation_date"),
      0);
  EXPECT_EQ(
      Count("SELECT count(*) FROM chart_snapshots c JOIN pattern_events p "
            "ON p.id = c.pattern_id WHERE c.kind = 'outcome' AND "
            "c.last_bar <> p.outcome_resolved_at"),
      0);
  EXPECT_EQ(
      Count("SELECT count(*) FROM chart_snapshots d JOIN chart_snapshots o "
            "ON d.sha256 = o.sha256 AND d.kind = 'decision' AND o.kind = "
            "'outcome'"),
      0);
  // Content addressing: every file's name is the sha256 of its bytes.
  pqxx::connection conn(*conninfo_);
  ChartSnapshotCatalog catalog(conn);
  auto summary = catalog.Summary();
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->decision_rows, patterns);
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root_)) {
    if (!e.is_regular_file()) continue;
    auto hash = Sha256HexOfFile(e.path().string());
    ASSERT_TRUE(hash.ok());
    EXPECT_EQ(*hash, e.path().filename().string());
    ++files;
  }
  EXPECT_EQ(files, summary->distinct_blobs);
  EXPECT_EQ(first->counts.blobs_written, files);

  // Second run: same bytes, nothing written, nothing changed.
  auto second = RunSnapshotBackfill(options, store);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->counts.blobs_written, 0);
  EXPECT_EQ(second->counts.catalog.inserted, 0);
  EXPECT_EQ(second->counts.catalog.updated, 0);
  EXPECT_EQ(second->counts.catalog.urls_set, 0);
  EXPECT_EQ(second->counts.catalog.unchanged, patterns + resolved);
}

TEST_F(ChartSnapshotStoreTest, BlobStoreRefusesMalformedNames) {
  EXPECT_EQ(blobs_->Get("../../etc/passwd").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(blobs_->Get(std::string(64, 'A')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(blobs_->Get(std::string(64, 'a')).status().code(),
            absl::StatusCode::kNotFound);
  const std::string bytes = "<svg/>";
  const std::string hash = Sha256Hex(bytes);
  EXPECT_EQ(*blobs_->Put(hash, bytes), true);
  EXPECT_EQ(*blobs_->Put(hash, bytes), false);
  EXPECT_EQ(*blobs_->Get(hash), bytes);
}

}  // namespace
}  // namespace pcs
