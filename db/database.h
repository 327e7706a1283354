#ifndef PCS_DB_DATABASE_H_
#define PCS_DB_DATABASE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "db/embedded_postgres.h"
#include "pqxx/pqxx"

namespace pcs {

// A connection to PostgreSQL, as every store in db/ takes it. Outside db/ it
// is only a handle: get one from Database::Connect (or Database::ConnectTo),
// hand it to a store; all SQL and all libpqxx calls stay in db/
// (scripts/check_layers.py refuses `pqxx` and SQL text elsewhere).
// Not thread-safe: one thread at a time per connection.
using DbConnection = pqxx::connection;

struct DatabaseOptions {
  // libpq conninfo ("host=... dbname=...") or URL ("postgresql://...").
  // Empty: $PCS_DATABASE_URL when set and non-empty, otherwise an embedded
  // cluster is started (see EmbeddedPostgres).
  std::string url;
  // Only for the embedded cluster: folder that keeps its data between runs
  // (e.g. ".pcs/pg"). Empty: $PCS_EMBEDDED_ROOT when set, otherwise a temp
  // folder deleted when the Database is destroyed.
  std::string embedded_root;
};

// Where the pipeline's data lives: an external PostgreSQL server or an
// embedded one owned by this object (stopped in the destructor).
// Open() checks that the server answers, so a wrong URL fails here with one
// clear line rather than deep inside a command.
//
// Threading: immutable after Open(); Connect() may be called from any thread
// (each call returns a new connection owned by the caller).
//
// Example:
//   auto db = Database::Open({});
//   if (!db.ok()) return db.status();
//   auto conn = (*db)->Connect();
class Database {
 public:
  static absl::StatusOr<std::unique_ptr<Database>> Open(
      DatabaseOptions options);

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // libpq conninfo to pass to pqxx::connection.
  const std::string& conninfo() const { return conninfo_; }
  // True when the server is the embedded cluster started by Open().
  bool embedded() const { return embedded_ != nullptr; }
  // conninfo with any password masked, for logs (MaskConninfo).
  std::string Describe() const;

  // A new connection (errors returned, not thrown): UNAVAILABLE naming the
  // server (password masked) when PostgreSQL does not answer.
  absl::StatusOr<std::unique_ptr<DbConnection>> Connect() const;
  // The same for a conninfo held by a job's options (the jobs get a conninfo,
  // not a Database, so that worker threads open their own connections).
  static absl::StatusOr<std::unique_ptr<DbConnection>> ConnectTo(
      const std::string& conninfo);

 private:
  Database() = default;

  std::string conninfo_;
  std::unique_ptr<EmbeddedPostgres> embedded_;
};

// `conninfo` (key=value form or postgresql:// URL) pointing at database
// `dbname` instead, everything else kept.
std::string ConnInfoWithDatabase(const std::string& conninfo,
                                 const std::string& dbname);

// `conninfo` (keyword form or postgresql:// URL) as libpq parses it
// (PQconninfoParse), rewritten in keyword form with the password and any
// other secret (sslpassword) shown as ***. Never string matching: quoted
// values, spaces around '=' and URL forms are all libpq's to read. A string
// libpq cannot parse becomes "<conninfo libpq cannot parse>" (its text may
// hold a password).
std::string MaskConninfo(const std::string& conninfo);

// What may be recorded about a database where anyone can read it (a model
// card): "postgresql database '<dbname>'", never a host, port, user, socket
// path or credentials. "postgresql" when no dbname is set.
std::string PublicDatabaseName(const std::string& conninfo);

}  // namespace pcs

#endif  // PCS_DB_DATABASE_H_
