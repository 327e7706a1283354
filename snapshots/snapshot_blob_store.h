#ifndef PCS_SNAPSHOTS_SNAPSHOT_BLOB_STORE_H_
#define PCS_SNAPSHOTS_SNAPSHOT_BLOB_STORE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pcs {

// Content-addressed storage for chart snapshots: a blob's name is the
// lowercase hex sha256 of its bytes, so the same chart is stored once and a
// name can never point at other bytes. Kept narrow on purpose (put, get,
// contains) so an object store can stand behind it later; the local
// filesystem (LocalSnapshotBlobStore) is the default.
//
// Threading: implementations must be safe for concurrent calls.
class SnapshotBlobStore {
 public:
  virtual ~SnapshotBlobStore() = default;

  // Stores `bytes` under `sha256` (the caller computed it: Sha256Hex(bytes)).
  // Returns true when the blob was written, false when it was already there
  // (idempotent). InvalidArgument for a malformed hash.
  virtual absl::StatusOr<bool> Put(absl::string_view sha256,
                                   absl::string_view bytes) = 0;

  // The bytes stored under `sha256`; NotFound when absent, InvalidArgument
  // for a malformed hash (never touches the storage then).
  virtual absl::StatusOr<std::string> Get(absl::string_view sha256) const = 0;

  virtual absl::StatusOr<bool> Contains(absl::string_view sha256) const = 0;

  // Where the blobs live, for logs ("file:///var/lib/pcs/snapshots").
  virtual std::string Describe() const = 0;
};

// True for 64 lowercase hex characters (a well-formed blob name).
inline bool IsSha256Hex(absl::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace pcs

#endif  // PCS_SNAPSHOTS_SNAPSHOT_BLOB_STORE_H_
