#ifndef PCS_SERVER_HTTP_LIMITS_H_
#define PCS_SERVER_HTTP_LIMITS_H_

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace pcs {

// Limits of the HTTP port (REST, console, /metrics, /healthz), applied
// before a request costs anything: a body is refused from its headers, a
// client that trickles its headers is cut off, a connection beyond the cap
// is answered 503 by a thread of its own. pcs-server flags: --http-* (docs/
// SERVER.md "Limits"). The defaults suit the REST API, whose largest body is
// an override of a few hundred bytes.
struct HttpLimits {
  // Largest request body (its Content-Length): a larger one is answered 413
  // before a byte of it is read. A body without Content-Length (chunked) is
  // answered 411.
  size_t max_body_bytes = 1 << 20;
  // Deepest nesting of arrays and objects in a JSON body: deeper is 400.
  int max_json_depth = 32;
  // The request line and every header must have arrived this long after
  // the request's first byte could be read.
  absl::Duration header_timeout = absl::Seconds(10);
  // The body must have arrived this long after the headers.
  absl::Duration read_timeout = absl::Seconds(10);
  // Each write of a response must make progress within this.
  absl::Duration write_timeout = absl::Seconds(10);
  // An idle keep-alive connection is closed after this...
  absl::Duration keep_alive_timeout = absl::Seconds(5);
  // ... and after this many requests.
  int keep_alive_max_requests = 100;
  // Connections served at once, one thread each; a connection beyond the
  // cap is answered 503 and closed (by one thread kept for that), so a
  // client holding connections open costs threads only up to the cap.
  int max_connections = 128;
};

// OK, or INVALID_ARGUMENT naming the bad limit.
absl::Status ValidateHttpLimits(const HttpLimits& limits);

// OK when `body` nests arrays/objects at most `max_depth` deep (string
// contents are skipped); else INVALID_ARGUMENT "body: JSON nested deeper than
// N". Linear, no allocation: runs before any JSON parser sees the body.
absl::Status CheckJsonDepth(std::string_view body, int max_depth);

// OK, or the refusal of a request whose body must not be read: 411 (no
// Content-Length on a body), 413 (too large), 400 (bad Content-Length).
// Called from the pre-routing and Expect: 100-continue handlers.
struct BodyRefusal {
  int http_status = 0;  // 0 = accepted
  absl::Status status;
};
BodyRefusal CheckBodyHeaders(const httplib::Request& request,
                             const HttpLimits& limits);

}  // namespace pcs

#endif  // PCS_SERVER_HTTP_LIMITS_H_
