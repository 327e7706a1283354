#include "features/feature_reasons.h"

#include <cmath>
#include <string>

#include "features/feature_builder.h"
#include "gtest/gtest.h"

namespace pcs {
namespace {

using features_internal::FeatureId;
using features_internal::kNumFeatures;

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Every feature of the schema has a template, and its sentence for a value,
// for NaN and for both signs is complete (no placeholder left).
TEST(FeatureReasonsTest, EveryFeatureHasATemplate) {
  const auto& names = FeatureBuilder::Schema().names;
  ASSERT_EQ(static_cast<int>(names.size()), kNumFeatures);
  for (int i = 0; i < kNumFeatures; ++i) {
    const auto id = static_cast<FeatureId>(i);
    EXPECT_TRUE(HasReasonTemplate(id)) << names[i] << " has no reason template";
    for (double value : {-1.0, 0.0, 0.5, 1.0, 3.0, std::nan("")}) {
      const std::string up = FeatureReasonByName(names[i], value, 0.1);
      const std::string down = FeatureReasonByName(names[i], value, -0.1);
      EXPECT_TRUE(EndsWith(up, "; raises confidence"))
          << names[i] << ": " << up;
      EXPECT_TRUE(EndsWith(down, "; lowers confidence"))
          << names[i] << ": " << down;
      EXPECT_EQ(up.find("{v}"), std::string::npos) << names[i] << ": " << up;
      EXPECT_EQ(up.find("nan"), std::string::npos) << names[i] << ": " << up;
    }
  }
}

TEST(FeatureReasonsTest, OutsideTheUsualRangeSaysWhichSide) {
  EXPECT_EQ(
      FeatureReason(features_internal::kPatTargetDistAtr, 7.9, -0.21),
      "target 7.9 ATR away — far, usual 3.0 to 6.3 ATR; lowers confidence");
  EXPECT_EQ(FeatureReason(features_internal::kPatStopDistPct, 0.021, 0.05),
            "stop 2.1% away — tight, usual 3.7% to 14%; raises confidence");
}

TEST(FeatureReasonsTest, InsideTheUsualRange) {
  EXPECT_EQ(FeatureReason(features_internal::kVolumeBreakoutRatio, 1.25, 0.3),
            "breakout-day volume 1.2× the 20-day average, within the usual "
            "0.63× to 2.0×; raises confidence");
}

TEST(FeatureReasonsTest, FlagsReadAsWords) {
  EXPECT_EQ(FeatureReason(features_internal::kPatDoubleTop, 1, 0.2),
            "the pattern is a double top; raises confidence");
  EXPECT_EQ(FeatureReason(features_internal::kPatBullFlag, 0, -0.2),
            "the pattern is not a bull flag; lowers confidence");
  EXPECT_EQ(FeatureReason(features_internal::kPatDirection, -1, 0),
            "bearish pattern; no effect on confidence");
}

TEST(FeatureReasonsTest, MissingValueSaysWhy) {
  EXPECT_EQ(
      FeatureReason(features_internal::kPatTargetDistAtr, std::nan(""), -0.1),
      "target: no value here (ATR NaN); lowers confidence");
}

TEST(FeatureReasonsTest, UnknownNameHasNoReason) {
  EXPECT_EQ(FeatureReasonByName("not_a_feature", 1, 1), "");
}

}  // namespace
}  // namespace pcs
