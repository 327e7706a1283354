#ifndef PCS_MONITORING_PREDICTION_OUTCOME_STORE_H_
#define PCS_MONITORING_PREDICTION_OUTCOME_STORE_H_

// The join of served predictions to realised outcomes, in PostgreSQL.
//
// Predictions are prediction_traces rows (migrations/0004; pattern_id,
// rule/ml/blended_confidence, model_version, recorded_at).
// Outcomes are pattern_events.outcome_label once the triple barrier resolved.
//
//   RecordActualOutcomes: copies outcome_label into actual_outcome of every
//     trace of a resolved pattern whose actual_outcome is still NULL
//     (what `pcs outcomes` does after resolving new bars; the UPDATE is
//     PredictionTraceStore::RecordActualOutcomes). Idempotent.
//   LoadScoredOutcomes: one row per resolved pattern with a server
//     prediction: the LATEST trace for that pattern (optionally of one
//     model version), joined with its outcome and resolution date.
//
// Threading: uses the caller's connection (one thread at a time, as
// pqxx::connection). Errors: libpqxx exceptions are caught and returned as a
// Status naming the operation (db/transaction.h DatabaseErrorStatus).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/bar.h"
#include "monitoring/rolling_accuracy.h"
#include "pqxx/pqxx"

namespace pcs {

struct ScoredOutcomeFilter {
  std::optional<std::string> model_version;  // only predictions of this version
  std::optional<Day> resolved_from;          // outcome_resolved_at >= this
};

// Number of trace rows updated.
absl::StatusOr<int64_t> RecordActualOutcomes(pqxx::connection& conn);

absl::StatusOr<std::vector<ScoredOutcome>> LoadScoredOutcomes(
    pqxx::connection& conn, const ScoredOutcomeFilter& filter);

}  // namespace pcs

#endif  // PCS_MONITORING_PREDICTION_OUTCOME_STORE_H_
