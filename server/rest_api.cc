#include "server/rest_api.h"

#include <httplib.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <regex>
#include <set>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "db/analyst_override_store.h"
#include "db/chart_snapshot_catalog.h"
#include "db/pattern_event_store.h"
#include "db/pattern_review_store.h"
#include "db/price_bar_store.h"
#include "google/protobuf/util/json_util.h"
#include "lifecycle/pattern_lifecycle_manager.h"
#include "nlohmann/json.hpp"
#include "server/console_assets.h"
#include "server/http_limits.h"
#include "server/proto_conversions.h"
#include "server/request_validation.h"
#include "server/rest_params.h"
#include "spdlog/spdlog.h"

namespace pcs {
namespace {

using nlohmann::json;

void WriteJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  // Invalid UTF-8 from the database or a query becomes U+FFFD, never a
  // nlohmann exception.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace),
                  "application/json");
}

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

json ProtoJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string text;
  (void)google::protobuf::util::MessageToJsonString(message, &text, options);
  return json::parse(text, nullptr, false);
}

template <typename T>
json OrNull(const std::optional<T>& v) {
  return v.has_value() ? json(*v) : json(nullptr);
}

json NumberOrNull(const std::optional<double>& v) {
  return v.has_value() && std::isfinite(*v) ? json(*v) : json(nullptr);
}

json RowJson(const ReviewRow& r) {
  return {{"id", r.id},
          {"symbol", r.symbol},
          {"pattern_type", r.pattern_type},
          {"direction", r.direction},
          {"confirmation_date", FormatDay(r.confirmation_day)},
          {"lifecycle_state", r.lifecycle_state},
          {"rule_confidence", r.rule_confidence},
          {"ml_confidence", NumberOrNull(r.ml_confidence)},
          {"blended_confidence", NumberOrNull(r.blended_confidence)},
          {"model_version", OrNull(r.model_version)},
          {"predicted_at", OrNull(r.predicted_at)},
          {"outcome_label", OrNull(r.outcome_label)},
          {"exit_reason", OrNull(r.exit_reason)},
          {"realized_pnl", NumberOrNull(r.realized_pnl)},
          {"outcome_resolved_at", r.outcome_resolved_day
                                      ? json(FormatDay(*r.outcome_resolved_day))
                                      : json(nullptr)},
          {"snapshot_url", OrNull(r.snapshot_url)},
          {"analyst_decision", OrNull(r.analyst_decision)},
          {"analyst_reason", OrNull(r.analyst_reason)},
          {"analyst_identity", OrNull(r.analyst_identity)},
          {"analyst_at", OrNull(r.analyst_at)}};
}

}  // namespace

absl::StatusOr<std::unique_ptr<RestApi>> RestApi::Create(RestApiOptions options,
                                                         Deps deps) {
  if (deps.engine == nullptr || deps.models == nullptr) {
    return absl::InvalidArgumentError("RestApi needs the engine and models");
  }
  auto pool = ConnectionPool::Create(
      {.conninfo = options.conninfo, .size = options.pool_size});
  if (!pool.ok()) return pool.status();
  return std::unique_ptr<RestApi>(
      new RestApi(std::move(options), std::move(deps), std::move(*pool)));
}

