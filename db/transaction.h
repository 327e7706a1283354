#ifndef PCS_DB_TRANSACTION_H_
#define PCS_DB_TRANSACTION_H_

#include <exception>
#include <optional>
#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "db/database_error.h"
#include "pqxx/pqxx"

namespace pcs {

// The one place where libpqxx errors become absl::Status (every store in db/
// runs its SQL through RunInTransaction). Mapping:
//
//   UNAVAILABLE          pqxx::broken_connection (also a socket cut by the
//                        server's lease watchdog), SQLSTATE class 08
//                        (connection), 57014 (statement_timeout or a
//                        cancel), 55P03 (lock_timeout), 57P01..57P03 (backend
//                        terminated, e.g. pg_terminate_backend, or server
//                        shutting down), class 53 (insufficient resources).
//                        A timeout is UNAVAILABLE, not DEADLINE_EXCEEDED: it
//                        is the database's own limit, not the caller's
//                        deadline, and a retry may succeed.
//   ABORTED              40001 / 40P01 (serialization failure, deadlock): the
//                        transaction was rolled back; retry it.
//   UNKNOWN              pqxx::in_doubt_error, 40003: the connection broke
//                        during COMMIT, the outcome is not known.
//   ALREADY_EXISTS       23505 unique_violation.
//   FAILED_PRECONDITION  23503 foreign_key_violation, 23001 restrict_violation.
//   INVALID_ARGUMENT     other class 23 (check, not null, exclusion) and
//                        class 22 (data exception: bad date, out of range).
//   INTERNAL             every other exception (syntax error, conversion,
//                        a bug).
//
// Message: "<context> (<what happened>): <libpq text>", libpq text on one
// line. `context` says what was being done ("loading pattern 0a1b...") and
// must not contain ": ". The status carries the payload kDatabaseErrorPayload
// (value: the SQLSTATE, or "connection" / "in_doubt" / "exception"), so the
// gRPC layer (server/request_validation.h ClientMessage) sends clients only
// the text before the first ": " and never the libpq text (socket paths,
// SQL, key values).

// The Status for an exception thrown while talking to PostgreSQL. With
// `conn` given and no longer open, the error is a lost connection
// (UNAVAILABLE) whatever the exception says: libpq reports a dropped socket
// as a plain error without SQLSTATE.
absl::Status DatabaseErrorStatus(const std::exception& e,
                                 absl::string_view context,
                                 const pqxx::connection_base* conn = nullptr);

// Runs `fn(tx)` in a new transaction of type Tx on `conn` (pqxx::work by
// default; pqxx::read_transaction or pqxx::nontransaction for reads) and
// commits when fn returns an ok status; any other status (e.g. NotFound)
// rolls back and is returned unchanged. `fn` returns absl::Status or
// absl::StatusOr<T>; exceptions it or libpqxx throws become
// DatabaseErrorStatus(e, context, &conn). Never throws.
//
// Threading: as pqxx::connection (one thread at a time per connection).
//
// Example:
//   absl::StatusOr<int64_t> n = RunInTransaction<pqxx::read_transaction>(
//       conn, "counting patterns", [](pqxx::transaction_base& tx) {
//         return absl::StatusOr<int64_t>(
//             tx.exec1("SELECT count(*) FROM pattern_events")[0]
//                 .as<int64_t>());
//       });
template <typename Tx = pqxx::work, typename Fn>
auto RunInTransaction(pqxx::connection& conn, absl::string_view context,
                      Fn&& fn) -> std::invoke_result_t<Fn&, Tx&> {
  try {
    Tx tx(conn);
    std::invoke_result_t<Fn&, Tx&> result = fn(tx);
    if (result.ok()) tx.commit();
    return result;
  } catch (const std::exception& e) {
    return DatabaseErrorStatus(e, context, &conn);
  }
}

// `text` as a SQL string literal ('...' escaped by the connection), for
// statements built as text (multi-row VALUES). pqxx's quote() trips a GCC 12
// -Wrestrict false positive under -O2.
std::string SqlLiteral(pqxx::transaction_base& tx, const std::string& text);

}  // namespace pcs

#endif  // PCS_DB_TRANSACTION_H_
