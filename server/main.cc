// pcs-server: the Pattern Confidence gRPC service. See docs/SERVER.md.
//
// Every flag can also come from the environment (names below) or from an
// INI/TOML config file (--config), command line first, then env, then file.
#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "core/version.h"
#include "server/pcs_server.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace {

// Blocks SIGTERM/SIGINT in every thread and waits for one on a dedicated
// thread, so the shutdown runs in normal (not signal-handler) context.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// Limits of the HTTP port (server/http_limits.h; docs/SERVER.md "Limits").
void AddHttpLimitFlags(CLI::App& app, pcs::HttpLimits& limits) {
  auto seconds = [](absl::Duration* out) {
    return [out](double s) { *out = absl::Seconds(s); };
  };
  app.add_option("--http-max-body-bytes", limits.max_body_bytes,
                 "Largest request body; larger is 413 before it is read")
      ->envname("PCS_HTTP_MAX_BODY_BYTES")
      ->capture_default_str();
  app.add_option("--http-max-json-depth", limits.max_json_depth,
                 "Deepest JSON nesting accepted in a body (deeper is 400)")
      ->envname("PCS_HTTP_MAX_JSON_DEPTH")
      ->capture_default_str();
  app.add_option_function<double>("--http-header-timeout-seconds",
                                  seconds(&limits.header_timeout),
                                  "Request line + headers must arrive within "
                                  "this (default 10)")
      ->envname("PCS_HTTP_HEADER_TIMEOUT_SECONDS");
  app.add_option_function<double>("--http-read-timeout-seconds",
                                  seconds(&limits.read_timeout),
                                  "A body must arrive within this after its "
                                  "headers (default 10)")
      ->envname("PCS_HTTP_READ_TIMEOUT_SECONDS");
  app.add_option_function<double>("--http-write-timeout-seconds",
                                  seconds(&limits.write_timeout),
                                  "Each response write must progress within "
                                  "this (default 10)")
      ->envname("PCS_HTTP_WRITE_TIMEOUT_SECONDS");
  app.add_option_function<double>("--http-keep-alive-seconds",
                                  seconds(&limits.keep_alive_timeout),
                                  "Idle keep-alive connections are closed "
                                  "after this (default 5)")
      ->envname("PCS_HTTP_KEEP_ALIVE_SECONDS");
  app.add_option("--http-max-connections", limits.max_connections,
                 "HTTP connections served at once (a thread each); more are "
                 "answered 503")
      ->envname("PCS_HTTP_MAX_CONNECTIONS")
      ->capture_default_str();
}

// Limits of the gRPC port (server/pcs_server.h GrpcLimits).
void AddGrpcLimitFlags(CLI::App& app, pcs::GrpcLimits& limits) {
  auto seconds = [](absl::Duration* out) {
    return [out](double s) { *out = absl::Seconds(s); };
  };
  app.add_option("--grpc-max-threads", limits.max_threads,
                 "gRPC threads (ResourceQuota); a call beyond is "
                 "RESOURCE_EXHAUSTED")
      ->envname("PCS_GRPC_MAX_THREADS")
      ->capture_default_str();
  app.add_option("--grpc-max-concurrent-streams", limits.max_concurrent_streams,
                 "Concurrent calls per HTTP/2 connection")
      ->envname("PCS_GRPC_MAX_CONCURRENT_STREAMS")
      ->capture_default_str();
  app.add_option_function<double>("--grpc-handshake-timeout-seconds",
                                  seconds(&limits.handshake_timeout),
                                  "TCP accept to HTTP/2 settings, TLS "
                                  "included (default 10)")
      ->envname("PCS_GRPC_HANDSHAKE_TIMEOUT_SECONDS");
  app.add_option_function<double>("--grpc-min-ping-interval-seconds",
                                  seconds(&limits.min_client_ping_interval),
                                  "Clients pinging more often are closed at "
                                  "the second strike (default 60)")
      ->envname("PCS_GRPC_MIN_PING_INTERVAL_SECONDS");
  app.add_option_function<double>("--grpc-max-connection-idle-seconds",
                                  seconds(&limits.max_connection_idle),
                                  "Connections without a call this long are "
                                  "closed (default 600)")
      ->envname("PCS_GRPC_MAX_CONNECTION_IDLE_SECONDS");
}

