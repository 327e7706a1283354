#ifndef PCS_LIFECYCLE_PATTERN_LIFECYCLE_MANAGER_H_
#define PCS_LIFECYCLE_PATTERN_LIFECYCLE_MANAGER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/bar.h"
#include "lifecycle/confidence_blender.h"
#include "lifecycle/lifecycle_state.h"
#include "lifecycle/pattern.h"

namespace pcs {

// Default decision threshold on a confidence in [0, 1]: a detected pattern
// is confirmed when its (rule or blended) confidence is >= this value,
// rejected otherwise. See docs/PATTERNS.md ("Decision threshold").
inline constexpr double kDefaultRuleDecisionThreshold = 0.5;

enum class LifecycleDecisionKind { kConfirm, kReject };
absl::string_view LifecycleDecisionName(
    LifecycleDecisionKind d);  // "confirm"/"reject"

// Result of evaluating a detected pattern.
struct LifecycleDecision {
  LifecycleState state = LifecycleState::kRejected;  // kConfirmed or kRejected
  double rule_confidence = 0;
  std::optional<double> ml_confidence;  // as given (even when not used)
  double blended_confidence = 0;        // == rule when falling back
  double ml_weight = 0;                 // weight actually used
  LifecycleDecisionKind decision = LifecycleDecisionKind::kReject;
  // Decision made from the rule confidence alone (for comparisons).
  LifecycleDecisionKind rule_decision = LifecycleDecisionKind::kReject;
  FallbackReason fallback_reason = FallbackReason::kNone;  // kNone: ML used
};

// One state change, ready to be persisted into pattern_lifecycle_history by
// the DB layer (this class never touches the database).
struct LifecycleTransition {
  std::string pattern_id;
  std::optional<LifecycleState> from;  // nullopt for the first record
  LifecycleState to = LifecycleState::kDetected;
  Day event_day = 0;  // market date the change refers to
  std::optional<double> rule_confidence;
  std::optional<double> ml_confidence;
  std::optional<double> blended_confidence;
  std::optional<double> blend_weight;
  std::string fallback_reason;        // FallbackReasonName ("" = ML used)
  std::optional<int> actual_outcome;  // label, on outcome transitions
  std::string reason;                 // short human text
};

struct LifecycleManagerOptions {
  // Confirm when the (blended or, on fallback, rule) confidence >= this:
  // the served policy's threshold (model/decision_policy.h).
  double decision_threshold = kDefaultRuleDecisionThreshold;
  // LifecycleDecision::rule_decision compares the rule confidence with this,
  // whatever the policy's threshold is.
  double rule_threshold = kDefaultRuleDecisionThreshold;
};

// Decides and validates pattern state changes. Stateless apart from its
// options: safe to share between threads (all methods are const).
//
// Example:
//   PatternLifecycleManager mgr;
//   LifecycleDecision d = mgr.EvaluateWithRules(p, ml, {.enabled = flag});
//   LifecycleTransition t = mgr.DecisionTransition(p, d);  // -> DB layer
class PatternLifecycleManager {
 public:
  explicit PatternLifecycleManager(LifecycleManagerOptions options = {});

  // Rule decision plus the blended confidence (BlendConfidence). When ML is
  // unavailable (`ml_confidence` empty) the fallback reason is
  // `unavailable_reason` (default kNoModel); flag off => kFlagOff.
  // The decision uses the blended confidence (== rule confidence on
  // fallback) against options.decision_threshold.
  LifecycleDecision EvaluateWithRules(
      const Pattern& pattern, std::optional<double> ml_confidence,
      const BlendOptions& blend,
      FallbackReason unavailable_reason = FallbackReason::kNoModel) const;

  // detected -> confirmed|rejected for `decision`, dated at the
  // confirmation day, carrying the confidences.
  LifecycleTransition DecisionTransition(
      const Pattern& pattern, const LifecycleDecision& decision) const;

  // The full state sequence of a pattern with a known outcome, for the
  // backfill: [null -> detected, detected -> confirmed, confirmed ->
  // target_hit|stopped_out|expired]. The first two are dated at the
  // confirmation day, the last at outcome.resolved_day; the last is omitted
  // when the outcome is unresolved. When `decision` is given and rejects,
  // the sequence is [null -> detected, detected -> rejected] (terminal).
  // exit_reason "target" -> target_hit, "stop" -> stopped_out,
  // "horizon" -> expired.
  std::vector<LifecycleTransition> StateSequence(
      const Pattern& pattern, const Outcome& outcome,
      const std::optional<LifecycleDecision>& decision = std::nullopt) const;

  const LifecycleManagerOptions& options() const { return options_; }

 private:
  LifecycleManagerOptions options_;
};

// Terminal state for an outcome: target_hit / stopped_out / expired, or
// nullopt when unresolved.
std::optional<LifecycleState> OutcomeState(const Outcome& outcome);

}  // namespace pcs

#endif  // PCS_LIFECYCLE_PATTERN_LIFECYCLE_MANAGER_H_
