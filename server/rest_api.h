#ifndef PCS_SERVER_REST_API_H_
#define PCS_SERVER_REST_API_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "db/connection_pool.h"
#include "server/http_error.h"
#include "server/metrics_registry.h"
#include "server/model_manager.h"
#include "server/scoring_engine.h"
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
  // PostgreSQL conninfo for the listing/detail/override queries (a pool of
  // its own, so REST traffic never takes the gRPC workers' connections).
  std::string conninfo = {};
  int pool_size = 2;
  // Deadline of one REST request (the engine checks it between stages).
  absl::Duration deadline = absl::Seconds(10);
  // Top contributions returned by /confidence when ?top_k is absent.
  int default_top_k = 10;
  // Deepest JSON nesting accepted in a body (HttpLimits::max_json_depth).
  int max_json_depth = 32;
  // Origins (scheme://host[:port]) allowed to write besides the server's own
  // (the Host it was reached at): a write whose Origin header names another
  // site is refused 403, so a page elsewhere cannot post with a browser's
  // client certificate or credentials (--http-allowed-origins).
  std::vector<std::string> allowed_origins = {};
};

// REST/JSON next to gRPC on the HTTP port (the /metrics listener): the same
// ScoringEngine, the same validation (server/proto_conversions.h) and the
// same error model, codes mapped to HTTP statuses. Routes (OpenAPI:
// proto/pcs/v1/openapi.json; docs/REST.md):
//   GET  /api/v1/patterns/{id}/confidence  ScoreResponse as JSON
//   GET  /api/v1/patterns                  filtered, paged review list
//   GET  /api/v1/patterns/{id}             one pattern, history, snapshots
//   GET  /api/v1/patterns/{id}/bars        its bars (to the outcome, if any)
//   POST /api/v1/patterns/{id}/override    analyst override (write access)
//   GET  /api/v1/model                     DescribeModelResponse as JSON
//   GET  /api/v1/monitoring                latest drift run + analyst agreement
//   GET  /api/v1/snapshots/{sha256}        snapshot bytes (immutable)
//   GET  /console, /console/{asset}        the analyst review console
// JSON of proto messages uses the proto field names (snake_case) and prints
// default values. Errors: {"error": {"code": "NOT_FOUND", "http_status": 404,
// "message": "..."}} with INVALID_ARGUMENT 400, UNAUTHENTICATED 401,
// PERMISSION_DENIED 403, NOT_FOUND 404, FAILED_PRECONDITION, ABORTED and
// ALREADY_EXISTS 409, RESOURCE_EXHAUSTED 429, UNAVAILABLE 503,
// DEADLINE_EXCEEDED 504, others 500 (server/http_error.h).
//
// Ownership: borrows engine, models and snapshots (which may be null: then
// /snapshots answers 404 naming the missing configuration); they must
// outlive the HTTP server the routes are registered on.
// Threading: handlers run on cpp-httplib's worker threads concurrently.
class RestApi {
 public:
  struct Deps {
    ScoringEngine* engine = nullptr;
    const ModelManager* models = nullptr;
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

  // The routes Register() adds (the OpenAPI test compares them).
  static const std::vector<RestRoute>& Routes();

 private:
  RestApi(RestApiOptions options, Deps deps,
          std::unique_ptr<ConnectionPool> pool)
      : options_(std::move(options)),
        deps_(std::move(deps)),
        pool_(std::move(pool)) {}

  void Confidence(const httplib::Request& req, httplib::Response& res);
  void ListPatterns(const httplib::Request& req, httplib::Response& res);
  void GetPattern(const httplib::Request& req, httplib::Response& res);
  void Bars(const httplib::Request& req, httplib::Response& res);
  void Override(const httplib::Request& req, httplib::Response& res);
  void Model(const httplib::Request& req, httplib::Response& res);
  void Monitoring(const httplib::Request& req, httplib::Response& res);
  void Snapshot(const httplib::Request& req, httplib::Response& res);
  // OkStatus when the request may proceed; else the error was written.
  bool Allowed(const httplib::Request& req, httplib::Response& res, bool write,
               std::string* principal = nullptr);
  double ModelThreshold() const;
  bool OriginAllowed(const httplib::Request& req) const;

  const RestApiOptions options_;
  const Deps deps_;
  std::unique_ptr<ConnectionPool> pool_;
};

}  // namespace pcs

#endif  // PCS_SERVER_REST_API_H_
