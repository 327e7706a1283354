#ifndef PCS_SERVER_METRICS_HTTP_SERVER_H_
#define PCS_SERVER_METRICS_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "server/http_limits.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib
typedef struct ssl_ctx_st SSL_CTX;

namespace pcs {

class MetricsRegistry;

// Serves GET /metrics (Prometheus text format 0.0.4) and GET /healthz on its
// own port, on a background thread (cpp-httplib), apart from the gRPC port so
// a scrape never competes with request threads for gRPC completion queues.
// Every connection is served under HttpLimits (server/limited_http_server.h):
// a body larger than the limit is refused from its headers, slow clients are
// cut off, and each connection has a thread of its own up to the cap, so
// /healthz and /metrics answer while slow clients hold connections.
//
// Ownership: borrows `registry`, which must outlive this object.
// Threading: Create() starts serving; Stop() (or the destructor) blocks until
// the listener thread has exited.
//
// Example:
//   auto server = MetricsHttpServer::Create("127.0.0.1:0", &registry);
//   int port = (*server)->port();
class MetricsHttpServer {
 public:
  // Called before each render (e.g. to refresh gauges such as queue depth).
  using Collector = std::function<void()>;
  // Adds further routes (the REST API, server/rest_api.h) before listening.
  using RouteInstaller = std::function<void(httplib::Server&)>;
  // Configures the OpenSSL context of an HTTPS listener (certificate, key,
  // client CA); set = serve HTTPS (cpp-httplib SSLServer), null = HTTP.
  // pcs-server passes ConfigureSslServerContext (server/tls_credentials.h).
  using TlsSetup = std::function<absl::Status(SSL_CTX*)>;
  // Runs once a request's headers are read, before its body is: true = the
  // request is refused and `response` written (the REST API checks
  // credentials here, so an anonymous write never gets its body read).
  using BodyGate =
      std::function<bool(const httplib::Request&, httplib::Response&)>;

  // `listen` is "host:port"; port 0 picks a free port (see port()).
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Create(
      const std::string& listen, const MetricsRegistry* registry,
      Collector collector = nullptr, RouteInstaller routes = nullptr,
      TlsSetup tls_setup = nullptr, const HttpLimits& limits = {},
      BodyGate gate = nullptr);
  ~MetricsHttpServer();

  int port() const { return port_; }
  const std::string& host() const { return host_; }
  void Stop();

 private:
  MetricsHttpServer() = default;

  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  std::string host_;
  int port_ = 0;
};

// Splits "host:port" ("[::1]:50051" too). Error names the text at fault.
absl::StatusOr<std::pair<std::string, int>> SplitHostPort(
    const std::string& listen);

}  // namespace pcs

#endif  // PCS_SERVER_METRICS_HTTP_SERVER_H_
