#ifndef PCS_MONITORING_OUTCOME_JOB_H_
#define PCS_MONITORING_OUTCOME_JOB_H_

// `pcs outcomes`: resolve outcomes as new bars arrive, then join served
// predictions to them.
//
//  1. Find the earliest confirmation date among unresolved patterns
//     (outcome_label IS NULL AND exit_reason IS NULL) and, for new patterns,
//     the latest stored confirmation date.
//  2. Run the backfill job's incremental path (pipeline/backfill_job.h
//     RunBackfill) from the earlier of the two: patterns that now have their
//     outcome bars get their label and a lifecycle transition, patterns newly
//     confirmed on the new bars are added. Idempotent.
//  3. RecordActualOutcomes: copy the labels into actual_outcome of the
//     server's prediction rows (db/prediction_trace_store.h).
//  4. Record the run in monitoring_runs (kind 'outcomes').
//
// Threading: one call at a time per database (the backfill uses `workers`
// connections).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/bar.h"
#include "nlohmann/json.hpp"

namespace pcs {

struct OutcomeJobOptions {
  std::string conninfo;              // required
  std::vector<std::string> symbols;  // empty = every symbol in price_bars
  // Re-scan from this confirmation date even when nothing is unresolved
  // before it. Default: the rule above.
  std::optional<Day> from;
  int workers = 2;
  bool write_to_db = true;  // monitoring_runs row
};

struct OutcomeJobReport {
  int64_t unresolved_before = 0;
  int64_t unresolved_after = 0;  // includes newly added unresolved patterns
  int64_t resolved = 0;          // unresolved before, resolved by this run
  std::optional<Day> scan_from;  // nullopt: nothing stored yet, full backfill
  int64_t patterns_inserted = 0;
  int64_t patterns_updated = 0;  // mostly newly resolved
  int64_t history_rows = 0;
  int64_t predictions_joined = 0;     // server rows given actual_outcome
  std::vector<std::string> failures;  // per-symbol backfill failures
  int64_t run_id = 0;

  nlohmann::json ToJson() const;
  std::string ToText() const;
};

absl::StatusOr<OutcomeJobReport> RunOutcomeJob(
    const OutcomeJobOptions& options);

}  // namespace pcs

#endif  // PCS_MONITORING_OUTCOME_JOB_H_
