#ifndef PCS_FEATURES_FEATURE_CONTEXT_H_
#define PCS_FEATURES_FEATURE_CONTEXT_H_

// Internal to features/: the causal view one Build() call works on, and the
// per-category feature writers. Not part of the public API.

#include <vector>

#include "absl/types/span.h"
#include "core/bar.h"
#include "features/feature_list.h"
#include "lifecycle/pattern.h"

namespace pcs::features_internal {

// Indicators see at most this many bars ending at the confirmation bar.
inline constexpr int kIndicatorWindow = 300;

struct FeatureContext {
  const Pattern* pattern = nullptr;
  // The symbol's bars up to and including t (at most
  // FeatureBuilder::kHistoryBars): nothing after the confirmation bar exists
  // here.
  absl::Span<const Bar> history;
  // The last <= kIndicatorWindow bars of `history`; window.back() is bar t.
  absl::Span<const Bar> window;
  std::vector<double> closes;  // closes of `window`
  std::vector<double> atr14;   // Wilder ATR(14) over `window`
  int last = 0;                // index of bar t in `window` (= size - 1)
  double dir = 1;              // +1 bullish, -1 bearish
  double close = 0;            // close of bar t
  double atr = 0;              // ATR(14) at t (NaN if undefined or 0)
  // The market (DIA) bars with day <= t (at most kHistoryBars), empty when
  // absent or stale.
  absl::Span<const Bar> market;
};

// Output row in schema order; every entry starts as NaN.
using FeatureRow = double*;

// Index of the last bar with day <= `day` in `bars`, or -1.
int IndexAtOrBefore(absl::Span<const Bar> bars, Day day);
// x / y, NaN when y is 0 or either is NaN.
double SafeDiv(double x, double y);

// Computes every feature of `pattern` into `row` (kNumFeatures entries) from
// `history` (the symbol's readable bars, ending at the confirmation bar) and
// `market` (DIA bars up to the confirmation day; empty when absent).
void FillRow(const Pattern& pattern, absl::Span<const Bar> history,
             absl::Span<const Bar> market, FeatureRow row);

void AddPatternIdentity(const FeatureContext& ctx, FeatureRow row);
void AddPatternGeometry(const FeatureContext& ctx, FeatureRow row);
void AddPatternLevels(const FeatureContext& ctx, FeatureRow row);
void AddTrendFeatures(const FeatureContext& ctx, FeatureRow row);
void AddVolatilityFeatures(const FeatureContext& ctx, FeatureRow row);
void AddVolumeFeatures(const FeatureContext& ctx, FeatureRow row);
void AddMomentumFeatures(const FeatureContext& ctx, FeatureRow row);
void AddMarketFeatures(const FeatureContext& ctx, FeatureRow row);
void AddRuleFeatures(const FeatureContext& ctx, FeatureRow row);

}  // namespace pcs::features_internal

#endif  // PCS_FEATURES_FEATURE_CONTEXT_H_
