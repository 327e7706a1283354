#include "server/pattern_confidence_service.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/proto_conversions.h"
#include "server/request_identity.h"
#include "spdlog/spdlog.h"

namespace pcs {
namespace {

std::vector<std::string> MethodNames() {
  return {"ScorePattern",      "ScoreInline",      "ScoreBatch",
          "ScoreStream",       "EvaluatePattern",  "DescribeModel",
          "ListModelVersions", "GetServingStatus", "GetMonitoringReport"};
}

}  // namespace

absl::Time DeadlineOf(const grpc::ServerContext& context) {
  auto deadline = context.deadline();
  auto now = std::chrono::system_clock::now();
  // Far-future (no deadline) would overflow the conversion.
  if (deadline - now > std::chrono::hours(24 * 365)) {
    return absl::InfiniteFuture();
  }
  return absl::FromChrono(deadline);
}

PatternConfidenceService::PatternConfidenceService(Deps deps)
    : deps_(deps),
      metrics_(deps.metrics, MethodNames()),
      started_(absl::Now()) {}

grpc::Status PatternConfidenceService::Finish(const char* method,
                                              absl::Time start,
                                              const absl::Status& status) {
  grpc::Status out = ToGrpcStatus(status);
  if (out.error_message().size() != status.message().size()) {
    // The client got a shortened message; the whole one goes to the log.
    spdlog::warn("event=request_failed method={} code={} error=\"{}\"", method,
                 absl::StatusCodeToString(status.code()),
                 std::string(status.message()));
  }
  metrics_.RecordRequest(method, out.error_code(), absl::Now() - start);
  return out;
}

absl::Status PatternConfidenceService::Authorize(
    const grpc::ServerContext& context, const char* method, Access access) {
  absl::StatusOr<std::string> who =
      deps_.authorizer->Authorize(IdentityFromGrpc(context), access);
  if (!who.ok()) {
    spdlog::warn("event=auth_refused method={} access={} code={} peer={}",
                 method, AccessName(access),
                 absl::StatusCodeToString(who.status().code()), context.peer());
    return who.status();
  }
  if (access == Access::kWrite) {
    spdlog::info("event=write_authorized method={} principal=\"{}\"", method,
                 *who);
  }
  return absl::OkStatus();
}

void PatternConfidenceService::Trace(const ScoreResult& r, const char* method) {
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
  deps_.traces->Log(std::move(record));
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
    const grpc::ServerContext& context, const std::vector<ScoreResult>& results,
    const char* method) {
  if (context.IsCancelled()) return;
  for (const ScoreResult& r : results) Trace(r, method);
}

grpc::Status PatternConfidenceService::ScorePattern(
    grpc::ServerContext* context, const v1::ScorePatternRequest* request,
    v1::ScoreResponse* response) {
  const absl::Time start = absl::Now();
  std::vector<ScoreResult> to_trace;
  absl::Status status = Authorize(*context, "ScorePattern", Access::kRead);
  if (status.ok()) status = ValidateTopK(request->top_k(), "top_k");
  if (status.ok()) {
    status =
        ScoreOne(request->pattern_id(), request->top_k(), request->skip_trace(),
                 "pattern_id", DeadlineOf(*context), response, &to_trace);
  }
  TraceUnlessCancelled(*context, to_trace, "ScorePattern");
  return Finish("ScorePattern", start, status);
}

grpc::Status PatternConfidenceService::ScoreInline(
    grpc::ServerContext* context, const v1::ScoreInlineRequest* request,
    v1::ScoreResponse* response) {
  const absl::Time start = absl::Now();
  auto run = [&]() -> absl::Status {
    if (absl::Status s = Authorize(*context, "ScoreInline", Access::kRead);
        !s.ok()) {
      return s;
    }
    if (!request->has_pattern()) {
      return absl::InvalidArgumentError("pattern: is required");
    }
    if (absl::Status s = ValidateTopK(request->top_k(), "top_k"); !s.ok()) {
      return s;
    }
    auto pattern = PatternFromProto(request->pattern());
    if (!pattern.ok()) return pattern.status();
    if (request->bars().empty()) {
      return absl::InvalidArgumentError("bars: at least one bar is required");
    }
    auto bars = BarsFromProto(request->bars(), pattern->symbol, "bars");
    if (!bars.ok()) return bars.status();
    auto market = BarsFromProto(request->market_bars(), "DIA", "market_bars");
    if (!market.ok()) return market.status();
    if (bars->IndexOf(pattern->confirmation_day) < 0) {
      return absl::InvalidArgumentError(
          "bars: no bar on pattern.confirmation_date " +
          request->pattern().confirmation_date());
    }
    return Answer(
        deps_.engine->ScoreInline(*pattern, *bars,
                                  market->bars.empty() ? nullptr : &*market,
                                  request->top_k(), DeadlineOf(*context)),
        response);
  };
  return Finish("ScoreInline", start, run());
}

grpc::Status PatternConfidenceService::ScoreBatch(
    grpc::ServerContext* context, const v1::ScoreBatchRequest* request,
    v1::ScoreBatchResponse* response) {
  const absl::Time start = absl::Now();
  std::vector<ScoreResult> to_trace;
  auto run = [&]() -> absl::Status {
    if (absl::Status s = Authorize(*context, "ScoreBatch", Access::kRead);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = ValidateBatchIds(*request); !s.ok()) return s;
    const absl::Time deadline = DeadlineOf(*context);
    for (int i = 0; i < request->pattern_ids_size(); ++i) {
      // Cancelled (client gone, or the shutdown grace period over): stop
      // here; nothing of this batch is traced.
      if (context->IsCancelled()) {
        return absl::CancelledError(
            absl::StrCat("ScoreBatch cancelled after ", i, " of ",
                         request->pattern_ids_size(), " ids"));
      }
      const std::string& id = request->pattern_ids(i);
      v1::ScoreBatchItem* item = response->add_items();
      item->set_pattern_id(EchoedId(id));
      absl::Status s = ScoreOne(id, request->top_k(), request->skip_trace(),
                                absl::StrCat("pattern_ids[", i, "]"), deadline,
                                item->mutable_response(), &to_trace);
      if (absl::IsDeadlineExceeded(s)) return s;  // the whole call is late
      item->set_code(static_cast<int>(s.code()));
      item->set_error(ClientMessage(s));
      if (!s.ok()) item->clear_response();
    }
    response->set_total_us(absl::ToInt64Microseconds(absl::Now() - start));
    return absl::OkStatus();
  };
  absl::Status status = run();
  if (status.ok()) TraceUnlessCancelled(*context, to_trace, "ScoreBatch");
  return Finish("ScoreBatch", start, status);
}

grpc::Status PatternConfidenceService::ScoreStream(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::ScoreBatchItem, v1::ScorePatternRequest>*
        stream) {
  const absl::Time start = absl::Now();
  v1::ScorePatternRequest request;
  absl::Status status = Authorize(*context, "ScoreStream", Access::kRead);
  while (status.ok() && !context->IsCancelled() && stream->Read(&request)) {
    std::vector<ScoreResult> to_trace;
    v1::ScoreBatchItem item;
    item.set_pattern_id(EchoedId(request.pattern_id()));
    absl::Status s = ValidateTopK(request.top_k(), "top_k");
    if (s.ok()) {
      s = ScoreOne(request.pattern_id(), request.top_k(), request.skip_trace(),
                   "pattern_id", DeadlineOf(*context), item.mutable_response(),
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
      TraceUnlessCancelled(*context, to_trace, "ScoreStream");
    }
  }
  return Finish("ScoreStream", start, status);
}

grpc::Status PatternConfidenceService::EvaluatePattern(
    grpc::ServerContext* context, const v1::EvaluatePatternRequest* request,
    v1::EvaluatePatternResponse* response) {
  const absl::Time start = absl::Now();
  auto run = [&]() -> absl::Status {
    if (absl::Status s = Authorize(*context, "EvaluatePattern", Access::kWrite);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = ValidatePatternId(request->pattern_id(), "pattern_id");
        !s.ok()) {
      return s;
    }
    if (absl::Status s = ValidateTopK(request->top_k(), "top_k"); !s.ok()) {
      return s;
    }
    std::optional<Day> event_day;
    if (!request->event_date().empty()) {
      auto day = ParseDay(request->event_date());
      if (!day.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("event_date: ", QuoteInput(request->event_date()),
                         " is not YYYY-MM-DD"));
      }
      // A decision refers to a market day that has happened: not before
      // 1970, not after tomorrow (UTC; a day of slack for time zones).
      const Day tomorrow =
          static_cast<Day>(absl::ToUnixSeconds(absl::Now()) / 86400) + 1;
      if (*day < 0 || *day > tomorrow) {
        return absl::InvalidArgumentError(
            absl::StrCat("event_date: ", QuoteInput(request->event_date()),
                         " is outside 1970-01-01 .. ", FormatDay(tomorrow)));
      }
      event_day = *day;
    }
    auto result =
        deps_.engine->Evaluate(request->pattern_id(), request->top_k(),
                               event_day, DeadlineOf(*context));
    if (!result.ok()) return result.status();
    if (absl::Status s = Answer(result->score, response->mutable_score());
        !s.ok()) {
      return s;
    }
    response->set_from_state(std::string(LifecycleStateName(result->from)));
    response->set_to_state(std::string(LifecycleStateName(result->to)));
    response->set_transition_recorded(result->transition_recorded);
    return absl::OkStatus();
  };
  return Finish("EvaluatePattern", start, run());
}

grpc::Status PatternConfidenceService::DescribeModel(
    grpc::ServerContext* context, const v1::DescribeModelRequest* request,
    v1::DescribeModelResponse* response) {
  const absl::Time start = absl::Now();
  auto run = [&]() -> absl::Status {
    if (absl::Status s = Authorize(*context, "DescribeModel", Access::kRead);
        !s.ok()) {
      return s;
    }
    std::shared_ptr<const ServableModel> model = deps_.models->Current();
    const ScoringEngineOptions& options = deps_.engine->options();
    if (!request->version().empty() &&
        (model == nullptr || model->version != request->version())) {
      return absl::NotFoundError(absl::StrCat(
          "version: model version ", QuoteInput(request->version()),
          " is not serving (see ListModelVersions)"));
    }
    response->set_phase5_enabled(options.phase5_enabled);
    if (model != nullptr) {
      ModelToProto(*model, options.phase5_enabled, options.blend_weight,
                   response);
    }
    return absl::OkStatus();
  };
  return Finish("DescribeModel", start, run());
}

grpc::Status PatternConfidenceService::ListModelVersions(
    grpc::ServerContext* context, const v1::ListModelVersionsRequest*,
    v1::ListModelVersionsResponse* response) {
  const absl::Time start = absl::Now();
  if (absl::Status s = Authorize(*context, "ListModelVersions", Access::kRead);
      !s.ok()) {
    return Finish("ListModelVersions", start, s);
  }
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
  return Finish("ListModelVersions", start, absl::OkStatus());
}

grpc::Status PatternConfidenceService::GetMonitoringReport(
    grpc::ServerContext* context, const v1::GetMonitoringReportRequest*,
    v1::GetMonitoringReportResponse* response) {
  const absl::Time start = absl::Now();
  if (absl::Status s =
          Authorize(*context, "GetMonitoringReport", Access::kRead);
      !s.ok()) {
    return Finish("GetMonitoringReport", start, s);
  }
  return Finish(
      "GetMonitoringReport", start,
      deps_.engine->LatestMonitoringReport(DeadlineOf(*context), response));
}

grpc::Status PatternConfidenceService::GetServingStatus(
    grpc::ServerContext* context, const v1::GetServingStatusRequest*,
    v1::GetServingStatusResponse* response) {
  const absl::Time start = absl::Now();
  if (absl::Status s = Authorize(*context, "GetServingStatus", Access::kRead);
      !s.ok()) {
    return Finish("GetServingStatus", start, s);
  }
  absl::Time deadline =
      std::min(DeadlineOf(*context), absl::Now() + absl::Seconds(2));
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
  return Finish("GetServingStatus", start, absl::OkStatus());
}

}  // namespace pcs
