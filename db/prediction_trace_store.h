#ifndef PCS_DB_PREDICTION_TRACE_STORE_H_
#define PCS_DB_PREDICTION_TRACE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/bar.h"
#include "pqxx/pqxx"

namespace pcs {

// One scored request: a prediction_traces row.
struct TraceRecord {
  std::string pattern_id;
  std::string state;       // stored lifecycle state at scoring time
  std::string event_date;  // "YYYY-MM-DD" (the confirmation date); "" = NULL
  double rule_confidence = 0;
  std::optional<double> ml_confidence;
  double blended_confidence = 0;
  double blend_weight = 0;
  std::string model_version;
  std::string fallback_reason;
  double latency_ms = 0;
  std::string reason;  // "score <method>"
};

// The one writer of prediction_traces (migrations/0004): the server's
// scored requests, kept apart from pattern_lifecycle_history, which holds
// state changes only. Works inside the caller's transaction.
//
// Errors: methods throw libpqxx exceptions; call them inside
// RunInTransaction (db/transaction.h), which maps them to a Status.
// Threading: as the transaction (one thread).
//
// Example:
//   RunInTransaction(conn, "writing traces",
//                    [&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
//                      return PredictionTraceStore(tx).Append(traces);
//                    });
class PredictionTraceStore {
 public:
  explicit PredictionTraceStore(pqxx::transaction_base& tx) : tx_(tx) {}

  // Appends `traces` with one INSERT; a trace whose pattern_id is not in
  // pattern_events is left out (no foreign key since migrations/0008).
  // Returns the rows inserted.
  int64_t Append(const std::vector<TraceRecord>& traces);

  // Copies each resolved pattern's outcome label into actual_outcome of its
  // traces that have none (`pcs outcomes`); returns the rows updated.
  int64_t RecordActualOutcomes();

 private:
  pqxx::transaction_base& tx_;
};

// The join of served predictions to realised outcomes: the latest trace of a
// resolved pattern with its outcome_label and resolution date (input of the
// rolling accuracy, monitoring/rolling_accuracy.h).
struct ScoredOutcome {
  std::string pattern_id;
  Day confirmation_day = 0;
  Day resolved_day = 0;  // outcome_resolved_at
  int label = 0;         // outcome_label, 0 or 1
  double rule_confidence = 0;
  std::optional<double> ml_confidence;  // NULL when the server fell back
  std::optional<double> blended_confidence;
  std::string model_version;  // "" when none was recorded
};

struct ScoredOutcomeFilter {
  std::optional<std::string> model_version;  // only predictions of this version
  std::optional<Day> resolved_from;          // outcome_resolved_at >= this
};

// Connection-level calls (one thread at a time per connection; libpqxx
// errors returned as DatabaseErrorStatus, db/transaction.h):
//   AppendTraces: PredictionTraceStore::Append in its own transaction (the
//     server's trace writer). Returns the rows inserted.
//   RecordActualOutcomes: PredictionTraceStore::RecordActualOutcomes in its
//     own transaction (what `pcs outcomes` does after resolving new bars).
//     Idempotent. Returns the trace rows updated.
//   LoadScoredOutcomes: one row per resolved pattern with a trace: the
//     LATEST trace of that pattern (optionally of one model version), joined
//     with its outcome and resolution date, ordered by resolution date.
absl::StatusOr<int64_t> AppendTraces(pqxx::connection& conn,
                                     const std::vector<TraceRecord>& traces);
absl::StatusOr<int64_t> RecordActualOutcomes(pqxx::connection& conn);
//   PruneTraces: deletes traces recorded more than `older_than` ago, except
//     the latest of each (pattern, model version) (what drift and
//     LoadScoredOutcomes read), in one transaction (`pcs traces prune`).
//     Returns the rows deleted.
absl::StatusOr<int64_t> PruneTraces(pqxx::connection& conn,
                                    absl::Duration older_than);
absl::StatusOr<std::vector<ScoredOutcome>> LoadScoredOutcomes(
    pqxx::connection& conn, const ScoredOutcomeFilter& filter);

}  // namespace pcs

#endif  // PCS_DB_PREDICTION_TRACE_STORE_H_
