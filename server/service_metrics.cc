#include "server/service_metrics.h"

namespace pcs {
namespace {

std::vector<double> LatencyBuckets() {
  return ExponentialBuckets(25e-6, 2, 17);  // 25 us .. ~1.6 s
}

}  // namespace

const char* ServiceMetrics::CodeName(grpc::StatusCode code) {
  static const char* kNames[kNumCodes] = {"OK",
                                          "CANCELLED",
                                          "UNKNOWN",
                                          "INVALID_ARGUMENT",
                                          "DEADLINE_EXCEEDED",
                                          "NOT_FOUND",
                                          "ALREADY_EXISTS",
                                          "PERMISSION_DENIED",
                                          "RESOURCE_EXHAUSTED",
                                          "FAILED_PRECONDITION",
                                          "ABORTED",
                                          "OUT_OF_RANGE",
                                          "UNIMPLEMENTED",
                                          "INTERNAL",
                                          "UNAVAILABLE",
                                          "DATA_LOSS",
                                          "UNAUTHENTICATED"};
  int i = static_cast<int>(code);
  return i >= 0 && i < kNumCodes ? kNames[i] : "UNKNOWN";
}

ServiceMetrics::ServiceMetrics(MetricsRegistry* registry,
                               const std::vector<std::string>& methods) {
  requests_ = registry->AddCounter(
      "pcs_requests_total",
      "pcs.v1 calls by method, status code and entrypoint (grpc|http)",
      {"method", "code", "entrypoint"});
  durations_ = registry->AddHistogram(
      "pcs_request_duration_seconds",
      "Server-side pcs.v1 call latency in seconds, by method and entrypoint",
      {"method", "entrypoint"}, LatencyBuckets());
  for (const std::string& m : methods) Method(m);
  HistogramFamily* stages =
      registry->AddHistogram("pcs_stage_duration_seconds",
                             "Latency of one scoring stage in seconds "
                             "(database|features|predict|contributions)",
                             {"stage"}, LatencyBuckets());
  stage_database_ = stages->WithLabels({"database"});
  stage_features_ = stages->WithLabels({"features"});
  stage_predict_ = stages->WithLabels({"predict"});
  stage_contributions_ = stages->WithLabels({"contributions"});
  fallbacks_ = registry->AddCounter(
      "pcs_fallbacks_total",
      "Scores answered from the rule confidence alone, by reason", {"reason"});
  for (FallbackReason reason :
       {FallbackReason::kFlagOff, FallbackReason::kNoModel,
        FallbackReason::kModelError, FallbackReason::kFeaturesUnavailable}) {
    fallback_by_reason_[reason] =
        fallbacks_->WithLabels({std::string(FallbackReasonName(reason))});
  }
  HistogramFamily* confidence = registry->AddHistogram(
      "pcs_confidence", "Confidences returned, by kind (rule|ml|blended)",
      // Written out: computed bounds (0.1 + 6 * 0.1) would print as
      // le="0.7000000000000001", not the documented 0.1 .. 0.9.
      {"kind"}, {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9});
  confidence_rule_ = confidence->WithLabels({"rule"});
  confidence_ml_ = confidence->WithLabels({"ml"});
  confidence_blended_ = confidence->WithLabels({"blended"});
}

ServiceMetrics::MethodSeries* ServiceMetrics::Method(
    const std::string& method) {
  auto it = methods_.find(method);
  if (it != methods_.end()) return &it->second;
  MethodSeries& series = methods_[method];
  for (Entrypoint entrypoint : {Entrypoint::kGrpc, Entrypoint::kHttp}) {
    const int e = static_cast<int>(entrypoint);
    for (int c = 0; c < kNumCodes; ++c) {
      series.by_code[e][c] = requests_->WithLabels(
          {method, CodeName(static_cast<grpc::StatusCode>(c)),
           EntrypointName(entrypoint)});
    }
    series.duration[e] =
        durations_->WithLabels({method, EntrypointName(entrypoint)});
  }
  return &series;
}

void ServiceMetrics::RecordRequest(const std::string& method,
                                   Entrypoint entrypoint, grpc::StatusCode code,
                                   absl::Duration elapsed) {
  auto it = methods_.find(method);
  if (it == methods_.end()) return;  // only pre-registered methods
  int c = static_cast<int>(code);
  if (c < 0 || c >= kNumCodes) c = static_cast<int>(grpc::StatusCode::UNKNOWN);
  const int e = static_cast<int>(entrypoint);
  it->second.by_code[e][c]->Increment();
  it->second.duration[e]->Observe(absl::ToDoubleSeconds(elapsed));
}

void ServiceMetrics::RecordScore(const ScoreResult& r) {
  const StageTimings& t = r.timing;
  if (t.database_us > 0) stage_database_->Observe(t.database_us * 1e-6);
  if (t.features_us > 0) stage_features_->Observe(t.features_us * 1e-6);
  if (t.predict_us > 0) stage_predict_->Observe(t.predict_us * 1e-6);
  if (t.contributions_us > 0) {
    stage_contributions_->Observe(t.contributions_us * 1e-6);
  }
  if (r.fallback_reason != FallbackReason::kNone) {
    auto it = fallback_by_reason_.find(r.fallback_reason);
    if (it != fallback_by_reason_.end()) {
      it->second->Increment();
    } else {
      fallbacks_
          ->WithLabels({std::string(FallbackReasonName(r.fallback_reason))})
          ->Increment();
    }
  }
  confidence_rule_->Observe(r.rule_confidence);
  if (r.ml_confidence) confidence_ml_->Observe(*r.ml_confidence);
  confidence_blended_->Observe(r.blended_confidence);
}

}  // namespace pcs
