#ifndef PCS_SERVER_PRICE_HISTORY_CACHE_H_
#define PCS_SERVER_PRICE_HISTORY_CACHE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lifecycle/bar.h"
#include "server/lru_cache.h"

namespace pcs {

// Bounded cache of each symbol's daily bars (the full series as loaded).
//
// Invalidation: an entry is reloaded when (a) it is older than `ttl` (new
// bars ingested since are picked up within ttl), or (b) a request needs a
// day after the cached series' last bar (a pattern confirmed on a newer bar
// forces a reload at once). A stale entry can therefore only lack bars after
// every requested confirmation day, which FeatureBuilder never reads
// (causality), so a cached series never changes a score.
//
// Threading: thread-safe. Two threads missing the same symbol at once may
// both load it (the later Put wins); harmless and avoids holding a lock
// across a database query.
class PriceHistoryCache {
 public:
  using Loader = std::function<absl::StatusOr<BarSeries>(const std::string&)>;

  PriceHistoryCache(size_t max_symbols, absl::Duration ttl)
      : cache_(max_symbols), ttl_(ttl) {}

  // The bars of `symbol`, covering `needed_day` when the database has it.
  // `loaded` is set to true when `load` ran (a miss).
  absl::StatusOr<std::shared_ptr<const BarSeries>> Get(
      const std::string& symbol, Day needed_day, const Loader& load,
      bool* loaded);

  size_t size() const { return cache_.size(); }

 private:
  struct Entry {
    std::shared_ptr<const BarSeries> series;
    absl::Time loaded_at;
  };
  LruCache<std::string, Entry> cache_;
  const absl::Duration ttl_;
};

}  // namespace pcs

#endif  // PCS_SERVER_PRICE_HISTORY_CACHE_H_
