#include "snapshots/local_snapshot_blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/sha256.h"

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
  absl::StatusOr<std::string> bytes = Get(sha256);
  if (bytes.ok()) return true;
  if (absl::IsNotFound(bytes.status()) || absl::IsDataLoss(bytes.status())) {
    return false;  // a damaged blob is as good as absent: Put rewrites it
  }
  return bytes.status();
}

absl::StatusOr<bool> LocalSnapshotBlobStore::Put(absl::string_view sha256,
                                                 absl::string_view bytes) {
  if (!IsSha256Hex(sha256)) return BadHash(sha256);
  const std::string path = PathOf(sha256);
  if (absl::StatusOr<std::string> stored = Get(sha256);
      stored.ok() && *stored == bytes) {
    return false;
  }
  // Absent or damaged (truncated, not a regular file, other bytes): write
  // it whole, durable before it gets the name.
  const std::string dir = absl::StrCat(root_, "/", sha256.substr(0, 2));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create ", dir, ": ", ec.message()));
  }
  static std::atomic<uint64_t> counter{0};
  const std::string tmp =
      absl::StrCat(dir, "/.tmp.", ::getpid(), ".", counter.fetch_add(1));
  if (absl::Status s = WriteDurably(tmp, bytes); !s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  if (std::filesystem::is_directory(
          std::filesystem::symlink_status(path, ec))) {
    std::filesystem::remove_all(path, ec);  // a directory squatting the name
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return absl::UnavailableError(
        absl::StrCat("cannot rename into ", path, ": ", std::strerror(err)));
  }
  // The rename itself is durable once the folder is synced.
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

absl::StatusOr<std::string> LocalSnapshotBlobStore::Get(
    absl::string_view sha256) const {
  if (!IsSha256Hex(sha256)) return BadHash(sha256);
  const std::string path = PathOf(sha256);
  // O_NOFOLLOW: a symlink planted in the store is never followed;
  // O_NONBLOCK: a FIFO cannot block the reader; only a regular file of a
  // sane size is read, and only bytes whose hash is their name are served.
  const int fd =
      ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return absl::NotFoundError(absl::StrCat("no snapshot ", sha256));
    }
    return absl::DataLossError(
        absl::StrCat("snapshot ", sha256, " is not a readable regular file"));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      st.st_size > kMaxBlobBytes) {
    ::close(fd);
    return absl::DataLossError(
        absl::StrCat("snapshot ", sha256, " is not a regular file of at most ",
                     kMaxBlobBytes, " bytes"));
  }
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (got != bytes.size() || Sha256Hex(bytes) != sha256) {
    return absl::DataLossError(
        absl::StrCat("snapshot ", sha256,
                     " is damaged (its bytes do not hash to its name)"));
  }
  return bytes;
}

absl::StatusOr<BlobSweep> LocalSnapshotBlobStore::Sweep(
    const std::function<bool(absl::string_view)>& referenced, bool dry_run) {
  BlobSweep sweep;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(root_, ec);
       !ec && it != std::filesystem::recursive_directory_iterator();
       it.increment(ec)) {
    if (it.depth() != 1) continue;
    it.disable_recursion_pending();  // a blob is a file, never descend
    const std::string name = it->path().filename().string();
    const std::string path = it->path().string();
    if (absl::StartsWith(name, ".tmp.")) {
      ++sweep.temporaries_removed;  // a writer that died before its rename
      if (!dry_run) std::filesystem::remove(path, ec);
      continue;
    }
    if (!IsSha256Hex(name)) continue;
    ++sweep.blobs;
    if (!Get(name).ok()) {
      ++sweep.damaged_removed;
      if (!dry_run) std::filesystem::remove_all(path, ec);
    } else if (referenced && !referenced(name)) {
      ++sweep.unreferenced_removed;
      if (!dry_run) std::filesystem::remove(path, ec);
    }
  }
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot walk ", root_, ": ", ec.message()));
  }
  return sweep;
}

absl::Status LocalSnapshotBlobStore::WriteDurably(const std::string& path,
                                                  absl::string_view bytes) {
  const int fd = ::open(
      path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const bool ok = done == bytes.size() && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) {
    return absl::UnavailableError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

}  // namespace pcs
