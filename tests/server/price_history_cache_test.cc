// PriceHistoryCache: loads only the feature window, merges overlapping
// windows, evicts by bytes, reloads after ttl, runs one load per symbol for
// concurrent misses. The loader here reads an in-memory series; the real one
// (the server's prepared bar query) is exercised by the service tests.
#include "server/price_history_cache.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace pcs {
namespace {

struct Call {
  std::string symbol;
  Day up_to;
  int limit;
};

// Bars on days 0..n-1 (one per day), close = day.
std::vector<Bar> Series(int n) {
  std::vector<Bar> bars;
  for (int d = 0; d < n; ++d) bars.push_back({d, 1, 1, 1, double(d), 1, 1});
  return bars;
}

class FakeStore {
 public:
  explicit FakeStore(int n) : bars_(Series(n)) {}
  PriceHistoryCache::Loader Loader() {
    return [this](const std::string& symbol, Day up_to, int limit,
                  absl::Time) -> absl::StatusOr<std::vector<Bar>> {
      calls.push_back({symbol, up_to, limit});
      std::vector<Bar> out;
      for (const Bar& b : bars_) {
        if (b.day <= up_to) out.push_back(b);
      }
      if (static_cast<int>(out.size()) > limit) {
        out.erase(out.begin(), out.end() - limit);
      }
      return out;
    };
  }
  std::vector<Call> calls;

