#ifndef PCS_CLIENT_RETRY_SERVICE_CONFIG_H_
#define PCS_CLIENT_RETRY_SERVICE_CONFIG_H_

// A gRPC service config with a retry policy for the read RPCs of
// pcs.v1.PatternConfidence, for clients that talk to several replicas
// (behind a load balancer such as deploy/haproxy/pcs.cfg) or to one that
// restarts.
//
// What is retried: only calls that end UNAVAILABLE (replica killed or
// restarting, connection refused or reset, a load balancer's 502/503), and
// only the unary reads: ScorePattern, ScoreInline, ScoreBatch, DescribeModel,
// ListModelVersions, GetServingStatus, GetMonitoringReport, ListPatterns,
// GetPattern, GetPatternBars, GetMonitoringSummary. Never the writes
// OverridePattern and EvaluatePattern: an UNAVAILABLE answer does not prove it
// was not applied (a replica can commit the transaction and die before its
// answer is sent). A blind retry of an applied evaluation would then answer
// "nothing recorded" (transition_recorded false) for a call that did record,
// or FAILED_PRECONDITION if a reloaded model decided otherwise in between; the
// caller has to look at the pattern's state instead. Never the streaming
// ScoreStream (its requests are consumed as they are sent).
// gRPC retries only while no response headers have arrived, so an answer is
// never mixed from two attempts.
//
// Example:
//   grpc::ChannelArguments args;
//   args.SetServiceConfigJSON(pcs::client::RetryServiceConfigJson({}));
//   auto channel = grpc::CreateCustomChannel(
//       "127.0.0.1:50050", grpc::InsecureChannelCredentials(), args);
//
// Thread-safe (pure function).

#include <string>

namespace pcs::client {

struct RetryPolicyOptions {
  // Attempts per call, the first included; gRPC caps it at 5. 2..5.
  int max_attempts = 5;
  // Backoff before retry n is random in [0, min(initial * multiplier^(n-1),
  // max)] (gRPC's jittered exponential backoff).
  double initial_backoff_seconds = 0.05;
  double max_backoff_seconds = 1.0;
  double backoff_multiplier = 2.0;
};

// The service config JSON (for grpc::ChannelArguments::SetServiceConfigJSON
// or the Python channel option "grpc.service_config"). Values outside their
// range are clamped: attempts to [2, 5], backoffs to at least 1 ms, the
// multiplier to at least 1.
std::string RetryServiceConfigJson(const RetryPolicyOptions& options);

}  // namespace pcs::client

#endif  // PCS_CLIENT_RETRY_SERVICE_CONFIG_H_
