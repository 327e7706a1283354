#include "server/pcs_server.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/version.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/resource_quota.h"
#include "server/monitoring_gauges.h"
#include "server/process_metrics.h"
#include "server/request_identity.h"
#include "snapshots/local_snapshot_blob_store.h"
#include "spdlog/spdlog.h"

namespace pcs {
namespace {

constexpr char kServiceName[] = "pcs.v1.PatternConfidence";
constexpr char kLivenessService[] = "liveness";

int Ms(absl::Duration d) {
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(d),
                                            std::numeric_limits<int>::max()));
}

void ApplyGrpcLimits(const GrpcLimits& limits, grpc::ServerBuilder& builder) {
  grpc::ResourceQuota quota("pcs-server");
  quota.SetMaxThreads(limits.max_threads);
  builder.SetResourceQuota(quota);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             limits.max_concurrent_streams);
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                             Ms(limits.handshake_timeout));
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      Ms(limits.min_client_ping_interval));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             Ms(limits.keepalive_time));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             Ms(limits.keepalive_timeout));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                             Ms(limits.max_connection_idle));
}

}  // namespace

absl::StatusOr<std::unique_ptr<PcsServer>> PcsServer::Create(
    PcsServerOptions options) {
  if (options.database_url.empty()) {
    return absl::InvalidArgumentError(
        "database_url is required (--database-url or PCS_DATABASE_URL)");
  }
  if (options.threads <= 0) {
    return absl::InvalidArgumentError("threads must be > 0");
  }
  if (absl::Status s = ValidateTlsOptions(options.tls); !s.ok()) return s;
  if (absl::Status s = ValidateHttpLimits(options.http_limits); !s.ok()) {
    return s;
  }
  if (options.grpc_limits.max_threads < options.threads + 2 ||
      options.grpc_limits.max_concurrent_streams < 1 ||
      options.grpc_limits.handshake_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("grpc limits: max threads must be >= threads + 2 (",
                     options.threads + 2,
                     "), max concurrent streams >= 1, handshake timeout > 0"));
  }
  std::unique_ptr<PcsServer> server(new PcsServer(std::move(options)));
  if (absl::Status s = server->Start(); !s.ok()) return s;
  return server;
}

