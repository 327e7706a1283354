#ifndef PCS_SERVER_PATTERN_CONFIDENCE_SERVICE_H_
#define PCS_SERVER_PATTERN_CONFIDENCE_SERVICE_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "pcs/v1/pattern_confidence.grpc.pb.h"
#include "server/authorizer.h"
#include "server/model_manager.h"
#include "server/scoring_engine.h"
#include "server/service_metrics.h"
#include "server/trace_logger.h"

namespace pcs {

// The pcs.v1.PatternConfidence gRPC service: thin methods that validate the
// request (INVALID_ARGUMENT naming the field), call the ScoringEngine, convert
// absl::Status to grpc::Status exactly once, record metrics and queue a trace.
// See proto/pcs/v1/pattern_confidence.proto for the contract and
// docs/SERVER.md for the error model.
//
// Deadlines: each method turns the call's deadline into an absl::Time that
// the engine checks between stages (and while waiting for a pooled
// connection); a passed deadline answers DEADLINE_EXCEEDED.
//
// Authorization: every method first asks deps.authorizer (Access::kWrite for
// EvaluatePattern, kRead for the rest) with the call's Identity
// (server/request_identity.h); a refusal answers UNAUTHENTICATED or
// PERMISSION_DENIED before any work and is counted like any other code.
//
// Ownership: borrows everything; all must outlive the gRPC server.
// Threading: sync gRPC service; methods run concurrently on gRPC's threads.
class PatternConfidenceService final : public v1::PatternConfidence::Service {
 public:
  struct Deps {
    ScoringEngine* engine = nullptr;
    ModelManager* models = nullptr;
    TraceLogger* traces = nullptr;  // optional
    MetricsRegistry* metrics = nullptr;
    const Authorizer* authorizer = nullptr;  // required
  };
  explicit PatternConfidenceService(Deps deps);

  grpc::Status ScorePattern(grpc::ServerContext* context,
                            const v1::ScorePatternRequest* request,
                            v1::ScoreResponse* response) override;
  grpc::Status ScoreInline(grpc::ServerContext* context,
                           const v1::ScoreInlineRequest* request,
                           v1::ScoreResponse* response) override;
  grpc::Status ScoreBatch(grpc::ServerContext* context,
                          const v1::ScoreBatchRequest* request,
                          v1::ScoreBatchResponse* response) override;
  grpc::Status ScoreStream(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::ScoreBatchItem, v1::ScorePatternRequest>*
          stream) override;
  grpc::Status EvaluatePattern(grpc::ServerContext* context,
                               const v1::EvaluatePatternRequest* request,
                               v1::EvaluatePatternResponse* response) override;
  grpc::Status DescribeModel(grpc::ServerContext* context,
                             const v1::DescribeModelRequest* request,
                             v1::DescribeModelResponse* response) override;
  grpc::Status ListModelVersions(
      grpc::ServerContext* context, const v1::ListModelVersionsRequest* request,
      v1::ListModelVersionsResponse* response) override;
  grpc::Status GetServingStatus(
      grpc::ServerContext* context, const v1::GetServingStatusRequest* request,
      v1::GetServingStatusResponse* response) override;
  grpc::Status GetMonitoringReport(
      grpc::ServerContext* context,
      const v1::GetMonitoringReportRequest* request,
      v1::GetMonitoringReportResponse* response) override;

 private:
  // Scores one stored id (validation included) into `response` through
  // Answer; unless skip_trace, appends the result to
  // `to_trace`, which the caller traces only once the answer is on its way
  // (never for a call that was cancelled).
  absl::Status ScoreOne(const std::string& id, int top_k, bool skip_trace,
                        const std::string& field, absl::Time deadline,
                        v1::ScoreResponse* response,
                        std::vector<ScoreResult>* to_trace);
  // The one instrumented scoring step: every method that scores
  // (ScorePattern, ScoreBatch, ScoreStream, ScoreInline, EvaluatePattern;
  // REST reaches them through the transcoder) hands the engine's result
  // here, which records the score's stage times, fallback and confidences
  // (ServiceMetrics::RecordScore) and fills `response`.
  absl::Status Answer(const absl::StatusOr<ScoreResult>& result,
                      v1::ScoreResponse* response);
  void Trace(const ScoreResult& result, const char* method);
  // Asks the authorizer; logs refusals and granted writes (principal only).
  absl::Status Authorize(const grpc::ServerContext& context, const char* method,
                         Access access);
  // Traces `results` unless the call was cancelled (deadline, client gone,
  // or the server's shutdown grace period over).
  void TraceUnlessCancelled(const grpc::ServerContext& context,
                            const std::vector<ScoreResult>& results,
                            const char* method);
  grpc::Status Finish(const char* method, absl::Time start,
                      const absl::Status& status);

  Deps deps_;
  ServiceMetrics metrics_;
  const absl::Time started_;
};

// The call's deadline as absl::Time (InfiniteFuture when none is set).
absl::Time DeadlineOf(const grpc::ServerContext& context);

}  // namespace pcs

#endif  // PCS_SERVER_PATTERN_CONFIDENCE_SERVICE_H_
