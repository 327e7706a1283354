#include "lifecycle/pattern_lifecycle_manager.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace pcs {

absl::string_view LifecycleDecisionName(LifecycleDecisionKind d) {
  return d == LifecycleDecisionKind::kConfirm ? "confirm" : "reject";
}

std::optional<LifecycleState> OutcomeState(const Outcome& outcome) {
  if (!outcome.label.has_value()) return std::nullopt;
  if (outcome.exit_reason == "target") return LifecycleState::kTargetHit;
  if (outcome.exit_reason == "stop") return LifecycleState::kStoppedOut;
  return LifecycleState::kExpired;
}

PatternLifecycleManager::PatternLifecycleManager(
    LifecycleManagerOptions options)
    : options_(std::move(options)) {}

LifecycleDecision PatternLifecycleManager::EvaluateWithRules(
    const Pattern& pattern, std::optional<double> ml_confidence,
    const BlendOptions& blend, FallbackReason unavailable_reason) const {
  LifecycleDecision d;
  const double rule = std::isfinite(pattern.rule_confidence)
                          ? std::clamp(pattern.rule_confidence, 0.0, 1.0)
                          : 0.0;
  const BlendResult r =
      BlendConfidence(rule, ml_confidence, blend, unavailable_reason);
  d.rule_confidence = rule;
  d.ml_confidence = ml_confidence;
  d.blended_confidence = r.blended;
  d.ml_weight = r.ml_weight_used;
  d.fallback_reason = r.fallback_reason;
  auto decide = [](double c, double threshold) {
    return c >= threshold ? LifecycleDecisionKind::kConfirm
                          : LifecycleDecisionKind::kReject;
  };
  d.rule_decision = decide(rule, options_.rule_threshold);
  d.decision = decide(r.blended, options_.decision_threshold);
  d.state = d.decision == LifecycleDecisionKind::kConfirm
                ? LifecycleState::kConfirmed
                : LifecycleState::kRejected;
  return d;
}

LifecycleTransition PatternLifecycleManager::DecisionTransition(
    const Pattern& pattern, const LifecycleDecision& decision) const {
  LifecycleTransition t;
  t.pattern_id = pattern.Id();
  t.from = LifecycleState::kDetected;
  t.to = decision.state;
  t.event_day = pattern.confirmation_day;
  t.rule_confidence = decision.rule_confidence;
  t.ml_confidence = decision.ml_confidence;
  t.blended_confidence = decision.blended_confidence;
  t.blend_weight = decision.ml_weight;
  t.fallback_reason = std::string(FallbackReasonName(decision.fallback_reason));
  t.reason = absl::StrCat(
      LifecycleDecisionName(decision.decision), ": confidence ",
      decision.blended_confidence,
      decision.decision == LifecycleDecisionKind::kConfirm ? " >= " : " < ",
      options_.decision_threshold);
  return t;
}

std::vector<LifecycleTransition> PatternLifecycleManager::StateSequence(
    const Pattern& pattern, const Outcome& outcome,
    const std::optional<LifecycleDecision>& decision) const {
  std::vector<LifecycleTransition> seq;
  LifecycleTransition first;
  first.pattern_id = pattern.Id();
  first.to = LifecycleState::kDetected;
  first.event_day = pattern.confirmation_day;
  first.rule_confidence = pattern.rule_confidence;
  first.reason = absl::StrCat(PatternTypeName(pattern.type), " detected");
  seq.push_back(first);
  if (decision.has_value()) {
    seq.push_back(DecisionTransition(pattern, *decision));
    if (decision->state == LifecycleState::kRejected) return seq;
  } else {
    LifecycleTransition c = first;
    c.from = LifecycleState::kDetected;
    c.to = LifecycleState::kConfirmed;
    c.reason = "breakout close through the pattern boundary";
    seq.push_back(c);
  }
  const std::optional<LifecycleState> end = OutcomeState(outcome);
  if (!end.has_value() || !outcome.resolved_day.has_value()) return seq;
  LifecycleTransition last;
  last.pattern_id = pattern.Id();
  last.from = LifecycleState::kConfirmed;
  last.to = *end;
  last.event_day = *outcome.resolved_day;
  last.actual_outcome = outcome.label;
  last.reason = absl::StrCat("exit ", outcome.exit_reason, " after ",
                             outcome.bars_to_outcome, " bars, pnl ",
                             outcome.realized_pnl);
  seq.push_back(last);
  return seq;
}

}  // namespace pcs