absl::Status PcsServer::Start() {
  models_ = std::make_unique<ModelManager>(ModelManagerOptions{
      .models_dir = options_.models_dir, .metrics = &metrics_});
  auto source = ModelRegistrySource::Create(
      {.models_dir = options_.models_dir,
       .pin_version = options_.pin_version,
       .poll_period = options_.poll_period},
      [m = models_.get()](const RegistrySnapshot& s) { m->OnSnapshot(s); });
  if (!source.ok()) return source.status();
  source_ = std::move(*source);

  ScoringEngineOptions engine_options;
  engine_options.conninfo = options_.database_url;
  engine_options.pool_size = options_.threads;
  engine_options.phase5_enabled = options_.enable_phase5;
  engine_options.blend_weight = options_.blend_weight;
  engine_options.bar_cache_bytes = options_.bar_cache_bytes;
  auto engine = ScoringEngine::Create(engine_options, models_.get());
  if (!engine.ok()) return engine.status();
  engine_ = std::move(*engine);

  if (options_.trace) {
    auto traces = TraceLogger::Create(
        {.conninfo = options_.database_url,
         .anonymous_one_in = options_.trace_anonymous_one_in,
         .max_queue = options_.trace_queue,
         .metrics = &metrics_});
    if (!traces.ok()) return traces.status();
    traces_ = std::move(*traces);
  }
  auto authorizer = AllowListAuthorizer::Create(
      {.path = options_.allow_list_file,
       .reads_require_identity = options_.reads_require_identity});
  if (!authorizer.ok()) return authorizer.status();
  authorizer_ = std::move(*authorizer);
  spdlog::info(
      "event=authorization allow_list=\"{}\" token_entries={} "
      "subject_entries={} reads_require_identity={}",
      options_.allow_list_file, authorizer_->token_entries(),
      authorizer_->subject_entries(), options_.reads_require_identity);
  auto reviews =
      PatternReviewQueries::Create({.conninfo = options_.database_url});
  if (!reviews.ok()) return reviews.status();
  reviews_ = std::move(*reviews);
  service_ = std::make_unique<PatternConfidenceService>(
      PatternConfidenceService::Deps{.engine = engine_.get(),
                                     .models = models_.get(),
                                     .traces = traces_.get(),
                                     .metrics = &metrics_,
                                     .authorizer = authorizer_.get(),
                                     .reviews = reviews_.get()});

  // Reflection needs the health descriptors linked in (TOOLCHAIN.md).
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  // Our own sync health service (server/health_service.h says why), not
  // gRPC's default one.
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  auto credentials = GrpcServerCredentials(options_.tls);
  if (!credentials.ok()) return credentials.status();
  builder.AddListeningPort(options_.listen, *credentials, &grpc_port_);
  // gRPC sets SO_REUSEPORT by default, so a second server on a taken port
  // would bind too and silently split the traffic: refuse instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  ApplyGrpcLimits(options_.grpc_limits, builder);
  builder.RegisterService(service_.get());
  builder.RegisterService(&health_);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::NUM_CQS,
                              1);
  builder.SetSyncServerOption(
      grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, options_.threads);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || grpc_port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on '", options_.listen,
                     "' (port in use by another process, or a bad address)"));
  }

  GaugeFamily* pool = metrics_.AddGauge(
      "pcs_db_pool_connections",
      "Database pool connections by state (in_use|idle)", {"state"});
  pool_in_use_ = pool->WithLabels({"in_use"});
  pool_idle_ = pool->WithLabels({"idle"});
  db_up_ = metrics_
               .AddGauge("pcs_database_up",
                         "1 when PostgreSQL answered the last ping")
               ->WithLabels({});
  metrics_
      .AddGauge("pcs_build_info",
                "1, labelled with the pcs version and git commit of this "
                "build",
                {"version", "commit"})
      ->WithLabels({std::string(PcsVersion()), std::string(PcsGitCommit())})
      ->Set(1);
  metrics_.AddCollectable(std::make_shared<ProcessMetrics>());
  auto monitoring =
      MonitoringGauges::Create({.conninfo = options_.database_url,
                                .refresh_after = options_.monitoring_refresh});
  if (!monitoring.ok()) return monitoring.status();
  metrics_.AddCollectable(*std::move(monitoring));
  if (!options_.metrics_listen.empty()) {
    if (absl::Status s = StartRestApi(); !s.ok()) return s;
    MetricsHttpServer::TlsSetup tls_setup = nullptr;
    if (options_.tls.enabled()) {
      tls_setup = [tls = options_.tls](SSL_CTX* ctx) {
        return ConfigureSslServerContext(tls, ctx);
      };
    }
    auto http = MetricsHttpServer::Create(
        options_.metrics_listen, &metrics_, [this] { RefreshGauges(); },
        [this](httplib::Server& http) { rest_->Register(http); },
        std::move(tls_setup), options_.http_limits,
        [this](const httplib::Request& req, httplib::Response& res) {
          return rest_->RefuseBeforeBody(req, res);
        });
    if (!http.ok()) return http.status();
    metrics_http_ = std::move(*http);
  }
  if (!options_.tls.enabled()) {
    for (const std::string& listen :
         {options_.listen, options_.metrics_listen}) {
      auto host = SplitHostPort(listen);
      if (host.ok() && host->first != "127.0.0.1" && host->first != "::1" &&
          host->first != "localhost") {
        spdlog::warn(
            "event=insecure_listen listen={} reason=\"plaintext on a "
            "non-loopback address; give --tls-cert and --tls-key\"",
            listen);
      }
    }
  }
  WarmUp();
  CheckHealth();
  health_thread_ = std::thread([this] { HealthLoop(); });
  spdlog::info(
      "event=server_started grpc_port={} metrics_port={} models_dir={} "
      "phase5={} tls={} mtls={} serving_version={}",
      grpc_port_, metrics_port(), options_.models_dir, options_.enable_phase5,
      options_.tls.enabled(), !options_.tls.client_ca_file.empty(),
      models_->Current() ? models_->Current()->version : "none");
  return absl::OkStatus();
}

