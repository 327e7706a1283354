#ifndef PCS_SERVER_PATTERN_CONFIDENCE_SERVICE_H_
#define PCS_SERVER_PATTERN_CONFIDENCE_SERVICE_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "pcs/v1/pattern_confidence.grpc.pb.h"
#include "server/authorizer.h"
#include "server/call_context.h"
#include "server/model_manager.h"
#include "server/pattern_review_queries.h"
#include "server/scoring_engine.h"
#include "server/service_metrics.h"
#include "server/trace_logger.h"

namespace pcs {

// The pcs.v1.PatternConfidence service, for both doors: gRPC calls its
// overrides, the HTTP transcoder (server/transcoder.h) calls UnaryMethods().
// Either way one method runs with a protocol-neutral CallContext
// (server/call_context.h) and does the same things in the same order:
// authorize, validate the request (INVALID_ARGUMENT naming the field), call
// the ScoringEngine or the review queries, convert absl::Status to
// grpc::Status exactly once, record metrics, log, queue a trace.
// See proto/pcs/v1/pattern_confidence.proto for the contract and
// docs/SERVER.md for the error model.
//
// Deadlines: the call's deadline is an absl::Time that the engine checks
// between stages (and while waiting for a pooled connection); a passed
// deadline answers DEADLINE_EXCEEDED.
//
// Authorization: every method first asks deps.authorizer (Access::kWrite for
// EvaluatePattern and OverridePattern, kRead for the rest) with the call's
// Identity; a refusal answers UNAUTHENTICATED or PERMISSION_DENIED before
// any work and is counted like any other code.
//
// Ownership: borrows everything; all must outlive the servers.
// Threading: methods run concurrently on gRPC's and the HTTP port's threads.
class PatternConfidenceService final : public v1::PatternConfidence::Service {
 public:
  struct Deps {
    ScoringEngine* engine = nullptr;
    ModelManager* models = nullptr;
    TraceLogger* traces = nullptr;  // optional
    MetricsRegistry* metrics = nullptr;
    const Authorizer* authorizer = nullptr;  // required
    // The console RPCs' database access; null: they answer UNAVAILABLE.
    PatternReviewQueries* reviews = nullptr;
  };
  explicit PatternConfidenceService(Deps deps);

  // The service's descriptor (pcs.v1.PatternConfidence), from the generated
  // pool: its methods and their google.api.http options.
  static const google::protobuf::ServiceDescriptor& Descriptor();

  // One unary method, protocol-neutral: `request` and `response` are the
  // method's generated message types (the transcoder builds them from the
  // method descriptor's input and output types).
  using UnaryMethod = std::function<grpc::Status(
      const CallContext& call, const google::protobuf::Message& request,
      google::protobuf::Message* response)>;
  // Every unary method by full name ("pcs.v1.PatternConfidence.GetPattern");
  // ScoreStream, the one streaming method, is gRPC only.
  const std::map<std::string, UnaryMethod>& UnaryMethods() const {
    return unary_methods_;
  }

  // The gRPC door: each builds a CallContext (CallContextFromGrpc) and runs
  // the method as UnaryMethods() does.
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
  grpc::Status ListPatterns(grpc::ServerContext* context,
                            const v1::ListPatternsRequest* request,
                            v1::ListPatternsResponse* response) override;
  grpc::Status GetPattern(grpc::ServerContext* context,
                          const v1::GetPatternRequest* request,
                          v1::GetPatternResponse* response) override;
  grpc::Status GetPatternBars(grpc::ServerContext* context,
                              const v1::GetPatternBarsRequest* request,
                              v1::GetPatternBarsResponse* response) override;
  grpc::Status OverridePattern(grpc::ServerContext* context,
                               const v1::OverridePatternRequest* request,
                               v1::OverridePatternResponse* response) override;
  grpc::Status GetMonitoringSummary(
      grpc::ServerContext* context,
      const v1::GetMonitoringSummaryRequest* request,
      v1::GetMonitoringSummaryResponse* response) override;

 private:
  // A method's body, run once the call is authorized; `principal` is the
  // authorizer's name for the caller (for audit fields).
  template <typename Request, typename Response>
  using Body = absl::Status (PatternConfidenceService::*)(
      const CallContext& call, const std::string& principal,
      const Request& request, Response* response);

  // Authorize, run `body`, Finish: the one path of every unary method.
  template <typename Request, typename Response>
  grpc::Status Run(const char* method, Body<Request, Response> body,
                   const CallContext& call, const Request& request,
                   Response* response);
  template <typename Request, typename Response>
  void AddUnary(const char* method, Body<Request, Response> body);

