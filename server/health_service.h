#ifndef PCS_SERVER_HEALTH_SERVICE_H_
#define PCS_SERVER_HEALTH_SERVICE_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace pcs {

// grpc.health.v1.Health (Check and Watch) as a synchronous service, served by
// the sync server's own worker threads.
//
// Why not gRPC's default health service: in gRPC 1.51 it is a callback
// service, and a sync server that registers one also starts a callback
// completion queue with two "nexting" threads. Those poll the same sockets
// as the sync workers, so a request they read is handed to a worker with a
// futex wake-up: 12.8% of pcs-server's CPU samples were on them under the
// evening burst (perf record, docs/SERVER.md "Serving CPU pass").
//
// Answers as the default service does: Check on a name never set is
// NOT_FOUND; Watch sends the current status (SERVICE_UNKNOWN for a name
// never set), then every change, until the client cancels, the server shuts
// down or Shutdown() is called (which sets every name NOT_SERVING for good).
// A Watch holds one sync-server thread for its lifetime.
//
// Thread-safe.
//
// Example:
//   HealthService health;
//   builder.RegisterService(&health);       // outlives the grpc::Server
//   health.SetServingStatus("", true);
class HealthService final : public grpc::health::v1::Health::Service {
 public:
  using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

  void SetServingStatus(const std::string& service, bool serving)
      ABSL_LOCKS_EXCLUDED(mu_);
  // NOT_SERVING for every name, now and for every later Set.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);

  grpc::Status Check(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override
      ABSL_LOCKS_EXCLUDED(mu_);
  grpc::Status Watch(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>*
                         writer) override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  ServingStatus StatusLocked(const std::string& service) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, bool> serving_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t changes_ ABSL_GUARDED_BY(mu_) = 0;  // wakes watchers
};

}  // namespace pcs

#endif  // PCS_SERVER_HEALTH_SERVICE_H_
