#ifndef PCS_SERVER_PCS_SERVER_H_
#define PCS_SERVER_PCS_SERVER_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "server/allow_list_authorizer.h"
#include "server/health_service.h"
#include "server/metrics_http_server.h"
#include "server/metrics_registry.h"
#include "server/model_manager.h"
#include "server/model_registry_source.h"
#include "server/pattern_confidence_service.h"
#include "server/rest_api.h"
#include "server/scoring_engine.h"
#include "server/tls_credentials.h"
#include "server/trace_logger.h"

namespace pcs {

// Limits of the gRPC port (--grpc-* flags; docs/SERVER.md "Limits").
struct GrpcLimits {
  // Threads the gRPC server may run (grpc::ResourceQuota::SetMaxThreads):
  // every call in progress holds one (an open ScoreStream for its whole
  // life); a call beyond the cap is answered RESOURCE_EXHAUSTED at once.
  // Must leave room above `threads` (the pollers).
  int max_threads = 64;
  // Concurrent streams (calls) one HTTP/2 connection may open.
  int max_concurrent_streams = 100;
  // From TCP accept to the client's HTTP/2 SETTINGS (TLS handshake and
  // connection preface included); a connection slower than this is closed.
  absl::Duration handshake_timeout = absl::Seconds(10);
  // Keepalive enforcement: a client pinging more often than this without
  // data gets a strike, at the second strike its connection is closed.
  absl::Duration min_client_ping_interval = absl::Minutes(1);
  // The server pings a connection silent for keepalive_time and closes it
  // when no answer comes within keepalive_timeout (dead peers).
  absl::Duration keepalive_time = absl::Minutes(2);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  // A connection with no call for this long is closed (GOAWAY).
  absl::Duration max_connection_idle = absl::Minutes(10);
};

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
  // The one concurrency setting: gRPC sync-server worker threads (max
  // pollers) AND database pool connections. A request holds one connection
  // at a time on its worker thread, so equal sizes mean a worker never waits
  // for a connection and no connection idles for want of a worker. Default 4
  // = 2 per core on the 2-core target: a miss waits on PostgreSQL (which
  // runs on the same cores) about as long as it computes, so two requests
  // per core keep the cores busy; more threads only queue on the same CPUs.
  int threads = 4;
  // Start-up warm-up of the price-history cache (the window of every symbol
  // with an open pattern). Runs inside Create() after the port is bound
  // (requests are answered meanwhile, from the database); grpc.health.v1
  // stays NOT_SERVING until it ends, which is at most this long, then the
  // rest load on first use. Zero = no warm-up.
  absl::Duration warmup = absl::Seconds(20);
  // Memory budget of the price-history cache in bytes (--bar-cache-mb;
  // ScoringEngineOptions::bar_cache_bytes, docs/SERVER.md "Caches").
  size_t bar_cache_bytes = ScoringEngineOptions{}.bar_cache_bytes;
  // How often the health checker pings PostgreSQL.
  absl::Duration health_period = absl::Seconds(2);
  // Longest /metrics serves the latest monitoring runs (`pcs outcomes`,
  // `pcs drift`) without reading monitoring_runs again; zero reads on every
  // scrape (server/monitoring_gauges.h).
  absl::Duration monitoring_refresh = absl::Seconds(15);
  // Trace logging of scores into pattern_lifecycle_history.
  bool trace = true;
  size_t trace_queue = 10000;
  // Trace one of every N anonymous callers' scores (TraceLoggerOptions::
  // anonymous_one_in); 1 traces all.
  int64_t trace_anonymous_one_in = 1;
  // Authorization (server/allow_list_authorizer.h for the file format).
  // "" = empty list: every write is refused (UNAUTHENTICATED or
  // PERMISSION_DENIED); reads stay open unless reads_require_identity.
  std::string allow_list_file = {};
  bool reads_require_identity = false;
  // Folder of the chart snapshots (`pcs snapshots --snapshot-root`) served
  // at GET /api/v1/snapshots/{sha256}; "" = not served (404).
  std::string snapshot_root = {};
  // TLS / mTLS for both the gRPC and the HTTP listener; plaintext when
  // tls.cert_file is empty.
  TlsOptions tls = {};
  // Limits of the HTTP port (server/http_limits.h; --http-* flags).
  HttpLimits http_limits = {};
  // Limits of the gRPC port.
  GrpcLimits grpc_limits = {};
  // Origins allowed to write over HTTP besides the server's own
  // (RestApiOptions::allowed_origins).
  std::vector<std::string> http_allowed_origins = {};
};

// The assembled server: metrics registry, model manager fed by the registry
// source, scoring engine, trace logger, the pcs.v1 service, the standard
// grpc.health.v1 service, server reflection and the /metrics listener.
//
// Health (grpc.health.v1), checked every health_period:
//   "liveness"                       SERVING while the process runs (the
//                                    liveness probe; a database outage never
//                                    fails it);
//   "" and "pcs.v1.PatternConfidence" readiness: SERVING once the start-up
//                                    warm-up has ended, NOT_SERVING from the
//                                    start of Shutdown(). A database outage
//                                    does not make it NOT_SERVING (cached
//                                    scores still flow, the rest fail fast
//                                    with UNAVAILABLE): the outage is its own
//                                    signal, the gauge pcs_database_up. A
//                                    missing model does not either (rule
//                                    fallback, fallback_reason "no_model").
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
  void WarmUp();
  // The REST API and snapshot store served on the metrics HTTP port.
  absl::Status StartRestApi();
  void RefreshGauges();

  const PcsServerOptions options_;
  MetricsRegistry metrics_;
  std::unique_ptr<ModelManager> models_;
  std::unique_ptr<ModelRegistrySource> source_;
  std::unique_ptr<ScoringEngine> engine_;
  std::unique_ptr<TraceLogger> traces_;
  std::unique_ptr<AllowListAuthorizer> authorizer_;
  std::unique_ptr<PatternReviewQueries> reviews_;
  std::unique_ptr<PatternConfidenceService> service_;
  HealthService health_;  // registered with server_, so it outlives it
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<SnapshotBlobStore> snapshots_;
  std::unique_ptr<RestApi> rest_;  // routes on the metrics HTTP port
  std::unique_ptr<MetricsHttpServer> metrics_http_;
  int grpc_port_ = 0;
  absl::Notification stop_health_;
  std::thread health_thread_;
  std::atomic<bool> warm_done_{false};
  bool shut_down_ = false;
  Gauge* pool_in_use_ = nullptr;
  Gauge* pool_idle_ = nullptr;
  Gauge* db_up_ = nullptr;
};

}  // namespace pcs

#endif  // PCS_SERVER_PCS_SERVER_H_
