#ifndef PCS_FEATURES_USUAL_RANGES_H_
#define PCS_FEATURES_USUAL_RANGES_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "features/feature_list.h"
#include "lifecycle/pattern.h"

namespace pcs {

// Usual ranges: for each feature, the 20th to 80th percentile of its value
// over the stored patterns of each pattern type, and over all types. The
// reasons (features/feature_reasons.h) read them: "target 2.4 ATR away — far
// for a double top, usual 0.9 to 2.1 ATR".
//
// The table is features/usual_ranges_table.cc, generated from the shared
// data by `pcs usual-ranges` (the command and its data are named at the top
// of that file) with the one feature builder, and checked in; a test fails
// when it no longer matches FeatureBuilder::Schema() (regenerate it then).
//
// Thread-safe: constant tables, an index built once.
//
// Example:
//   std::optional<UsualRange> r =
//       UsualRangeFor(features_internal::kPatTargetDistAtr,
//                     PatternType::kDoubleTop);
//   // r->type == PatternType::kDoubleTop, r->low .. r->high

// One row of the table.
struct UsualRangeEntry {
  const char* feature;              // FeatureBuilder::Schema() name
  std::optional<PatternType> type;  // nullopt: all pattern types
  int rows;                         // non-NaN values the range comes from
  double low;                       // 20th percentile
  double high;                      // 80th percentile
};

// The generated table (features/usual_ranges_table.cc).
absl::Span<const UsualRangeEntry> UsualRangesTable();
// FeatureBuilder::Schema().hash when the table was generated.
std::string_view UsualRangesSchemaHash();

// A type's own range is used from this many non-NaN values on; below it the
// all-types range stands in.
inline constexpr int kMinRowsForTypeRange = 100;

struct UsualRange {
  double low = 0;
  double high = 0;
  int rows = 0;
  // The pattern type the range belongs to; nullopt when it is the
  // all-types range (no type given, or too few rows of that type).
  std::optional<PatternType> type;
};

// The range for feature `id` on a pattern of `type`: the type's own when the
// table has it from at least kMinRowsForTypeRange values, else the all-types
// one; nullopt only when the table lacks the feature altogether (a stale
// table, which tests/features/usual_ranges_test catches).
std::optional<UsualRange> UsualRangeFor(features_internal::FeatureId id,
                                        std::optional<PatternType> type);

// What `pcs usual-ranges` computes: one row per feature for all types, then
// one per (feature, type) with at least one non-NaN value. `types[i]` is the
// pattern type of `rows[i]`, a FeatureBuilder row (extra trailing columns
// are ignored). Percentiles interpolate linearly between order statistics
// and keep four significant digits.
struct ComputedUsualRange {
  std::string feature;
  std::optional<PatternType> type;
  int rows = 0;
  double low = 0;
  double high = 0;
};
std::vector<ComputedUsualRange> ComputeUsualRanges(
    absl::Span<const PatternType> types,
    absl::Span<const std::vector<float>> rows);

// The C++ source of features/usual_ranges_table.cc for `ranges`;
// `provenance` (one line per entry) goes into its header comment.
std::string UsualRangesTableSource(absl::Span<const ComputedUsualRange> ranges,
                                   absl::Span<const std::string> provenance);

}  // namespace pcs

#endif  // PCS_FEATURES_USUAL_RANGES_H_
