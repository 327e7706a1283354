#ifndef PCS_SERVER_PATTERN_REVIEW_QUERIES_H_
#define PCS_SERVER_PATTERN_REVIEW_QUERIES_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "db/connection_pool.h"
#include "pcs/v1/pattern_confidence.pb.h"

namespace pcs {

// The analyst review console's reads and its override write, as pcs.v1
// messages (ListPatterns, GetPattern, GetPatternBars, OverridePattern and
// the agreement half of GetMonitoringSummary): request validation
// (INVALID_ARGUMENT naming the field), the db/ stores on a pool of their
// own, and the conversion of their rows to messages. Authorization,
// metrics and logging are the caller's (PatternConfidenceService).
//
// Errors: INVALID_ARGUMENT, NOT_FOUND (unknown id), UNAVAILABLE (database),
// DEADLINE_EXCEEDED (no pooled connection before the deadline).
// Threading: thread-safe (each call leases its own connection).
//
// Example:
//   auto reviews = PatternReviewQueries::Create({.conninfo = url});
//   v1::GetPatternResponse detail;
//   absl::Status s = (*reviews)->Get(request, deadline, &detail);
class PatternReviewQueries {
 public:
  struct Options {
    // PostgreSQL conninfo; connections are opened lazily.
    std::string conninfo = {};
    // Connections of the pool (review traffic never takes the scoring
    // workers' connections).
    int pool_size = 2;
  };

  static absl::StatusOr<std::unique_ptr<PatternReviewQueries>> Create(
      Options options);

  // `model_threshold` decides "confirm"/"reject" and disagreement.
  absl::Status List(const v1::ListPatternsRequest& request,
                    double model_threshold, absl::Time deadline,
                    v1::ListPatternsResponse* response);
  absl::Status Get(const v1::GetPatternRequest& request, absl::Time deadline,
                   v1::GetPatternResponse* response);
  absl::Status Bars(const v1::GetPatternBarsRequest& request,
                    absl::Time deadline, v1::GetPatternBarsResponse* response);
  // Records the override by `principal` (the authorizer's name).
  absl::Status Override(const v1::OverridePatternRequest& request,
                        const std::string& principal, absl::Time deadline,
                        v1::OverridePatternResponse* response);
  absl::Status Agreement(double model_threshold, absl::Time deadline,
                         v1::AnalystAgreement* response);

 private:
  explicit PatternReviewQueries(std::unique_ptr<ConnectionPool> pool)
      : pool_(std::move(pool)) {}

  std::unique_ptr<ConnectionPool> pool_;
};

// PostgreSQL timestamptz text ("2026-12-07 13:43:00.41+00") as RFC 3339 in
// UTC ("2026-12-07T13:43:00.41Z"); text it cannot parse is returned as is.
std::string Rfc3339FromPostgres(const std::string& text);

}  // namespace pcs

#endif  // PCS_SERVER_PATTERN_REVIEW_QUERIES_H_
