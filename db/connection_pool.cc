#include "db/connection_pool.h"

#include <sys/socket.h>

#include <exception>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace pcs {
namespace {

// conninfo with connect_timeout added unless it names one (key=value form
// or URL form).
std::string WithConnectTimeout(const std::string& conninfo, int seconds) {
  if (absl::StrContains(conninfo, "connect_timeout") || seconds <= 0) {
    return conninfo;
  }
  if (absl::StartsWith(conninfo, "postgres://") ||
      absl::StartsWith(conninfo, "postgresql://")) {
    return absl::StrCat(conninfo, absl::StrContains(conninfo, "?") ? "&" : "?",
                        "connect_timeout=", seconds);
  }
  return absl::StrCat(conninfo, " connect_timeout=", seconds);
}

}  // namespace

ConnectionPool::ConnectionPool(ConnectionPoolOptions options)
    : options_(std::move(options)), slots_(options_.size) {
  watchdog_ = std::thread([this] { Watchdog(); });
}

ConnectionPool::~ConnectionPool() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  watchdog_.join();
}

// Cuts connections whose lease outlived its bound. shutdown() (not close())
// makes the owner's blocked libpq call return with an error while the fd
// stays valid until the owner drops the connection.
void ConnectionPool::Watchdog() {
  absl::MutexLock lock(&mu_);
  while (
      !mu_.AwaitWithTimeout(absl::Condition(&stop_), absl::Milliseconds(50))) {
    const absl::Time now = absl::Now();
    for (Slot& s : slots_) {
      if (s.busy && s.conn != nullptr && !s.cut && now >= s.expires) {
        const int fd = s.conn->sock();
        if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
        s.cut = true;
        ++timeouts_;
      }
    }
  }
}

absl::StatusOr<std::unique_ptr<ConnectionPool>> ConnectionPool::Create(
    ConnectionPoolOptions options) {
  if (options.size <= 0) {
    return absl::InvalidArgumentError("connection pool size must be > 0");
  }
  return std::unique_ptr<ConnectionPool>(
      new ConnectionPool(std::move(options)));
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
      if (!slots_[i].busy && slots_[i].conn) {
        slot = i;
        break;
      }
    }
    if (slot < 0) {
      for (size_t i = 0; i < slots_.size(); ++i) {
        if (!slots_[i].busy) {
          slot = i;
          break;
        }
      }
    }
    slots_[slot].busy = true;
    slots_[slot].cut = false;
    // Bounded by statement_timeout, not by the request deadline: cutting at
    // every missed deadline would churn connections under overload.
    slots_[slot].expires = absl::Now() + options_.statement_timeout;
    need_open = slots_[slot].conn == nullptr;
  }
  Lease lease(this, slot);
  if (need_open) {
    try {
      auto conn = std::make_unique<pqxx::connection>(WithConnectTimeout(
          options_.conninfo, options_.connect_timeout_seconds));
      // libpqxx 6 would silently re-open a broken connection on the next
      // transaction; the pool re-opens it instead (a new socket must never
      // hide behind a cut one).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
      conn->inhibit_reactivation(true);
#pragma GCC diagnostic pop
      conn->set_variable(
          "statement_timeout",
          absl::StrCat(absl::ToInt64Milliseconds(options_.statement_timeout)));
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
  if (broken || slots_[slot].cut ||
      (slots_[slot].conn && !slots_[slot].conn->is_open())) {
    dead = std::move(slots_[slot].conn);
  }
  slots_[slot].busy = false;
  slots_[slot].cut = false;
  slots_[slot].expires = absl::InfiniteFuture();
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

uint64_t ConnectionPool::timeouts() const {
  absl::MutexLock lock(&mu_);
  return timeouts_;
}

int ConnectionPool::idle() const {
  absl::MutexLock lock(&mu_);
  int n = 0;
  for (const Slot& s : slots_) n += (!s.busy && s.conn) ? 1 : 0;
  return n;
}

}  // namespace pcs
