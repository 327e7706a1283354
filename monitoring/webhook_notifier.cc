#include "monitoring/webhook_notifier.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace pcs {
namespace {

bool Retryable(int http_status) {
  return http_status == 408 || http_status == 429 || http_status >= 500;
}

void SetTimeouts(httplib::Client& client, absl::Duration timeout) {
  const int64_t us = absl::ToInt64Microseconds(timeout);
  client.set_connection_timeout(us / 1000000, us % 1000000);
  client.set_read_timeout(us / 1000000, us % 1000000);
  client.set_write_timeout(us / 1000000, us % 1000000);
}

}  // namespace

absl::StatusOr<std::unique_ptr<WebhookNotifier>> WebhookNotifier::Create(
    WebhookOptions options) {
  const std::string& url = options.url;
  if (!absl::StartsWith(url, "http://") && !absl::StartsWith(url, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "webhook URL must start with http:// or https://: '", url, "'"));
  }
  if (options.max_attempts < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "webhook max_attempts must be >= 1, got ", options.max_attempts));
  }
  const size_t host_start = url.find("://") + 3;
  const size_t slash = url.find('/', host_start);
  std::string scheme_host_port = url.substr(0, slash);
  std::string path = slash == std::string::npos ? "/" : url.substr(slash);
  if (scheme_host_port.size() <= host_start) {
    return absl::InvalidArgumentError(
        absl::StrCat("webhook URL has no host: '", url, "'"));
  }
  return std::unique_ptr<WebhookNotifier>(new WebhookNotifier(
      std::move(options), std::move(scheme_host_port), std::move(path)));
}

WebhookNotifier::WebhookNotifier(WebhookOptions options,
                                 std::string scheme_host_port, std::string path)
    : options_(std::move(options)),
      scheme_host_port_(std::move(scheme_host_port)),
      path_(std::move(path)) {}

absl::Status WebhookNotifier::Send(const nlohmann::json& alert,
                                   WebhookAttemptLog* log) {
  const std::string body = alert.dump();
  WebhookAttemptLog local;
  WebhookAttemptLog& out = log != nullptr ? *log : local;
  out = WebhookAttemptLog{};
  absl::Duration delay = options_.base_delay;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    if (attempt > 1) {
      absl::SleepFor(delay);
      delay = std::min(delay * 2, options_.max_delay);
    }
    out.attempts = attempt;
    httplib::Client client(scheme_host_port_);
    SetTimeouts(client, options_.timeout);
    httplib::Result result = client.Post(path_, body, "application/json");
    if (!result) {
      out.last_http_status = 0;
      out.last_error =
          absl::StrCat("transport error: ", httplib::to_string(result.error()));
      continue;
    }
    out.last_http_status = result->status;
    if (result->status >= 200 && result->status < 300) {
      out.last_error.clear();
      sent_.fetch_add(1);
      return absl::OkStatus();
    }
    out.last_error = absl::StrCat("HTTP ", result->status);
    if (!Retryable(result->status)) {
      failed_.fetch_add(1);
      return absl::FailedPreconditionError(absl::StrCat(
          "webhook ", options_.url, " refused the alert (", out.last_error,
          ", not retried) after ", attempt, " attempt(s)"));
    }
  }
  failed_.fetch_add(1);
  return absl::UnavailableError(
      absl::StrCat("webhook ", options_.url, " failed after ", out.attempts,
                   " attempts; last: ", out.last_error));
}

}  // namespace pcs
