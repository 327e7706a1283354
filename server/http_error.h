#ifndef PCS_SERVER_HTTP_ERROR_H_
#define PCS_SERVER_HTTP_ERROR_H_

#include <string>

#include "absl/status/status.h"

namespace httplib {
struct Response;
}

namespace pcs {

// HTTP status for an absl status code: INVALID_ARGUMENT 400,
// UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404,
// FAILED_PRECONDITION / ABORTED / ALREADY_EXISTS 409, RESOURCE_EXHAUSTED 429,
// UNIMPLEMENTED 501, UNAVAILABLE 503, DEADLINE_EXCEEDED 504, others 500.
int HttpStatusOf(absl::StatusCode code);

// Writes the one error body of the HTTP port:
//   {"error": {"code": "NOT_FOUND", "http_status": 404, "message": "..."}}
// with HttpStatusOf(status.code()), or `http_status` when given (413, 405).
// The message must already be fit for a client (no exception or libpq text).
void WriteHttpError(httplib::Response& response, const absl::Status& status,
                    int http_status = 0);

// That body as text, for `http_status` (0: HttpStatusOf(status.code())).
std::string HttpErrorBody(const absl::Status& status, int http_status = 0);

}  // namespace pcs

#endif  // PCS_SERVER_HTTP_ERROR_H_
