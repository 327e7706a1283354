// The local blob store against hostile and damaged files: symlinks are not
// followed, directories and FIFOs are not served, truncated or altered
// bytes are DATA_LOSS (never served) and rewritten by Put, the sweep
// removes damaged, unreferenced and temporary files.
#include "snapshots/local_snapshot_blob_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "core/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pcs {
namespace {

class LocalSnapshotBlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ =
        std::filesystem::temp_directory_path() /
        absl::StrCat(
            "pcs_blob_store_", ::getpid(), "_",
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    auto store = LocalSnapshotBlobStore::Create(root_.string());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  // A blob's name and path, the fan-out folder made.
  std::string Prepare(const std::string& bytes) {
    const std::string hash = Sha256Hex(bytes);
    std::filesystem::create_directories(
        std::filesystem::path(store_->PathOf(hash)).parent_path());
    return hash;
  }

  std::filesystem::path root_;
  std::unique_ptr<LocalSnapshotBlobStore> store_;
};

TEST_F(LocalSnapshotBlobStoreTest, PutGetRoundTripAndIdempotence) {
  const std::string svg = "<svg>chart</svg>";
  const std::string hash = Sha256Hex(svg);
  EXPECT_TRUE(*store_->Put(hash, svg));
  EXPECT_FALSE(*store_->Put(hash, svg));
  EXPECT_EQ(*store_->Get(hash), svg);
  EXPECT_TRUE(*store_->Contains(hash));
}

TEST_F(LocalSnapshotBlobStoreTest, SymlinksDirectoriesAndFifosAreNotServed) {
  const std::string secret_path = (root_ / "secret").string();
  std::ofstream(secret_path) << "secret";
  const std::string a = Prepare("a");
  std::filesystem::create_symlink(secret_path, store_->PathOf(a));
  EXPECT_EQ(store_->Get(a).status().code(), absl::StatusCode::kDataLoss);

  const std::string b = Prepare("b");
  std::filesystem::create_directory(store_->PathOf(b));
  EXPECT_EQ(store_->Get(b).status().code(), absl::StatusCode::kDataLoss);

  const std::string c = Prepare("c");
  ASSERT_EQ(::mkfifo(store_->PathOf(c).c_str(), 0600), 0);
  EXPECT_EQ(store_->Get(c).status().code(), absl::StatusCode::kDataLoss);

  // Put repairs each of them with the real bytes.
  for (const std::string bytes : {"a", "b", "c"}) {
    EXPECT_TRUE(*store_->Put(Sha256Hex(bytes), bytes)) << bytes;
    EXPECT_EQ(*store_->Get(Sha256Hex(bytes)), bytes);
  }
  std::ifstream secret(secret_path);
  std::string kept;
  secret >> kept;
  EXPECT_EQ(kept, "secret") << "the symlink's target was written through";
}

TEST_F(LocalSnapshotBlobStoreTest, TruncatedBlobIsDataLossAndRepairedByPut) {
  const std::string svg(5000, 'x');
  const std::string hash = Sha256Hex(svg);
  ASSERT_TRUE(*store_->Put(hash, svg));
  std::filesystem::resize_file(store_->PathOf(hash), 100);
  absl::StatusOr<std::string> got = store_->Get(hash);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(got.status().message(), ::testing::HasSubstr("damaged"));
  EXPECT_FALSE(*store_->Contains(hash));
  EXPECT_TRUE(*store_->Put(hash, svg));
  EXPECT_EQ(*store_->Get(hash), svg);
}

TEST_F(LocalSnapshotBlobStoreTest, SweepRemovesDamagedUnreferencedAndTemps) {
  const std::string keep = "keep", drop = "drop", hurt = "hurt";
  for (const std::string& bytes : {keep, drop, hurt}) {
    ASSERT_TRUE(*store_->Put(Sha256Hex(bytes), bytes));
  }
  std::ofstream(store_->PathOf(Sha256Hex(hurt)), std::ios::trunc) << "HURT";
  const std::string tmp =
      (std::filesystem::path(store_->PathOf(Sha256Hex(keep))).parent_path() /
       ".tmp.1.2")
          .string();
  std::ofstream(tmp) << "partial";
  auto swept = store_->Sweep(
      [&](absl::string_view h) { return h != Sha256Hex(drop); }, false);
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_EQ(swept->blobs, 3);
  EXPECT_EQ(swept->damaged_removed, 1);
  EXPECT_EQ(swept->unreferenced_removed, 1);
  EXPECT_EQ(swept->temporaries_removed, 1);
  EXPECT_TRUE(*store_->Contains(Sha256Hex(keep)));
  EXPECT_FALSE(std::filesystem::exists(store_->PathOf(Sha256Hex(drop))));
  EXPECT_FALSE(std::filesystem::exists(store_->PathOf(Sha256Hex(hurt))));
  EXPECT_FALSE(std::filesystem::exists(tmp));
}

}  // namespace
}  // namespace pcs
