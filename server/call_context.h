#ifndef PCS_SERVER_CALL_CONTEXT_H_
#define PCS_SERVER_CALL_CONTEXT_H_

#include <functional>
#include <string>

#include "absl/time/time.h"
#include "server/authorizer.h"

namespace grpc {
class ServerContext;
}

namespace pcs {

// The door a call came in by. Labels log lines ("entrypoint=grpc").
enum class Entrypoint { kGrpc, kHttp };

inline const char* EntrypointName(Entrypoint entrypoint) {
  return entrypoint == Entrypoint::kHttp ? "http" : "grpc";
}

// What the service needs to know about one call, whichever protocol carried
// it: PatternConfidenceService's methods take this instead of
// grpc::ServerContext, so gRPC (CallContextFromGrpc) and the HTTP transcoder
// (server/transcoder.h) reach the same code with the same checks.
//
// Example:
//   CallContext call{.identity = IdentityFromHttp(request),
//                    .peer = request.remote_addr,
//                    .deadline = absl::Now() + absl::Seconds(10),
//                    .request_id = id,
//                    .entrypoint = Entrypoint::kHttp};
struct CallContext {
  // The credentials the transport verified (server/request_identity.h).
  Identity identity = {};
  // The caller's address, for refusal log lines.
  std::string peer = {};
  // When the caller stops waiting (InfiniteFuture: never).
  absl::Time deadline = absl::InfiniteFuture();
  // The HTTP request id (X-Request-Id, or a W3C traceparent's trace id);
  // "" for gRPC calls.
  std::string request_id = {};
  Entrypoint entrypoint = Entrypoint::kGrpc;
  // True once the caller is gone (client cancelled, deadline passed, the
  // server's shutdown grace period over); null: never cancelled.
  std::function<bool()> cancelled = nullptr;

  bool IsCancelled() const { return cancelled != nullptr && cancelled(); }
};

// The context of a gRPC call: its identity, peer, deadline and
// cancellation. `context` must outlive the returned value.
CallContext CallContextFromGrpc(const grpc::ServerContext& context);

// The call's deadline as absl::Time (InfiniteFuture when none is set).
absl::Time DeadlineOf(const grpc::ServerContext& context);

}  // namespace pcs

#endif  // PCS_SERVER_CALL_CONTEXT_H_
