#include "ingest/ohlcv_csv_reader.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util/shared_data.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kYahooHeader[] = "Date,Open,High,Low,Close,Adj Close,Volume\n";

class ReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("pcs-reader-test-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  // Reads a Yahoo file with `rows` after the header; expects success.
  CsvReadResult ReadRows(const std::string& rows) {
    auto r = ReadOhlcvCsv(Write("T.csv", kYahooHeader + rows));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : CsvReadResult{};
  }

  // Expects exactly one reject, on line 3 (after one good row), of `reason`.
  void ExpectSingleReject(const std::string& bad_row, const std::string& reason,
                          const std::string& detail_part) {
    const CsvReadResult r =
        ReadRows("2001-01-02,10,11,9,10.5,10.4,100\n" + bad_row + "\n");
    ASSERT_EQ(r.rejects.size(), 1u) << bad_row;
    EXPECT_EQ(r.rejects[0].reason, reason) << bad_row;
    EXPECT_EQ(r.rejects[0].line, 3);
    EXPECT_EQ(r.rejects[0].raw, bad_row);
    EXPECT_THAT(r.rejects[0].detail, HasSubstr(detail_part));
    EXPECT_EQ(r.rows_read, 2);
    EXPECT_EQ(r.series.bars.size(), 1u);
  }

  fs::path dir_;
};

TEST_F(ReaderTest, ReadsYahooFile) {
  auto r =
      ReadOhlcvCsv(Write("ABC.csv", std::string(kYahooHeader) +
                                        "2001-01-02,10,11,9,10.5,10.4,100\n"
                                        "2001-01-03,10.5,12,10,11,10.9,0\n"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->format, "yahoo");
  EXPECT_EQ(r->series.symbol, "ABC");
  EXPECT_EQ(r->rows_read, 2);
  EXPECT_TRUE(r->rejects.empty());
  EXPECT_EQ(r->zero_volume_rows, 1);
  ASSERT_EQ(r->series.bars.size(), 2u);
  const Bar& b = r->series.bars[0];
  EXPECT_EQ(b.day, *ParseDay("2001-01-02"));
  EXPECT_DOUBLE_EQ(b.open, 10);
  EXPECT_DOUBLE_EQ(b.high, 11);
  EXPECT_DOUBLE_EQ(b.low, 9);
  EXPECT_DOUBLE_EQ(b.close, 10.5);
  EXPECT_DOUBLE_EQ(b.adj_close, 10.4);
  EXPECT_DOUBLE_EQ(b.volume, 100);
}

TEST_F(ReaderTest, ReadsStooqFileWithCrlfAndSymbolOverride) {
  auto r = ReadOhlcvCsv(Write("x.csv",
                              "Date,Open,High,Low,Close,Volume\r\n"
                              "2001-01-02,10,11,9,10.5,100\r\n"),
                        "XYZ");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->format, "stooq");
  EXPECT_EQ(r->series.symbol, "XYZ");
  ASSERT_EQ(r->series.bars.size(), 1u);
  EXPECT_DOUBLE_EQ(r->series.bars[0].adj_close, 10.5);  // = close
  EXPECT_DOUBLE_EQ(r->series.bars[0].volume, 100);
}

TEST_F(ReaderTest, HeaderIsCaseInsensitiveInAnyOrder) {
  auto r = ReadOhlcvCsv(Write("y.csv",
                              "VOLUME, date ,CLOSE,low,High,OPEN,adj_close\n"
                              "7,2001-01-02,10.5,9,11,10,10.4\n"));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->series.bars.size(), 1u);
  EXPECT_DOUBLE_EQ(r->series.bars[0].open, 10);
  EXPECT_DOUBLE_EQ(r->series.bars[0].volume, 7);
  EXPECT_DOUBLE_EQ(r->series.bars[0].adj_close, 10.4);
}

TEST_F(ReaderTest, EmptyRow) {
  ExpectSingleReject("2001-09-11,,,,,,", "empty_row", "no values");
  ExpectSingleReject(",,,,,,", "empty_row", "all fields empty");
  ExpectSingleReject("2001-09-11,null,null,null,null,null,null", "empty_row",
                     "no values");
}