  absl::Status DoScorePattern(const CallContext& call, const std::string&,
                              const v1::ScorePatternRequest& request,
                              v1::ScoreResponse* response);
  absl::Status DoScoreInline(const CallContext& call, const std::string&,
                             const v1::ScoreInlineRequest& request,
                             v1::ScoreResponse* response);
  absl::Status DoScoreBatch(const CallContext& call, const std::string&,
                            const v1::ScoreBatchRequest& request,
                            v1::ScoreBatchResponse* response);
  absl::Status DoEvaluatePattern(const CallContext& call, const std::string&,
                                 const v1::EvaluatePatternRequest& request,
                                 v1::EvaluatePatternResponse* response);
  absl::Status DoDescribeModel(const CallContext& call, const std::string&,
                               const v1::DescribeModelRequest& request,
                               v1::DescribeModelResponse* response);
  absl::Status DoListModelVersions(const CallContext& call, const std::string&,
                                   const v1::ListModelVersionsRequest& request,
                                   v1::ListModelVersionsResponse* response);
  absl::Status DoGetServingStatus(const CallContext& call, const std::string&,
                                  const v1::GetServingStatusRequest& request,
                                  v1::GetServingStatusResponse* response);
  absl::Status DoGetMonitoringReport(
      const CallContext& call, const std::string&,
      const v1::GetMonitoringReportRequest& request,
      v1::GetMonitoringReportResponse* response);
  absl::Status DoListPatterns(const CallContext& call, const std::string&,
                              const v1::ListPatternsRequest& request,
                              v1::ListPatternsResponse* response);
  absl::Status DoGetPattern(const CallContext& call, const std::string&,
                            const v1::GetPatternRequest& request,
                            v1::GetPatternResponse* response);
  absl::Status DoGetPatternBars(const CallContext& call, const std::string&,
                                const v1::GetPatternBarsRequest& request,
                                v1::GetPatternBarsResponse* response);
  absl::Status DoOverridePattern(const CallContext& call,
                                 const std::string& principal,
                                 const v1::OverridePatternRequest& request,
                                 v1::OverridePatternResponse* response);
  absl::Status DoGetMonitoringSummary(
      const CallContext& call, const std::string&,
      const v1::GetMonitoringSummaryRequest& request,
      v1::GetMonitoringSummaryResponse* response);

  // Scores one stored id (validation included) into `response` through
  // Answer; unless skip_trace, appends the result to `to_trace`, which the
  // caller traces only once the answer is on its way (never for a call that
  // was cancelled).
  absl::Status ScoreOne(const std::string& id, int top_k, bool skip_trace,
                        const std::string& field, absl::Time deadline,
                        v1::ScoreResponse* response,
                        std::vector<ScoreResult>* to_trace);
  // The one instrumented scoring step: every method that scores hands the
  // engine's result here, which records the score's stage times, fallback
  // and confidences (ServiceMetrics::RecordScore) and fills `response`.
  absl::Status Answer(const absl::StatusOr<ScoreResult>& result,
                      v1::ScoreResponse* response);
  void Trace(const ScoreResult& result, const char* method, TraceCaller caller);
  // Asks the authorizer; logs refusals and granted writes (principal only).
  absl::StatusOr<std::string> Authorize(const CallContext& call,
                                        const char* method, Access access);
  // Traces `results`, as an anonymous caller's (TraceCaller::kAnonymous,
  // which the trace logger may sample) when the authorizer named the caller
  // kAnonymousPrincipal.
  void TraceAll(const std::string& principal,
                const std::vector<ScoreResult>& results, const char* method);
  // TraceAll unless the call was cancelled (asked only when there is
  // something to trace: on a sync call the question polls its queue).
  void TraceUnlessCancelled(const CallContext& call,
                            const std::string& principal,
                            const std::vector<ScoreResult>& results,
                            const char* method);
  grpc::Status Finish(const char* method, const CallContext& call,
                      absl::Time start, const absl::Status& status);
  // The model's decision threshold when ML serves, else the rule's.
  double ModelThreshold() const;

  Deps deps_;
  ServiceMetrics metrics_;
  const absl::Time started_;
  std::map<std::string, UnaryMethod> unary_methods_;  // fixed after ctor
};

}  // namespace pcs

#endif  // PCS_SERVER_PATTERN_CONFIDENCE_SERVICE_H_
