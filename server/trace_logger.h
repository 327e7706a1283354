#ifndef PCS_SERVER_TRACE_LOGGER_H_
#define PCS_SERVER_TRACE_LOGGER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "db/connection_pool.h"
#include "db/prediction_trace_store.h"  // TraceRecord

namespace pcs {

class Counter;
class Gauge;
class MetricsRegistry;

// Who asked for the score a trace records: a caller that presented no
// credential (server/authorizer.h Identity with neither a verified
// certificate nor a bearer token) is kAnonymous.
enum class TraceCaller { kAuthenticated, kAnonymous };

struct TraceLoggerOptions {
  std::string conninfo = {};
  // Keep one of every N anonymous callers' records (in arrival order; the
  // others are counted as sampled out, never queued). 1 keeps all.
  int64_t anonymous_one_in = 1;
  // Queue bound; Log() drops (and counts) records beyond it.
  size_t max_queue = 10000;
  // Rows per INSERT statement.
  size_t batch_size = 256;
  // Longest a record waits before its batch is flushed.
  absl::Duration flush_interval = absl::Milliseconds(200);
  MetricsRegistry* metrics = nullptr;  // optional
};

// Writes request traces to PostgreSQL off the request path: Log() appends to
// a bounded in-memory queue and returns at once (never blocks on the
// database, drops and counts when the queue is full); a background thread
// writes batches with one multi-row INSERT each. Shutdown() (also the
// destructor) stops accepting, flushes what is queued, and joins; with a hung
// database each batch gives up after ConnectionPoolOptions' timeouts.
//
// Sampling: records of anonymous callers can be sampled (one of every
// options.anonymous_one_in is kept); authenticated callers' are always kept.
//
// Metrics: pcs_trace_queue_depth, pcs_trace_written_total,
// pcs_trace_dropped_total (records lost to a full queue or a failed write,
// and records whose pattern is no longer in pattern_events: those are left
// out of their batch, the rest of it is written),
// pcs_trace_sampled_out_total (anonymous records left out by sampling).
// Every record passed to Log() ends up in exactly one of written, dropped
// or sampled out (once Flush() returns).
//
// Threading: Log() is thread-safe and wait-free apart from a short mutex.
class TraceLogger {
 public:
  static absl::StatusOr<std::unique_ptr<TraceLogger>> Create(
      TraceLoggerOptions options);
  ~TraceLogger();

  // Queues one record; false when it was dropped or sampled out.
  bool Log(TraceRecord record, TraceCaller caller = TraceCaller::kAuthenticated)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Blocks until everything queued before the call is written (or failed).
  void Flush() ABSL_LOCKS_EXCLUDED(mu_);
  // Flushes and stops the writer thread; later Log() calls drop.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);

  int64_t written() const { return written_.load(); }
  int64_t dropped() const { return dropped_.load(); }
  int64_t sampled_out() const { return sampled_out_.load(); }
  int64_t depth() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  explicit TraceLogger(TraceLoggerOptions options);
  void Run();
  void WriteBatch(std::deque<TraceRecord>* batch);
  void CountDropped(int64_t n);

  const TraceLoggerOptions options_;
  mutable absl::Mutex mu_;
  std::deque<TraceRecord> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t enqueued_ ABSL_GUARDED_BY(mu_) = 0;   // ever accepted
  uint64_t completed_ ABSL_GUARDED_BY(mu_) = 0;  // written or failed
  std::atomic<int64_t> written_{0};
  std::atomic<int64_t> dropped_{0};
  std::atomic<int64_t> sampled_out_{0};
  std::atomic<int64_t> anonymous_seen_{0};
  std::thread thread_;
  // Used by the writer thread only: one connection with the pool's connect
  // timeout and lease watchdog, so a hung database fails a batch within
  // seconds (counted as dropped) and never stalls Shutdown().
  std::unique_ptr<ConnectionPool> pool_;
  Counter* written_counter_ = nullptr;
  Counter* dropped_counter_ = nullptr;
  Counter* sampled_out_counter_ = nullptr;
  Gauge* depth_gauge_ = nullptr;
};

}  // namespace pcs

#endif  // PCS_SERVER_TRACE_LOGGER_H_
