#include "server/pattern_confidence_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lifecycle/pattern_lifecycle_manager.h"
#include "server/proto_conversions.h"
#include "spdlog/spdlog.h"

namespace pcs {
namespace {

std::vector<std::string> MethodNames() {
  return {"ScorePattern",      "ScoreInline",         "ScoreBatch",
          "ScoreStream",       "EvaluatePattern",     "DescribeModel",
          "ListModelVersions", "GetServingStatus",    "GetMonitoringReport",
          "ListPatterns",      "GetPattern",          "GetPatternBars",
          "OverridePattern",   "GetMonitoringSummary"};
}

// Writes need write access; everything else only reads.
Access AccessOf(const char* method) {
  const std::string name = method;
  return name == "EvaluatePattern" || name == "OverridePattern" ? Access::kWrite
                                                                : Access::kRead;
}

absl::Status NoReviewDatabase() {
  return absl::UnavailableError("the review queries are not configured");
}

}  // namespace

PatternConfidenceService::PatternConfidenceService(Deps deps)
    : deps_(deps),
      metrics_(deps.metrics, MethodNames()),
      started_(absl::Now()) {
  using Self = PatternConfidenceService;
  AddUnary("ScorePattern", &Self::DoScorePattern);
  AddUnary("ScoreInline", &Self::DoScoreInline);
  AddUnary("ScoreBatch", &Self::DoScoreBatch);
  AddUnary("EvaluatePattern", &Self::DoEvaluatePattern);
  AddUnary("DescribeModel", &Self::DoDescribeModel);
  AddUnary("ListModelVersions", &Self::DoListModelVersions);
  AddUnary("GetServingStatus", &Self::DoGetServingStatus);
  AddUnary("GetMonitoringReport", &Self::DoGetMonitoringReport);
  AddUnary("ListPatterns", &Self::DoListPatterns);
  AddUnary("GetPattern", &Self::DoGetPattern);
  AddUnary("GetPatternBars", &Self::DoGetPatternBars);
  AddUnary("OverridePattern", &Self::DoOverridePattern);
  AddUnary("GetMonitoringSummary", &Self::DoGetMonitoringSummary);
}

const google::protobuf::ServiceDescriptor&
PatternConfidenceService::Descriptor() {
  // Linked in with the generated messages, so never null.
  return *v1::ScoreResponse::descriptor()->file()->FindServiceByName(
      "PatternConfidence");
}

template <typename Request, typename Response>
grpc::Status PatternConfidenceService::Run(const char* method,
                                           Body<Request, Response> body,
                                           const CallContext& call,
                                           const Request& request,
                                           Response* response) {
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> principal =
      Authorize(call, method, AccessOf(method));
  absl::Status status = principal.status();
  if (status.ok()) status = (this->*body)(call, *principal, request, response);
  return Finish(method, call, start, status);
}

template <typename Request, typename Response>
void PatternConfidenceService::AddUnary(const char* method,
                                        Body<Request, Response> body) {
  unary_methods_[absl::StrCat(v1::PatternConfidence::service_full_name(), ".",
                              method)] =
      [this, method, body](const CallContext& call,
                           const google::protobuf::Message& request,
                           google::protobuf::Message* response) {
        // The transcoder makes both from this method's descriptor.
        return Run(method, body, call, static_cast<const Request&>(request),
                   static_cast<Response*>(response));
      };
}

grpc::Status PatternConfidenceService::Finish(const char* method,
                                              const CallContext& call,
                                              absl::Time start,
                                              const absl::Status& status) {
  grpc::Status out = ToGrpcStatus(status);
  if (out.error_message().size() != status.message().size()) {
    // The client got a shortened message; the whole one goes to the log.
    spdlog::warn(
        "event=request_failed entrypoint={} request_id={} method={} code={} "
        "error=\"{}\"",
        EntrypointName(call.entrypoint), call.request_id, method,
        absl::StatusCodeToString(status.code()), std::string(status.message()));
  }
  metrics_.RecordRequest(method, call.entrypoint, out.error_code(),
                         absl::Now() - start);
  return out;
}

absl::StatusOr<std::string> PatternConfidenceService::Authorize(
    const CallContext& call, const char* method, Access access) {
  absl::StatusOr<std::string> who =
      deps_.authorizer->Authorize(call.identity, access);
  if (!who.ok()) {
    spdlog::warn(
        "event=auth_refused entrypoint={} request_id={} method={} access={} "
        "code={} peer={}",
        EntrypointName(call.entrypoint), call.request_id, method,
        AccessName(access), absl::StatusCodeToString(who.status().code()),
        call.peer);
    return who.status();
  }
  if (access == Access::kWrite) {
    spdlog::info(
        "event=write_authorized entrypoint={} request_id={} method={} "
        "principal=\"{}\"",
        EntrypointName(call.entrypoint), call.request_id, method, *who);
  }
  return who;
}

double PatternConfidenceService::ModelThreshold() const {
  auto model = deps_.models->Current();
  return model != nullptr && deps_.engine->options().phase5_enabled
             ? model->decision_threshold
             : kDefaultRuleDecisionThreshold;
}

void PatternConfidenceService::Trace(const ScoreResult& r, const char* method,
                                     TraceCaller caller) {
  if (deps_.traces == nullptr) return;
  TraceRecord record;
  record.pattern_id = r.pattern_id;
  record.state = std::string(LifecycleStateName(r.state));
  record.event_date = FormatDay(r.pattern.confirmation_day);
  record.rule_confidence = r.rule_confidence;
  record.ml_confidence = r.ml_confidence;
  record.blended_confidence = r.blended_confidence;
  record.blend_weight = r.ml_weight_used;
  record.model_version = r.model_version;
  record.fallback_reason = std::string(FallbackReasonName(r.fallback_reason));
  record.latency_ms = r.timing.total_us / 1000.0;
  record.reason = absl::StrCat("score ", method);
  deps_.traces->Log(std::move(record), caller);
}

absl::Status PatternConfidenceService::ScoreOne(
    const std::string& id, int top_k, bool skip_trace, const std::string& field,
    absl::Time deadline, v1::ScoreResponse* response,
    std::vector<ScoreResult>* to_trace) {
  if (absl::Status s = ValidatePatternId(id, field); !s.ok()) return s;
  auto result = deps_.engine->ScoreStored(id, top_k, deadline);
  if (result.ok() && absl::Now() > deadline) {
    return absl::DeadlineExceededError("deadline passed while scoring " + id);
  }
  if (absl::Status s = Answer(result, response); !s.ok()) return s;
  if (!skip_trace) to_trace->push_back(std::move(*result));
  return absl::OkStatus();
}

absl::Status PatternConfidenceService::Answer(
    const absl::StatusOr<ScoreResult>& result, v1::ScoreResponse* response) {
  if (!result.ok()) return result.status();
  metrics_.RecordScore(*result);
  ScoreResultToProto(*result, response);
  return absl::OkStatus();
}

void PatternConfidenceService::TraceUnlessCancelled(
    const CallContext& call, const std::string& principal,
    const std::vector<ScoreResult>& results, const char* method) {
  if (results.empty() || call.IsCancelled()) return;
  TraceAll(principal, results, method);
}

void PatternConfidenceService::TraceAll(const std::string& principal,
                                        const std::vector<ScoreResult>& results,
                                        const char* method) {
  const TraceCaller caller = principal == kAnonymousPrincipal
                                 ? TraceCaller::kAnonymous
                                 : TraceCaller::kAuthenticated;
  for (const ScoreResult& r : results) Trace(r, method, caller);
}

// The gRPC door: one line each.
#define PCS_GRPC_UNARY(Method, Request, Response)                             \
  grpc::Status PatternConfidenceService::Method(grpc::ServerContext* context, \
                                                const v1::Request* request,   \
                                                v1::Response* response) {     \
    return Run(#Method, &PatternConfidenceService::Do##Method,                \
               CallContextFromGrpc(*context), *request, response);            \
  }
PCS_GRPC_UNARY(ScorePattern, ScorePatternRequest, ScoreResponse)
PCS_GRPC_UNARY(ScoreInline, ScoreInlineRequest, ScoreResponse)
PCS_GRPC_UNARY(ScoreBatch, ScoreBatchRequest, ScoreBatchResponse)
PCS_GRPC_UNARY(EvaluatePattern, EvaluatePatternRequest, EvaluatePatternResponse)
PCS_GRPC_UNARY(DescribeModel, DescribeModelRequest, DescribeModelResponse)
PCS_GRPC_UNARY(ListModelVersions, ListModelVersionsRequest,
               ListModelVersionsResponse)
PCS_GRPC_UNARY(GetServingStatus, GetServingStatusRequest,
               GetServingStatusResponse)
PCS_GRPC_UNARY(GetMonitoringReport, GetMonitoringReportRequest,
               GetMonitoringReportResponse)
PCS_GRPC_UNARY(ListPatterns, ListPatternsRequest, ListPatternsResponse)
PCS_GRPC_UNARY(GetPattern, GetPatternRequest, GetPatternResponse)
PCS_GRPC_UNARY(GetPatternBars, GetPatternBarsRequest, GetPatternBarsResponse)
PCS_GRPC_UNARY(OverridePattern, OverridePatternRequest, OverridePatternResponse)
PCS_GRPC_UNARY(GetMonitoringSummary, GetMonitoringSummaryRequest,
               GetMonitoringSummaryResponse)
#undef PCS_GRPC_UNARY

absl::Status PatternConfidenceService::DoScorePattern(
    const CallContext& call, const std::string& principal,
    const v1::ScorePatternRequest& request, v1::ScoreResponse* response) {
  std::vector<ScoreResult> to_trace;
  if (absl::Status s = ValidateTopK(request.top_k(), "top_k"); !s.ok()) {
    return s;
  }
  absl::Status status =
      ScoreOne(request.pattern_id(), request.top_k(), request.skip_trace(),
               "pattern_id", call.deadline, response, &to_trace);
  // One pattern, already scored: traced even if the client has gone since.
  // Asking a sync call whether it was cancelled polls its completion queue
  // (about 8% of the server's CPU per request in the evening burst,
  // docs/SERVER.md); batches and streams still ask, once per item.
  TraceAll(principal, to_trace, "ScorePattern");
  return status;
}

absl::Status PatternConfidenceService::DoScoreInline(
    const CallContext& call, const std::string&,
    const v1::ScoreInlineRequest& request, v1::ScoreResponse* response) {
  if (!request.has_pattern()) {
    return absl::InvalidArgumentError("pattern: is required");
  }
  if (absl::Status s = ValidateTopK(request.top_k(), "top_k"); !s.ok()) {
    return s;
  }
  auto pattern = PatternFromProto(request.pattern());
  if (!pattern.ok()) return pattern.status();
  if (request.bars().empty()) {
    return absl::InvalidArgumentError("bars: at least one bar is required");
  }
  auto bars = BarsFromProto(request.bars(), pattern->symbol, "bars");
  if (!bars.ok()) return bars.status();
  auto market = BarsFromProto(request.market_bars(), "DIA", "market_bars");
  if (!market.ok()) return market.status();
  if (bars->IndexOf(pattern->confirmation_day) < 0) {
    return absl::InvalidArgumentError(
        "bars: no bar on pattern.confirmation_date " +
        request.pattern().confirmation_date());
  }
  return Answer(deps_.engine->ScoreInline(
                    *pattern, *bars, market->bars.empty() ? nullptr : &*market,
                    request.top_k(), call.deadline),
                response);
}

absl::Status PatternConfidenceService::DoScoreBatch(
    const CallContext& call, const std::string& principal,
    const v1::ScoreBatchRequest& request, v1::ScoreBatchResponse* response) {
  const absl::Time start = absl::Now();
  std::vector<ScoreResult> to_trace;
  if (absl::Status s = ValidateBatchIds(request); !s.ok()) return s;
  for (int i = 0; i < request.pattern_ids_size(); ++i) {
    // Cancelled (client gone, or the shutdown grace period over): stop
    // here; nothing of this batch is traced.
    if (call.IsCancelled()) {
      return absl::CancelledError(
          absl::StrCat("ScoreBatch cancelled after ", i, " of ",
                       request.pattern_ids_size(), " ids"));
    }
    const std::string& id = request.pattern_ids(i);
    v1::ScoreBatchItem* item = response->add_items();
    item->set_pattern_id(EchoedId(id));
    absl::Status s =
        ScoreOne(id, request.top_k(), request.skip_trace(),
                 absl::StrCat("pattern_ids[", i, "]"), call.deadline,
                 item->mutable_response(), &to_trace);
    if (absl::IsDeadlineExceeded(s)) return s;  // the whole call is late
    item->set_code(static_cast<int>(s.code()));
    item->set_error(ClientMessage(s));
    if (!s.ok()) item->clear_response();
  }
  response->set_total_us(absl::ToInt64Microseconds(absl::Now() - start));
  TraceUnlessCancelled(call, principal, to_trace, "ScoreBatch");
  return absl::OkStatus();
}

grpc::Status PatternConfidenceService::ScoreStream(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::ScoreBatchItem, v1::ScorePatternRequest>*
        stream) {
  const absl::Time start = absl::Now();
  const CallContext call = CallContextFromGrpc(*context);
  v1::ScorePatternRequest request;
  const absl::StatusOr<std::string> principal =
      Authorize(call, "ScoreStream", Access::kRead);
  absl::Status status = principal.status();
  while (status.ok() && !call.IsCancelled() && stream->Read(&request)) {
    std::vector<ScoreResult> to_trace;
    v1::ScoreBatchItem item;
    item.set_pattern_id(EchoedId(request.pattern_id()));
    absl::Status s = ValidateTopK(request.top_k(), "top_k");
    if (s.ok()) {
      s = ScoreOne(request.pattern_id(), request.top_k(), request.skip_trace(),
                   "pattern_id", call.deadline, item.mutable_response(),
                   &to_trace);
    }
    if (absl::IsDeadlineExceeded(s)) {
      status = s;
      break;
    }
    item.set_code(static_cast<int>(s.code()));
    item.set_error(ClientMessage(s));
    if (!s.ok()) item.clear_response();
    if (!stream->Write(item)) {
      status = absl::CancelledError("client went away");
    } else {
      TraceUnlessCancelled(call, *principal, to_trace, "ScoreStream");
    }
  }
  return Finish("ScoreStream", call, start, status);
}

absl::Status PatternConfidenceService::DoEvaluatePattern(
    const CallContext& call, const std::string&,
    const v1::EvaluatePatternRequest& request,
    v1::EvaluatePatternResponse* response) {
  if (absl::Status s = ValidatePatternId(request.pattern_id(), "pattern_id");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateTopK(request.top_k(), "top_k"); !s.ok()) {
    return s;
  }
  std::optional<Day> event_day;
  if (!request.event_date().empty()) {
    auto day = ParseDay(request.event_date());
    if (!day.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("event_date: ", QuoteInput(request.event_date()),
                       " is not YYYY-MM-DD"));
    }
    // A decision refers to a market day that has happened: not before
    // 1970, not after tomorrow (UTC; a day of slack for time zones).
    const Day tomorrow =
        static_cast<Day>(absl::ToUnixSeconds(absl::Now()) / 86400) + 1;
    if (*day < 0 || *day > tomorrow) {
      return absl::InvalidArgumentError(
          absl::StrCat("event_date: ", QuoteInput(request.event_date()),
                       " is outside 1970-01-01 .. ", FormatDay(tomorrow)));
    }
    event_day = *day;
  }
  auto result = deps_.engine->Evaluate(request.pattern_id(), request.top_k(),
                                       event_day, call.deadline);
  if (!result.ok()) return result.status();
  if (absl::Status s = Answer(result->score, response->mutable_score());
      !s.ok()) {
    return s;
  }
  response->set_from_state(std::string(LifecycleStateName(result->from)));
  response->set_to_state(std::string(LifecycleStateName(result->to)));
  response->set_transition_recorded(result->transition_recorded);
  return absl::OkStatus();
}