const std::vector<RestRoute>& RestApi::Routes() {
  static const auto* kRoutes = new std::vector<RestRoute>{
      {"GET", "/api/v1/patterns"},
      {"GET", "/api/v1/patterns/{id}"},
      {"GET", "/api/v1/patterns/{id}/confidence"},
      {"GET", "/api/v1/patterns/{id}/bars"},
      {"POST", "/api/v1/patterns/{id}/override"},
      {"GET", "/api/v1/model"},
      {"GET", "/api/v1/monitoring"},
      {"GET", "/api/v1/snapshots/{sha256}"},
  };
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
  auto bind = [this](void (RestApi::*method)(const httplib::Request&,
                                             httplib::Response&)) {
    return [this, method](const httplib::Request& req, httplib::Response& res) {
      (this->*method)(req, res);
    };
  };
  http.Get(R"(/api/v1/patterns)", bind(&RestApi::ListPatterns));
  http.Get(R"(/api/v1/patterns/([^/]+)/confidence)",
           bind(&RestApi::Confidence));
  http.Get(R"(/api/v1/patterns/([^/]+)/bars)", bind(&RestApi::Bars));
  http.Get(R"(/api/v1/patterns/([^/]+))", bind(&RestApi::GetPattern));
  http.Post(R"(/api/v1/patterns/([^/]+)/override)", bind(&RestApi::Override));
  http.Get(R"(/api/v1/model)", bind(&RestApi::Model));
  http.Get(R"(/api/v1/monitoring)", bind(&RestApi::Monitoring));
  http.Get(R"(/api/v1/snapshots/([^/]+))", bind(&RestApi::Snapshot));
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

bool RestApi::Allowed(const httplib::Request& req, httplib::Response& res,
                      bool write, std::string* principal) {
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
  if (write) {
    spdlog::info(
        "event=write_authorized entrypoint=http request_id={} path=\"{}\" "
        "principal=\"{}\"",
        t_request_id, absl::CHexEscape(req.path.substr(0, 128)), *who);
  }
  if (principal != nullptr) *principal = *who;
  return true;
}

double RestApi::ModelThreshold() const {
  auto model = deps_.models->Current();
  return model != nullptr && deps_.engine->options().phase5_enabled
             ? model->decision_threshold
             : kDefaultRuleDecisionThreshold;
}

void RestApi::Confidence(const httplib::Request& req, httplib::Response& res) {
  if (!Allowed(req, res, false)) return;
  const std::string id = req.matches[1].str();
  auto run = [&]() -> absl::Status {
    if (absl::Status s = CheckParams(req, {"top_k"}); !s.ok()) return s;
    int top_k = options_.default_top_k;
    if (req.has_param("top_k")) {
      auto n = ParseInt("top_k", req.get_param_value("top_k"), 0, 64);
      if (!n.ok()) return n.status();
      top_k = *n;
    }
    if (absl::Status s = ValidateTopK(top_k, "top_k"); !s.ok()) return s;
    if (absl::Status s = ValidatePatternId(id, "id"); !s.ok()) return s;
    auto result =
        deps_.engine->ScoreStored(id, top_k, absl::Now() + options_.deadline);
    if (!result.ok()) return result.status();
    v1::ScoreResponse response;
    ScoreResultToProto(*result, &response);
    WriteJson(res, 200, ProtoJson(response));
    return absl::OkStatus();
  };
  if (absl::Status s = run(); !s.ok()) WriteError(res, s);
}

void RestApi::ListPatterns(const httplib::Request& req,
                           httplib::Response& res) {
  if (!Allowed(req, res, false)) return;
  auto run = [&]() -> absl::Status {
    auto filter = ParseFilter(req);
    if (!filter.ok()) return filter.status();
    filter->model_threshold = ModelThreshold();
    filter->rule_threshold = kDefaultRuleDecisionThreshold;
    auto lease = pool_->Acquire(absl::Now() + options_.deadline);
    if (!lease.ok()) return lease.status();
    auto page = PatternReviewStore(lease->conn()).List(*filter);
    if (!page.ok()) {
      if (absl::IsUnavailable(page.status())) lease->MarkBroken();
      return page.status();
    }
    json items = json::array();
    for (const ReviewRow& r : page->rows) items.push_back(RowJson(r));
    const int next = filter->offset + static_cast<int>(page->rows.size());
    WriteJson(res, 200,
              {{"patterns", items},
               {"total", page->total},
               {"next_page_token",
                next < page->total ? json(std::to_string(next)) : json("")},
               {"model_threshold", filter->model_threshold},
               {"rule_threshold", filter->rule_threshold},
               {"order", ReviewOrderName(filter->order)}});
    return absl::OkStatus();
  };
  if (absl::Status s = run(); !s.ok()) WriteError(res, s);
}

void RestApi::GetPattern(const httplib::Request& req, httplib::Response& res) {
  if (!Allowed(req, res, false)) return;
  const std::string id = req.matches[1].str();
  auto run = [&]() -> absl::Status {
    if (absl::Status s = CheckParams(req, {}); !s.ok()) return s;
    if (absl::Status s = ValidatePatternId(id, "id"); !s.ok()) return s;
    auto lease = pool_->Acquire(absl::Now() + options_.deadline);
    if (!lease.ok()) return lease.status();
    PatternReviewStore store(lease->conn());
    auto row = store.Get(id);
    if (!row.ok()) return row.status();
    auto history = store.History(id);
    if (!history.ok()) return history.status();
    auto snapshots = ChartSnapshotCatalog(lease->conn()).ForPattern(id);
    if (!snapshots.ok()) return snapshots.status();
    json h = json::array();
    for (const ReviewHistoryRow& r : *history) {
      h.push_back({{"id", r.id},
                   {"from_state", OrNull(r.from_state)},
                   {"to_state", r.to_state},
                   {"event_date", OrNull(r.event_date)},
                   {"recorded_at", r.recorded_at},
                   {"source", r.source},
                   {"rule_confidence", NumberOrNull(r.rule_confidence)},
                   {"ml_confidence", NumberOrNull(r.ml_confidence)},
                   {"blended_confidence", NumberOrNull(r.blended_confidence)},
                   {"model_version", OrNull(r.model_version)},
                   {"reason", OrNull(r.reason)}});
    }
    json s = json::array();
    for (const ChartSnapshotEntry& e : *snapshots) {
      s.push_back({{"kind", std::string(SnapshotKindName(e.kind))},
                   {"sha256", e.sha256},
                   {"url", "/api/v1/snapshots/" + e.sha256},
                   {"size_bytes", e.size_bytes},
                   {"first_bar", FormatDay(e.first_bar)},
                   {"last_bar", FormatDay(e.last_bar)},
                   {"bar_count", e.bar_count},
                   {"renderer_version", e.renderer_version},
                   {"created_at", e.created_at}});
    }
    WriteJson(res, 200,
              {{"pattern", RowJson(*row)}, {"history", h}, {"snapshots", s}});
    return absl::OkStatus();
  };
  if (absl::Status s = run(); !s.ok()) WriteError(res, s);
}

void RestApi::Bars(const httplib::Request& req, httplib::Response& res) {
  if (!Allowed(req, res, false)) return;
  const std::string id = req.matches[1].str();
  auto run = [&]() -> absl::Status {
    if (absl::Status s = CheckParams(req, {}); !s.ok()) return s;
    if (absl::Status s = ValidatePatternId(id, "id"); !s.ok()) return s;
    auto lease = pool_->Acquire(absl::Now() + options_.deadline);
    if (!lease.ok()) return lease.status();
    auto stored = PatternEventStore(lease->conn()).Load(id);
    if (!stored.ok()) return stored.status();
    const Pattern& p = stored->pattern;
    Day first = p.formation_start;
    for (const KeyPoint& k : p.key_points) first = std::min(first, k.day);
    // About 20 trading bars of context, as in the snapshot charts.
    first -= 30;
    const Day last = stored->outcome.resolved_day.value_or(p.confirmation_day);
    auto bars = LoadBarSeries(lease->conn(), p.symbol, first, last);
    if (!bars.ok()) return bars.status();
    json out_bars = json::array();
    for (const Bar& b : bars->bars) {
      out_bars.push_back({{"day", FormatDay(b.day)},
                          {"open", b.open},
                          {"high", b.high},
                          {"low", b.low},
                          {"close", b.close},
                          {"volume", b.volume}});
    }
    json points = json::array();
    for (const KeyPoint& k : p.key_points) {
      points.push_back(
          {{"role", k.role}, {"day", FormatDay(k.day)}, {"price", k.price}});
    }
    WriteJson(res, 200,
              {{"pattern_id", id},
               {"symbol", p.symbol},
               {"confirmation_date", FormatDay(p.confirmation_day)},
               {"through", FormatDay(last)},
               {"breakout_level", p.breakout_level},
               {"target_price", p.target},
               {"stop_price", p.stop},
               {"key_points", points},
               {"bars", out_bars}});
    return absl::OkStatus();
  };
  if (absl::Status s = run(); !s.ok()) WriteError(res, s);
}

void RestApi::Override(const httplib::Request& req, httplib::Response& res) {
  std::string principal;
  if (!Allowed(req, res, true, &principal)) return;
  const std::string id = req.matches[1].str();
  auto run = [&]() -> absl::Status {
    if (absl::Status s = CheckParams(req, {}); !s.ok()) return s;
    if (absl::Status s = ValidatePatternId(id, "id"); !s.ok()) return s;
    if (absl::Status s = CheckJsonDepth(req.body, options_.max_json_depth);
        !s.ok()) {
      return s;
    }
    const json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return absl::InvalidArgumentError("body: must be a JSON object");
    }
    for (const auto& [key, value] : body.items()) {
      if (key != "decision" && key != "reason") {
        return BadParam(key.substr(0, 40), "unknown field");
      }
      if (!value.is_string()) return BadParam(key, "must be a string");
    }
    auto decision = ParseAnalystDecision(body.value("decision", ""));
    if (!decision.ok()) return decision.status();
    AnalystOverride o{.pattern_id = id,
                      .decision = *decision,
                      .reason = body.value("reason", ""),
                      .identity = principal};
    auto lease = pool_->Acquire(absl::Now() + options_.deadline);
    if (!lease.ok()) return lease.status();
    auto applied = AnalystOverrideStore(lease->conn()).Apply(o);
    if (!applied.ok()) {
      if (absl::IsUnavailable(applied.status())) lease->MarkBroken();
      return applied.status();
    }
    // The stored state changed: the cached score must not outlive it.
    deps_.engine->ForgetPattern(id);
    WriteJson(res, 200,
              {{"pattern_id", id},
               {"decision", std::string(AnalystDecisionName(o.decision))},
               {"reason", o.reason},
               {"analyst", principal},
               {"from_state", std::string(LifecycleStateName(applied->from))},
               {"to_state", std::string(LifecycleStateName(applied->to))},
               {"history_id", applied->history_id},
               {"recorded_at", applied->recorded_at}});
    return absl::OkStatus();
  };
  if (absl::Status s = run(); !s.ok()) WriteError(res, s);
}

