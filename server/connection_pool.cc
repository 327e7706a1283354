#include "server/connection_pool.h"

#include <exception>

#include "absl/strings/str_cat.h"

namespace pcs {

absl::StatusOr<std::unique_ptr<ConnectionPool>> ConnectionPool::Create(
    ConnectionPoolOptions options) {
  if (options.size <= 0) {
    return absl::InvalidArgumentError("connection pool size must be > 0");
  }
  return std::unique_ptr<ConnectionPool>(new ConnectionPool(std::move(options)));
}

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire(
    absl::Time deadline) {
  int slot = -1;
  bool need_open = false;
  {
    absl::MutexLock lock(&mu_);
    auto any_free = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      for (const Slot& s : slots_) {
        if (!s.busy) return true;
      }
      return false;
    };
    if (!mu_.AwaitWithDeadline(absl::Condition(&any_free), deadline)) {
      return absl::DeadlineExceededError(
          "no database connection became free before the deadline");
    }
    // Prefer an open connection.
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (!slots_[i].busy && slots_[i].conn) { slot = i; break; }
    }
    if (slot < 0) {
      for (size_t i = 0; i < slots_.size(); ++i) {
        if (!slots_[i].busy) { slot = i; break; }
      }
    }
    slots_[slot].busy = true;
    need_open = slots_[slot].conn == nullptr;
  }
  Lease lease(this, slot);
  if (need_open) {
    try {
      auto conn = std::make_unique<pqxx::connection>(options_.conninfo);
      if (options_.on_connect) options_.on_connect(*conn);
      absl::MutexLock lock(&mu_);
      slots_[slot].conn = std::move(conn);
    } catch (const std::exception& e) {
      lease.MarkBroken();
      return absl::UnavailableError(
          absl::StrCat("cannot connect to the database: ", e.what()));
    }
  }
  return lease;
}

void ConnectionPool::Release(int slot, bool broken) {
  std::unique_ptr<pqxx::connection> dead;
  absl::MutexLock lock(&mu_);
  if (broken || (slots_[slot].conn && !slots_[slot].conn->is_open())) {
    dead = std::move(slots_[slot].conn);
  }
  slots_[slot].busy = false;
}

ConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->Release(slot_, broken_);
}

int ConnectionPool::in_use() const {
  absl::MutexLock lock(&mu_);
  int n = 0;
  for (const Slot& s : slots_) n += s.busy ? 1 : 0;
  return n;
}

int ConnectionPool::idle() const {
  absl::MutexLock lock(&mu_);
  int n = 0;
  for (const Slot& s : slots_) n += (!s.busy && s.conn) ? 1 : 0;
  return n;
}

}  // namespace pcs