// Every key of the --config file must be a flag: a typo ("listn = ...")
// would otherwise be ignored and the default used. So must a key spelled
// with underscores ("database_url"): CLI11 reads only the flag's own name
// (database-url) and ignores the other. Returns "" or the error, naming the
// key and its line.
std::string UnknownConfigKey(const CLI::App& app, const std::string& path) {
  std::set<std::string> known;
  for (const CLI::Option* option : app.get_options()) {
    for (const std::string& name : option->get_lnames()) known.insert(name);
  }
  std::ifstream in(path);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string text(absl::StripAsciiWhitespace(line));
    if (text.empty() || text[0] == '#' || text[0] == ';') continue;
    const size_t eq = text.find('=');
    const std::string key(
        absl::StripAsciiWhitespace(text[0] == '[' ? text : text.substr(0, eq)));
    if (known.count(key) == 0) {
      std::string dashed = key;
      std::replace(dashed.begin(), dashed.end(), '_', '-');
      return absl::StrCat(
          path, ":", number, ": unknown key '", key.substr(0, 64), "' (",
          known.count(dashed) != 0
              ? absl::StrCat("the flag is spelled with dashes: ", dashed)
              : "every key is a flag name, e.g. listen",
          ")");
    }
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  sigset_t stop_signals = BlockStopSignals();  // before any thread starts
  // The system abseil is built without NDEBUG, so every absl::Mutex lock
  // would feed its deadlock detector (a global graph under a global lock:
  // 3.6% of the server's samples flat out, `perf record -g`, and contention
  // between the workers). The tests keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"pcs-server: Pattern Confidence gRPC service", "pcs-server"};
  app.set_config("--config", "", "INI/TOML config file with the flags below");
  app.set_version_flag("--version", pcs::VersionLine("pcs-server"),
                       "Print the version and git commit, then exit");
  pcs::PcsServerOptions options;
  double blend_weight = -1;
  double poll_seconds = 10;
  std::string log_level = "info";
  app.add_option("--listen", options.listen, "gRPC host:port")
      ->envname("PCS_LISTEN")
      ->capture_default_str();
  app.add_option("--metrics-listen", options.metrics_listen,
                 "Prometheus /metrics host:port ('' disables)")
      ->envname("PCS_METRICS_LISTEN")
      ->capture_default_str();
  app.add_option("--database-url", options.database_url,
                 "PostgreSQL conninfo or URL")
      ->envname("PCS_DATABASE_URL");
  app.add_option("--models-dir", options.models_dir, "Model registry folder")
      ->envname("PCS_MODELS_DIR")
      ->capture_default_str();
  app.add_option("--pin-version", options.pin_version,
                 "Serve this version instead of CHAMPION (roll back / pin)")
      ->envname("PCS_PIN_VERSION");
  app.add_flag("--enable-phase5-confidence", options.enable_phase5,
               "Blend the ML confidence in (else rules only)")
      ->envname("ENABLE_PHASE5_CONFIDENCE");
  app.add_option("--blend-weight", blend_weight,
                 "ML weight in [0,1]; default: the model card's")
      ->envname("PCS_BLEND_WEIGHT");
  app.add_option("--poll-seconds", poll_seconds,
                 "Model registry poll period (0 = only at start)")
      ->envname("PCS_POLL_SECONDS")
      ->capture_default_str();
  app.add_option("--threads", options.threads,
                 "gRPC worker threads = DB pool size (docs/SERVER.md)")
      ->envname("PCS_THREADS")
      ->capture_default_str();
  app.add_option("--allow-list", options.allow_list_file,
                 "Allow-list file of write/read identities (tokens, client "
                 "certificate subjects); without it every write is refused")
      ->envname("PCS_ALLOW_LIST");
  app.add_flag("--reads-require-identity", options.reads_require_identity,
               "Reads also need an identity on the allow-list")
      ->envname("PCS_READS_REQUIRE_IDENTITY");
  double grace_seconds = 10;
  app.add_option("--shutdown-grace-seconds", grace_seconds,
                 "On SIGTERM/SIGINT: in-flight calls get this long, then are "
                 "cancelled; the process exits soon after")
      ->envname("PCS_SHUTDOWN_GRACE_SECONDS")
      ->capture_default_str();
  double warmup_seconds = 20;
  app.add_option("--warmup-seconds", warmup_seconds,
                 "Start-up price-history warm-up budget; readiness waits at "
                 "most this long (0 = off)")
      ->envname("PCS_WARMUP_SECONDS")
      ->capture_default_str();
  size_t bar_cache_mb = options.bar_cache_bytes >> 20;
  app.add_option("--bar-cache-mb", bar_cache_mb,
                 "Price-history cache budget in MiB (bars held compactly, "
                 "28 B each; docs/SERVER.md \"Caches\")")
      ->envname("PCS_BAR_CACHE_MB")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20))
      ->capture_default_str();
  app.add_option("--trace-anonymous-one-in", options.trace_anonymous_one_in,
                 "Trace one of every N anonymous reads (1 = all); the others "
                 "are counted in pcs_trace_sampled_out_total")
      ->envname("PCS_TRACE_ANONYMOUS_ONE_IN")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--snapshot-root", options.snapshot_root,
                 "Chart snapshot folder served at /api/v1/snapshots "
                 "('' = not served)")
      ->envname("PCS_SNAPSHOT_ROOT");
  app.add_option("--tls-cert", options.tls.cert_file,
                 "PEM certificate chain: serve TLS on the gRPC and HTTP ports")
      ->envname("PCS_TLS_CERT");
  app.add_option("--tls-key", options.tls.key_file, "PEM private key")
      ->envname("PCS_TLS_KEY");
  app.add_option("--tls-client-ca", options.tls.client_ca_file,
                 "PEM CA bundle: verify client certificates (mTLS)")
      ->envname("PCS_TLS_CLIENT_CA");
  app.add_flag("--tls-require-client-cert", options.tls.require_client_cert,
               "With --tls-client-ca: refuse clients without a certificate")
      ->envname("PCS_TLS_REQUIRE_CLIENT_CERT");
  AddHttpLimitFlags(app, options.http_limits);
  AddGrpcLimitFlags(app, options.grpc_limits);
  app.add_option("--http-allowed-origins", options.http_allowed_origins,
                 "Origins (scheme://host:port) allowed to write over HTTP "
                 "besides the server's own; other Origins are refused 403")
      ->envname("PCS_HTTP_ALLOWED_ORIGINS")
      ->delimiter(',');
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error")
      ->envname("PCS_LOG_LEVEL")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2, like pcs and
    // pcs-client (CLI11's own codes vary from 104 to 115).
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (const std::string config = app["--config"]->as<std::string>();
      !config.empty()) {
    if (std::string error = UnknownConfigKey(app, config); !error.empty()) {
      std::cerr << "pcs-server: " << error << "\n";
      return 2;
    }
  }
  // Logs go to stderr; stdout carries only the "listening ..." line.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("pcs-server"));
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ level=%l %v",
                      spdlog::pattern_time_type::utc);
  if (app.count("--blend-weight") > 0 || std::getenv("PCS_BLEND_WEIGHT")) {
    if (!(blend_weight >= 0 && blend_weight <= 1)) {
      std::cerr << "--blend-weight must be in [0, 1], got " << blend_weight
                << "\n";
      return 2;
    }
    options.blend_weight = blend_weight;
  }
  options.poll_period = absl::Seconds(poll_seconds);
  options.warmup = absl::Seconds(warmup_seconds);
  options.bar_cache_bytes = bar_cache_mb << 20;

  auto server = pcs::PcsServer::Create(options);
  if (!server.ok()) {
    spdlog::critical("event=start_failed error=\"{}\"",
                     server.status().ToString());
    return 1;
  }
  // The port line is for scripts (tests, bench) that start on port 0.
  std::cout << "listening grpc_port=" << (*server)->grpc_port()
            << " metrics_port=" << (*server)->metrics_port() << std::endl;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("event=signal signal={}", signal_number);
  (*server)->Shutdown(absl::Seconds(grace_seconds));
  server->reset();
  return 0;
}
