#include "server/rest_api.h"

#include <httplib.h>

#include <algorithm>
#include <regex>
#include <set>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "pcs/v1/pattern_confidence.pb.h"
#include "server/console_assets.h"
#include "server/openapi_document.h"
#include "server/request_identity.h"
#include "server/request_validation.h"
#include "spdlog/spdlog.h"

namespace pcs {
namespace {

// The client's message, as gRPC's: capped, and never libpq text, SQL or
// paths (server/request_validation.h ClientMessage); the log keeps it all.
void WriteError(httplib::Response& res, const absl::Status& status) {
  if (status.code() == absl::StatusCode::kUnavailable ||
      status.code() == absl::StatusCode::kInternal ||
      status.code() == absl::StatusCode::kUnknown) {
    spdlog::warn("event=http_error code={} error=\"{}\"",
                 absl::StatusCodeToString(status.code()),
                 std::string(status.message()));
  }
  WriteHttpError(res, absl::Status(status.code(), ClientMessage(status)));
}

// The request being served on this thread (set from its headers, before
// routing; read by the access log and the authorization log lines).
thread_local absl::Time t_request_start;
thread_local std::string t_request_id;

bool IsLowerHex(absl::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

// The trace id of a W3C traceparent ("00-<32 hex>-<16 hex>-<2 hex>"), ""
// when absent or malformed.
std::string TraceIdOf(const std::string& traceparent) {
  if (traceparent.size() != 55 || traceparent[2] != '-' ||
      traceparent[35] != '-' || traceparent[52] != '-') {
    return "";
  }
  const std::string id = traceparent.substr(3, 32);
  if (!IsLowerHex(id) || id == std::string(32, '0')) return "";
  return id;
}

std::string NewRequestId() {
  static thread_local absl::BitGen bits;
  return absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(bits),
                         absl::Uniform<uint64_t>(bits));
}

// The route template a request matched (bounded label values), else
// "unmatched".
std::string RouteOf(const httplib::Request& req);

// The console loads only its own files and talks only to this server; no
// other site may frame it (clickjacking of the override form). Inline style
// attributes are allowed for the vendored chart library.
void SetConsoleSecurityHeaders(httplib::Response& res) {
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; script-src 'self'; "
                 "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                 "connect-src 'self'; object-src 'none'; base-uri 'none'; "
                 "form-action 'self'; frame-ancestors 'none'");
  res.set_header("X-Frame-Options", "DENY");
}

// Every route of the HTTP port (REST, console, /metrics, /healthz) with its
// method, to answer an unknown method 405 with Allow.
struct MethodPattern {
  const char* method;
  std::regex path;
};
const std::vector<MethodPattern>& PortRoutes();

std::string RouteOf(const httplib::Request& req) {
  for (const RestRoute& r : RestApi::Routes()) {
    if (r.method != req.method &&
        !(r.method == "GET" && req.method == "HEAD")) {
      continue;
    }
    static const auto* kTemplates = [] {
      auto* out = new std::vector<std::pair<std::string, std::regex>>;
      for (const RestRoute& route : RestApi::Routes()) {
        out->emplace_back(
            route.path, std::regex(std::regex_replace(
                            route.path, std::regex(R"(\{[^}]+\})"), "[^/]+")));
      }
      return out;
    }();
    for (const auto& [path, pattern] : *kTemplates) {
      if (path == r.path && std::regex_match(req.path, pattern)) return path;
    }
  }
  for (const char* fixed : {"/metrics", "/healthz"}) {
    if (req.path == fixed) return fixed;
  }
  if (absl::StartsWith(req.path, "/console")) return "/console";
  return "unmatched";
}

const std::vector<MethodPattern>& PortRoutes() {
  static const auto* kRoutes = [] {
    auto* routes = new std::vector<MethodPattern>;
    for (const RestRoute& r : RestApi::Routes()) {
      routes->push_back({r.method.c_str(),
                         std::regex(std::regex_replace(
                             r.path, std::regex(R"(\{[^}]+\})"), "[^/]+"))});
    }
    for (const char* get :
         {"/metrics", "/healthz", "/console/?", "/console/.+"}) {
      routes->push_back({"GET", std::regex(get)});
    }
    return routes;
  }();
  return *kRoutes;
}

// "application/json", optionally with parameters ("; charset=utf-8").
bool IsJsonContentType(const std::string& value) {
  const std::string media(absl::StripAsciiWhitespace(
      absl::string_view(value).substr(0, value.find(';'))));
  return absl::EqualsIgnoreCase(media, "application/json");
}

}  // namespace

absl::StatusOr<std::unique_ptr<RestApi>> RestApi::Create(RestApiOptions options,
                                                         Deps deps) {
  if (deps.service == nullptr) {
    return absl::InvalidArgumentError("RestApi needs the service");
  }
  auto transcoder = Transcoder::Create(
      PatternConfidenceService::Descriptor(), deps.service->UnaryMethods(),
      {.max_json_depth = options.max_json_depth});
  if (!transcoder.ok()) return transcoder.status();
  return std::unique_ptr<RestApi>(
      new RestApi(std::move(options), std::move(deps), std::move(*transcoder)));
}

