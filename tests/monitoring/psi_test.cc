#include "monitoring/psi.h"

#include <cmath>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pcs {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

BinReference Ref(std::vector<double> edges, std::vector<double> props,
                 double nan = 0) {
  // Aggregate init: assigning a literal to r.name trips GCC 12's -Wrestrict.
  return BinReference{std::string("f"), std::move(edges), std::move(props), nan,
                      0};
}

TEST(PsiTest, ClassifiesAtDocumentedThresholds) {
  EXPECT_EQ(ClassifyPsi(0.0), DriftLevel::kStable);
  EXPECT_EQ(ClassifyPsi(0.0999), DriftLevel::kStable);
  EXPECT_EQ(ClassifyPsi(0.1), DriftLevel::kModerate);
  EXPECT_EQ(ClassifyPsi(0.25), DriftLevel::kModerate);
  EXPECT_EQ(ClassifyPsi(0.2501), DriftLevel::kSignificant);
  EXPECT_EQ(DriftLevelName(DriftLevel::kSignificant), "significant");
}

TEST(PsiTest, BinIndexUsesRightClosedIntervals) {
  const std::vector<double> edges = {1, 2};
  EXPECT_EQ(BinIndex(edges, 0.5), 0);
  EXPECT_EQ(BinIndex(edges, 1.0), 0);  // (-inf,1]
  EXPECT_EQ(BinIndex(edges, 1.5), 1);
  EXPECT_EQ(BinIndex(edges, 2.0), 1);  // (1,2]
  EXPECT_EQ(BinIndex(edges, 7.0), 2);
}

TEST(PsiTest, IdenticalDistributionHasZeroPsi) {
  auto r = ComputePsi(Ref({1, 2}, {0.25, 0.5, 0.25}), {0.5, 1.5, 1.7, 3});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NEAR(r->psi, 0.0, 1e-12);
  EXPECT_EQ(r->level, DriftLevel::kStable);
}

TEST(PsiTest, HandComputedShift) {
  // expected (0.25, 0.5, 0.25), actual (0.25, 0.25, 0.5):
  // (0.25-0.5) ln(0.25/0.5) + (0.5-0.25) ln(0.5/0.25) = 0.5 ln 2.
  auto r = ComputePsi(Ref({1, 2}, {0.25, 0.5, 0.25}), {0.5, 1.5, 2.5, 2.5});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NEAR(r->psi, 0.34657359028, 1e-9);
  EXPECT_EQ(r->level, DriftLevel::kSignificant);
  ASSERT_EQ(r->bins.size(), 4u);  // three finite bins + NaN
  EXPECT_EQ(r->bins[0].label, "(-inf,1]");
  EXPECT_EQ(r->bins[3].label, "nan");
  EXPECT_DOUBLE_EQ(r->bins[2].actual, 0.5);
}

TEST(PsiTest, EmptyBinIsFlooredAtEpsilon) {
  // actual (0, 1) vs expected (0.5, 0.5), epsilon 1e-4:
  // (1e-4 - 0.5) ln(1e-4 / 0.5) + (1 - 0.5) ln 2 = 4.604318...
  auto r = ComputePsi(Ref({0}, {0.5, 0.5}), {1, 2, 3});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(std::isfinite(r->psi));
  EXPECT_NEAR(r->psi, 4.60431846667, 1e-9);
}

TEST(PsiTest, NaNIsItsOwnBin) {
  // expected (0.45, 0.45, nan 0.1), actual (0.25, 0.25, nan 0.5):
  // 2 * (0.25-0.45) ln(0.25/0.45) + (0.5-0.1) ln 5 = 0.878889...
  auto r = ComputePsi(Ref({0}, {0.45, 0.45}, 0.1), {-1, 1, kNaN, kNaN});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NEAR(r->psi, 0.87888983093, 1e-9);
  EXPECT_EQ(r->nan_count, 2);
  EXPECT_DOUBLE_EQ(r->bins.back().actual, 0.5);
}

TEST(PsiTest, BuildsDecileEdgesByLinearInterpolation) {
  std::vector<double> v;
  for (int i = 1; i <= 10; ++i) v.push_back(i);
  v.push_back(kNaN);
  v.push_back(kNaN);
  const BinReference ref = BuildBinReference("x", v);
  ASSERT_EQ(ref.edges.size(), 9u);
  EXPECT_NEAR(ref.edges[0], 1.9, 1e-12);
  EXPECT_NEAR(ref.edges[8], 9.1, 1e-12);
  for (double p : ref.proportions) EXPECT_NEAR(p, 1.0 / 12, 1e-12);
  EXPECT_NEAR(ref.nan_proportion, 2.0 / 12, 1e-12);
  EXPECT_TRUE(ValidateBinReference(ref).ok());
  // The reference sample against itself is perfectly stable.
  auto r = ComputePsi(ref, v);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->psi, 0.0, 1e-12);
}

TEST(PsiTest, TiedQuantilesCollapse) {
  const BinReference ref =
      BuildBinReference("flag", {0, 0, 0, 0, 0, 1, 1, 1, 1, 1});
  EXPECT_THAT(ref.edges, ::testing::ElementsAre(0.0, 0.5, 1.0));
  EXPECT_THAT(ref.proportions, ::testing::ElementsAre(0.5, 0.0, 0.5, 0.0));
}

TEST(PsiTest, RejectsBadInput) {
  EXPECT_FALSE(
      ComputePsi(Ref({1, 2}, {0.5, 0.5}), {1}).ok());  // wrong bin count
  EXPECT_FALSE(ComputePsi(Ref({2, 1}, {0.3, 0.3, 0.4}), {1}).ok());  // unsorted
  EXPECT_FALSE(ComputePsi(Ref({1}, {0.3, 0.3}), {1}).ok());  // sums to 0.6
  EXPECT_FALSE(ComputePsi(Ref({1}, {0.5, 0.5}), {}).ok());   // no values
  EXPECT_FALSE(ComputePsi(Ref({1}, {0.5, 0.5}), {1}, 0.0).ok());
}

TEST(PsiTest, JsonRoundTripAndAliases) {
  const BinReference ref = BuildBinReference("x", {1, 2, 3, 4, 5, kNaN});
  auto back = BinReferenceFromJson(BinReferenceToJson(ref));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->name, "x");
  EXPECT_EQ(back->edges, ref.edges);
  EXPECT_EQ(back->proportions, ref.proportions);
  EXPECT_DOUBLE_EQ(back->nan_proportion, ref.nan_proportion);

  auto alias = BinReferenceFromJson(nlohmann::json{{"bin_edges", {0.0}},
                                                   {"expected", {0.4, 0.4}},
                                                   {"nan_fraction", 0.2}},
                                    "named");
  ASSERT_TRUE(alias.ok()) << alias.status();
  EXPECT_EQ(alias->name, "named");
  EXPECT_DOUBLE_EQ(alias->nan_proportion, 0.2);

  EXPECT_FALSE(
      BinReferenceFromJson(nlohmann::json{{"edges", {0.0}}}, "y").ok());
  EXPECT_FALSE(
      BinReferenceFromJson(nlohmann::json{{"edges", "no"}, {"proportions", 1}})
          .ok());
}

}  // namespace
}  // namespace pcs
