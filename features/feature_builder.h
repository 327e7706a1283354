#ifndef PCS_FEATURES_FEATURE_BUILDER_H_
#define PCS_FEATURES_FEATURE_BUILDER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/bar.h"
#include "lifecycle/pattern.h"

namespace pcs {

// The versioned, ordered list of feature names. A model records the schema it
// was trained with (model_card.json "feature_schema"); the server refuses a
// model whose hash differs from FeatureBuilder::Schema().hash.
struct FeatureSchema {
  std::string version;             // "features-v1"
  std::vector<std::string> names;  // column order of Build()'s output
  std::string hash;                // hex SHA-256 of version + "\n" + names
                                   // joined by "\n"
};

// The one feature builder, shared by training (tens of thousands of patterns)
// and serving (one pattern per request). Every feature is normalised (ATR
// units, percentages, ratios, ranks) and signed by the pattern direction where
// it has one, so it is comparable across symbols, price levels and
// bullish/bearish patterns; no raw price, volume, date or symbol identity is a
// feature. The full list with definitions and NaN rules is docs/FEATURES.md
// (generated from features/feature_list.h).
//
// Causality: Build locates the confirmation bar and reads only bars with
// day <= pattern.confirmation_day (from both series), so adding, removing or
// changing later bars never changes the result.
//
// Bounded history: Build reads at most the last kHistoryBars bars of each
// series ending at the confirmation day (indicators use the last 300 of them,
// with Wilder/EMA recursions seeded at that window's start). A caller that
// passes at least kHistoryBars bars ending at the confirmation day therefore
// gets exactly the row training computed from the full series; with fewer,
// the long-lookback features become NaN.
//
// Missing values are NaN (too little history, undefined ratios, no market
// series), never zero. Cost: O(300 + formation length) per call, no
// allocation proportional to the full series.
//
// Threading: stateless; Build may be called concurrently from any thread.
//
// Example:
//   FeatureBuilder builder;
//   absl::StatusOr<std::vector<float>> row =
//       builder.Build(pattern, bars, &dia);
//   // row->size() == FeatureBuilder::Schema().names.size()
class FeatureBuilder {
 public:
  // Bars (per series) Build may read, ending at the confirmation bar. Serving
  // should load at least this many bars up to the confirmation day.
  static constexpr int kHistoryBars = 500;

  // Process-wide immutable schema (built once, thread-safe).
  static const FeatureSchema& Schema();

  // Features of `pattern` from `bars` (the symbol's series; only bars with
  // day <= pattern.confirmation_day are read) and `market` (DIA; may be
  // nullptr => market features NaN). Errors: NotFound when `bars` has no bar
  // on confirmation_day; InvalidArgument when the pattern's symbol differs
  // from a non-empty bars.symbol.
  absl::StatusOr<std::vector<float>> Build(const Pattern& pattern,
                                           const BarSeries& bars,
                                           const BarSeries* market) const;
};

}  // namespace pcs

#endif  // PCS_FEATURES_FEATURE_BUILDER_H_
