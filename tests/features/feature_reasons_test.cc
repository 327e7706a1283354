#include "features/feature_reasons.h"

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "features/feature_builder.h"
#include "features/usual_ranges.h"
#include "gtest/gtest.h"

namespace pcs {
namespace {

using features_internal::FeatureId;
using features_internal::kNumFeatures;

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Every feature of the schema has a template, and its sentence for a value,
// for NaN, for both signs and for every pattern type (and none) is complete
// (no placeholder left); a sentence with a usual range says whose range it
// is: the pattern type's or all types'.
TEST(FeatureReasonsTest, EveryFeatureHasATemplate) {
  const auto& names = FeatureBuilder::Schema().names;
  ASSERT_EQ(static_cast<int>(names.size()), kNumFeatures);
  std::vector<std::optional<PatternType>> types = {std::nullopt};
  for (int t = 0; t < kNumPatternTypes; ++t) {
    types.push_back(static_cast<PatternType>(t));
  }
  for (int i = 0; i < kNumFeatures; ++i) {
    const auto id = static_cast<FeatureId>(i);
    EXPECT_TRUE(HasReasonTemplate(id)) << names[i] << " has no reason template";
    for (const std::optional<PatternType>& type : types) {
      for (double value : {-1.0, 0.0, 0.5, 1.0, 3.0, std::nan("")}) {
        const std::string up = FeatureReasonByName(names[i], value, 0.1, type);
        const std::string down =
            FeatureReasonByName(names[i], value, -0.1, type);
        EXPECT_TRUE(EndsWith(up, "; raises confidence"))
            << names[i] << ": " << up;
        EXPECT_TRUE(EndsWith(down, "; lowers confidence"))
            << names[i] << ": " << down;
        EXPECT_FALSE(Contains(up, "{v}")) << names[i] << ": " << up;
        EXPECT_FALSE(Contains(up, "nan")) << names[i] << ": " << up;
        if (Contains(up, "usual")) {
          EXPECT_TRUE(Contains(up, " for a") ||
                      Contains(up, " across all pattern types"))
              << names[i] << ": " << up;
        }
      }
    }
  }
}

// The range is the pattern type's own: the same target distance is far
// for a double top and near for a symmetrical triangle (ranges from
// features/usual_ranges_table.cc; update the numbers here when it is
// regenerated).
TEST(FeatureReasonsTest, OutsideTheTypesUsualRangeSaysWhichSideForTheType) {
  EXPECT_EQ(FeatureReason(features_internal::kPatTargetDistAtr, 4.5, -0.21,
                          PatternType::kDoubleTop),
            "target 4.5 ATR away — far for a double top, usual 2.3 to 3.9 "
            "ATR; lowers confidence");
  EXPECT_EQ(FeatureReason(features_internal::kPatTargetDistAtr, 4.5, 0.1,
                          PatternType::kSymmetricalTriangle),
            "target 4.5 ATR away — near for a symmetrical triangle, usual 5.7 "
            "to 9.4 ATR; raises confidence");
  EXPECT_EQ(FeatureReason(features_internal::kPatTargetDistAtr, 2.4, -0.21,
                          PatternType::kBullFlag),
            "target 2.4 ATR away — near for a bull flag, usual 5.0 to 7.0 "
            "ATR; lowers confidence");
}

// The sentence is the one the range of the type gives, for every type.
TEST(FeatureReasonsTest, EachTypeReadsItsOwnRange) {
  for (int t = 0; t < kNumPatternTypes; ++t) {
    const auto type = static_cast<PatternType>(t);
    const std::optional<UsualRange> r =
        UsualRangeFor(features_internal::kPatWidthBars, type);
    ASSERT_TRUE(r.has_value() && r->type == type) << PatternTypeName(type);
    const std::string above =
        FeatureReason(features_internal::kPatWidthBars, r->high + 1, 0.1, type);
    const std::string noun =
        absl::StrReplaceAll(PatternTypeName(type), {{"_", " "}});
    EXPECT_TRUE(Contains(above, " — long for a")) << above;
    EXPECT_TRUE(Contains(above, absl::StrCat(noun, ", usual "))) << above;
    EXPECT_TRUE(Contains(above, absl::StrFormat("to %.0f bars", r->high)))
        << above;
  }
}

// Without a type (or with too few patterns of it) the all-types range
// stands in, and the sentence says so.
TEST(FeatureReasonsTest, WithoutATypeTheRangeIsAllTypes) {
  EXPECT_EQ(FeatureReason(features_internal::kPatTargetDistAtr, 7.9, -0.21,
                          std::nullopt),
            "target 7.9 ATR away — far, usual 2.9 to 6.2 ATR across all "
            "pattern types; lowers confidence");
}

// Double tops rarely have a breakout-side spread (9 in the table, fewer
// than kMinRowsForTypeRange): the all-types range stands in, said so.
TEST(FeatureReasonsTest, TooFewOfTheTypeTheRangeIsAllTypes) {
  EXPECT_EQ(FeatureReason(features_internal::kPatBoundarySpreadAtr, 5.0, -0.1,
                          PatternType::kDoubleTop),
            "breakout-side key points 5.0 ATR apart — uneven, usual 0.22 to "
            "2.1 ATR across all pattern types; lowers confidence");
}

TEST(FeatureReasonsTest, InsideTheUsualRange) {
  EXPECT_EQ(FeatureReason(features_internal::kVolumeBreakoutRatio, 1.25, 0.3,
                          PatternType::kRectangle),
            "breakout-day volume 1.2× the 20-day average, within the usual "
            "0.74× to 2.4× for a rectangle; raises confidence");
}

TEST(FeatureReasonsTest, FlagsReadAsWords) {
  const auto top = PatternType::kDoubleTop;
  EXPECT_EQ(FeatureReason(features_internal::kPatDoubleTop, 1, 0.2, top),
            "the pattern is a double top; raises confidence");
  EXPECT_EQ(FeatureReason(features_internal::kPatBullFlag, 0, -0.2, top),
            "the pattern is not a bull flag; lowers confidence");
  EXPECT_EQ(
      FeatureReason(features_internal::kPatAscendingTriangle, 0, -0.2, top),
      "the pattern is not an ascending triangle; lowers confidence");
  EXPECT_EQ(FeatureReason(features_internal::kPatDirection, -1, 0, top),
            "bearish pattern; no effect on confidence");
}

TEST(FeatureReasonsTest, MissingValueSaysWhy) {
  EXPECT_EQ(FeatureReason(features_internal::kPatTargetDistAtr, std::nan(""),
                          -0.1, PatternType::kDoubleTop),
            "target: no value here (ATR NaN); lowers confidence");
}

TEST(FeatureReasonsTest, UnknownNameHasNoReason) {
  EXPECT_EQ(FeatureReasonByName("not_a_feature", 1, 1, std::nullopt), "");
}

}  // namespace
}  // namespace pcs
