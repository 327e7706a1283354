#include "server/limited_http_server.h"

#include <fcntl.h>
#include <httplib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <deque>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace pcs {
namespace {

using Listener = std::atomic<socket_t>;

class LimitedStream;
// The connection the current thread serves (handlers reach it through
// MarkHeadersRead / RefuseBodyAndClose); set only for that connection.
thread_local LimitedStream* t_stream = nullptr;
// What process_and_close_socket does with a connection on this thread:
// serve it, answer it 503 (the thread kept for connections beyond the cap),
// or close it unanswered (the accepting thread, when that one is too far
// behind).
enum class ConnectionRole { kServe, kAnswerBusy, kCloseBusy };
thread_local ConnectionRole t_role = ConnectionRole::kServe;
// Connections beyond the cap waiting for their 503; more are closed
// unanswered (a TLS answer may take up to kBusyTlsBudget each).
constexpr size_t kMaxPendingBusy = 64;
constexpr absl::Duration kBusyTlsBudget = absl::Milliseconds(500);

// Polls `sock` until `deadline`, in slices of at most 100 ms so that a
// stopping server (its listening socket closed) is noticed.
bool WaitFor(int sock, short events, absl::Time deadline,
             const Listener& listener) {
  for (;;) {
    if (listener.load() == INVALID_SOCKET) return false;
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    pollfd pfd{sock, events, 0};
    const int ms = static_cast<int>(
        std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 100));
    const int n = ::poll(&pfd, 1, ms);
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

bool Address(int sock, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if ((peer ? ::getpeername(sock, sa, &len) : ::getsockname(sock, sa, &len)) !=
      0) {
    return false;
  }
  char host[NI_MAXHOST];
  char service[NI_MAXSERV];
  if (::getnameinfo(sa, len, host, sizeof(host), service, sizeof(service),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return false;
  }
  ip = host;
  port = std::atoi(service);
  return true;
}

// A connection's stream with a deadline per phase (headers, body) and per
// write, reading through a buffer (cpp-httplib reads headers byte by byte).
class LimitedStream final : public httplib::Stream {
 public:
  LimitedStream(int sock, SSL* ssl, const HttpLimits& limits,
                const Listener& listener)
      : sock_(sock), ssl_(ssl), limits_(limits), listener_(listener) {}

  // Waits up to `idle` for the next request's first byte.
  bool WaitForRequest(absl::Duration idle) {
    if (Buffered()) return true;
    return WaitFor(sock_, POLLIN, absl::Now() + idle, listener_);
  }
  void StartRequest() { read_deadline_ = absl::Now() + limits_.header_timeout; }
  void HeadersRead() { read_deadline_ = absl::Now() + limits_.read_timeout; }
  void CloseAfterResponse() { close_after_response_ = true; }
  bool close_after_response() const { return close_after_response_; }
  // A read failed (deadline, reset, EOF): the request was not read whole,
  // so the connection cannot carry another one.
  bool read_failed() const { return read_failed_; }

  bool is_readable() const override {
    return Buffered() || WaitFor(sock_, POLLIN, read_deadline_, listener_);
  }
  bool is_writable() const override {
    return WaitFor(sock_, POLLOUT, absl::Now() + limits_.write_timeout,
                   listener_);
  }
  ssize_t read(char* ptr, size_t size) override {
    if (begin_ == end_) {
      const ssize_t n = Fill();
      if (n <= 0) return n;
    }
    const size_t n = std::min(size, end_ - begin_);
    std::memcpy(ptr, buffer_ + begin_, n);
    begin_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    if (ssl_ != nullptr) {
      const int n = SSL_write(
          ssl_, ptr, static_cast<int>(std::min<size_t>(size, INT_MAX)));
      return n > 0 ? n : -1;
    }
    ssize_t n;
    do {
      n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    Address(sock_, true, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    Address(sock_, false, ip, port);
  }
  socket_t socket() const override { return sock_; }

 private:
  bool Buffered() const {
    return begin_ < end_ || (ssl_ != nullptr && SSL_pending(ssl_) > 0);
  }
  ssize_t Fill() {
    read_failed_ = true;  // until a read succeeds
    if (!is_readable()) return -1;
    ssize_t n;
    if (ssl_ != nullptr) {
      n = SSL_read(ssl_, buffer_, sizeof(buffer_));
      if (n <= 0) {
        return SSL_get_error(ssl_, static_cast<int>(n)) == SSL_ERROR_ZERO_RETURN
                   ? 0
                   : -1;
      }
    } else {
      do {
        n = ::recv(sock_, buffer_, sizeof(buffer_), 0);
      } while (n < 0 && errno == EINTR);
      if (n <= 0) return n;
    }
    read_failed_ = false;
    begin_ = 0;
    end_ = static_cast<size_t>(n);
    return n;
  }

  const int sock_;
  SSL* const ssl_;
  const HttpLimits& limits_;
  const Listener& listener_;
  absl::Time read_deadline_ = absl::InfinitePast();
  bool close_after_response_ = false;
  bool read_failed_ = false;
  char buffer_[4096];
  size_t begin_ = 0;
  size_t end_ = 0;
};

void SetSocketTimeout(int sock, int option, absl::Duration timeout) {
  timeval tv = absl::ToTimeval(timeout);
  ::setsockopt(sock, SOL_SOCKET, option, &tv, sizeof(tv));
}

// Closes a connection. After a response to a request whose body was never
// read, first reads (and drops) what the client still sends for a moment,
// so it reads the answer rather than a reset caused by unread data.
void CloseConnection(int sock, bool drain) {
  if (drain) {
    ::shutdown(sock, SHUT_WR);
    const absl::Time until = absl::Now() + absl::Seconds(1);
    char sink[16384];
    size_t total = 0;
    while (total < (4u << 20)) {
      const int64_t ms = absl::ToInt64Milliseconds(until - absl::Now());
      pollfd pfd{sock, POLLIN, 0};
      if (ms <= 0 || ::poll(&pfd, 1, static_cast<int>(ms)) <= 0) break;
      const ssize_t n = ::recv(sock, sink, sizeof(sink), 0);
      if (n <= 0) break;
      total += static_cast<size_t>(n);
    }
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
}

// Runs one OpenSSL step on a non-blocking socket (`op` returns SSL_accept's
// or SSL_write's result) until it succeeds, fails or `deadline` passes.
template <typename Op>
bool TlsStep(SSL* ssl, int sock, absl::Time deadline, Op op) {
  for (;;) {
    const int r = op();
    if (r > 0) return true;
    const int error = SSL_get_error(ssl, r);
    const short events = error == SSL_ERROR_WANT_READ    ? POLLIN
                         : error == SSL_ERROR_WANT_WRITE ? POLLOUT
                                                         : 0;
    const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (events == 0 || ms <= 0) return false;
    pollfd pfd{sock, events, 0};
    if (::poll(&pfd, 1, static_cast<int>(ms)) <= 0) return false;
  }
}

// The 503 over TLS: handshake, answer, close_notify, then a wait for the
// client to close (its unread request would otherwise turn our close into a
// reset before it reads the answer), all within kBusyTlsBudget. A slower
// client just sees the connection closed.
void AnswerBusyOverTls(int sock, SSL_CTX* ctx, std::string_view answer) {
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) return;
  const absl::Time deadline = absl::Now() + kBusyTlsBudget;
  ::fcntl(sock, F_SETFL, ::fcntl(sock, F_GETFL) | O_NONBLOCK);
  if (SSL_set_fd(ssl, sock) == 1 &&
      TlsStep(ssl, sock, deadline, [ssl] { return SSL_accept(ssl); }) &&
      TlsStep(ssl, sock, deadline, [ssl, answer] {
        return SSL_write(ssl, answer.data(), static_cast<int>(answer.size()));
      })) {
    (void)SSL_shutdown(ssl);  // sends close_notify; the reply is not awaited
    ::shutdown(sock, SHUT_WR);
    char sink[4096];
    for (;;) {
      const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
      pollfd pfd{sock, POLLIN, 0};
      if (ms <= 0 || ::poll(&pfd, 1, static_cast<int>(ms)) <= 0) break;
      if (::recv(sock, sink, sizeof(sink), 0) <= 0) break;
    }
  }
  SSL_free(ssl);
}

// Answers a connection beyond the cap 503 (`tls`: the server's context, or
// null for plaintext), or with `answer` false closes it unanswered.
void RejectBusy(int sock, SSL_CTX* tls, bool answer) {
  static const std::string kBusy = [] {
    const std::string body =
        "{\"error\":{\"code\":\"UNAVAILABLE\",\"http_status\":503,"
        "\"message\":\"too many connections (--http-max-connections)\"}}";
    return absl::StrCat(
        "HTTP/1.1 503 Service Unavailable\r\n"
        "Content-Type: application/json\r\nConnection: close\r\n"
        "Retry-After: 1\r\nContent-Length: ",
        body.size(), "\r\n\r\n", body);
  }();
  if (answer && tls == nullptr) {
    (void)::send(sock, kBusy.data(), kBusy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  } else if (answer) {
    AnswerBusyOverTls(sock, tls, kBusy);
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
}

// cpp-httplib's task queue: one thread per connection up to `max_threads`
// (started on demand, kept), connections beyond them handed to one thread
// that answers 503; beyond kMaxPendingBusy waiting for it, closed at once.
class ConnectionThreads final : public httplib::TaskQueue {
 public:
  explicit ConnectionThreads(int max_threads)
      : max_threads_(max_threads), rejecter_([this] { RejectLoop(); }) {}

  void enqueue(std::function<void()> fn) override {
    if (Enqueue(fn)) return;
    t_role = ConnectionRole::kCloseBusy;  // on the accepting thread
    fn();
    t_role = ConnectionRole::kServe;
  }
  void shutdown() override {
    {
      absl::MutexLock lock(&mu_);
      shutdown_ = true;
    }
    for (std::thread& t : threads_) t.join();
    rejecter_.join();
  }

 private:
  // Queues `fn` to be served or answered 503; false when too many wait for
  // their 503 already.
  bool Enqueue(std::function<void()>& fn) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    const int open = busy_ + static_cast<int>(jobs_.size());
    if (open >= max_threads_) {
      if (rejects_.size() >= kMaxPendingBusy) return false;
      rejects_.push_back(std::move(fn));
      return true;
    }
    jobs_.push_back(std::move(fn));
    if (idle_ < static_cast<int>(jobs_.size()) &&
        static_cast<int>(threads_.size()) < max_threads_) {
      threads_.emplace_back([this] { WorkLoop(); });
    }
    return true;
  }
  bool JobOrShutdown() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !jobs_.empty() || shutdown_;
  }
  bool RejectOrShutdown() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !rejects_.empty() || shutdown_;
  }
  void WorkLoop() {
    for (;;) {
      std::function<void()> fn;
      {
        absl::MutexLock lock(&mu_);
        ++idle_;
        mu_.Await(absl::Condition(this, &ConnectionThreads::JobOrShutdown));
        --idle_;
        if (jobs_.empty()) return;
        fn = std::move(jobs_.front());
        jobs_.pop_front();
        ++busy_;
      }
      fn();
      absl::MutexLock lock(&mu_);
      --busy_;
    }
  }
  void RejectLoop() {
    t_role = ConnectionRole::kAnswerBusy;
    for (;;) {
      std::function<void()> fn;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(this, &ConnectionThreads::RejectOrShutdown));
        if (rejects_.empty()) return;
        fn = std::move(rejects_.front());
        rejects_.pop_front();
      }
      fn();
    }
  }

  const int max_threads_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> jobs_ ABSL_GUARDED_BY(mu_);
  std::deque<std::function<void()>> rejects_ ABSL_GUARDED_BY(mu_);
  int busy_ ABSL_GUARDED_BY(mu_) = 0;
  int idle_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;  // appended under mu_, joined at shutdown
  std::thread rejecter_;
};

// cpp-httplib's Server or SSLServer with its per-connection loop replaced
// (process_and_close_socket is a private virtual: overriding is allowed).
template <typename Base>
class Limited final : public Base {
 public:
  template <typename... Args>
  explicit Limited(const HttpLimits& limits, Args&&... args)
      : Base(std::forward<Args>(args)...), limits_(limits) {
    this->new_task_queue = [n = limits.max_connections] {
      return new ConnectionThreads(n);
    };
  }

 private:
  static constexpr bool kTls = std::is_base_of_v<httplib::SSLServer, Base>;

  bool process_and_close_socket(socket_t sock) override {
    if (t_role != ConnectionRole::kServe) {
      SSL_CTX* tls = nullptr;
      if constexpr (kTls) tls = this->ssl_context();
      RejectBusy(sock, tls, t_role == ConnectionRole::kAnswerBusy);
      return false;
    }
    int one = 1;
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    SSL* ssl = nullptr;
    if constexpr (kTls) {
      SetSocketTimeout(sock, SO_RCVTIMEO, limits_.header_timeout);
      SetSocketTimeout(sock, SO_SNDTIMEO, limits_.write_timeout);
      ssl = SSL_new(this->ssl_context());
      if (ssl == nullptr || SSL_set_fd(ssl, sock) != 1 ||
          SSL_accept(ssl) != 1) {
        if (ssl != nullptr) SSL_free(ssl);
        CloseConnection(sock, false);
        return false;
      }
    }
    LimitedStream stream(sock, ssl, limits_, this->svr_sock_);
    const bool ok = Serve(stream, ssl);
    if (ssl != nullptr) {
      SSL_shutdown(ssl);
      SSL_free(ssl);
    }
    CloseConnection(sock, ssl == nullptr && stream.close_after_response());
    return ok;
  }

  bool Serve(LimitedStream& stream, SSL* ssl) {
    t_stream = &stream;
    bool ok = false;
    for (int served = 0; served < limits_.keep_alive_max_requests; ++served) {
      if (!stream.WaitForRequest(served == 0 ? limits_.header_timeout
                                             : limits_.keep_alive_timeout)) {
        break;
      }
      stream.StartRequest();
      bool closed = false;
      const bool last = served + 1 == limits_.keep_alive_max_requests;
      ok = this->process_request(
          stream, last, closed,
          [ssl](httplib::Request& request) { request.ssl = ssl; });
      if (!ok || closed || stream.close_after_response() ||
          stream.read_failed()) {
        break;
      }
    }
    t_stream = nullptr;
    return ok;
  }

  const HttpLimits limits_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<httplib::Server>> MakeLimitedHttpServer(
    const HttpLimits& limits, const TlsSetupFn& tls_setup) {
  if (absl::Status s = ValidateHttpLimits(limits); !s.ok()) return s;
  if (!tls_setup) return std::make_unique<Limited<httplib::Server>>(limits);
  absl::Status tls_status;
  auto https = std::make_unique<Limited<httplib::SSLServer>>(
      limits, std::function<bool(SSL_CTX&)>([&](SSL_CTX& ctx) {
        return (tls_status = tls_setup(&ctx)).ok();
      }));
  if (!tls_status.ok()) return tls_status;
  if (!https->is_valid()) {
    return absl::InvalidArgumentError("tls: cannot set up the HTTPS listener");
  }
  return https;
}

void MarkHeadersRead() {
  if (t_stream != nullptr) t_stream->HeadersRead();
}

void RefuseBodyAndClose() {
  if (t_stream != nullptr) t_stream->CloseAfterResponse();
}

}  // namespace pcs
