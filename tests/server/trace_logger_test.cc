// TraceLogger (bounded queue, batched INSERTs, drops counted) and the score
// cache of the scoring path, on a real PostgreSQL.
#include "server/trace_logger.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/lru_cache.h"
#include "server/metrics_registry.h"
#include "tests/server/server_test_env.h"

namespace pcs {
namespace {

using ::pcs::testing::Seeded;
using ::pcs::testing::TraceRows;
using ::testing::HasSubstr;

TraceRecord Record(const std::string& id) {
  TraceRecord r;
  r.pattern_id = id;
  r.state = "confirmed";
  r.event_date = "2010-01-04";
  r.rule_confidence = 0.123456789012345;
  r.blended_confidence = 0.5;
  r.reason = "test";
  return r;
}

TEST(TraceLoggerTest, WritesEverythingQueuedBeforeShutdown) {
  const std::string& conninfo = Seeded().conninfo;
  MetricsRegistry metrics;
  const int64_t before = TraceRows(conninfo);
  auto logger = TraceLogger::Create(
      {.conninfo = conninfo, .batch_size = 7, .metrics = &metrics});
  ASSERT_TRUE(logger.ok());
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE((*logger)->Log(Record(Seeded().pattern_ids[i % 5])));
  }
  (*logger)->Shutdown();
  EXPECT_EQ((*logger)->written(), 50);
  EXPECT_EQ((*logger)->dropped(), 0);
  EXPECT_EQ(TraceRows(conninfo), before + 50);
  EXPECT_FALSE((*logger)->Log(Record(Seeded().pattern_ids[0])));  // stopped
  EXPECT_EQ((*logger)->dropped(), 1);
  EXPECT_THAT(metrics.Render(), HasSubstr("pcs_trace_written_total 50\n"));
  EXPECT_THAT(metrics.Render(), HasSubstr("pcs_trace_dropped_total 1\n"));
}

TEST(TraceLoggerTest, FullQueueDropsInsteadOfBlocking) {
  const std::string& conninfo = Seeded().conninfo;
  auto logger = TraceLogger::Create({.conninfo = conninfo,
                                     .max_queue = 3,
                                     .batch_size = 1000,
                                     .flush_interval = absl::Seconds(30)});
  ASSERT_TRUE(logger.ok());
  int accepted = 0;
  for (int i = 0; i < 10; ++i) {
    accepted += (*logger)->Log(Record(Seeded().pattern_ids[0])) ? 1 : 0;
  }
  EXPECT_EQ(accepted, 3);
  EXPECT_EQ((*logger)->dropped(), 7);
  (*logger)->Shutdown();
  EXPECT_EQ((*logger)->written(), 3);
}

TEST(TraceLoggerTest, TraceOfUnknownPatternIsDroppedNotItsBatch) {
  // No foreign key since migrations/0008: the INSERT leaves the unknown id
  // out and writes the rest of the batch.
  const std::string& conninfo = Seeded().conninfo;
  const int64_t before = TraceRows(conninfo);
  MetricsRegistry metrics;
  auto logger =
      TraceLogger::Create({.conninfo = conninfo, .metrics = &metrics});
  ASSERT_TRUE(logger.ok());
  (*logger)->Log(Record(Seeded().pattern_ids[0]));
  (*logger)->Log(Record("00000000deadbeef"));
  (*logger)->Log(Record(Seeded().pattern_ids[1]));
  (*logger)->Flush();
  EXPECT_EQ((*logger)->dropped(), 1);
  EXPECT_EQ((*logger)->written(), 2);
  EXPECT_EQ(TraceRows(conninfo), before + 2);
  EXPECT_THAT(metrics.Render(), HasSubstr("pcs_trace_dropped_total 1\n"));
}

TEST(TraceLoggerTest, FailedBatchIsCountedAsDropped) {
  // A database that cannot be reached fails the batch whole.
  auto logger = TraceLogger::Create(
      {.conninfo = "host=127.0.0.1 port=1 dbname=none connect_timeout=1"});
  ASSERT_TRUE(logger.ok());
  (*logger)->Log(Record(Seeded().pattern_ids[0]));
  (*logger)->Log(Record(Seeded().pattern_ids[1]));
  (*logger)->Flush();
  EXPECT_EQ((*logger)->dropped(), 2);
  EXPECT_EQ((*logger)->written(), 0);
}

TEST(LruCacheTest, EvictsLeastRecentlyUsed) {
  LruCache<int, int> cache(2);
  cache.Put(1, std::make_shared<int>(10));
  cache.Put(2, std::make_shared<int>(20));
  ASSERT_NE(cache.Get(1), nullptr);  // 1 is now the most recent
  cache.Put(3, std::make_shared<int>(30));
  EXPECT_EQ(cache.Get(2), nullptr);
  EXPECT_EQ(*cache.Get(1), 10);
  EXPECT_EQ(*cache.Get(3), 30);
  EXPECT_EQ(cache.size(), 2u);
  LruCache<int, int> off(0);
  off.Put(1, std::make_shared<int>(1));
  EXPECT_EQ(off.Get(1), nullptr);
}

}  // namespace
}  // namespace pcs