// Runs before readiness is first reported: the port is already bound and
// answers (cold) requests meanwhile, health says NOT_SERVING until it ends.
void PcsServer::WarmUp() {
  health_.SetServingStatus(kLivenessService, true);
  health_.SetServingStatus("", false);
  health_.SetServingStatus(kServiceName, false);
  if (options_.warmup > absl::ZeroDuration()) {
    const absl::Time start = absl::Now();
    absl::StatusOr<WarmUpStats> loaded =
        engine_->WarmUp(start + options_.warmup, nullptr);
    const WarmUpStats stats = loaded.ok() ? *loaded : WarmUpStats{};
    spdlog::info(
        "event=warmup_done patterns={} pattern_bytes={} symbols={} "
        "full_history={} bars={} cached_bytes={} stopped_early={} ms={} "
        "error=\"{}\"",
        stats.patterns, engine_->repository().preloaded_bytes(), stats.symbols,
        stats.full_history, stats.bars, engine_->bar_cache().bytes(),
        stats.stopped_early, absl::ToInt64Milliseconds(absl::Now() - start),
        loaded.ok() ? "" : loaded.status().ToString());
  }
  warm_done_ = true;
}

absl::Status PcsServer::StartRestApi() {
  if (!options_.snapshot_root.empty()) {
    auto blobs = LocalSnapshotBlobStore::Create(options_.snapshot_root);
    if (!blobs.ok()) return blobs.status();
    snapshots_ = std::move(*blobs);
  }
  auto rest = RestApi::Create(
      {.max_json_depth = options_.http_limits.max_json_depth,
       .allowed_origins = options_.http_allowed_origins},
      {.service = service_.get(),
       .snapshots = snapshots_.get(),
       .metrics = &metrics_,
       .authorize = [this](const httplib::Request& request, bool write) {
         return authorizer_->Authorize(IdentityFromHttp(request),
                                       write ? Access::kWrite : Access::kRead);
       }});
  if (!rest.ok()) return rest.status();
  rest_ = std::move(*rest);
  return absl::OkStatus();
}

void PcsServer::RefreshGauges() {
  pool_in_use_->Set(engine_->pool().in_use());
  pool_idle_->Set(engine_->pool().idle());
}

void PcsServer::CheckHealth() {
  bool up = engine_->Ping(absl::Now() + absl::Seconds(2)).ok();
  db_up_->Set(up ? 1 : 0);
  // Readiness does not follow the database: during an outage cached scores
  // still flow and the rest fail fast with UNAVAILABLE; pcs_database_up is
  // the outage's own signal (dashboard, PcsDatabaseDown alert).
  health_.SetServingStatus(kLivenessService, true);
  health_.SetServingStatus("", warm_done_);
  health_.SetServingStatus(kServiceName, warm_done_);
}

void PcsServer::HealthLoop() {
  while (!stop_health_.WaitForNotificationWithTimeout(options_.health_period)) {
    CheckHealth();
  }
}

void PcsServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  spdlog::info("event=server_stopping grace_ms={}",
               absl::ToInt64Milliseconds(grace));
  stop_health_.Notify();
  if (health_thread_.joinable()) health_thread_.join();
  if (server_ != nullptr) {
    health_.Shutdown();
    server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
    server_->Wait();
  }
  source_.reset();  // stop polling before the manager goes
  if (traces_ != nullptr) {
    traces_->Shutdown();  // flushes what the last requests queued
    spdlog::info("event=trace_flushed written={} dropped={}",
                 traces_->written(), traces_->dropped());
  }
  if (metrics_http_ != nullptr) metrics_http_->Stop();
  if (models_ != nullptr) models_->UnloadAll();
  spdlog::info("event=server_stopped");
}

PcsServer::~PcsServer() { Shutdown(absl::ZeroDuration()); }

}  // namespace pcs
