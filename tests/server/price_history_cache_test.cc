// PriceHistoryCache: loads only the feature window, merges overlapping
// windows, hands out exactly the bars loaded (compact storage is lossless),
// counts its bytes honestly and evicts by them, reloads after ttl, runs one
// load per symbol for concurrent misses. The loader here reads an in-memory
// series; the real one (the server's prepared bar query) is exercised by the
// service tests.
#include "server/price_history_cache.h"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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
  // The request gets its window; the cache keeps the merged run.
  EXPECT_EQ((*bars)->bars.front().day, 701);
  EXPECT_EQ((*bars)->bars.back().day, 1200);
  EXPECT_EQ((*bars)->bars.size(), 500u);
  auto run = cache.CachedRun("X");
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->front_day(), 701);
  EXPECT_EQ(run->back_day(), 1500);
  EXPECT_EQ(run->size(), 800);
}

void ExpectContiguous(const PriceHistoryCache& cache, Day front, Day back) {
  auto run = cache.CachedRun("X");
  ASSERT_NE(run, nullptr);
  ASSERT_FALSE(run->empty());
  EXPECT_EQ(run->front_day(), front);
  EXPECT_EQ(run->back_day(), back);
  for (int i = 1; i < run->size(); ++i) {
    ASSERT_EQ(run->day(i), run->day(i - 1) + 1) << i;
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
  ExpectContiguous(cache, 1001, 1700);
  auto far = cache.Get("X", 2900, Later());  // 1,200 days past the run
  ASSERT_TRUE(far.ok());
  EXPECT_EQ(store.calls.back().limit, 1201);
  ExpectContiguous(cache, 1001, 2900);
  EXPECT_EQ((*far)->bars.front().day, 2401);   // the window only
  auto before = cache.Get("X", 600, Later());  // needs 101..600
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(store.calls.back().up_to, 1000);
  EXPECT_EQ(store.calls.back().limit, 500 + 401);
  ExpectContiguous(cache, 100, 2900);
  // Everything in between is now a hit.
  const size_t calls = store.calls.size();
  for (Day d : {700, 1200, 2000, 2899}) {
    ASSERT_TRUE(cache.Get("X", d, Later()).ok());
  }
  EXPECT_EQ(store.calls.size(), calls);
}

// Bars with CSV-like prices (4 decimals, as strtod parses them).
std::vector<Bar> PricedSeries(int n) {
  std::vector<Bar> bars;
  char text[32];
  const auto parsed = [&](double x) {
    std::snprintf(text, sizeof(text), "%.4f", x);
    return std::strtod(text, nullptr);
  };
  for (int d = 0; d < n; ++d) {
    const double p = 50 + 10 * std::sin(d / 17.0) + d * 0.01;
    bars.push_back({d, parsed(p), parsed(p * 1.013), parsed(p * 0.987),
                    parsed(p * 1.001), parsed(p * 0.95), 1e6 + 37 * d});
  }
  return bars;
}

TEST(PriceHistoryCacheTest, HandsOutExactlyTheBarsLoadedIn28BytesABar) {
  const std::vector<Bar> all = PricedSeries(2000);
  PriceHistoryCache cache(
      Options(), [&](const std::string&, Day up_to, int limit, absl::Time) {
        std::vector<Bar> out(all.begin(), all.begin() + up_to + 1);
        if (static_cast<int>(out.size()) > limit) {
          out.erase(out.begin(), out.end() - limit);
        }
        return absl::StatusOr<std::vector<Bar>>(std::move(out));
      });
  ASSERT_TRUE(cache.Get("X", 1900, Later()).ok());
  auto window = cache.Get("X", 1200, Later());  // merged into one run
  ASSERT_TRUE(window.ok()) << window.status();
  ASSERT_EQ((*window)->bars.size(), 500u);
  EXPECT_EQ((*window)->symbol, "X");
  for (size_t i = 0; i < 500; ++i) {
    const Bar& got = (*window)->bars[i];
    const Bar& want = all[701 + i];
    ASSERT_EQ(got.day, want.day);
    // Bit for bit: == would let -0.0 pass for 0.0.
    ASSERT_EQ(got.day, want.day);
    for (double Bar::*f : {&Bar::open, &Bar::high, &Bar::low, &Bar::close,
                           &Bar::adj_close, &Bar::volume}) {
      EXPECT_EQ(std::memcmp(&(got.*f), &(want.*f), sizeof(double)), 0) << i;
    }
  }
  // The run holds days 700..1900 at 28 B a bar, plus the entry.
  auto run = cache.CachedRun("X");
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->size(), 1201);  // 700..1900
  EXPECT_EQ(run->raw_columns(), 0);
  EXPECT_EQ(cache.bytes(), PriceHistoryCacheOptions::kEntryOverheadBytes +
                               std::string("X").capacity() + run->bytes());
  EXPECT_LE(cache.bytes(), 1201 * CompactBarSeries::kBytesPerBar + 1024);
}

TEST(PriceHistoryCacheTest, DecodedSymbolsHandOutTheirWholeRun) {
  FakeStore store(2000);
  PriceHistoryCacheOptions o = Options();
  o.decoded_symbols = {"DIA"};
  PriceHistoryCache cache(o, store.Loader());
  auto first = cache.Get("DIA", 1500, Later());
  auto second = cache.Get("DIA", 1500, Later());
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->get(), second->get());  // the same decoded run, no copy
  EXPECT_EQ((*first)->bars.size(), 500u);
  // Its bytes count the decoded copy too.
  EXPECT_GE(cache.bytes(), 500 * sizeof(Bar) + 500 * 4 * 7);
  auto other = cache.Get("X", 1500, Later());
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->get(), cache.Get("X", 1500, Later())->get());  // windows
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
  const size_t one_window = PriceHistoryCacheOptions::kEntryOverheadBytes +
                            std::string("A").capacity() +
                            CompactBarSeries(Series(100)).bytes();
  o.max_bytes = 2 * one_window + one_window / 2;  // two windows of 100 bars
  PriceHistoryCache cache(o, store.Loader());
  ASSERT_TRUE(cache.Get("A", 500, Later()).ok());
  ASSERT_TRUE(cache.Get("B", 500, Later()).ok());
  ASSERT_TRUE(cache.Get("A", 500, Later()).ok());  // A is now most recent
  EXPECT_EQ(cache.size(), 2u);
  ASSERT_TRUE(cache.Get("C", 500, Later()).ok());  // evicts B
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.bytes(), 2 * one_window);
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
