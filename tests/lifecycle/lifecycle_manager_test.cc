#include <cstdlib>
#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lifecycle/confidence_blender.h"
#include "lifecycle/lifecycle_state.h"
#include "lifecycle/pattern_lifecycle_manager.h"

namespace pcs {
namespace {

using ::testing::HasSubstr;
using S = LifecycleState;

TEST(LifecycleStateTest, NamesRoundTrip) {
  for (int i = 0; i < kNumLifecycleStates; ++i) {
    const auto s = static_cast<S>(i);
    auto parsed = ParseLifecycleState(LifecycleStateName(s));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_EQ(LifecycleStateName(S::kStoppedOut), "stopped_out");
  auto bad = ParseLifecycleState("done");
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("done"));
}

TEST(LifecycleStateTest, TransitionTable) {
  // Exactly these six moves are legal.
  int legal = 0;
  for (int a = 0; a < kNumLifecycleStates; ++a) {
    for (int b = 0; b < kNumLifecycleStates; ++b) {
      legal += CheckTransition(static_cast<S>(a), static_cast<S>(b)).ok();
    }
  }
  EXPECT_EQ(legal, 6);
  EXPECT_TRUE(CheckTransition(S::kDetected, S::kConfirmed).ok());
  EXPECT_TRUE(CheckTransition(S::kDetected, S::kRejected).ok());
  EXPECT_TRUE(CheckTransition(S::kDetected, S::kExpired).ok());
  EXPECT_TRUE(CheckTransition(S::kConfirmed, S::kTargetHit).ok());
  EXPECT_TRUE(CheckTransition(S::kConfirmed, S::kStoppedOut).ok());
  EXPECT_TRUE(CheckTransition(S::kConfirmed, S::kExpired).ok());
  const absl::Status bad = CheckTransition(S::kTargetHit, S::kConfirmed);
  EXPECT_EQ(bad.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(bad.message(), HasSubstr("target_hit -> confirmed"));
  EXPECT_THAT(CheckTransition(S::kDetected, S::kTargetHit).message(),
              HasSubstr("detected -> target_hit"));
  EXPECT_FALSE(CheckTransition(S::kConfirmed, S::kConfirmed).ok());
  EXPECT_FALSE(CheckTransition(S::kRejected, S::kConfirmed).ok());
}

TEST(ConfidenceBlenderTest, FlagOffIsRuleOnly) {
  const BlendResult r = BlendConfidence(0.7, 0.2, {.enabled = false});
  EXPECT_DOUBLE_EQ(r.blended, 0.7);
  EXPECT_DOUBLE_EQ(r.ml_weight_used, 0);
  EXPECT_EQ(r.fallback_reason, FallbackReason::kFlagOff);
}

TEST(ConfidenceBlenderTest, NoModelAndGivenReason) {
  const BlendResult a = BlendConfidence(0.7, std::nullopt, {.enabled = true});
  EXPECT_DOUBLE_EQ(a.blended, 0.7);
  EXPECT_EQ(a.fallback_reason, FallbackReason::kNoModel);
  const BlendResult b = BlendConfidence(0.7, std::nullopt, {.enabled = true},
                                        FallbackReason::kModelError);
  EXPECT_EQ(b.fallback_reason, FallbackReason::kModelError);
  EXPECT_DOUBLE_EQ(b.ml_weight_used, 0);
}

TEST(ConfidenceBlenderTest, FallbackReasonWireStrings) {
  // The strings clients, metrics and the database see must not change.
  EXPECT_EQ(FallbackReasonName(FallbackReason::kNone), "");
  EXPECT_EQ(FallbackReasonName(FallbackReason::kFlagOff), "flag_off");
  EXPECT_EQ(FallbackReasonName(FallbackReason::kNoModel), "no_model");
  EXPECT_EQ(FallbackReasonName(FallbackReason::kModelError), "model_error");
  EXPECT_EQ(FallbackReasonName(FallbackReason::kFeaturesUnavailable),
            "features_unavailable");
  EXPECT_EQ(FallbackReasonName(FallbackReason::kInvalidMlValue),
            "invalid_ml_value");
  EXPECT_EQ(FallbackReasonName(FallbackReason::kNoPolicy), "no_policy");
  EXPECT_EQ(LifecycleDecisionName(LifecycleDecisionKind::kConfirm), "confirm");
  EXPECT_EQ(LifecycleDecisionName(LifecycleDecisionKind::kReject), "reject");
}

TEST(ConfidenceBlenderTest, Weights) {
  EXPECT_DOUBLE_EQ(BlendConfidence(0.8, 0.2, {true, 0.0}).blended, 0.8);
  EXPECT_DOUBLE_EQ(BlendConfidence(0.8, 0.2, {true, 1.0}).blended, 0.2);
  const BlendResult half = BlendConfidence(0.8, 0.2, {true, 0.5});
  EXPECT_DOUBLE_EQ(half.blended, 0.5);
  EXPECT_DOUBLE_EQ(half.ml_weight_used, 0.5);
  EXPECT_EQ(half.fallback_reason, FallbackReason::kNone);
  EXPECT_DOUBLE_EQ(BlendConfidence(0.8, 0.2, {true, 7.0}).ml_weight_used, 1.0);
  EXPECT_EQ(BlendConfidence(0.8, 1.5, {true, 0.5}).fallback_reason,
            FallbackReason::kInvalidMlValue);
}

TEST(ConfidenceBlenderTest, ACardWithoutPolicyBlendsAndSaysSo) {
  const BlendResult r = BlendConfidence(
      0.8, 0.2, {.enabled = true, .ml_weight = 0.5, .policy_from_card = false});
  EXPECT_DOUBLE_EQ(r.blended, 0.5);  // the ML value is still used
  EXPECT_DOUBLE_EQ(r.ml_weight_used, 0.5);
  EXPECT_EQ(r.fallback_reason, FallbackReason::kNoPolicy);
  // Falling back to the rule keeps its own reason.
  EXPECT_EQ(BlendConfidence(0.8, std::nullopt,
                            {.enabled = true, .policy_from_card = false})
                .fallback_reason,
            FallbackReason::kNoModel);
}

Pattern MakePattern(double rule) {
  Pattern p;
  p.symbol = std::string(4, 'X');
  p.type = PatternType::kBullFlag;
  p.direction = Direction::kBullish;
  p.formation_start = 100;
  p.confirmation_day = 120;
  p.rule_confidence = rule;
  return p;
}

TEST(PatternLifecycleManagerTest, EvaluateWithRules) {
  const PatternLifecycleManager m;
  EXPECT_DOUBLE_EQ(m.options().decision_threshold,
                   kDefaultRuleDecisionThreshold);
  const LifecycleDecision rule_only =
      m.EvaluateWithRules(MakePattern(0.6), 0.1, {.enabled = false});
  EXPECT_EQ(rule_only.decision, LifecycleDecisionKind::kConfirm);
  EXPECT_EQ(rule_only.state, S::kConfirmed);
  EXPECT_EQ(rule_only.fallback_reason, FallbackReason::kFlagOff);
  EXPECT_DOUBLE_EQ(rule_only.blended_confidence, 0.6);

  const LifecycleDecision blended =
      m.EvaluateWithRules(MakePattern(0.6), 0.1, {true, 0.5});
  EXPECT_DOUBLE_EQ(blended.blended_confidence, 0.35);
  EXPECT_EQ(blended.decision, LifecycleDecisionKind::kReject);
  EXPECT_EQ(blended.rule_decision, LifecycleDecisionKind::kConfirm);
  EXPECT_EQ(blended.state, S::kRejected);
  EXPECT_DOUBLE_EQ(blended.ml_weight, 0.5);

  // A policy threshold below the rule's: the decision uses the policy's,
  // rule_decision still the rule's own threshold.
  const PatternLifecycleManager policy(
      {.decision_threshold = 0.38, .rule_threshold = 0.5});
  const LifecycleDecision low =
      policy.EvaluateWithRules(MakePattern(0.45), 0.40, {true, 1.0});
  EXPECT_EQ(low.decision, LifecycleDecisionKind::kConfirm);
  EXPECT_EQ(low.rule_decision, LifecycleDecisionKind::kReject);

  const LifecycleDecision no_model =
      m.EvaluateWithRules(MakePattern(0.4), std::nullopt, {true, 0.5},
                          FallbackReason::kFeaturesUnavailable);
  EXPECT_EQ(no_model.fallback_reason, FallbackReason::kFeaturesUnavailable);
  EXPECT_EQ(no_model.decision, LifecycleDecisionKind::kReject);

  const LifecycleTransition t = m.DecisionTransition(MakePattern(0.6), blended);
  EXPECT_EQ(t.pattern_id, MakePattern(0.6).Id());
  EXPECT_EQ(t.from, S::kDetected);
  EXPECT_EQ(t.to, S::kRejected);
  EXPECT_EQ(t.event_day, 120);
  EXPECT_EQ(t.blend_weight, 0.5);
  EXPECT_EQ(t.ml_confidence, 0.1);
}

TEST(PatternLifecycleManagerTest, StateSequenceOfLabeledPattern) {
  const PatternLifecycleManager m;
  Outcome o;
  o.label = 0;
  o.exit_reason = "stop";
  o.resolved_day = 130;
  const auto seq = m.StateSequence(MakePattern(0.6), o);
  ASSERT_EQ(seq.size(), 3u);
  EXPECT_FALSE(seq[0].from.has_value());
  EXPECT_EQ(seq[0].to, S::kDetected);
  EXPECT_EQ(seq[1].to, S::kConfirmed);
  EXPECT_EQ(seq[2].from, S::kConfirmed);
  EXPECT_EQ(seq[2].to, S::kStoppedOut);
  EXPECT_EQ(seq[2].event_day, 130);
  EXPECT_EQ(seq[2].actual_outcome, 0);
  for (size_t i = 1; i < seq.size(); ++i) {
    EXPECT_TRUE(CheckTransition(*seq[i].from, seq[i].to).ok());
  }
  o.exit_reason = "horizon";
  EXPECT_EQ(m.StateSequence(MakePattern(0.6), o).back().to, S::kExpired);
  o.label = 1;
  o.exit_reason = "target";
  EXPECT_EQ(m.StateSequence(MakePattern(0.6), o).back().to, S::kTargetHit);
  // Unresolved: stops at confirmed.
  EXPECT_EQ(m.StateSequence(MakePattern(0.6), Outcome{}).size(), 2u);
  // Rejected by the decision: detected -> rejected, nothing after.
  const auto rejected =
      m.StateSequence(MakePattern(0.2), o,
                      m.EvaluateWithRules(MakePattern(0.2), std::nullopt, {}));
  ASSERT_EQ(rejected.size(), 2u);
  EXPECT_EQ(rejected[1].to, S::kRejected);
}

}  // namespace
}  // namespace pcs

namespace pcs {
namespace {

TEST(ConfidenceBlenderTest, FeatureFlagFromEnvironment) {
  EXPECT_TRUE(ParseFeatureFlag("1"));
  EXPECT_TRUE(ParseFeatureFlag(" TRUE "));
  EXPECT_TRUE(ParseFeatureFlag("on"));
  EXPECT_FALSE(ParseFeatureFlag(""));
  EXPECT_FALSE(ParseFeatureFlag("0"));
  EXPECT_FALSE(ParseFeatureFlag("enabled?"));
}

}  // namespace
}  // namespace pcs
