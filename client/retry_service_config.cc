#include "client/retry_service_config.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace pcs::client {
namespace {

// The unary reads (see the header for why EvaluatePattern and ScoreStream
// are left out).
constexpr const char* kReadMethods[] = {
    "ScorePattern",        "ScoreInline",         "ScoreBatch",
    "DescribeModel",       "ListModelVersions",   "GetServingStatus",
    "GetMonitoringReport", "ListPatterns",        "GetPattern",
    "GetPatternBars",      "GetMonitoringSummary"};

std::string Seconds(double seconds) {
  return absl::StrFormat("\"%.3fs\"", std::max(seconds, 0.001));
}

}  // namespace

std::string RetryServiceConfigJson(const RetryPolicyOptions& options) {
  std::vector<std::string> names;
  for (const char* method : kReadMethods) {
    names.push_back(absl::StrCat(R"({"service":"pcs.v1.PatternConfidence",)",
                                 R"("method":")", method, R"("})"));
  }
  return absl::StrCat(
      R"({"methodConfig":[{"name":[)", absl::StrJoin(names, ","),
      R"(],"retryPolicy":{"maxAttempts":)",
      std::clamp(options.max_attempts, 2, 5), R"(,"initialBackoff":)",
      Seconds(options.initial_backoff_seconds), R"(,"maxBackoff":)",
      Seconds(options.max_backoff_seconds), R"(,"backoffMultiplier":)",
      absl::StrFormat("%.3f", std::max(options.backoff_multiplier, 1.0)),
      R"(,"retryableStatusCodes":["UNAVAILABLE"]}}]})");
}

}  // namespace pcs::client
