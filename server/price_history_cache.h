#ifndef PCS_SERVER_PRICE_HISTORY_CACHE_H_
#define PCS_SERVER_PRICE_HISTORY_CACHE_H_

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/bar.h"
#include "features/feature_builder.h"

namespace pcs {

struct PriceHistoryCacheOptions {
  // Bars a request needs, ending at its decision day: the feature builder's
  // declared lookback (features/feature_builder.h).
  int history_bars = FeatureBuilder::kHistoryBars;
  // Memory budget for cached bars (sizeof(Bar) per bar plus a small
  // per-symbol overhead). The default holds the recent window
  // (history_bars bars) of a 10,000-symbol universe: 10,000 x 500 x 56 B
  // = 280 MB at most; entries only take what they hold.
  size_t max_bytes = DefaultMaxBytes(10000);
  // An entry older than this is dropped and reloaded (bars corrected by a
  // later ingest are picked up within ttl).
  absl::Duration ttl = absl::Minutes(5);

  static constexpr size_t DefaultMaxBytes(size_t symbols) {
    return symbols * FeatureBuilder::kHistoryBars * sizeof(Bar);
  }
};

// Cache of the bars each symbol's requests need, sized by memory.
//
// A request for (symbol, day d) needs the last `history_bars` bars with
// day <= d (all of them when the symbol has fewer). An entry holds one
// contiguous run of the symbol's bars, and a miss loads only what the run
// lacks: the window up to d for a new symbol; the older bars d needs when d
// lies inside the run; the bars from the run's end up to d when d lies after
// it; the bars from d's window up to the run's start when d lies before it.
// So a symbol asked about on recent days holds about one window (and a new
// day's request loads the few new bars), and one asked about all over its
// history grows towards its full series, never loaded twice (bounded by the
// byte budget, least recently used entries evicted first).
//
// Invalidation: a request whose d lies after the cached run's last bar loads
// the window up to d (newly ingested bars are seen at once); entries older
// than `ttl` are reloaded. Bars after d are never read by the feature
// builder (causality), so what else an entry holds never changes a score.
//
// Single flight: concurrent misses on one symbol run one load; the others
// wait for it (until their deadline) and then use the entry it produced,
// loading again only when that still does not cover their day.
//
// Threading: thread-safe. The loader runs without the cache lock held.
//
// Example:
//   PriceHistoryCache cache({}, [&](const std::string& s, Day up_to,
//                                   int limit, absl::Time deadline) {
//     return LoadLastBars(conn, s, up_to, limit);  // ascending days
//   });
//   auto bars = cache.Get("AAPL", day, absl::Now() + absl::Seconds(1));
class PriceHistoryCache {
 public:
  // The last `limit` bars of `symbol` with day <= up_to, in increasing day
  // order (fewer when the symbol has fewer).
  using Loader = std::function<absl::StatusOr<std::vector<Bar>>(
      const std::string& symbol, Day up_to, int limit, absl::Time deadline)>;

  PriceHistoryCache(PriceHistoryCacheOptions options, Loader loader);

  // Bars of `symbol` holding the window the features of a pattern decided
  // on `needed_day` read. `loaded` (optional) is set when a load ran.
  // DeadlineExceeded when waiting for another thread's load outlasts
  // `deadline`; the loader's error otherwise.
  absl::StatusOr<std::shared_ptr<const BarSeries>> Get(
      const std::string& symbol, Day needed_day, absl::Time deadline,
      bool* loaded = nullptr) ABSL_LOCKS_EXCLUDED(mu_);

  // Makes `bars` (increasing days, contiguous: the symbol's last
  // bars.size() bars up to bars.back().day) the symbol's entry, replacing any;
  // `starts_at_first`: no older bar exists. What the start-up warm-up does.
  void Preload(const std::string& symbol, std::vector<Bar> bars,
               bool starts_at_first) ABSL_LOCKS_EXCLUDED(mu_);

  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);
  size_t bytes() const ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t loads() const ABSL_LOCKS_EXCLUDED(mu_);
  const PriceHistoryCacheOptions& options() const { return options_; }

 private:
  struct Entry {
    std::shared_ptr<const BarSeries> series;
    bool starts_at_first = false;  // no older bar exists in the database
    absl::Time loaded_at;
    size_t bytes = 0;
  };
  struct Flight {
    absl::Mutex mu;
    bool busy ABSL_GUARDED_BY(mu) = false;
  };
  using Order = std::list<std::pair<std::string, Entry>>;

  // The entry when it is fresh and covers `day`, else nullptr; bumps LRU.
  std::shared_ptr<const BarSeries> Lookup(const std::string& symbol, Day day,
                                          Entry* stale_or_partial)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::shared_ptr<const BarSeries>> Load(
      const std::string& symbol, Day day, const Entry& have,
      absl::Time deadline);
  void Put(const std::string& symbol, Entry entry) ABSL_LOCKS_EXCLUDED(mu_);
  bool Covers(const Entry& entry, Day day) const;

  const PriceHistoryCacheOptions options_;
  const Loader loader_;
  mutable absl::Mutex mu_;
  Order order_ ABSL_GUARDED_BY(mu_);  // most recently used first
  std::unordered_map<std::string, Order::iterator> index_ ABSL_GUARDED_BY(mu_);
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_
      ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t loads_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace pcs

#endif  // PCS_SERVER_PRICE_HISTORY_CACHE_H_
