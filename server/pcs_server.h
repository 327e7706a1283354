#ifndef PCS_SERVER_PCS_SERVER_H_
#define PCS_SERVER_PCS_SERVER_H_

#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "server/allow_list_authorizer.h"
#include "server/metrics_http_server.h"
#include "server/metrics_registry.h"
#include "server/model_manager.h"
#include "server/model_registry_source.h"
#include "server/pattern_confidence_service.h"
#include "server/scoring_engine.h"
#include "server/trace_logger.h"

namespace pcs {

// Every knob of pcs-server (flags, env and config file map onto this).
struct PcsServerOptions {
  // gRPC listen address; port 0 picks a free port (see grpc_port()).
  std::string listen = "127.0.0.1:50051";
  // /metrics listen address; "" disables the metrics listener.
  std::string metrics_listen = "127.0.0.1:9464";
  // PostgreSQL conninfo/URL (required).
  std::string database_url = {};
  // Model registry root.
  std::string models_dir = "models/phase5";
  // Serve this version instead of CHAMPION ("" = follow CHAMPION).
  std::string pin_version = {};
  // ENABLE_PHASE5_CONFIDENCE.
  bool enable_phase5 = false;
  // ML blend weight; nullopt = the model card's serving.blend_weight.
  std::optional<double> blend_weight = std::nullopt;
  // Registry poll period; 0 = never poll after start (tests step by hand
  // through model_source()).
  absl::Duration poll_period = absl::Seconds(10);
  // gRPC worker threads (max pollers) and DB connection pool size.
  int threads = 4;
  // How often the health checker pings PostgreSQL.
  absl::Duration health_period = absl::Seconds(2);
  // Trace logging of scores into pattern_lifecycle_history.
  bool trace = true;
  size_t trace_queue = 10000;
  // Authorization (server/allow_list_authorizer.h for the file format).
  // "" = empty list: every write is refused (UNAUTHENTICATED or
  // PERMISSION_DENIED); reads stay open unless reads_require_identity.
  std::string allow_list_file = {};
  bool reads_require_identity = false;
};

// The assembled server: metrics registry, model manager fed by the registry
// source, scoring engine, trace logger, the pcs.v1 service, the standard
// grpc.health.v1 service, server reflection and the /metrics listener.
//
// Health: grpc.health.v1 reports SERVING (for "" and
// "pcs.v1.PatternConfidence") while PostgreSQL answers a ping, NOT_SERVING
// otherwise. A missing model does NOT make it NOT_SERVING: the service still
// answers with the rule confidence (fallback_reason "no_model").
//
// Lifecycle: Create() starts everything and returns once the port is bound
// and the first registry poll has run; Shutdown() stops accepting, lets
// in-flight calls finish (bounded by `grace`), flushes the trace queue and
// stops the threads. The destructor calls Shutdown().
class PcsServer {
 public:
  static absl::StatusOr<std::unique_ptr<PcsServer>> Create(
      PcsServerOptions options);
  ~PcsServer();

  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_http_ ? metrics_http_->port() : 0; }
  void Wait() { server_->Wait(); }
  void Shutdown(absl::Duration grace = absl::Seconds(5));

  ModelManager& models() { return *models_; }
  ModelRegistrySource& model_source() { return *source_; }
  ScoringEngine& engine() { return *engine_; }
  TraceLogger* traces() { return traces_.get(); }
  MetricsRegistry& metrics() { return metrics_; }
  // The authorizer the gRPC methods use; HTTP routes that write use it too.
  const Authorizer& authorizer() const { return *authorizer_; }
  // Runs one health check now (tests).
  void CheckHealth();

 private:
  explicit PcsServer(PcsServerOptions options) : options_(std::move(options)) {}
  absl::Status Start();
  void HealthLoop();
  void RefreshGauges();

  const PcsServerOptions options_;
  MetricsRegistry metrics_;
  std::unique_ptr<ModelManager> models_;
  std::unique_ptr<ModelRegistrySource> source_;
  std::unique_ptr<ScoringEngine> engine_;
  std::unique_ptr<TraceLogger> traces_;
  std::unique_ptr<AllowListAuthorizer> authorizer_;
  std::unique_ptr<PatternConfidenceService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<MetricsHttpServer> metrics_http_;
  int grpc_port_ = 0;
  absl::Notification stop_health_;
  std::thread health_thread_;
  bool shut_down_ = false;
  Gauge* pool_in_use_ = nullptr;
  Gauge* pool_idle_ = nullptr;
  Gauge* db_up_ = nullptr;
};

}  // namespace pcs

#endif  // PCS_SERVER_PCS_SERVER_H_
