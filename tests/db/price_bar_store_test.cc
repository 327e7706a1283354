#include "db/price_bar_store.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "tests/test_util/test_database.h"

namespace pcs {
namespace {

using ::pcs::testing::TestDatabase;
using ::testing::ElementsAre;

class PriceBarStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = std::make_unique<pqxx::connection>(TestDatabase::FreshDatabase());
    pqxx::work tx(*conn_);
    tx.exec0(
        "INSERT INTO price_bars (symbol, day, open, high, low, close, "
        "adj_close, volume) VALUES "
        "('BBB', '2001-01-03', 2, 3, 1, 2.5, 2.4, 100),"
        "('AAA', '2001-01-02', 10, 11, 9, 10.5, 10.4, 0),"
        "('AAA', '2001-01-04', 11, 12, 10, 11.5, 11.4, 300),"
        "('AAA', '2001-01-03', 10.5, 11.5, 9.5, 11, 10.9, 200)");
    tx.commit();
  }
  std::unique_ptr<pqxx::connection> conn_;
};

TEST_F(PriceBarStoreTest, LoadsInDayOrder) {
  auto series = LoadBarSeries(*conn_, "AAA");
  ASSERT_TRUE(series.ok()) << series.status();
  EXPECT_EQ(series->symbol, "AAA");
  ASSERT_EQ(series->bars.size(), 3u);
  EXPECT_EQ(series->bars[0].day, *ParseDay("2001-01-02"));
  EXPECT_EQ(series->bars[1].day, *ParseDay("2001-01-03"));
  EXPECT_EQ(series->bars[2].day, *ParseDay("2001-01-04"));
  EXPECT_DOUBLE_EQ(series->bars[1].open, 10.5);
  EXPECT_DOUBLE_EQ(series->bars[1].high, 11.5);
  EXPECT_DOUBLE_EQ(series->bars[1].low, 9.5);
  EXPECT_DOUBLE_EQ(series->bars[1].close, 11);
  EXPECT_DOUBLE_EQ(series->bars[1].adj_close, 10.9);
  EXPECT_DOUBLE_EQ(series->bars[1].volume, 200);
}

TEST_F(PriceBarStoreTest, RangeBoundsAreInclusive) {
  auto series = LoadBarSeries(*conn_, "AAA", *ParseDay("2001-01-03"),
                              *ParseDay("2001-01-03"));
  ASSERT_TRUE(series.ok());
  ASSERT_EQ(series->bars.size(), 1u);
  EXPECT_EQ(series->bars[0].day, *ParseDay("2001-01-03"));
  auto from_only = LoadBarSeries(*conn_, "AAA", *ParseDay("2001-01-03"));
  ASSERT_TRUE(from_only.ok());
  EXPECT_EQ(from_only->bars.size(), 2u);
  auto empty = LoadBarSeries(*conn_, "AAA", *ParseDay("2005-01-01"));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->bars.empty());
}

TEST_F(PriceBarStoreTest, UnknownSymbolIsNotFound) {
  auto series = LoadBarSeries(*conn_, "ZZZ");
  ASSERT_FALSE(series.ok());
  EXPECT_EQ(series.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(PriceBarStoreTest, ListsSymbolsSorted) {
  auto symbols = ListSymbols(*conn_);
  ASSERT_TRUE(symbols.ok()) << symbols.status();
  EXPECT_THAT(*symbols, ElementsAre("AAA", "BBB"));
}

}  // namespace
}  // namespace pcs
