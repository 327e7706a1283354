#ifndef PCS_DB_EMBEDDED_POSTGRES_H_
#define PCS_DB_EMBEDDED_POSTGRES_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pcs {

// Options of a throwaway (or persistent, see `root`) PostgreSQL cluster.
struct EmbeddedPostgresOptions {
  // Folder that holds the cluster's data directory (`<root>/data`) and server
  // log (`<root>/server.log`). Empty: a fresh temp folder (under $TMPDIR or
  // /tmp) that is deleted by Stop(). When given, the folder is created if
  // needed, an existing cluster in it is reused, and it is kept after Stop().
  std::string root;
  // PostgreSQL server binaries (initdb, pg_ctl).
  std::string bin_dir = "/usr/lib/postgresql/15/bin";
  // Port number. The server listens on a Unix socket only
  // (listen_addresses=''), so the port only names the socket file
  // (`.s.PGSQL.<port>`) inside a private socket folder; 0 picks one in
  // [20000, 60000). Never 5432.
  int port = 0;
  // Database created on first start (besides `postgres`).
  std::string database = "pcs";
  // Seconds pg_ctl waits for start-up / shutdown.
  int timeout_seconds = 60;
};

// A PostgreSQL cluster owned by this process: initdb (once), pg_ctl start,
// and pg_ctl stop -m fast in Stop() or the destructor. When the process runs
// as root (CI does) every server command runs as the `postgres` user through
// `runuser`, since PostgreSQL refuses to run as root. The server uses
// fsync=off and friends: data in a throwaway cluster is not crash-safe.
//
// The running postmaster is registered with a process-wide signal guard: on
// SIGINT, SIGTERM, SIGHUP, SIGQUIT and on crashes (SIGABRT, SIGSEGV, SIGBUS,
// SIGFPE, SIGILL) it is sent a fast-shutdown request before the signal takes
// its usual effect, so no postgres process outlives us. (SIGKILL cannot be
// handled; a cluster of a killed process keeps running until stopped.)
//
// Threading: Start/Stop/destructor from one thread; the accessors are
// const and safe to call from any thread.
//
// Example:
//   auto pg = EmbeddedPostgres::Start({});
//   if (!pg.ok()) return pg.status();
//   pqxx::connection c((*pg)->ConnInfo());
class EmbeddedPostgres {
 public:
  static absl::StatusOr<std::unique_ptr<EmbeddedPostgres>> Start(
      EmbeddedPostgresOptions options);

  ~EmbeddedPostgres();
  EmbeddedPostgres(const EmbeddedPostgres&) = delete;
  EmbeddedPostgres& operator=(const EmbeddedPostgres&) = delete;

  // Stops the server (pg_ctl stop -m fast, waiting until it is gone) and
  // deletes the temp folders. Idempotent.
  absl::Status Stop();

  // libpq conninfo for `database` (default: options.database), as superuser
  // `postgres` over the Unix socket.
  std::string ConnInfo(const std::string& database = "") const;

  const std::string& socket_dir() const { return socket_dir_; }
  const std::string& data_dir() const { return data_dir_; }
  int port() const { return port_; }
  // Pid of the postmaster, 0 when stopped.
  pid_t postmaster_pid() const { return postmaster_pid_; }

 private:
  explicit EmbeddedPostgres(EmbeddedPostgresOptions options)
      : options_(std::move(options)) {}

  absl::Status Init();
  absl::Status InitDb();
  absl::Status StartServer();
  absl::Status CreateDatabase();

  EmbeddedPostgresOptions options_;
  std::string root_;        // options_.root or a temp folder
  bool owns_root_ = false;  // true: delete root_ in Stop()
  std::string data_dir_;
  std::string socket_dir_;  // always a private short temp folder
  std::string log_file_;
  int port_ = 0;
  pid_t postmaster_pid_ = 0;
  int guard_slot_ = -1;
};

}  // namespace pcs

#endif  // PCS_DB_EMBEDDED_POSTGRES_H_
