#include "server/http_limits.h"

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace pcs {

absl::Status ValidateHttpLimits(const HttpLimits& limits) {
  auto positive = [](absl::Duration d) { return d > absl::ZeroDuration(); };
  if (limits.max_body_bytes == 0) {
    return absl::InvalidArgumentError("http max body bytes must be > 0");
  }
  if (limits.max_json_depth < 1) {
    return absl::InvalidArgumentError("http max JSON depth must be >= 1");
  }
  if (!positive(limits.header_timeout) || !positive(limits.read_timeout) ||
      !positive(limits.write_timeout) || !positive(limits.keep_alive_timeout)) {
    return absl::InvalidArgumentError("http timeouts must be > 0");
  }
  if (limits.keep_alive_max_requests < 1 || limits.max_connections < 1) {
    return absl::InvalidArgumentError(
        "http keep-alive requests and max connections must be >= 1");
  }
  return absl::OkStatus();
}

absl::Status CheckJsonDepth(std::string_view body, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // skip the escaped character
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return absl::InvalidArgumentError(
            absl::StrCat("body: JSON nested deeper than ", max_depth));
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return absl::OkStatus();
}

BodyRefusal CheckBodyHeaders(const httplib::Request& request,
                             const HttpLimits& limits) {
  if (request.has_header("Transfer-Encoding")) {
    return {411, absl::InvalidArgumentError(
                     "body: send a Content-Length (chunked request bodies "
                     "are not accepted)")};
  }
  if (!request.has_header("Content-Length")) return {};
  if (request.get_header_value_count("Content-Length") != 1) {
    return {400, absl::InvalidArgumentError("Content-Length: repeated")};
  }
  uint64_t length = 0;
  if (!absl::SimpleAtoi(request.get_header_value("Content-Length"), &length)) {
    return {400, absl::InvalidArgumentError("Content-Length: not a number")};
  }
  if (length > limits.max_body_bytes) {
    return {413, absl::InvalidArgumentError(absl::StrCat(
                     "body: ", length, " bytes, the limit is ",
                     limits.max_body_bytes, " (--http-max-body-bytes)"))};
  }
  return {};
}

}  // namespace pcs
