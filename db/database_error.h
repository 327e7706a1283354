#ifndef PCS_DB_DATABASE_ERROR_H_
#define PCS_DB_DATABASE_ERROR_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace pcs {

// Payload key set on every Status made from a database exception
// (db/transaction.h DatabaseErrorStatus); its value is the SQLSTATE, or
// "connection", "in_doubt" or "exception". Header-only and free of libpqxx,
// so code that only inspects statuses (server/request_validation) needs no
// database library.
inline constexpr absl::string_view kDatabaseErrorPayload = "pcs.db/error";

// True when `status` came from DatabaseErrorStatus: its message is
// "<context> (<what happened>): <libpq text>".
inline bool IsDatabaseError(const absl::Status& status) {
  return status.GetPayload(kDatabaseErrorPayload).has_value();
}

}  // namespace pcs

#endif  // PCS_DB_DATABASE_ERROR_H_