absl::Status PatternConfidenceService::DoDescribeModel(
    const CallContext&, const std::string&,
    const v1::DescribeModelRequest& request,
    v1::DescribeModelResponse* response) {
  std::shared_ptr<const ServableModel> model = deps_.models->Current();
  const ScoringEngineOptions& options = deps_.engine->options();
  if (!request.version().empty() &&
      (model == nullptr || model->version != request.version())) {
    return absl::NotFoundError(
        absl::StrCat("version: model version ", QuoteInput(request.version()),
                     " is not serving (see ListModelVersions)"));
  }
  response->set_phase5_enabled(options.phase5_enabled);
  if (model != nullptr) {
    ModelToProto(*model, options.phase5_enabled, options.blend_weight,
                 response);
  }
  return absl::OkStatus();
}

absl::Status PatternConfidenceService::DoListModelVersions(
    const CallContext&, const std::string&, const v1::ListModelVersionsRequest&,
    v1::ListModelVersionsResponse* response) {
  for (const ModelVersionInfo& info : deps_.models->Versions()) {
    v1::ModelVersionStatus* v = response->add_versions();
    v->set_version(info.version);
    v->set_state(ModelVersionStateName(info.state));
    v->set_reason(info.reason);
    v->set_serving(info.serving);
    v->set_updated_unix(absl::ToUnixSeconds(info.updated));
  }
  response->set_aspired_version(deps_.models->aspired_version());
  response->set_pinned(deps_.models->pinned());
  return absl::OkStatus();
}

