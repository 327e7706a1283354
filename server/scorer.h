#ifndef PCS_SERVER_SCORER_H_
#define PCS_SERVER_SCORER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bar.h"
#include "features/feature_builder.h"
#include "lifecycle/confidence_blender.h"
#include "lifecycle/lifecycle_state.h"
#include "lifecycle/pattern.h"
#include "lifecycle/pattern_lifecycle_manager.h"
#include "server/servable_model.h"

namespace pcs {

// Microseconds per stage of one request (database: filled by the caller
// that fetched the inputs).
struct StageTimings {
  int64_t database_us = 0;
  int64_t features_us = 0;
  int64_t predict_us = 0;
  int64_t contributions_us = 0;
  int64_t total_us = 0;
};

struct Contribution {
  std::string feature;
  double value = 0;         // feature value (NaN = missing)
  double contribution = 0;  // log-odds
};

// The result of scoring one pattern.
struct ScoreResult {
  std::string pattern_id;
  Pattern pattern;
  LifecycleState state = LifecycleState::kConfirmed;  // stored state
  double rule_confidence = 0;
  std::optional<double> ml_confidence;
  double blended_confidence = 0;
  double ml_weight_used = 0;
  LifecycleDecisionKind decision = LifecycleDecisionKind::kReject;
  double decision_threshold = 0.5;
  std::string model_version;  // "" when no model was used
  FallbackReason fallback_reason = FallbackReason::kNone;  // kNone: ML used
  double margin = 0;
  double bias = 0;
  std::vector<Contribution> top_contributions;
  StageTimings timing;
  bool cache_hit = false;
  // PatternLifecycleManager::EvaluateWithRules's decision, the fields above
  // come from (Evaluate persists it through DecisionTransition).
  LifecycleDecision lifecycle;
};

// What one model version said about one pattern. Immutable once made: a
// confirmed pattern's features never change, so callers may cache it by
// (pattern id, model version).
struct ModelOutput {
  std::vector<float> features;
  double margin = 0;
  double probability = 0;             // calibrated
  std::vector<double> contributions;  // TreeSHAP, num_features + 1 (bias)
};

// Predict's outcome: the output, or why there is none.
struct Prediction {
  std::shared_ptr<const ModelOutput> output;  // null => fallback
  FallbackReason fallback = FallbackReason::kNone;
};

struct ScorerOptions {
  // ENABLE_PHASE5_CONFIDENCE: off => rule confidence only ("flag_off").
  bool phase5_enabled = false;
  // ML weight of the blend; nullopt => the model card's serving.blend_weight.
  std::optional<double> blend_weight = std::nullopt;
  // Top contributions returned when a request asks for 0.
  int default_top_k = 5;
};

// Scores a pattern from its bars; touches no database, no cache, no clock
// but the stage timers. Pattern + bars in; features (the one FeatureBuilder
// training uses), margin of the serving TreeEnsemble, calibrated
// probability, TreeSHAP top-k, the blend (BlendConfidence) and the lifecycle
// decision (PatternLifecycleManager at the card's threshold) out.
//
// Fallbacks (the answer carries the rule confidence, fallback_reason set):
//   flag_off              phase5_enabled is false;
//   no_model              no model is given;
//   features_unavailable  FeatureBuilder failed (e.g. no confirmation bar)
//                         or gave a row of the wrong width;
//   model_error           the model output was not a finite probability.
//
// Threading: const and thread-safe. Example:
//   Scorer scorer({.phase5_enabled = true});
//   ScoreResult r = scorer.Score(model.get(), pattern, state, bars, &dia, 5);
class Scorer {
 public:
  explicit Scorer(ScorerOptions options) : options_(options) {}

  // Everything in one call (ScoreInline, tests). `model` may be null.
  ScoreResult Score(const ServableModel* model, const Pattern& pattern,
                    LifecycleState state, const BarSeries& bars,
                    const BarSeries* market, int top_k) const;

  // The model half: features -> margin -> probability -> contributions;
  // fills the features/predict/contributions stage times of `timing`.
  Prediction Predict(const ServableModel& model, const Pattern& pattern,
                     const BarSeries& bars, const BarSeries* market,
                     StageTimings* timing) const;

  // The answer half: blend and decision from `prediction` (an output, or
  // the fallback it names) and the top `top_k` contributions. `model` null
  // => kNoModel / kFlagOff, whatever `prediction` says.
  ScoreResult Decide(const Pattern& pattern, LifecycleState state,
                     const ServableModel* model, const Prediction& prediction,
                     int top_k) const;

  const ScorerOptions& options() const { return options_; }

 private:
  void FillTopK(const ModelOutput& output, const ServableModel& model,
                int top_k, ScoreResult* result) const;

  const ScorerOptions options_;
  const FeatureBuilder builder_{};
};

}  // namespace pcs

#endif  // PCS_SERVER_SCORER_H_
