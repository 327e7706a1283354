#include "core/bar.h"

#include <ctime>

#include "gtest/gtest.h"

namespace pcs {
namespace {

TEST(DayTest, KnownDates) {
  EXPECT_EQ(*ParseDay("1970-01-01"), 0);
  EXPECT_EQ(*ParseDay("1969-12-31"), -1);
  EXPECT_EQ(*ParseDay("2000-03-01"), 11017);
  EXPECT_EQ(*ParseDay("1900-01-01"), -25567);
  EXPECT_EQ(*ParseDay("2100-12-31"), 47846);
  EXPECT_EQ(FormatDay(-25567), "1900-01-01");
  EXPECT_EQ(FormatDay(11016), "2000-02-29");
  EXPECT_EQ(YearOf(-1), 1969);
  EXPECT_EQ(YearOf(11016), 2000);
}

// Every day from 1900 to 2100 against the C library's own calendar (timegm),
// and back through FormatDay.
TEST(DayTest, AgreesWithTimegmFor200Years) {
  for (Day day = -25567; day <= 47846; ++day) {
    const std::time_t t = static_cast<std::time_t>(day) * 86400;
    std::tm tm{};
    ASSERT_NE(gmtime_r(&t, &tm), nullptr);
    char text[16];
    std::strftime(text, sizeof(text), "%Y-%m-%d", &tm);
    ASSERT_EQ(FormatDay(day), text) << day;
    ASSERT_EQ(*ParseDay(text), day) << text;
    ASSERT_EQ(YearOf(day), tm.tm_year + 1900) << day;
  }
}

TEST(DayTest, RejectsDatesThatDoNotExist) {
  for (const char* text :
       {"2001-02-29", "1900-02-29", "2001-02-30", "2001-04-31", "2001-13-01",
        "2001-00-10", "2001-01-00", "2001-01-32", "2001-1-01", "20010101",
        "2001/01/01", "2001-01-0a", " 2001-01-01", ""}) {
    const absl::StatusOr<Day> day = ParseDay(text);
    ASSERT_FALSE(day.ok()) << text;
    EXPECT_NE(day.status().message().find(text), std::string::npos);
  }
  EXPECT_TRUE(ParseDay("2000-02-29").ok());
}

}  // namespace
}  // namespace pcs
