#include "monitoring/webhook_notifier.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/monitoring/webhook_receiver.h"

namespace pcs {
namespace {

WebhookOptions FastOptions(const std::string& url, int attempts) {
  WebhookOptions o;
  o.url = url;
  o.max_attempts = attempts;
  o.base_delay = absl::Milliseconds(1);
  o.max_delay = absl::Milliseconds(4);
  o.timeout = absl::Seconds(5);
  return o;
}

TEST(WebhookNotifierTest, DeliversOnFirstAttempt) {
  testing::WebhookReceiver receiver;
  ASSERT_GT(receiver.port(), 0);
  auto notifier = WebhookNotifier::Create(FastOptions(receiver.url(), 3));
  ASSERT_TRUE(notifier.ok()) << notifier.status();
  WebhookAttemptLog log;
  ASSERT_TRUE((*notifier)->Send({{"kind", "drift"}, {"psi", 0.31}}, &log).ok());
  EXPECT_EQ(log.attempts, 1);
  EXPECT_EQ(log.last_http_status, 200);
  ASSERT_EQ(receiver.bodies().size(), 1u);
  const auto body = nlohmann::json::parse(receiver.bodies()[0]);
  EXPECT_EQ(body["kind"], "drift");
  EXPECT_DOUBLE_EQ(body["psi"].get<double>(), 0.31);
  EXPECT_EQ((*notifier)->sent_count(), 1);
  EXPECT_EQ((*notifier)->failed_count(), 0);
}

TEST(WebhookNotifierTest, RetriesUntilTheReceiverRecovers) {
  testing::WebhookReceiver receiver(/*fail_first=*/2);
  auto notifier = WebhookNotifier::Create(FastOptions(receiver.url(), 5));
  ASSERT_TRUE(notifier.ok());
  WebhookAttemptLog log;
  absl::Status s = (*notifier)->Send({{"kind", "drift"}}, &log);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(log.attempts, 3);
  EXPECT_EQ(receiver.bodies().size(), 3u);
  EXPECT_EQ((*notifier)->sent_count(), 1);
  EXPECT_EQ((*notifier)->failed_count(), 0);
}

TEST(WebhookNotifierTest, ReportsTheFinalFailure) {
  testing::WebhookReceiver receiver(/*fail_first=*/0, /*always_fail=*/true);
  auto notifier = WebhookNotifier::Create(FastOptions(receiver.url(), 4));
  ASSERT_TRUE(notifier.ok());
  WebhookAttemptLog log;
  absl::Status s = (*notifier)->Send({{"kind", "drift"}}, &log);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("after 4 attempts"), std::string::npos) << s;
  EXPECT_NE(s.message().find("HTTP 503"), std::string::npos) << s;
  EXPECT_EQ(log.attempts, 4);
  EXPECT_EQ(receiver.bodies().size(), 4u);  // bounded: exactly max_attempts
  EXPECT_EQ((*notifier)->failed_count(), 1);
  EXPECT_EQ((*notifier)->sent_count(), 0);
}

TEST(WebhookNotifierTest, TransportErrorsAreRetriedAndReported) {
  int dead_port = 0;
  {
    testing::WebhookReceiver gone;  // bind, learn a free port, close it
    dead_port = gone.port();
  }
  auto notifier = WebhookNotifier::Create(FastOptions(
      "http://127.0.0.1:" + std::to_string(dead_port) + "/alerts", 2));
  ASSERT_TRUE(notifier.ok());
  WebhookAttemptLog log;
  absl::Status s = (*notifier)->Send({{"kind", "drift"}}, &log);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(log.attempts, 2);
  EXPECT_EQ(log.last_http_status, 0);
  EXPECT_NE(log.last_error.find("transport error"), std::string::npos);
  EXPECT_EQ((*notifier)->failed_count(), 1);
}

TEST(WebhookNotifierTest, RejectsBadOptions) {
  EXPECT_FALSE(WebhookNotifier::Create(FastOptions("", 1)).ok());
  EXPECT_FALSE(WebhookNotifier::Create(FastOptions("ftp://x/y", 1)).ok());
  EXPECT_FALSE(WebhookNotifier::Create(FastOptions("http://", 1)).ok());
  EXPECT_FALSE(
      WebhookNotifier::Create(FastOptions("http://127.0.0.1:1/a", 0)).ok());
}

}  // namespace
}  // namespace pcs
