#ifndef PCS_SERVER_LIMITED_HTTP_SERVER_H_
#define PCS_SERVER_LIMITED_HTTP_SERVER_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "server/http_limits.h"

namespace httplib {
class Server;
}
typedef struct ssl_ctx_st SSL_CTX;

namespace pcs {

// A cpp-httplib server (HTTP, or HTTPS when `tls_setup` is set) whose
// connections are served under HttpLimits: it replaces cpp-httplib's
// per-connection loop (Debian's 0.11 has only per-read timeouts, a fixed
// pool of 8 threads and reads any body into memory) with one that
//   - gives the request line and headers `header_timeout` in total, the body
//     `read_timeout` from the end of the headers, each write
//     `write_timeout`, an idle keep-alive connection `keep_alive_timeout`;
//   - serves up to `max_connections` connections at once, one thread each
//     (started on demand), and answers any connection beyond them 503 on a
//     thread kept for that, then closes it (over TLS after the handshake,
//     all within 500 ms; beyond 64 such connections waiting for that
//     thread, it closes them unanswered);
//   - closes the connection after a response written before the request's
//     body was read (RefuseBodyAndClose), draining briefly so the client
//     reads the answer instead of a reset.
// Routing, parsing and the handlers stay cpp-httplib's. The caller installs
// the body checks (CheckBodyHeaders) in its pre-routing handler.
//
// Threading: as cpp-httplib; handlers run on the connection threads.
using TlsSetupFn = std::function<absl::Status(SSL_CTX*)>;
absl::StatusOr<std::unique_ptr<httplib::Server>> MakeLimitedHttpServer(
    const HttpLimits& limits, const TlsSetupFn& tls_setup);

// Called on a handler thread once the headers are parsed (the pre-routing
// handler): from now on the body's deadline applies, not the headers'.
void MarkHeadersRead();

// Called on a handler thread that answers without reading the request's
// body: the connection is closed after the response.
void RefuseBodyAndClose();

}  // namespace pcs

#endif  // PCS_SERVER_LIMITED_HTTP_SERVER_H_
