#ifndef PCS_SERVER_REST_API_H_
#define PCS_SERVER_REST_API_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/http_error.h"
#include "server/metrics_registry.h"
#include "server/pattern_confidence_service.h"
#include "server/transcoder.h"
#include "snapshots/snapshot_blob_store.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace pcs {

// One REST route: method and OpenAPI path template ("/api/v1/patterns/{id}").
struct RestRoute {
  std::string method;
  std::string path;
};

// Decides whether an HTTP request may read (write = false) or write; returns
// the principal's name for the audit trail, or UNAUTHENTICATED /
// PERMISSION_DENIED. pcs-server wires this to its Authorizer
// (server/authorizer.h).
using HttpAuthorizeFn = std::function<absl::StatusOr<std::string>(
    const httplib::Request& request, bool write)>;

struct RestApiOptions {
  // Deadline of one REST request (the engine checks it between stages).
  absl::Duration deadline = absl::Seconds(10);
  // Deepest JSON nesting accepted in a body (HttpLimits::max_json_depth).
  int max_json_depth = 32;
  // Origins (scheme://host[:port]) allowed to write besides the server's own
  // (the Host it was reached at): a write whose Origin header names another
  // site is refused 403, so a page elsewhere cannot post with a browser's
  // client certificate or credentials (--http-allowed-origins).
  std::vector<std::string> allowed_origins = {};
};

// The HTTP port's glue around the REST API: every /api/v1 route but one is
// the JSON form of a pcs.v1 RPC, declared by its google.api.http option in
// proto/pcs/v1/pattern_confidence.proto and run by the generic transcoder
// (server/transcoder.h) through the same PatternConfidenceService methods
// as gRPC: same validation, authorization, metrics, log lines and errors.
// Routes (docs/REST.md):
//   GET  /api/v1/patterns                            ListPatterns
//   GET  /api/v1/patterns/{pattern_id}               GetPattern
//   GET  /api/v1/patterns/{pattern_id}/confidence    ScorePattern
//   GET  /api/v1/patterns/{pattern_id}/bars          GetPatternBars
//   POST /api/v1/patterns/{pattern_id}/override      OverridePattern
//   GET  /api/v1/model                               DescribeModel
//   GET  /api/v1/monitoring                          GetMonitoringSummary
//   GET  /api/v1/monitoring/report                   GetMonitoringReport
// and, outside the proto (bytes, not a message): GET
// /api/v1/snapshots/{sha256} (snapshot SVG, immutable) and GET /console,
// /console/{asset} (the analyst review console).
// Also here: the request id (X-Request-Id, or a W3C traceparent's trace
// id) and one access-log line and pcs_http_requests_total count per
// request; the before-body checks of a write (RefuseBeforeBody); JSON
// errors for unknown routes (404) and methods (405 with Allow); security
// headers. Errors: {"error": {"code": "NOT_FOUND", "http_status": 404,
// "message": "..."}}, codes mapped as in server/http_error.h.
//
// Ownership: borrows the deps; they must outlive the HTTP server the routes
// are registered on. Threading: handlers run on the HTTP server's threads
// concurrently.
class RestApi {
 public:
  struct Deps {
    PatternConfidenceService* service = nullptr;   // required
    const SnapshotBlobStore* snapshots = nullptr;  // optional
    MetricsRegistry* metrics = nullptr;   // optional: pcs_http_requests_total
    HttpAuthorizeFn authorize = nullptr;  // null: reads open, writes refused
  };

  static absl::StatusOr<std::unique_ptr<RestApi>> Create(RestApiOptions options,
                                                         Deps deps);

  // Adds every route to `http` (before it starts listening).
  void Register(httplib::Server& http);

  // The check made from a request's headers, before its body is read
  // (MetricsHttpServer::BodyGate): a POST needs write access, a JSON content
  // type (415; a cross-site form or text/plain post cannot send it without
  // a CORS preflight, which is never granted) and, when the browser names
  // one, an Origin that is the server's own or allowed (403). True = refused,
  // `res` written.
  bool RefuseBeforeBody(const httplib::Request& req, httplib::Response& res);

  // The routes Register() adds under /api/v1 (the OpenAPI test compares
  // them): the transcoded RPCs, the snapshot bytes and the OpenAPI document.
  static const std::vector<RestRoute>& Routes();
  // Where the OpenAPI document (server/openapi_document.h) is served.
  static constexpr char kOpenApiPath[] = "/api/v1/openapi.json";

 private:
  RestApi(RestApiOptions options, Deps deps,
          std::unique_ptr<Transcoder> transcoder)
      : options_(std::move(options)),
        deps_(std::move(deps)),
        transcoder_(std::move(transcoder)) {}

  void Transcode(const httplib::Request& req, httplib::Response& res);
  void Snapshot(const httplib::Request& req, httplib::Response& res);
  // True when the request may proceed; else the error was written.
  bool Allowed(const httplib::Request& req, httplib::Response& res, bool write);
  bool OriginAllowed(const httplib::Request& req) const;

  const RestApiOptions options_;
  const Deps deps_;
  std::unique_ptr<Transcoder> transcoder_;
};

}  // namespace pcs

#endif  // PCS_SERVER_REST_API_H_
