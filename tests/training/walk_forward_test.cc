#include "training/walk_forward.h"

#include "gtest/gtest.h"

namespace pcs {
namespace {

TEST(WalkForwardTest, DefaultWindowsCover2010To2018WithEarlierValidation) {
  const WalkForwardOptions o = DefaultWalkForwardOptions();
  ASSERT_TRUE(ValidateWalkForwardOptions(o).ok());
  const std::vector<WalkForwardWindow> w = MakeWalkForwardWindows(o);
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(FormatDay(w[0].test_start), "2010-01-01");
  EXPECT_EQ(FormatDay(w[0].test_end), "2012-12-31");
  EXPECT_EQ(FormatDay(w[0].validation_start), "2007-01-01");
  EXPECT_EQ(FormatDay(w[0].split.train_end), "2006-12-31");
  EXPECT_EQ(FormatDay(w[0].split.valid_end), "2009-12-31");
  EXPECT_EQ(FormatDay(w[1].test_start), "2013-01-01");
  EXPECT_EQ(FormatDay(w[2].test_end), "2018-12-31");
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(w[i].is_test_fold);
    EXPECT_EQ(w[i].split.embargo_calendar_days, 14);
    if (i > 0) {
      EXPECT_EQ(w[i].test_start, w[i - 1].test_end + 1);  // consecutive
    }
  }
  // The final window: validation = the last 3 years, no test period.
  EXPECT_FALSE(w[3].is_test_fold);
  EXPECT_EQ(FormatDay(w[3].validation_start), "2016-01-01");
  EXPECT_EQ(FormatDay(w[3].split.valid_end), "2018-12-31");
}

TEST(WalkForwardTest, TestRowsAreNeverPurgedButEarlierBoundariesAre) {
  const WalkForwardWindow w =
      MakeWalkForwardWindows(DefaultWalkForwardOptions())[1];
  const Day test_start = w.test_start;
  // A validation row confirmed 20 days before the test start: label window
  // (60 calendar days) crosses into the test period -> purged.
  const Day c1 = test_start - 20;
  // A train row just before the validation start: purged as well.
  const Day c2 = w.validation_start - 10;
  // A test row on the last test day: kept whatever its label window.
  const Day c3 = w.test_end;
  std::vector<SplitKey> keys = {
      {c1, LabelEndDay(c1, -1, 40)},
      {c2, LabelEndDay(c2, -1, 40)},
      {c3, LabelEndDay(c3, -1, 40)},
      {w.validation_start - 200,
       LabelEndDay(w.validation_start - 200, -1, 40)}};
  SplitCounts counts;
  const std::vector<SplitPart> parts = AssignSplit(keys, w.split, &counts);
  EXPECT_EQ(parts[0], SplitPart::kPurged);
  EXPECT_EQ(parts[1], SplitPart::kPurged);
  EXPECT_EQ(parts[2], SplitPart::kHoldout);
  EXPECT_EQ(parts[3], SplitPart::kTrain);
  EXPECT_EQ(counts.purged_validation, 1);
  EXPECT_EQ(counts.purged_train, 1);
}

TEST(WalkForwardTest, RejectsBadOptionsAndMovesYears) {
  WalkForwardOptions o = DefaultWalkForwardOptions();
  o.test_starts = {};
  EXPECT_FALSE(ValidateWalkForwardOptions(o).ok());
  o = DefaultWalkForwardOptions();
  std::swap(o.test_starts[0], o.test_starts[1]);
  EXPECT_FALSE(ValidateWalkForwardOptions(o).ok());
  o = DefaultWalkForwardOptions();
  o.test_end = o.test_starts.back() - 1;
  EXPECT_FALSE(ValidateWalkForwardOptions(o).ok());
  o = DefaultWalkForwardOptions();
  o.validation_years = 0;
  EXPECT_FALSE(ValidateWalkForwardOptions(o).ok());
  EXPECT_EQ(FormatDay(AddYears(*ParseDay("2012-02-29"), -3)), "2009-02-28");
  EXPECT_EQ(FormatDay(AddYears(*ParseDay("2016-01-01"), -3)), "2013-01-01");
}

}  // namespace
}  // namespace pcs