const std::vector<RestRoute>& RestApi::Routes() {
  static const auto* kRoutes = [] {
    auto* routes = new std::vector<RestRoute>;
    auto transcoded =
        Transcoder::RoutesOf(PatternConfidenceService::Descriptor());
    if (transcoded.ok()) {  // else Create() fails and nothing is served
      for (const Transcoder::Route& r : *transcoded) {
        routes->push_back({r.http_method, r.path_template});
      }
    }
    routes->push_back({"GET", "/api/v1/snapshots/{sha256}"});
    routes->push_back({"GET", kOpenApiPath});
    return routes;
  }();
  return *kRoutes;
}

void RestApi::Register(httplib::Server& http) {
  // Without TCP_NODELAY a keep-alive client waits for the delayed ACK of the
  // response's first write: about 40 ms per request (measured by rest_bench).
  http.set_tcp_nodelay(true);
  // One access-log line and one count per request, REST or not.
  CounterFamily* requests =
      deps_.metrics == nullptr
          ? nullptr
          : deps_.metrics->AddCounter("pcs_http_requests_total",
                                      "HTTP requests answered on the HTTP port "
                                      "by route template and status",
                                      {"method", "route", "code"});
  http.set_logger(
      [requests](const httplib::Request& req, const httplib::Response& res) {
        static const std::set<std::string> kMethods = {
            "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
        const std::string method =
            kMethods.count(req.method) ? req.method : "other";
        const std::string route = RouteOf(req);
        spdlog::info(
            "event=http_request request_id={} method={} route=\"{}\" status={} "
            "ms={:.3f} bytes_in={} bytes_out={} peer={}",
            t_request_id, method, route, res.status,
            absl::ToDoubleMilliseconds(absl::Now() - t_request_start),
            req.body.size(), res.body.size(), req.remote_addr);
        if (requests != nullptr) {
          requests->WithLabels({method, route, std::to_string(res.status)})
              ->Increment();
        }
      });
  // An exception's text never reaches a client (cpp-httplib's default puts
  // it in an EXCEPTION_WHAT header); the log keeps it.
  http.set_exception_handler([](const httplib::Request& req,
                                httplib::Response& res, std::exception_ptr e) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      what = ex.what();
    } catch (...) {
    }
    spdlog::error("event=http_exception method={} path=\"{}\" what=\"{}\"",
                  req.method, absl::CHexEscape(req.path),
                  absl::CHexEscape(what));
    WriteHttpError(res, absl::InternalError("internal error"));
  });
  // Unknown routes and methods get the JSON error body too: 405 with Allow
  // when the path exists under another method, else 404.
  http.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty())
          return httplib::Server::HandlerResponse::Unhandled;
        if (res.status == 404) {
          std::set<std::string> allow;
          for (const MethodPattern& r : PortRoutes()) {
            if (std::regex_match(req.path, r.path)) allow.insert(r.method);
          }
          if (!allow.empty()) {
            if (allow.count("GET")) allow.insert("HEAD");
            res.set_header("Allow", absl::StrJoin(allow, ", "));
            WriteHttpError(
                res,
                absl::UnimplementedError(absl::StrCat(
                    "method ", absl::CHexEscape(req.method.substr(0, 16)),
                    " not allowed here")),
                405);
            return httplib::Server::HandlerResponse::Handled;
          }
          WriteHttpError(res, absl::NotFoundError("no such route"));
          return httplib::Server::HandlerResponse::Handled;
        }
        WriteHttpError(res, absl::Status(absl::StatusCode::kUnknown, "error"),
                       res.status);
        return httplib::Server::HandlerResponse::Handled;
      }));
  // Not proto messages: plain routes (registered first: the transcoder
  // takes the rest of /api/v1). The OpenAPI document is the one
  // scripts/gen_openapi.sh generated from the proto, compiled in; it is
  // read under the same policy as every other route.
  http.Get(kOpenApiPath,
           [this](const httplib::Request& req, httplib::Response& res) {
             if (!Allowed(req, res, false)) return;
             res.set_header("Cache-Control", "no-cache");
             res.set_content(OpenApiDocument(), "application/json");
           });
  http.Get(R"(/api/v1/snapshots/([^/]+))",
           [this](const httplib::Request& req, httplib::Response& res) {
             Snapshot(req, res);
           });
  auto transcode = [this](const httplib::Request& req, httplib::Response& res) {
    Transcode(req, res);
  };
  http.Get(R"(/api/v1/.*)", transcode);
  http.Post(R"(/api/v1/.*)", transcode);
  http.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                            {"Referrer-Policy", "no-referrer"}});
  http.Get(R"(/console/?)",
           [](const httplib::Request&, httplib::Response& res) {
             const ConsoleAsset* page = FindConsoleAsset("index.html");
             SetConsoleSecurityHeaders(res);
             res.set_content(std::string(page->content), page->content_type);
           });
  http.Get(R"(/console/(.+))",
           [](const httplib::Request& req, httplib::Response& res) {
             const ConsoleAsset* asset = FindConsoleAsset(req.matches[1].str());
             if (asset == nullptr) {
               WriteError(res, absl::NotFoundError("no such console file"));
               return;
             }
             SetConsoleSecurityHeaders(res);
             res.set_header("Cache-Control", "no-cache");
             res.set_content(std::string(asset->content), asset->content_type);
           });
}

