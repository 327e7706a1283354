#ifndef PCS_SNAPSHOTS_LOCAL_SNAPSHOT_BLOB_STORE_H_
#define PCS_SNAPSHOTS_LOCAL_SNAPSHOT_BLOB_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "snapshots/snapshot_blob_store.h"

namespace pcs {

// What Sweep() found (and removed unless dry_run).
struct BlobSweep {
  int64_t blobs = 0;                 // files named by a hash
  int64_t damaged_removed = 0;       // not a regular file, or bad bytes
  int64_t unreferenced_removed = 0;  // in no catalog row (garbage)
  int64_t temporaries_removed = 0;   // .tmp.* left by a dead writer
};

// Blobs as files <root>/<first two hex>/<sha256> (256 fan-out folders).
// Writes go to a temporary file in the same folder, fsynced, renamed into
// place and the folder fsynced, so a reader never sees a partial blob and a
// crash never leaves a named one. Reads open with O_NOFOLLOW|O_NONBLOCK,
// accept regular files only (at most kMaxBlobBytes) and check that the
// bytes hash to the name: a damaged blob is DATA_LOSS, never served.
// Put() rewrites a damaged blob, so the backfill (`pcs snapshots`) repairs.
// Create() makes `root`.
class LocalSnapshotBlobStore final : public SnapshotBlobStore {
 public:
  static absl::StatusOr<std::unique_ptr<LocalSnapshotBlobStore>> Create(
      const std::string& root);

  absl::StatusOr<bool> Put(absl::string_view sha256,
                           absl::string_view bytes) override;
  absl::StatusOr<std::string> Get(absl::string_view sha256) const override;
  absl::StatusOr<bool> Contains(absl::string_view sha256) const override;
  std::string Describe() const override;

  const std::string& root() const { return root_; }
  std::string PathOf(absl::string_view sha256) const;

  // Walks every blob: removes damaged ones (the next backfill writes them
  // again), temporaries of dead writers and, when `referenced` is set, the
  // blobs it says no catalog row names. Not concurrent-safe with a
  // backfill writing the same store (run it from `pcs snapshots`).
  absl::StatusOr<BlobSweep> Sweep(
      const std::function<bool(absl::string_view)>& referenced, bool dry_run);

  static constexpr int64_t kMaxBlobBytes = 16 << 20;

 private:
  explicit LocalSnapshotBlobStore(std::string root) : root_(std::move(root)) {}
  static absl::Status WriteDurably(const std::string& path,
                                   absl::string_view bytes);
  std::string root_;
};

}  // namespace pcs

#endif  // PCS_SNAPSHOTS_LOCAL_SNAPSHOT_BLOB_STORE_H_
