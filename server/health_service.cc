#include "server/health_service.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace pcs {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

void HealthService::SetServingStatus(const std::string& service, bool serving) {
  absl::MutexLock lock(&mu_);
  auto [it, added] = serving_.emplace(service, serving && !shut_down_);
  if (!added) {
    if (it->second == (serving && !shut_down_)) return;
    it->second = serving && !shut_down_;
  }
  ++changes_;
}

void HealthService::Shutdown() {
  absl::MutexLock lock(&mu_);
  shut_down_ = true;
  for (auto& [service, serving] : serving_) serving = false;
  ++changes_;
}

HealthService::ServingStatus HealthService::StatusLocked(
    const std::string& service) const {
  auto it = serving_.find(service);
  if (it == serving_.end()) return HealthCheckResponse::SERVICE_UNKNOWN;
  return it->second ? HealthCheckResponse::SERVING
                    : HealthCheckResponse::NOT_SERVING;
}

grpc::Status HealthService::Check(grpc::ServerContext* /*context*/,
                                  const HealthCheckRequest* request,
                                  HealthCheckResponse* response) {
  absl::MutexLock lock(&mu_);
  const ServingStatus status = StatusLocked(request->service());
  if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "service name unknown");
  }
  response->set_status(status);
  return grpc::Status::OK;
}

grpc::Status HealthService::Watch(
    grpc::ServerContext* context, const HealthCheckRequest* request,
    grpc::ServerWriter<HealthCheckResponse>* writer) {
  uint64_t seen = 0;
  bool first = true;
  ServingStatus sent = HealthCheckResponse::UNKNOWN;
  for (;;) {
    ServingStatus status;
    bool shut_down;
    {
      absl::MutexLock lock(&mu_);
      // Woken by a change; a cancelled call is noticed within 100 ms.
      auto changed = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return changes_ != seen;
      };
      if (!first) {
        mu_.AwaitWithTimeout(absl::Condition(&changed),
                             absl::Milliseconds(100));
      }
      seen = changes_;
      status = StatusLocked(request->service());
      shut_down = shut_down_;
    }
    if (context->IsCancelled()) return grpc::Status::CANCELLED;
    if (first || status != sent) {
      HealthCheckResponse response;
      response.set_status(status);
      if (!writer->Write(response)) return grpc::Status::CANCELLED;
      sent = status;
      first = false;
    }
    if (shut_down) return grpc::Status::OK;
  }
}

}  // namespace pcs