TEST_F(ReaderTest, PartlyEmptyRow) {
  ExpectSingleReject("2001-01-03,10,,9,10,10,5", "missing_field", "High");
}

TEST_F(ReaderTest, NonNumeric) {
  ExpectSingleReject("2001-01-03,10,abc,9,10,10,5", "non_numeric",
                     "High 'abc'");
  ExpectSingleReject("2001-01-03,10,11,9,10,10,5x", "non_numeric", "Volume");
  ExpectSingleReject("2001-01-03,10,inf,9,10,10,5", "non_numeric", "High");
}

TEST_F(ReaderTest, NonPositivePrice) {
  ExpectSingleReject("2001-01-03,0,11,9,10,10,5", "non_positive_price", "Open");
  ExpectSingleReject("2001-01-03,10,11,-9,10,10,5", "non_positive_price",
                     "Low");
}

TEST_F(ReaderTest, HighBelowLow) {
  ExpectSingleReject("2001-01-03,10,9,11,10,10,5", "high_lt_low", "High 9");
}

TEST_F(ReaderTest, OpenOrCloseOutsideRange) {
  ExpectSingleReject("2001-01-03,12,11,9,10,10,5", "open_close_outside_range",
                     "Open 12");
  ExpectSingleReject("2001-01-03,10,11,9,8.9,10,5", "open_close_outside_range",
                     "Close 8.9");
}

TEST_F(ReaderTest, RoundingWithinToleranceIsAccepted) {
  // Open 5e-6 (relative) above High: 6-significant-digit rounding.
  const CsvReadResult r = ReadRows("2001-01-03,1.000005,1,0.9,0.95,0.95,5\n");
  EXPECT_TRUE(r.rejects.empty());
  EXPECT_EQ(r.series.bars.size(), 1u);
}

TEST_F(ReaderTest, NegativeVolume) {
  ExpectSingleReject("2001-01-03,10,11,9,10,10,-5", "negative_volume", "-5");
}

TEST_F(ReaderTest, DuplicateDateKeepsFirst) {
  ExpectSingleReject("2001-01-02,10,11,9,10,10,5", "duplicate_date",
                     "already at line 2");
}

TEST_F(ReaderTest, DateOutOfOrder) {
  ExpectSingleReject("2001-01-01,10,11,9,10,10,5", "date_out_of_order",
                     "2001-01-01");
}

TEST_F(ReaderTest, BadDate) {
  ExpectSingleReject("2001-02-30,10,11,9,10,10,5", "bad_date", "2001-02-30");
  ExpectSingleReject("01/03/2001,10,11,9,10,10,5", "bad_date", "01/03/2001");
}

// Dates outside 1900-01-01 .. 2100-12-31 reject that row only: the rows
// after a year-9999 row still load (no "date_out_of_order" cascade).
TEST_F(ReaderTest, DateOutOfRangeRejectsThatRowOnly) {
  ExpectSingleReject("9999-01-03,10,11,9,10,10,5", "date_out_of_range",
                     "9999-01-03");
  ExpectSingleReject("0001-01-03,10,11,9,10,10,5", "date_out_of_range",
                     "0001-01-03");
  const CsvReadResult r = ReadRows(
      "2001-01-02,10,11,9,10.5,10.4,100\n"
      "9999-12-31,10,11,9,10.5,10.4,100\n"
      "2001-01-03,10,11,9,10.5,10.4,100\n"
      "2001-01-04,10,11,9,10.5,10.4,100\n");
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].line, 3);
  EXPECT_EQ(r.series.bars.size(), 3u);
}

