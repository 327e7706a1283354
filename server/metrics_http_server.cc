#include "server/metrics_http_server.h"

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/http_error.h"
#include "server/limited_http_server.h"
#include "server/metrics_registry.h"

namespace pcs {

absl::StatusOr<std::pair<std::string, int>> SplitHostPort(
    const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address '", listen, "' is not host:port"));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = 0;
  if (!absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address '", listen, "' has a bad port"));
  }
  return std::make_pair(host, port);
}

namespace {

bool HasBody(const httplib::Request& request) {
  return request.has_header("Transfer-Encoding") ||
         (request.has_header("Content-Length") &&
          request.get_header_value("Content-Length") != "0");
}

// Size and credentials are checked from the headers, before a body is read.
void InstallBodyChecks(httplib::Server& http, const HttpLimits& limits,
                       MetricsHttpServer::BodyGate gate) {
  http.set_expect_100_continue_handler(
      [limits](const httplib::Request& req, httplib::Response& res) {
        const BodyRefusal refusal = CheckBodyHeaders(req, limits);
        if (refusal.http_status == 0) return 100;
        WriteHttpError(res, refusal.status, refusal.http_status);
        RefuseBodyAndClose();
        return refusal.http_status;
      });
  http.set_pre_routing_handler(
      [limits, gate = std::move(gate)](const httplib::Request& req,
                                       httplib::Response& res) {
        MarkHeadersRead();
        if (gate && gate(req, res)) {
          if (HasBody(req)) RefuseBodyAndClose();
          return httplib::Server::HandlerResponse::Handled;
        }
        const BodyRefusal refusal = CheckBodyHeaders(req, limits);
        if (refusal.http_status != 0) {
          WriteHttpError(res, refusal.status, refusal.http_status);
          RefuseBodyAndClose();
          return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
      });
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Create(
    const std::string& listen, const MetricsRegistry* registry,
    Collector collector, RouteInstaller routes, TlsSetup tls_setup,
    const HttpLimits& limits, BodyGate gate) {
  auto host_port = SplitHostPort(listen);
  if (!host_port.ok()) return host_port.status();
  std::unique_ptr<MetricsHttpServer> server(new MetricsHttpServer());
  auto made = MakeLimitedHttpServer(limits, tls_setup);
  if (!made.ok()) return made.status();
  server->http_ = std::move(*made);
  InstallBodyChecks(*server->http_, limits, std::move(gate));
  // cpp-httplib's default also sets SO_REUSEPORT, which lets a second server
  // bind a taken port and split the scrapes: SO_REUSEADDR only, so a taken
  // port is an error at start.
  server->http_->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server->http_->Get("/metrics", [registry, collector](const httplib::Request&,
                                                       httplib::Response& res) {
    if (collector) collector();
    res.set_content(registry->Render(),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  server->http_->Get("/healthz",
                     [](const httplib::Request&, httplib::Response& res) {
                       res.set_content("ok\n", "text/plain");
                     });
  if (routes) routes(*server->http_);
  server->host_ = host_port->first;
  int port = host_port->second;
  if (port == 0) {
    port = server->http_->bind_to_any_port(server->host_);
  } else if (!server->http_->bind_to_port(server->host_, port)) {
    port = -1;
  }
  if (port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot bind the metrics listener to '", listen, "'"));
  }
  server->port_ = port;
  httplib::Server* http = server->http_.get();
  server->thread_ = std::thread([http] { http->listen_after_bind(); });
  return server;
}

void MetricsHttpServer::Stop() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

MetricsHttpServer::~MetricsHttpServer() { Stop(); }

}  // namespace pcs
