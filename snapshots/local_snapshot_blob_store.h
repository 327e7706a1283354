#ifndef PCS_SNAPSHOTS_LOCAL_SNAPSHOT_BLOB_STORE_H_
#define PCS_SNAPSHOTS_LOCAL_SNAPSHOT_BLOB_STORE_H_

#include <memory>
#include <string>

#include "snapshots/snapshot_blob_store.h"

namespace pcs {

// Blobs as files <root>/<first two hex>/<sha256> (256 fan-out folders).
// Writes go to a temporary file in the same folder and are renamed into
// place, so a reader never sees a partial blob. Create() makes `root`.
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

 private:
  explicit LocalSnapshotBlobStore(std::string root) : root_(std::move(root)) {}
  std::string root_;
};

}  // namespace pcs

#endif  // PCS_SNAPSHOTS_LOCAL_SNAPSHOT_BLOB_STORE_H_
