#ifndef PCS_TESTS_MONITORING_WEBHOOK_RECEIVER_H_
#define PCS_TESTS_MONITORING_WEBHOOK_RECEIVER_H_

// A real HTTP receiver on 127.0.0.1:<ephemeral port> for webhook tests. It
// answers 503 to the first `fail_first` POSTs (or to all of them when
// `always_fail`), then 200, and records every body it saw.

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "httplib.h"

namespace pcs::testing {

class WebhookReceiver {
 public:
  explicit WebhookReceiver(int fail_first = 0, bool always_fail = false)
      : fail_first_(fail_first), always_fail_(always_fail) {
    server_.Post(
        "/alerts", [this](const httplib::Request& req, httplib::Response& res) {
          absl::MutexLock lock(&mu_);
          bodies_.push_back(req.body);
          const bool fail =
              always_fail_ || static_cast<int>(bodies_.size()) <= fail_first_;
          res.status = fail ? 503 : 200;
          res.set_content(fail ? "unavailable" : "ok", "text/plain");
        });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // The socket already listens after bind; still wait for the accept loop.
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!server_.is_running() &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
  }
  ~WebhookReceiver() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return port_; }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/alerts";
  }
  std::vector<std::string> bodies() const {
    absl::MutexLock lock(&mu_);
    return bodies_;
  }

 private:
  const int fail_first_;
  const bool always_fail_;
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::vector<std::string> bodies_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pcs::testing

#endif  // PCS_TESTS_MONITORING_WEBHOOK_RECEIVER_H_