absl::Status PatternConfidenceService::DoGetMonitoringReport(
    const CallContext& call, const std::string&,
    const v1::GetMonitoringReportRequest&,
    v1::GetMonitoringReportResponse* response) {
  return deps_.engine->LatestMonitoringReport(call.deadline, response);
}

absl::Status PatternConfidenceService::DoGetServingStatus(
    const CallContext& call, const std::string&,
    const v1::GetServingStatusRequest&,
    v1::GetServingStatusResponse* response) {
  absl::Time deadline = std::min(call.deadline, absl::Now() + absl::Seconds(2));
  response->set_database_reachable(deps_.engine->Ping(deadline).ok());
  if (auto model = deps_.models->Current()) {
    response->set_serving_version(model->version);
  }
  response->set_phase5_enabled(deps_.engine->options().phase5_enabled);
  response->set_reloads_succeeded(deps_.models->reloads_succeeded());
  response->set_reloads_failed(deps_.models->reloads_failed());
  response->set_last_reload_error(deps_.models->last_error());
  if (deps_.traces != nullptr) {
    response->set_trace_queue_depth(deps_.traces->depth());
    response->set_trace_written(deps_.traces->written());
    response->set_trace_dropped(deps_.traces->dropped());
  }
  response->set_uptime_seconds(absl::ToInt64Seconds(absl::Now() - started_));
  return absl::OkStatus();
}