 private:
  std::vector<Bar> bars_;
};

PriceHistoryCacheOptions Options(int history = 500) {
  PriceHistoryCacheOptions o;
  o.history_bars = history;
  o.max_bytes = size_t{1} << 30;
  o.ttl = absl::Hours(1);
  return o;
}

absl::Time Later() { return absl::Now() + absl::Seconds(10); }

TEST(PriceHistoryCacheTest, LoadsOnlyTheWindowUpToTheNeededDay) {
  FakeStore store(2000);
  PriceHistoryCache cache(Options(), store.Loader());
  bool loaded = false;
  auto bars = cache.Get("X", 1500, Later(), &loaded);
  ASSERT_TRUE(bars.ok()) << bars.status();
  EXPECT_TRUE(loaded);
  ASSERT_EQ(store.calls.size(), 1u);
  EXPECT_EQ(store.calls[0].up_to, 1500);
  EXPECT_EQ(store.calls[0].limit, 500);
  ASSERT_EQ((*bars)->bars.size(), 500u);
  EXPECT_EQ((*bars)->bars.front().day, 1001);
  EXPECT_EQ((*bars)->bars.back().day, 1500);
  // Any day inside with 500 bars of history cached is a hit.
  ASSERT_TRUE(cache.Get("X", 1500, Later(), &loaded).ok());
  EXPECT_FALSE(loaded);
  EXPECT_EQ(store.calls.size(), 1u);
}

TEST(PriceHistoryCacheTest, OlderDayInsideTheRunLoadsOnlyTheMissingBars) {
  FakeStore store(2000);
  PriceHistoryCache cache(Options(), store.Loader());
  ASSERT_TRUE(cache.Get("X", 1500, Later()).ok());
  auto bars = cache.Get("X", 1200, Later());  // needs 701..1200, has 1001..
  ASSERT_TRUE(bars.ok());
  ASSERT_EQ(store.calls.size(), 2u);
  EXPECT_EQ(store.calls[1].up_to, 1000);
  EXPECT_EQ(store.calls[1].limit, 300);
  EXPECT_EQ((*bars)->bars.front().day, 701);
  EXPECT_EQ((*bars)->bars.back().day, 1500);
  EXPECT_EQ((*bars)->bars.size(), 800u);
}

void ExpectContiguous(const BarSeries& s, Day front, Day back) {
  ASSERT_FALSE(s.bars.empty());
  EXPECT_EQ(s.bars.front().day, front);
  EXPECT_EQ(s.bars.back().day, back);
  for (size_t i = 1; i < s.bars.size(); ++i) {
    ASSERT_EQ(s.bars[i].day, s.bars[i - 1].day + 1) << i;
  }
}

TEST(PriceHistoryCacheTest, DaysAfterOrBeforeTheRunExtendItContiguously) {
  FakeStore store(3000);
  PriceHistoryCache cache(Options(), store.Loader());
  ASSERT_TRUE(cache.Get("X", 1500, Later()).ok());  // 1001..1500
  auto newer = cache.Get("X", 1700, Later());
  ASSERT_TRUE(newer.ok());
  EXPECT_EQ(store.calls.back().up_to, 1700);
  EXPECT_EQ(store.calls.back().limit, 201);  // 1500..1700: only the new bars
  ExpectContiguous(**newer, 1001, 1700);
  auto far = cache.Get("X", 2900, Later());  // 1,200 days past the run
  ASSERT_TRUE(far.ok());
  EXPECT_EQ(store.calls.back().limit, 1201);
  ExpectContiguous(**far, 1001, 2900);
  auto before = cache.Get("X", 600, Later());  // needs 101..600
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(store.calls.back().up_to, 1000);
  EXPECT_EQ(store.calls.back().limit, 500 + 401);
  ExpectContiguous(**before, 100, 2900);
  // Everything in between is now a hit.
  const size_t calls = store.calls.size();
  for (Day d : {700, 1200, 2000, 2899}) {
    ASSERT_TRUE(cache.Get("X", d, Later()).ok());
  }
  EXPECT_EQ(store.calls.size(), calls);
}

TEST(PriceHistoryCacheTest, ShortSeriesIsCoveredFromItsFirstBar) {
  FakeStore store(120);
  PriceHistoryCache cache(Options(), store.Loader());
  ASSERT_TRUE(cache.Get("X", 100, Later()).ok());
  bool loaded = true;
  auto bars = cache.Get("X", 50, Later(), &loaded);
  ASSERT_TRUE(bars.ok());
  EXPECT_FALSE(loaded);  // all bars up to day 100 are cached
  EXPECT_EQ(store.calls.size(), 1u);
}

TEST(PriceHistoryCacheTest, EvictsLeastRecentlyUsedByBytes) {
  FakeStore store(1000);
  PriceHistoryCacheOptions o = Options(100);
  o.max_bytes = 2 * (100 * sizeof(Bar) + 200);  // two windows of 100 bars
  PriceHistoryCache cache(o, store.Loader());
  ASSERT_TRUE(cache.Get("A", 500, Later()).ok());
  ASSERT_TRUE(cache.Get("B", 500, Later()).ok());
  ASSERT_TRUE(cache.Get("A", 500, Later()).ok());  // A is now most recent
  EXPECT_EQ(cache.size(), 2u);
  ASSERT_TRUE(cache.Get("C", 500, Later()).ok());  // evicts B
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_LE(cache.bytes(), o.max_bytes);
  bool loaded = false;
  ASSERT_TRUE(cache.Get("A", 500, Later(), &loaded).ok());
  EXPECT_FALSE(loaded);
  ASSERT_TRUE(cache.Get("B", 500, Later(), &loaded).ok());
  EXPECT_TRUE(loaded);
}

TEST(PriceHistoryCacheTest, ExpiredEntryIsReloaded) {
  FakeStore store(1000);
  PriceHistoryCacheOptions o = Options();
  o.ttl = absl::ZeroDuration();
  PriceHistoryCache cache(o, store.Loader());
  bool loaded = false;
  ASSERT_TRUE(cache.Get("X", 900, Later(), &loaded).ok());
  ASSERT_TRUE(cache.Get("X", 900, Later(), &loaded).ok());
  EXPECT_TRUE(loaded);
  EXPECT_EQ(store.calls.size(), 2u);
}

TEST(PriceHistoryCacheTest, ConcurrentMissesOnOneSymbolRunOneLoad) {
  std::atomic<int> loads{0};
  std::atomic<int> started{0};
  absl::Notification release;
  constexpr int kThreads = 8;
  PriceHistoryCache cache(Options(),
                          [&](const std::string&, Day up_to, int limit,
                              absl::Time) -> absl::StatusOr<std::vector<Bar>> {
                            ++loads;
                            release.WaitForNotification();
                            std::vector<Bar> out = Series(up_to + 1);
                            out.erase(out.begin(), out.end() - limit);
                            return out;
                          });
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      ++started;
      if (cache.Get("X", 900, Later()).ok()) ++ok;
    });
  }
  // Hold the load until every thread has entered Get (and the first load
  // has begun), so the others find the symbol's load in flight.
  const absl::Time until = absl::Now() + absl::Seconds(10);
  while ((started.load() < kThreads || loads.load() == 0) &&
         absl::Now() < until) {
    std::this_thread::yield();
  }
  release.Notify();
  for (auto& t : threads) t.join();
  EXPECT_EQ(loads.load(), 1);
  EXPECT_EQ(ok.load(), kThreads);
}

TEST(PriceHistoryCacheTest, WaiterGivesUpAtItsDeadline) {
  absl::Notification entered, release;
  PriceHistoryCache cache(Options(),
                          [&](const std::string&, Day up_to, int limit,
                              absl::Time) -> absl::StatusOr<std::vector<Bar>> {
                            entered.Notify();
                            release.WaitForNotification();
                            std::vector<Bar> out = Series(up_to + 1);
                            out.erase(out.begin(), out.end() - limit);
                            return out;
                          });
  std::thread first([&] { (void)cache.Get("X", 900, Later()); });
  entered.WaitForNotification();
  auto waited = cache.Get("X", 900, absl::Now() + absl::Milliseconds(50));
  EXPECT_EQ(waited.status().code(), absl::StatusCode::kDeadlineExceeded)
      << waited.status();
  release.Notify();
  first.join();
}

TEST(PriceHistoryCacheTest, LoaderErrorIsReturnedAndNothingCached) {
  int calls = 0;
  PriceHistoryCache cache(Options(),
                          [&](const std::string&, Day, int,
                              absl::Time) -> absl::StatusOr<std::vector<Bar>> {
                            ++calls;
                            return absl::UnavailableError("database down");
                          });
  EXPECT_EQ(cache.Get("X", 10, Later()).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(cache.Get("X", 10, Later()).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace pcs
