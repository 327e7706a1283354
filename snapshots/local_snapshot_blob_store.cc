#include "snapshots/local_snapshot_blob_store.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace pcs {
namespace {

absl::Status BadHash(absl::string_view sha256) {
  return absl::InvalidArgumentError(
      absl::StrCat("snapshot hash '", sha256.substr(0, 80),
                   "' is not 64 lowercase hex characters"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<LocalSnapshotBlobStore>>
LocalSnapshotBlobStore::Create(const std::string& root) {
  if (root.empty()) {
    return absl::InvalidArgumentError("snapshot root folder is empty");
  }
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create snapshot root ", root, ": ", ec.message()));
  }
  return std::unique_ptr<LocalSnapshotBlobStore>(
      new LocalSnapshotBlobStore(std::filesystem::absolute(root).string()));
}

std::string LocalSnapshotBlobStore::PathOf(absl::string_view sha256) const {
  return absl::StrCat(root_, "/", sha256.substr(0, 2), "/", sha256);
}

std::string LocalSnapshotBlobStore::Describe() const {
  return absl::StrCat("file://", root_);
}

absl::StatusOr<bool> LocalSnapshotBlobStore::Contains(
    absl::string_view sha256) const {
  if (!IsSha256Hex(sha256)) return BadHash(sha256);
  std::error_code ec;
  return std::filesystem::exists(PathOf(sha256), ec);
}

absl::StatusOr<bool> LocalSnapshotBlobStore::Put(absl::string_view sha256,
                                                 absl::string_view bytes) {
  if (!IsSha256Hex(sha256)) return BadHash(sha256);
  const std::string path = PathOf(sha256);
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return false;
  const std::string dir = absl::StrCat(root_, "/", sha256.substr(0, 2));
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create ", dir, ": ", ec.message()));
  }
  static std::atomic<uint64_t> counter{0};
  const std::string tmp =
      absl::StrCat(dir, "/.tmp.", ::getpid(), ".", counter.fetch_add(1));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      std::filesystem::remove(tmp, ec);
      return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::filesystem::remove(tmp, ec);
    return absl::UnavailableError(
        absl::StrCat("cannot rename into ", path, ": ", std::strerror(err)));
  }
  return true;
}

absl::StatusOr<std::string> LocalSnapshotBlobStore::Get(
    absl::string_view sha256) const {
  if (!IsSha256Hex(sha256)) return BadHash(sha256);
  std::ifstream in(PathOf(sha256), std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("no snapshot ", sha256));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace pcs
