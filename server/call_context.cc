#include "server/call_context.h"

#include <chrono>

#include "grpcpp/grpcpp.h"
#include "server/request_identity.h"

namespace pcs {

absl::Time DeadlineOf(const grpc::ServerContext& context) {
  auto deadline = context.deadline();
  auto now = std::chrono::system_clock::now();
  // Far-future (no deadline) would overflow the conversion.
  if (deadline - now > std::chrono::hours(24 * 365)) {
    return absl::InfiniteFuture();
  }
  return absl::FromChrono(deadline);
}

CallContext CallContextFromGrpc(const grpc::ServerContext& context) {
  return CallContext{.identity = IdentityFromGrpc(context),
                     .peer = context.peer(),
                     .deadline = DeadlineOf(context),
                     .request_id = "",
                     .entrypoint = Entrypoint::kGrpc,
                     .cancelled = [&context] { return context.IsCancelled(); }};
}

}  // namespace pcs
