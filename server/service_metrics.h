#ifndef PCS_SERVER_SERVICE_METRICS_H_
#define PCS_SERVER_SERVICE_METRICS_H_

#include <array>
#include <map>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "server/call_context.h"
#include "server/metrics_registry.h"
#include "server/scoring_engine.h"

namespace pcs {

// The request-path metrics of the pcs.v1 service, with every series handle
// looked up once at construction (hot paths touch only atomics):
//   pcs_requests_total{method,code,entrypoint},
//   pcs_request_duration_seconds{method,entrypoint} (entrypoint: grpc|http,
//   the door the call came in by, server/call_context.h),
//   pcs_stage_duration_seconds{stage}, pcs_fallbacks_total{reason},
//   pcs_confidence{kind}.
// Names and labels are those listed in docs/SERVER.md. Thread-safe.
class ServiceMetrics {
 public:
  // Methods whose series are pre-created (others are created on first use).
  ServiceMetrics(MetricsRegistry* registry,
                 const std::vector<std::string>& methods);

  // One finished RPC.
  void RecordRequest(const std::string& method, Entrypoint entrypoint,
                     grpc::StatusCode code, absl::Duration elapsed);
  // Stages, fallback reason and confidences of one score.
  void RecordScore(const ScoreResult& result);

  static const char* CodeName(grpc::StatusCode code);

 private:
  static constexpr int kNumCodes = 17;
  static constexpr int kNumEntrypoints = 2;  // Entrypoint::kGrpc, kHttp
  struct MethodSeries {
    std::array<std::array<Counter*, kNumCodes>, kNumEntrypoints> by_code{};
    std::array<Histogram*, kNumEntrypoints> duration{};
  };
  MethodSeries* Method(const std::string& method);

  CounterFamily* requests_;
  HistogramFamily* durations_;
  CounterFamily* fallbacks_;
  std::map<std::string, MethodSeries> methods_;  // fixed after construction
  Histogram* stage_database_;
  Histogram* stage_features_;
  Histogram* stage_predict_;
  Histogram* stage_contributions_;
  std::map<FallbackReason, Counter*> fallback_by_reason_;  // fixed
  Histogram* confidence_rule_;
  Histogram* confidence_ml_;
  Histogram* confidence_blended_;
};

}  // namespace pcs

#endif  // PCS_SERVER_SERVICE_METRICS_H_