absl::Status PatternConfidenceService::DoListPatterns(
    const CallContext& call, const std::string&,
    const v1::ListPatternsRequest& request,
    v1::ListPatternsResponse* response) {
  if (deps_.reviews == nullptr) return NoReviewDatabase();
  return deps_.reviews->List(request, ModelThreshold(), call.deadline,
                             response);
}

absl::Status PatternConfidenceService::DoGetPattern(
    const CallContext& call, const std::string&,
    const v1::GetPatternRequest& request, v1::GetPatternResponse* response) {
  if (deps_.reviews == nullptr) return NoReviewDatabase();
  return deps_.reviews->Get(request, call.deadline, response);
}

absl::Status PatternConfidenceService::DoGetPatternBars(
    const CallContext& call, const std::string&,
    const v1::GetPatternBarsRequest& request,
    v1::GetPatternBarsResponse* response) {
  if (deps_.reviews == nullptr) return NoReviewDatabase();
  return deps_.reviews->Bars(request, call.deadline, response);
}

absl::Status PatternConfidenceService::DoOverridePattern(
    const CallContext& call, const std::string& principal,
    const v1::OverridePatternRequest& request,
    v1::OverridePatternResponse* response) {
  if (deps_.reviews == nullptr) return NoReviewDatabase();
  absl::Status s =
      deps_.reviews->Override(request, principal, call.deadline, response);
  // The stored state changed: the cached score must not outlive it.
  if (s.ok()) deps_.engine->ForgetPattern(request.pattern_id());
  return s;
}

absl::Status PatternConfidenceService::DoGetMonitoringSummary(
    const CallContext& call, const std::string&,
    const v1::GetMonitoringSummaryRequest&,
    v1::GetMonitoringSummaryResponse* response) {
  if (deps_.reviews == nullptr) return NoReviewDatabase();
  absl::Status drift = deps_.engine->LatestMonitoringReport(
      call.deadline, response->mutable_drift());
  if (absl::IsNotFound(drift)) {
    response->clear_drift();
    response->set_drift_status(std::string(drift.message()));
  } else if (!drift.ok()) {
    return drift;
  }
  return deps_.reviews->Agreement(ModelThreshold(), call.deadline,
                                  response->mutable_analyst_agreement());
}

}  // namespace pcs
