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
//  4. With a model location: the served decision policy's confirmation
//     rate, precision and true-positive rate next to rule-only over the
//     resolved outcomes of that version's traced predictions, in the two
//     rolling windows of `pcs drift` (monitoring/rolling_accuracy.h; the
//     version and its policy as monitoring/monitored_model.h LoadServedModel
//     finds them). Reported, with the policy alert per window (the policy's
//     precision below rule-only's by more than the card's tolerance:
//     pcs_outcomes_policy_precision_alert, "policy alert" in the text);
//     the webhook is `pcs drift`'s.
//  5. Record the run in monitoring_runs (kind 'outcomes').
//
// Threading: one call at a time per database (the backfill uses `workers`
// connections).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/bar.h"
#include "monitoring/monitored_model.h"
#include "monitoring/rolling_accuracy.h"
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
  // Step 4: skipped when neither model.model_dir nor model.models_dir is set.
  ModelLocation model;
  std::string pin_version;   // with models_dir, as the server's --pin-version
  std::optional<Day> as_of;  // end of the time window; default: latest bar
  int window_days = 90;
  int last_n = 500;
  double rule_threshold = 0.5;
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
  // Step 4. `policy` is nullopt when skipped (policy_note says why).
  std::string model_version;  // "" = the rule confidence alone
  std::optional<RollingAccuracyReport> policy;
  std::string policy_note;
  double finished_unix_seconds = 0;

  nlohmann::json ToJson() const;
  std::string ToText() const;
  // `pcs outcomes --textfile` (RenderOutcomeMetrics); only with `policy`.
  std::string ToPrometheusText() const;
};

absl::StatusOr<OutcomeJobReport> RunOutcomeJob(
    const OutcomeJobOptions& options);

}  // namespace pcs

#endif  // PCS_MONITORING_OUTCOME_JOB_H_
