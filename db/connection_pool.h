#ifndef PCS_DB_CONNECTION_POOL_H_
#define PCS_DB_CONNECTION_POOL_H_

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "db/transaction.h"
#include "pqxx/pqxx"

namespace pcs {

struct ConnectionPoolOptions {
  std::string conninfo = {};  // libpq conninfo or URL
  // Connections; size it to the gRPC worker threads that use it.
  int size = 4;
  // Run on every new connection (e.g. conn.prepare(...)); may throw pqxx
  // exceptions, which are caught and turn the connect into an error.
  std::function<void(pqxx::connection&)> on_connect = {};
  // Opening a connection gives up after this long (libpq connect_timeout,
  // added to the conninfo unless it names one; libpq's minimum is 2 s).
  int connect_timeout_seconds = 2;
  // Longest a lease may keep its connection busy (the queries of one
  // request together). Sent to PostgreSQL as statement_timeout, and enforced
  // on the client side too: past it the pool's watchdog (polling every
  // 50 ms) shuts the connection's socket down,
  // so a call blocked on a hung server (e.g. a SIGSTOPped postgres, which
  // cannot enforce its own statement_timeout) fails at once as a broken
  // connection, and the connection is re-opened on its next use.
  absl::Duration statement_timeout = absl::Seconds(2);
};

// A fixed-size pool of libpq connections, opened lazily and re-opened after
// they break. Every connect and every lease is bounded in time (see
// connect_timeout_seconds and statement_timeout): a hung database never
// wedges the pool. Acquire() hands out one connection exclusively (libpqxx
// connections are single-threaded) and waits, at most until the deadline,
// for one to be free.
//
// Threading: all methods thread-safe. Ownership: the pool owns the
// connections; a Lease must be destroyed before the pool.
//
// Example:
//   auto pool = ConnectionPool::Create({.conninfo = url, .size = 4});
//   absl::StatusOr<StoredPattern> p = (*pool)->Run(
//       deadline, "loading pattern", [&](pqxx::connection& conn) {
//         return PatternEventStore(conn).Load(id);
//       });
class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(other.pool_), slot_(other.slot_), broken_(other.broken_) {
      other.pool_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    pqxx::connection& conn() const { return *pool_->slots_[slot_].conn; }
    // Call after a broken-connection error: the connection is re-opened on
    // its next use.
    void MarkBroken() { broken_ = true; }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, int slot) : pool_(pool), slot_(slot) {}
    ConnectionPool* pool_;
    int slot_;
    bool broken_ = false;
  };

  static absl::StatusOr<std::unique_ptr<ConnectionPool>> Create(
      ConnectionPoolOptions options);

  // A free connection, opened if needed. DeadlineExceeded when none is free
  // in time; Unavailable when the database cannot be reached. Prefer Run.
  absl::StatusOr<Lease> Acquire(absl::Time deadline) ABSL_LOCKS_EXCLUDED(mu_);

  // Runs `fn(conn)` on a leased connection: the one way request code talks
  // to the database. `fn` returns absl::Status or absl::StatusOr<T>; an
  // exception it lets escape becomes DatabaseErrorStatus(e, context, &conn)
  // (db/transaction.h), and an UNAVAILABLE outcome marks the connection
  // broken (re-opened on its next use). Acquire's errors are returned as
  // they are. Never throws.
  template <typename Fn>
  auto Run(absl::Time deadline, absl::string_view context, Fn&& fn)
      -> std::invoke_result_t<Fn&, pqxx::connection&>;

  ~ConnectionPool();

  int size() const { return static_cast<int>(slots_.size()); }
  int in_use() const ABSL_LOCKS_EXCLUDED(mu_);
  int idle() const ABSL_LOCKS_EXCLUDED(mu_);  // open and free
  // Leases whose connection the watchdog cut (a hung database), so far.
  uint64_t timeouts() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Slot {
    std::unique_ptr<pqxx::connection> conn;
    bool busy = false;
    absl::Time expires = absl::InfiniteFuture();  // of the current lease
    bool cut = false;  // the watchdog shut its socket down
  };
  explicit ConnectionPool(ConnectionPoolOptions options);
  void Release(int slot, bool broken) ABSL_LOCKS_EXCLUDED(mu_);
  void Watchdog() ABSL_LOCKS_EXCLUDED(mu_);

  const ConnectionPoolOptions options_;
  mutable absl::Mutex mu_;
  // Slot objects are fixed; `conn` of a busy slot belongs to its Lease.
  std::vector<Slot> slots_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t timeouts_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread watchdog_;
};

template <typename Fn>
auto ConnectionPool::Run(absl::Time deadline, absl::string_view context,
                         Fn&& fn)
    -> std::invoke_result_t<Fn&, pqxx::connection&> {
  using Result = std::invoke_result_t<Fn&, pqxx::connection&>;
  absl::StatusOr<Lease> lease = Acquire(deadline);
  if (!lease.ok()) return Result(lease.status());
  auto status_of = [](const Result& r) -> absl::Status {
    if constexpr (std::is_same_v<Result, absl::Status>) {
      return r;
    } else {
      return r.status();
    }
  };
  Result result = [&]() -> Result {
    try {
      return fn(lease->conn());
    } catch (const std::exception& e) {
      return DatabaseErrorStatus(e, context, &lease->conn());
    }
  }();
  if (absl::IsUnavailable(status_of(result))) lease->MarkBroken();
  return result;
}

}  // namespace pcs

#endif  // PCS_DB_CONNECTION_POOL_H_
