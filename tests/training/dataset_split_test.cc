#include "training/dataset_split.h"

#include <vector>

#include "gtest/gtest.h"

namespace pcs {
namespace {

Day D(const char* s) { return *ParseDay(s); }

TEST(DatasetSplitTest, DefaultsMatchTheDocumentedDates) {
  const SplitOptions o = DefaultSplitOptions();
  EXPECT_EQ(FormatDay(o.train_end), "2012-12-31");
  EXPECT_EQ(FormatDay(o.valid_end), "2015-12-31");
  EXPECT_EQ(FormatDay(o.holdout_end), "2018-12-31");
  EXPECT_EQ(o.embargo_calendar_days, 14);
  EXPECT_TRUE(ValidateSplitOptions(o).ok());
}

TEST(DatasetSplitTest, RejectsMisorderedDates) {
  SplitOptions o = DefaultSplitOptions();
  o.valid_end = o.train_end;
  EXPECT_FALSE(ValidateSplitOptions(o).ok());
  o = DefaultSplitOptions();
  o.embargo_calendar_days = -1;
  EXPECT_FALSE(ValidateSplitOptions(o).ok());
}

TEST(DatasetSplitTest, LabelEndIsTheLaterOfResolutionAndHorizon) {
  const Day c = D("2012-01-02");
  // 40 bars -> 56 calendar days + 4 slack = 60.
  EXPECT_EQ(LabelEndDay(c, c + 3, 40), c + 60);
  EXPECT_EQ(LabelEndDay(c, c + 90, 40), c + 90);
  EXPECT_EQ(LabelEndDay(c, -1, 40), c + 60);
}

TEST(DatasetSplitTest, AssignsPeriodsAndPurgesAtTheBoundaries) {
  const SplitOptions o = DefaultSplitOptions();
  std::vector<SplitKey> keys = {
      // Comfortably inside train.
      {D("2010-06-01"), D("2010-08-01")},
      // Train event whose label ends exactly embargo days before train_end:
      // kept.
      {D("2012-10-01"), D("2012-12-17")},
      // One day later: the embargo reaches into validation -> purged.
      {D("2012-10-01"), D("2012-12-18")},
      // Confirmed on the last train day: its label runs into 2013 -> purged.
      {D("2012-12-31"), D("2013-03-01")},
      // First validation day, resolved early.
      {D("2013-01-01"), D("2013-03-02")},
      // Validation event whose label crosses into the holdout -> purged.
      {D("2015-12-01"), D("2016-01-31")},
      // Validation event resolved + embargo exactly on valid_end: kept.
      {D("2015-10-01"), D("2015-12-17")},
      // First and last holdout day: never purged.
      {D("2016-01-01"), D("2016-03-01")},
      {D("2018-12-31"), D("2019-03-01")},
      // After the holdout.
      {D("2019-01-01"), D("2019-03-01")},
  };
  SplitCounts counts;
  const std::vector<SplitPart> parts = AssignSplit(keys, o, &counts);
  const std::vector<SplitPart> expected = {
      SplitPart::kTrain,      SplitPart::kTrain,      SplitPart::kPurged,
      SplitPart::kPurged,     SplitPart::kValidation, SplitPart::kPurged,
      SplitPart::kValidation, SplitPart::kHoldout,    SplitPart::kHoldout,
      SplitPart::kOutOfRange};
  EXPECT_EQ(parts, expected);
  EXPECT_EQ(counts.train, 2);
  EXPECT_EQ(counts.purged_train, 2);
  EXPECT_EQ(counts.validation, 2);
  EXPECT_EQ(counts.purged_validation, 1);
  EXPECT_EQ(counts.holdout, 2);
  EXPECT_EQ(counts.out_of_range, 1);
}

TEST(DatasetSplitTest, ZeroEmbargoOnlyPurgesOverlappingLabels) {
  SplitOptions o = DefaultSplitOptions();
  o.embargo_calendar_days = 0;
  const std::vector<SplitKey> keys = {{D("2012-10-01"), D("2012-12-31")},
                                      {D("2012-10-01"), D("2013-01-01")}};
  const std::vector<SplitPart> parts = AssignSplit(keys, o);
  EXPECT_EQ(parts[0], SplitPart::kTrain);
  EXPECT_EQ(parts[1], SplitPart::kPurged);
}

TEST(DatasetSplitTest, ConfigurableDates) {
  SplitOptions o;
  o.train_end = D("2005-12-31");
  o.valid_end = D("2006-12-31");
  o.holdout_end = D("2007-12-31");
  o.embargo_calendar_days = 14;
  ASSERT_TRUE(ValidateSplitOptions(o).ok());
  const std::vector<SplitPart> parts =
      AssignSplit({{D("2006-03-01"), D("2006-05-01")},
                   {D("2007-03-01"), D("2007-05-01")},
                   {D("2008-03-01"), D("2008-05-01")}},
                  o);
  EXPECT_EQ(parts[0], SplitPart::kValidation);
  EXPECT_EQ(parts[1], SplitPart::kHoldout);
  EXPECT_EQ(parts[2], SplitPart::kOutOfRange);
}

}  // namespace
}  // namespace pcs