void RestApi::Model(const httplib::Request& req, httplib::Response& res) {
  if (!Allowed(req, res, false)) return;
  if (absl::Status s = CheckParams(req, {}); !s.ok()) {
    WriteError(res, s);
    return;
  }
  v1::DescribeModelResponse response;
  const ScoringEngineOptions& options = deps_.engine->options();
  response.set_phase5_enabled(options.phase5_enabled);
  if (auto model = deps_.models->Current()) {
    ModelToProto(*model, options.phase5_enabled, options.blend_weight,
                 &response);
  }
  json out = ProtoJson(response);
  // The card is already JSON: nest it instead of a string inside JSON.
  out["model_card"] = json::parse(response.model_card_json(), nullptr, false);
  if (out["model_card"].is_discarded()) out["model_card"] = nullptr;
  out.erase("model_card_json");
  WriteJson(res, 200, out);
}

void RestApi::Monitoring(const httplib::Request& req, httplib::Response& res) {
  if (!Allowed(req, res, false)) return;
  auto run = [&]() -> absl::Status {
    if (absl::Status s = CheckParams(req, {}); !s.ok()) return s;
    const absl::Time deadline = absl::Now() + options_.deadline;
    json out;
    v1::GetMonitoringReportResponse drift;
    absl::Status s = deps_.engine->LatestMonitoringReport(deadline, &drift);
    if (s.ok()) {
      out["drift"] = ProtoJson(drift);
      out["drift"]["details"] =
          json::parse(drift.details_json(), nullptr, false);
      if (out["drift"]["details"].is_discarded())
        out["drift"]["details"] = nullptr;
      out["drift"].erase("details_json");
    } else if (absl::IsNotFound(s)) {
      out["drift"] = nullptr;
      out["drift_status"] = std::string(s.message());
    } else {
      return s;
    }
    auto lease = pool_->Acquire(deadline);
    if (!lease.ok()) return lease.status();
    auto agreement =
        AnalystOverrideStore(lease->conn())
            .Agreement(ModelThreshold(), kDefaultRuleDecisionThreshold);
    if (!agreement.ok()) return agreement.status();
    const AnalystAgreement& a = *agreement;
    out["analyst_agreement"] = {
        {"overrides", a.overrides},
        {"confirmed", a.confirmed},
        {"rejected", a.overrides - a.confirmed},
        {"scored_by_model", a.with_model},
        {"agree_with_model", a.agree_with_model},
        {"agree_with_rule", a.agree_with_rule},
        {"model_agreement_rate",
         a.with_model > 0
             ? json(static_cast<double>(a.agree_with_model) / a.with_model)
             : json(nullptr)},
        {"rule_agreement_rate",
         a.overrides > 0
             ? json(static_cast<double>(a.agree_with_rule) / a.overrides)
             : json(nullptr)},
        {"model_threshold", a.model_threshold},
        {"rule_threshold", a.rule_threshold}};
    WriteJson(res, 200, out);
    return absl::OkStatus();
  };
  if (absl::Status s = run(); !s.ok()) WriteError(res, s);
}

void RestApi::Snapshot(const httplib::Request& req, httplib::Response& res) {
  if (!Allowed(req, res, false)) return;
  const std::string hash = req.matches[1].str();
  auto run = [&]() -> absl::Status {
    if (absl::Status s = CheckParams(req, {}); !s.ok()) return s;
    if (!IsSha256Hex(hash)) {
      return BadParam("sha256", "must be 64 lowercase hex characters");
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
