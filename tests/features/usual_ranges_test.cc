#include "features/usual_ranges.h"

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "features/feature_builder.h"
#include "gtest/gtest.h"

namespace pcs {
namespace {

using features_internal::FeatureId;
using features_internal::kNumFeatures;

constexpr char kRegenerate[] =
    "the checked-in table features/usual_ranges_table.cc is stale: "
    "regenerate it with `build/cli/pcs usual-ranges --ingest-from "
    "../shared/data/ohlcv --out features/usual_ranges_table.cc`";

const UsualRangeEntry* Entry(const std::string& feature,
                             std::optional<PatternType> type) {
  for (const UsualRangeEntry& e : UsualRangesTable()) {
    if (e.feature == feature && e.type == type) return &e;
  }
  return nullptr;
}

// The table was generated for today's schema: same hash, every name in it
// is a schema feature, and every schema feature has its all-types range.
TEST(UsualRangesTest, TableMatchesTheFeatureSchema) {
  const FeatureSchema& schema = FeatureBuilder::Schema();
  EXPECT_EQ(UsualRangesSchemaHash(), schema.hash) << kRegenerate;
  const std::set<std::string> names(schema.names.begin(), schema.names.end());
  for (const UsualRangeEntry& e : UsualRangesTable()) {
    EXPECT_TRUE(names.count(e.feature)) << e.feature << ": " << kRegenerate;
    EXPECT_LE(e.low, e.high) << e.feature;
    EXPECT_GT(e.rows, 0) << e.feature;
  }
  for (const std::string& name : schema.names) {
    const UsualRangeEntry* all = Entry(name, std::nullopt);
    EXPECT_NE(all, nullptr) << name << " has no range: " << kRegenerate;
  }
}

// Every feature has a range for every pattern type: the type's own, from
// enough rows, or explicitly the all-types one when the table has fewer
// than kMinRowsForTypeRange values of that type.
TEST(UsualRangesTest, EveryFeatureHasARangeForEveryTypeOrFallsBack) {
  const auto& names = FeatureBuilder::Schema().names;
  ASSERT_EQ(static_cast<int>(names.size()), kNumFeatures);
  int own = 0;
  for (int f = 0; f < kNumFeatures; ++f) {
    for (int t = 0; t < kNumPatternTypes; ++t) {
      const auto type = static_cast<PatternType>(t);
      const std::optional<UsualRange> r =
          UsualRangeFor(static_cast<FeatureId>(f), type);
      ASSERT_TRUE(r.has_value()) << names[f] << ": " << kRegenerate;
      const UsualRangeEntry* typed = Entry(names[f], type);
      if (r->type.has_value()) {
        ++own;
        EXPECT_EQ(*r->type, type) << names[f];
        ASSERT_NE(typed, nullptr) << names[f];
        EXPECT_GE(r->rows, kMinRowsForTypeRange) << names[f];
        EXPECT_EQ(r->low, typed->low) << names[f];
        EXPECT_EQ(r->high, typed->high) << names[f];
      } else {
        EXPECT_TRUE(typed == nullptr || typed->rows < kMinRowsForTypeRange)
            << names[f] << " " << PatternTypeName(type)
            << " has its own range but the all-types one was used";
        const UsualRangeEntry* all = Entry(names[f], std::nullopt);
        ASSERT_NE(all, nullptr) << names[f];
        EXPECT_EQ(r->low, all->low) << names[f];
      }
    }
  }
  // Most (feature, type) pairs have their own range; a table computed
  // without types would fail here.
  EXPECT_GT(own, kNumFeatures * kNumPatternTypes / 2);
}

// The type's ranges differ where the patterns differ: a flag's formation
// is much shorter than a head and shoulders'.
TEST(UsualRangesTest, TypesHaveTheirOwnRanges) {
  const auto flag =
      UsualRangeFor(features_internal::kPatWidthBars, PatternType::kBullFlag);
  const auto hs = UsualRangeFor(features_internal::kPatWidthBars,
                                PatternType::kHeadAndShouldersTop);
  ASSERT_TRUE(flag.has_value() && hs.has_value());
  ASSERT_TRUE(flag->type.has_value() && hs->type.has_value());
  EXPECT_LT(flag->high, hs->low);
}

TEST(UsualRangesTest, WithoutATypeTheAllTypesRange) {
  const auto r =
      UsualRangeFor(features_internal::kPatTargetDistAtr, std::nullopt);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->type.has_value());
  EXPECT_EQ(r->low, Entry("pat_target_dist_atr", std::nullopt)->low);
}

// ComputeUsualRanges: 20th / 80th percentile with linear interpolation per
// type and over all types; NaN values are skipped, not counted.
TEST(UsualRangesTest, ComputesPercentilesPerTypeAndOverall) {
  std::vector<PatternType> types;
  std::vector<std::vector<float>> rows;
  for (int i = 0; i <= 10; ++i) {  // double tops: 0, 1, ..., 10
    types.push_back(PatternType::kDoubleTop);
    rows.emplace_back(kNumFeatures, static_cast<float>(i));
  }
  for (int i = 0; i <= 4; ++i) {  // bull flags: 100..104, one NaN
    types.push_back(PatternType::kBullFlag);
    rows.emplace_back(kNumFeatures,
                      i == 4 ? std::nanf("") : static_cast<float>(100 + i));
  }
  const std::vector<ComputedUsualRange> ranges =
      ComputeUsualRanges(types, rows);
  // Per feature: all types, double top, bull flag.
  ASSERT_EQ(static_cast<int>(ranges.size()), 3 * kNumFeatures);
  const ComputedUsualRange& all = ranges[0];
  EXPECT_EQ(all.feature, FeatureBuilder::Schema().names[0]);
  EXPECT_FALSE(all.type.has_value());
  EXPECT_EQ(all.rows, 15);
  EXPECT_DOUBLE_EQ(all.low, 2.8);  // 0.2 * 14 = 2.8 -> between 2 and 3
  EXPECT_DOUBLE_EQ(all.high, 100.2);
  const ComputedUsualRange& top = ranges[1];
  EXPECT_EQ(top.type, PatternType::kDoubleTop);
  EXPECT_EQ(top.rows, 11);
  EXPECT_DOUBLE_EQ(top.low, 2);
  EXPECT_DOUBLE_EQ(top.high, 8);
  const ComputedUsualRange& flag = ranges[2];
  EXPECT_EQ(flag.type, PatternType::kBullFlag);
  EXPECT_EQ(flag.rows, 4);
  EXPECT_DOUBLE_EQ(flag.low, 100.6);
  EXPECT_DOUBLE_EQ(flag.high, 102.4);
}

// The generated source names its command and holds one line per range.
TEST(UsualRangesTest, TableSourceIsWhatTheCheckedInFileLooksLike) {
  const std::vector<ComputedUsualRange> ranges = {
      {"pat_target_dist_atr", std::nullopt, 20000, 2.958, 6.296},
      {"pat_target_dist_atr", PatternType::kInverseHeadAndShoulders, 812, 1.5,
       3.25}};
  const std::string text =
      UsualRangesTableSource(ranges, {"  build/cli/pcs usual-ranges"});
  EXPECT_NE(text.find("// GENERATED by `pcs usual-ranges`"), std::string::npos);
  EXPECT_NE(text.find("//   build/cli/pcs usual-ranges\n"), std::string::npos);
  EXPECT_NE(text.find("{\"pat_target_dist_atr\", std::nullopt, 20000, 2.958, "
                      "6.296},"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("{\"pat_target_dist_atr\", "
                      "PatternType::kInverseHeadAndShoulders, 812, 1.5, "
                      "3.25},"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(FeatureBuilder::Schema().hash), std::string::npos);
}

}  // namespace
}  // namespace pcs