// A line over kMaxCsvLineBytes is rejected (first 200 bytes kept); the rows
// around it load. The reader holds at most kMaxCsvLineBytes of a line.
TEST_F(ReaderTest, OverlongLineIsRejectedAndBounded) {
  const std::string huge =
      "2001-01-03," + std::string(10 * kMaxCsvLineBytes, '9');
  const CsvReadResult r = ReadRows("2001-01-02,10,11,9,10.5,10.4,100\n" + huge +
                                   "\n2001-01-04,10,11,9,10.5,10.4,100\n");
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].reason, "line_too_long");
  EXPECT_EQ(r.rejects[0].line, 3);
  EXPECT_EQ(r.rejects[0].raw.size(), 200u);
  EXPECT_EQ(r.series.bars.size(), 2u);
  // An overlong header refuses the file.
  auto header = ReadOhlcvCsv(
      Write("h.csv", std::string(kMaxCsvLineBytes + 1, 'a') + "\n"));
  ASSERT_FALSE(header.ok());
  EXPECT_THAT(std::string(header.status().message()), HasSubstr("longer than"));
}

TEST_F(ReaderTest, WrongFieldCount) {
  ExpectSingleReject("2001-01-03,10,11,9,10,5", "wrong_field_count",
                     "expected 7 fields, found 6");
}

TEST_F(ReaderTest, BlankLineInTheMiddle) {
  ExpectSingleReject("", "empty_row", "blank line");
}

TEST_F(ReaderTest, UnknownColumnIsFatal) {
  auto r =
      ReadOhlcvCsv(Write("u.csv", "Date,Open,High,Low,Close,Volume,Foo\n"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("unknown column 'Foo'"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("u.csv"));
}

TEST_F(ReaderTest, MissingColumnIsFatal) {
  auto r = ReadOhlcvCsv(Write("m.csv", "Date,Open,High,Low,Close\n"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("missing column 'Volume'"));
}

TEST_F(ReaderTest, NotACsvIsFatal) {
  auto binary = ReadOhlcvCsv(Write("b.csv", std::string("\x89PNG\0\0\x01", 7)));
  ASSERT_FALSE(binary.ok());
  EXPECT_THAT(std::string(binary.status().message()), HasSubstr("not a CSV"));
  auto prose = ReadOhlcvCsv(Write("p.csv", "hello world\nthis is text\n"));
  ASSERT_FALSE(prose.ok());
  EXPECT_THAT(std::string(prose.status().message()), HasSubstr("not a CSV"));
  auto empty = ReadOhlcvCsv(Write("e.csv", ""));
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(std::string(empty.status().message()), HasSubstr("empty file"));
}

TEST_F(ReaderTest, UnreadableFileIsFatal) {
  auto missing = ReadOhlcvCsv((dir_ / "nope.csv").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("nope.csv"));
  auto folder = ReadOhlcvCsv(dir_.string());
  ASSERT_FALSE(folder.ok());
  EXPECT_THAT(std::string(folder.status().message()), HasSubstr("directory"));
}

TEST(RealDataTest, AaplIsClean) {
  auto r = ReadOhlcvCsv(pcs::testing::SharedOhlcvFile("AAPL"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->format, "yahoo");
  EXPECT_EQ(r->series.symbol, "AAPL");
  EXPECT_EQ(r->rows_read, 4779);
  EXPECT_TRUE(r->rejects.empty());
  EXPECT_EQ(r->series.bars.size(), 4779u);
  EXPECT_EQ(FormatDay(r->series.bars.front().day), "2000-01-03");
  EXPECT_DOUBLE_EQ(r->series.bars.front().open, 0.936384);
  EXPECT_DOUBLE_EQ(r->series.bars.front().volume, 535796800);
}

TEST(RealDataTest, EmptyRowOn911IsRejected) {
  auto r = ReadOhlcvCsv(pcs::testing::SharedOhlcvFile("CLWT"));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->rejects.size(), 1u);
  EXPECT_EQ(r->rejects[0].reason, "empty_row");
  EXPECT_EQ(r->rejects[0].raw, "2001-09-11,,,,,,");
  EXPECT_EQ(r->series.bars.size() + 1, static_cast<size_t>(r->rows_read));
  for (size_t i = 1; i < r->series.bars.size(); ++i) {
    ASSERT_LT(r->series.bars[i - 1].day, r->series.bars[i].day);
  }
}

}  // namespace
}  // namespace pcs
