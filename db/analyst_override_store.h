#ifndef PCS_DB_ANALYST_OVERRIDE_STORE_H_
#define PCS_DB_ANALYST_OVERRIDE_STORE_H_

#include <cstdint>
#include <optional>
#include <pqxx/connection>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lifecycle/lifecycle_state.h"

namespace pcs {

// An analyst's verdict on a pattern's decision (wire: "confirm"/"reject").
enum class AnalystDecision { kConfirm = 0, kReject = 1 };
absl::string_view AnalystDecisionName(AnalystDecision d);
absl::StatusOr<AnalystDecision> ParseAnalystDecision(absl::string_view text);

struct AnalystOverride {
  std::string pattern_id;
  AnalystDecision decision = AnalystDecision::kConfirm;
  std::string reason;    // required, 1..1000 characters
  std::string identity;  // who (the authorizer's principal name)
};

struct AppliedOverride {
  LifecycleState from = LifecycleState::kDetected;
  LifecycleState to = LifecycleState::kConfirmed;
  int64_t history_id = 0;   // the pattern_lifecycle_history row
  std::string recorded_at;  // its recorded_at (timestamptz text)
};

// How analysts' overrides compare with the automated decisions.
struct AnalystAgreement {
  int64_t overrides = 0;         // patterns with an analyst decision
  int64_t confirmed = 0;         // ... of which the analyst confirmed
  int64_t with_model = 0;        // ... that the model had scored
  int64_t agree_with_model = 0;  // analyst == (blended >= threshold)
  int64_t agree_with_rule = 0;   // analyst == (rule >= rule_threshold)
  double model_threshold = 0.5;  // thresholds used
  double rule_threshold = 0.5;
};

// Writes analyst overrides: one transaction that locks the pattern row, sets
// pattern_events.lifecycle_state to 'confirmed' or 'rejected' together with
// analyst_decision/_reason/_identity/_at (migrations/0005), and appends a
// pattern_lifecycle_history row with source = 'analyst' (from the stored
// state, to the analyst's, the reason and who). An override is allowed from
// any state: it is the analyst's explicit correction, outside the automated
// lifecycle table, and a later override replaces an earlier one (both stay
// in the history). Automation never overwrites it (the migration's triggers;
// EvaluatePattern refuses such patterns).
//
// Threading: one thread at a time per instance (the borrowed connection).
// Errors: NotFound (unknown id), InvalidArgument (empty or too long reason
// or identity), Unavailable (connection lost), Internal (other SQL errors).
class AnalystOverrideStore {
 public:
  explicit AnalystOverrideStore(pqxx::connection& conn) : conn_(conn) {}

  absl::StatusOr<AppliedOverride> Apply(const AnalystOverride& o);

  // Agreement of every stored override with the model's decision (the
  // stored blended confidence at `model_threshold`, patterns the model
  // scored through EvaluatePattern) and with the rule's (rule confidence at
  // `rule_threshold`).
  absl::StatusOr<AnalystAgreement> Agreement(double model_threshold,
                                             double rule_threshold);

 private:
  pqxx::connection& conn_;
};

}  // namespace pcs

#endif  // PCS_DB_ANALYST_OVERRIDE_STORE_H_
