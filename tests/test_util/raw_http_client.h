#ifndef PCS_TESTS_TEST_UTIL_RAW_HTTP_CLIENT_H_
#define PCS_TESTS_TEST_UTIL_RAW_HTTP_CLIENT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace pcs::testing {

// A raw HTTP/1.1 client on loopback for tests of what ordinary clients
// never send: partial headers, trickled bytes, bodies announced and not
// sent. Header-only (tests of the metrics library link no test utilities).
class RawClient {
 public:
  explicit RawClient(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ =
        ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  }
  ~RawClient() { ::close(fd_); }
  bool connected() const { return connected_; }
  bool Send(const std::string& data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(data.size());
  }
  // Everything until the peer closes, `timeout` passes, or a full response
  // head + Content-Length body is in (enough for these tests).
  std::string Receive(absl::Duration timeout = absl::Seconds(5)) {
    std::string out;
    const absl::Time until = absl::Now() + timeout;
    char buffer[4096];
    while (absl::Now() < until) {
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, 50) <= 0) continue;
      const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(buffer, static_cast<size_t>(n));
      const size_t head = out.find("\r\n\r\n");
      const size_t length = out.find("Content-Length: ");
      if (head != std::string::npos && length != std::string::npos) {
        size_t body = 0;
        (void)absl::SimpleAtoi(
            out.substr(length + 16, out.find("\r\n", length) - length - 16),
            &body);
        if (out.size() >= head + 4 + body) break;
      }
    }
    return out;
  }
  bool closed() const { return closed_; }
  int fd() const { return fd_; }

 private:
  int fd_;
  bool connected_ = false;
  bool closed_ = false;
};

}  // namespace pcs::testing

#endif  // PCS_TESTS_TEST_UTIL_RAW_HTTP_CLIENT_H_
