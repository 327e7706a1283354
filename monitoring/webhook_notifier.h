#ifndef PCS_MONITORING_WEBHOOK_NOTIFIER_H_
#define PCS_MONITORING_WEBHOOK_NOTIFIER_H_

// Posts JSON alerts (drift, accuracy drops) to a configured webhook URL with
// bounded retries and exponential backoff.
//
// Delivery: POST <url> with Content-Type application/json. A 2xx answer is
// success. Transport errors (refused, timeout), 408, 429 and 5xx are retried:
// attempt k+1 starts base_delay * 2^(k-1) (capped at max_delay) after attempt
// k failed, for at most max_attempts attempts. Any other 4xx is permanent and
// not retried. When every attempt failed, Send() returns an error naming the
// URL, the number of attempts and the last failure, and failed_count() goes
// up, so the caller can report it (pcs_drift_alerts_total{outcome="failed"}).
//
// Threading: Send() may be called from several threads; each call uses its
// own HTTP client; the counters are atomic. Send() blocks for the retries.
//
// Example:
//   WebhookOptions o; o.url = "http://127.0.0.1:9000/alerts";
//   auto notifier = WebhookNotifier::Create(o);
//   absl::Status s = (*notifier)->Send({{"kind","drift"},{"psi",0.31}});

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace pcs {

struct WebhookOptions {
  // http://host[:port][/path] or https://... Required.
  std::string url;
  // Total attempts including the first one (>= 1).
  int max_attempts = 5;
  // Wait before the second attempt; doubles each retry.
  absl::Duration base_delay = absl::Seconds(1);
  // Upper bound of a single wait.
  absl::Duration max_delay = absl::Seconds(30);
  // Connect and read timeout of one attempt.
  absl::Duration timeout = absl::Seconds(10);
};

// What the last Send() did (for logs and tests).
struct WebhookAttemptLog {
  int attempts = 0;
  int last_http_status = 0;  // 0 when no HTTP answer was received
  std::string last_error;    // "" after a success
};

class WebhookNotifier {
 public:
  // Errors: empty or unparsable URL (scheme must be http or https),
  // max_attempts < 1.
  static absl::StatusOr<std::unique_ptr<WebhookNotifier>> Create(
      WebhookOptions options);

  // POSTs `alert`. OK once a 2xx arrives; UNAVAILABLE after the last retry
  // failed; FAILED_PRECONDITION for a permanent 4xx. `log` (optional) gets the
  // attempt count and last failure.
  absl::Status Send(const nlohmann::json& alert,
                    WebhookAttemptLog* log = nullptr);

  int64_t sent_count() const { return sent_.load(); }
  int64_t failed_count() const { return failed_.load(); }
  const WebhookOptions& options() const { return options_; }

 private:
  WebhookNotifier(WebhookOptions options, std::string scheme_host_port,
                  std::string path);

  const WebhookOptions options_;
  const std::string scheme_host_port_;  // "http://127.0.0.1:8080"
  const std::string path_;              // "/alerts" ("/" when none)
  std::atomic<int64_t> sent_{0};
  std::atomic<int64_t> failed_{0};
};

}  // namespace pcs

#endif  // PCS_MONITORING_WEBHOOK_NOTIFIER_H_
