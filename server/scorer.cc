#include "server/scorer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <utility>

namespace pcs {
namespace {

int64_t MicrosSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

ScoreResult Scorer::Score(const ServableModel* model, const Pattern& pattern,
                          LifecycleState state, const BarSeries& bars,
                          const BarSeries* market, int top_k) const {
  StageTimings timing;
  Prediction prediction;
  if (options_.phase5_enabled && model != nullptr) {
    prediction = Predict(*model, pattern, bars, market, &timing);
  }
  ScoreResult result = Decide(pattern, state, model, prediction, top_k);
  result.timing = timing;
  return result;
}

Prediction Scorer::Predict(const ServableModel& model, const Pattern& pattern,
                           const BarSeries& bars, const BarSeries* market,
                           StageTimings* timing) const {
  auto stage = std::chrono::steady_clock::now();
  absl::StatusOr<std::vector<float>> features =
      builder_.Build(pattern, bars, market);
  timing->features_us += MicrosSince(stage);
  if (!features.ok() ||
      static_cast<int>(features->size()) != model.ensemble.num_features()) {
    return {nullptr, FallbackReason::kFeaturesUnavailable};
  }
  auto output = std::make_shared<ModelOutput>();
  output->features = std::move(*features);
  stage = std::chrono::steady_clock::now();
  output->margin = model.ensemble.PredictMargin(output->features.data());
  output->probability = model.Probability(output->margin);
  timing->predict_us += MicrosSince(stage);
  if (!std::isfinite(output->probability) || output->probability < 0 ||
      output->probability > 1) {
    return {nullptr, FallbackReason::kModelError};
  }
  stage = std::chrono::steady_clock::now();
  output->contributions.resize(model.ensemble.num_features() + 1);
  model.ensemble.Contributions(output->features.data(),
                               output->contributions.data());
  timing->contributions_us += MicrosSince(stage);
  return {std::move(output), FallbackReason::kNone};
}

ScoreResult Scorer::Decide(const Pattern& pattern, LifecycleState state,
                           const ServableModel* model,
                           const Prediction& prediction, int top_k) const {
  FallbackReason reason = prediction.fallback;
  if (!options_.phase5_enabled) {
    reason = FallbackReason::kFlagOff;
  } else if (model == nullptr) {
    reason = FallbackReason::kNoModel;
  } else if (prediction.output == nullptr && reason == FallbackReason::kNone) {
    reason = FallbackReason::kNoModel;
  }
  const bool use_ml = reason == FallbackReason::kNone;
  ScoreResult result;
  std::optional<double> ml;
  if (use_ml) {
    ml = prediction.output->probability;
    FillTopK(*prediction.output, *model, top_k, &result);
  }
  // Fallbacks decide at the rule threshold with the default blend weight.
  const double threshold =
      use_ml ? model->decision_threshold : kDefaultRuleDecisionThreshold;
  const PatternLifecycleManager manager({.decision_threshold = threshold});
  const BlendOptions blend{
      .enabled = options_.phase5_enabled,
      .ml_weight =
          options_.blend_weight.value_or(use_ml ? model->blend_weight : 0.5),
      .policy_from_card = !use_ml || model->policy_from_card};
  LifecycleDecision d = manager.EvaluateWithRules(pattern, ml, blend, reason);
  result.pattern = pattern;
  result.state = state;
  result.rule_confidence = d.rule_confidence;
  result.ml_confidence = ml;
  result.blended_confidence = d.blended_confidence;
  result.ml_weight_used = d.ml_weight;
  result.decision = d.decision;
  result.decision_threshold = threshold;
  result.fallback_reason = d.fallback_reason;
  // kNoPolicy: the model was used (by the pre-policy default).
  result.model_version =
      use_ml && (d.fallback_reason == FallbackReason::kNone ||
                 d.fallback_reason == FallbackReason::kNoPolicy)
          ? model->version
          : "";
  result.lifecycle = d;
  return result;
}

void Scorer::FillTopK(const ModelOutput& output, const ServableModel& model,
                      int top_k, ScoreResult* result) const {
  const int n = model.ensemble.num_features();
  if (top_k <= 0) top_k = options_.default_top_k;
  top_k = std::min(top_k, n);
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + top_k, order.end(),
                    [&](int a, int b) {
                      return std::abs(output.contributions[a]) >
                             std::abs(output.contributions[b]);
                    });
  result->top_contributions.clear();
  for (int i = 0; i < top_k; ++i) {
    const int f = order[i];
    result->top_contributions.push_back(
        {model.feature_names[f], output.features[f], output.contributions[f]});
  }
  result->margin = output.margin;
  result->bias = output.contributions[n];
}

}  // namespace pcs
