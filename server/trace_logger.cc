#include "server/trace_logger.h"

#include <iterator>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/metrics_registry.h"
#include "spdlog/spdlog.h"

namespace pcs {

absl::StatusOr<std::unique_ptr<TraceLogger>> TraceLogger::Create(
    TraceLoggerOptions options) {
  if (options.max_queue == 0 || options.batch_size == 0) {
    return absl::InvalidArgumentError(
        "trace logger max_queue and batch_size must be > 0");
  }
  if (options.anonymous_one_in < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "trace anonymous_one_in must be >= 1 (1 keeps every record), got ",
        options.anonymous_one_in));
  }
  std::unique_ptr<TraceLogger> logger(new TraceLogger(std::move(options)));
  logger->thread_ = std::thread([l = logger.get()] { l->Run(); });
  return logger;
}

TraceLogger::TraceLogger(TraceLoggerOptions options)
    : options_(std::move(options)) {
  if (options_.metrics != nullptr) {
    written_counter_ =
        options_.metrics
            ->AddCounter("pcs_trace_written_total",
                         "Trace rows written to prediction_traces")
            ->WithLabels({});
    dropped_counter_ =
        options_.metrics
            ->AddCounter(
                "pcs_trace_dropped_total",
                "Trace rows dropped (queue full, write failed or pattern gone)")
            ->WithLabels({});
    sampled_out_counter_ =
        options_.metrics
            ->AddCounter("pcs_trace_sampled_out_total",
                         "Anonymous callers' trace rows left out by sampling")
            ->WithLabels({});
    depth_gauge_ = options_.metrics
                       ->AddGauge("pcs_trace_queue_depth",
                                  "Trace rows waiting to be written")
                       ->WithLabels({});
  }
}

TraceLogger::~TraceLogger() { Shutdown(); }

void TraceLogger::CountDropped(int64_t n) {
  dropped_.fetch_add(n);
  if (dropped_counter_ != nullptr) dropped_counter_->Increment(n);
}

bool TraceLogger::Log(TraceRecord record, TraceCaller caller) {
  if (caller == TraceCaller::kAnonymous && options_.anonymous_one_in > 1 &&
      anonymous_seen_.fetch_add(1) % options_.anonymous_one_in != 0) {
    sampled_out_.fetch_add(1);
    if (sampled_out_counter_ != nullptr) sampled_out_counter_->Increment();
    return false;
  }
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_ && queue_.size() < options_.max_queue) {
      queue_.push_back(std::move(record));
      ++enqueued_;
      if (depth_gauge_ != nullptr) depth_gauge_->Set(queue_.size());
      return true;
    }
  }
  CountDropped(1);
  return false;
}

int64_t TraceLogger::depth() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

void TraceLogger::Flush() {
  absl::MutexLock lock(&mu_);
  const uint64_t target = enqueued_;
  auto done = [this, target]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return completed_ >= target;
  };
  mu_.Await(absl::Condition(&done));
}

void TraceLogger::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void TraceLogger::Run() {
  for (;;) {
    std::deque<TraceRecord> batch;
    bool stop = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || queue_.size() >= options_.batch_size;
      };
      mu_.AwaitWithTimeout(absl::Condition(&ready), options_.flush_interval);
      size_t n = std::min(queue_.size(), options_.batch_size);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      stop = stopping_ && queue_.empty();
      if (depth_gauge_ != nullptr) depth_gauge_->Set(queue_.size());
    }
    if (!batch.empty()) WriteBatch(&batch);
    if (stop) return;
  }
}

void TraceLogger::WriteBatch(std::deque<TraceRecord>* batch) {
  const int64_t n = batch->size();
  auto give_up = [&](const std::string& error) {
    CountDropped(n);
    spdlog::warn("event=trace_write_failed rows={} error=\"{}\"", n, error);
    absl::MutexLock lock(&mu_);
    completed_ += n;
  };
  if (!pool_) {
    auto pool =
        ConnectionPool::Create({.conninfo = options_.conninfo, .size = 1});
    if (!pool.ok()) return give_up(std::string(pool.status().message()));
    pool_ = std::move(*pool);
  }
  // The writer's own connection, re-opened after it breaks.
  const std::vector<TraceRecord> rows(std::make_move_iterator(batch->begin()),
                                      std::make_move_iterator(batch->end()));
  // A generic lambda: server/ names no libpqxx type (scripts/check_layers.py).
  absl::StatusOr<int64_t> written =
      pool_->Run(absl::Now() + absl::Seconds(5), "writing traces",
                 [&](auto& conn) { return AppendTraces(conn, rows); });
  if (!written.ok()) return give_up(std::string(written.status().message()));
  // Traces of patterns no longer in pattern_events were left out.
  if (*written < n) {
    CountDropped(n - *written);
    spdlog::warn("event=trace_rows_without_pattern rows={}", n - *written);
  }
  written_.fetch_add(*written);
  if (written_counter_ != nullptr) written_counter_->Increment(*written);
  absl::MutexLock lock(&mu_);
  completed_ += n;
}

}  // namespace pcs
