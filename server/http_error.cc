#include "server/http_error.h"

#include <httplib.h>

#include "nlohmann/json.hpp"

namespace pcs {

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

std::string HttpErrorBody(const absl::Status& status, int http_status) {
  const int http = http_status != 0 ? http_status : HttpStatusOf(status.code());
  const nlohmann::json body = {
      {"error",
       {{"code", absl::StatusCodeToString(status.code())},
        {"http_status", http},
        {"message", std::string(status.message())}}}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void WriteHttpError(httplib::Response& response, const absl::Status& status,
                    int http_status) {
  response.status =
      http_status != 0 ? http_status : HttpStatusOf(status.code());
  response.set_content(HttpErrorBody(status, response.status),
                       "application/json");
}

}  // namespace pcs