bool RestApi::RefuseBeforeBody(const httplib::Request& req,
                               httplib::Response& res) {
  // Every request gets an id (the W3C traceparent's trace id when one is
  // sent), answered in X-Request-Id and logged with the access line.
  t_request_start = absl::Now();
  t_request_id = TraceIdOf(req.get_header_value("traceparent"));
  if (t_request_id.empty()) t_request_id = NewRequestId();
  res.set_header("X-Request-Id", t_request_id);
  if (req.method != "POST") return false;  // reads: checked by the handler
  if (!Allowed(req, res, true)) return true;
  if (!IsJsonContentType(req.get_header_value("Content-Type"))) {
    WriteHttpError(
        res,
        absl::InvalidArgumentError("Content-Type: must be application/json"),
        415);
    return true;
  }
  if (!OriginAllowed(req)) {
    spdlog::warn(
        "event=cross_site_write_refused path=\"{}\" origin=\"{}\"",
        absl::CHexEscape(req.path.substr(0, 128)),
        absl::CHexEscape(req.get_header_value("Origin").substr(0, 128)));
    WriteHttpError(res, absl::PermissionDeniedError(
                            "cross-site write refused: Origin is not this "
                            "server nor in --http-allowed-origins"));
    return true;
  }
  return false;
}

bool RestApi::OriginAllowed(const httplib::Request& req) const {
  if (!req.has_header("Origin")) {
    // Browsers send Origin on every cross-site POST; without it, a
    // Sec-Fetch-Site of cross-site still marks one.
    return req.get_header_value("Sec-Fetch-Site") != "cross-site";
  }
  const std::string origin = req.get_header_value("Origin");
  const std::string host = req.get_header_value("Host");
  if (!host.empty() &&
      (origin == "http://" + host || origin == "https://" + host)) {
    return true;
  }
  return std::find(options_.allowed_origins.begin(),
                   options_.allowed_origins.end(),
                   origin) != options_.allowed_origins.end();
}

// The snapshot route's read check and a write's before-body check; the
// transcoded methods are authorized (and logged) by the service itself.
bool RestApi::Allowed(const httplib::Request& req, httplib::Response& res,
                      bool write) {
  if (deps_.authorize == nullptr) {
    if (!write) return true;
    WriteError(res, absl::PermissionDeniedError(
                        "write access: no authorizer is configured"));
    return false;
  }
  absl::StatusOr<std::string> who = deps_.authorize(req, write);
  if (!who.ok()) {
    spdlog::warn(
        "event=auth_refused entrypoint=http request_id={} path=\"{}\" "
        "access={} code={} peer={}",
        t_request_id, absl::CHexEscape(req.path.substr(0, 128)),
        write ? "write" : "read", absl::StatusCodeToString(who.status().code()),
        req.remote_addr);
    WriteError(res, who.status());
    return false;
  }
  return true;
}

void RestApi::Transcode(const httplib::Request& req, httplib::Response& res) {
  Transcoder::HttpRequest request{
      .method = req.method,
      .path = req.path,
      .query = std::vector<std::pair<std::string, std::string>>(
          req.params.begin(), req.params.end()),
      .body = req.body};
  const CallContext call{.identity = IdentityFromHttp(req),
                         .peer = req.remote_addr,
                         .deadline = absl::Now() + options_.deadline,
                         .request_id = t_request_id,
                         .entrypoint = Entrypoint::kHttp,
                         .cancelled = nullptr};
  Transcoder::HttpReply reply = transcoder_->Handle(request, call);
  res.status = reply.status;
  if (!reply.allow.empty()) res.set_header("Allow", reply.allow);
  res.set_content(std::move(reply.json), "application/json");
}

void RestApi::Snapshot(const httplib::Request& req, httplib::Response& res) {
  if (!Allowed(req, res, false)) return;
  const std::string hash = req.matches[1].str();
  auto run = [&]() -> absl::Status {
    if (!req.params.empty()) {
      return absl::InvalidArgumentError("this route takes no query parameters");
    }
    if (!IsSha256Hex(hash)) {
      return absl::InvalidArgumentError(
          "sha256: must be 64 lowercase hex characters");
    }
    if (deps_.snapshots == nullptr) {
      return absl::NotFoundError(
          "no snapshot store configured (pcs-server --snapshot-root)");
    }
    auto bytes = deps_.snapshots->Get(hash);
    if (!bytes.ok()) return bytes.status();
    res.set_header("ETag", "\"" + hash + "\"");
    res.set_header("Cache-Control", "public, max-age=31536000, immutable");
    // Snapshots are server-rendered SVG (snapshots/chart_renderer.h).
    res.set_content(std::move(*bytes), "image/svg+xml");
    return absl::OkStatus();
  };
  if (absl::Status s = run(); !s.ok()) WriteError(res, s);
}

}  // namespace pcs
