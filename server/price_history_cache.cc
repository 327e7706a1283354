#include "server/price_history_cache.h"

namespace pcs {

absl::StatusOr<std::shared_ptr<const BarSeries>> PriceHistoryCache::Get(
    const std::string& symbol, Day needed_day, const Loader& load,
    bool* loaded) {
  *loaded = false;
  if (auto hit = cache_.Get(symbol)) {
    const BarSeries& bars = *hit->series;
    bool fresh = absl::Now() - hit->loaded_at < ttl_;
    bool covers = !bars.bars.empty() && bars.bars.back().day >= needed_day;
    if (fresh && covers) return hit->series;
  }
  absl::StatusOr<BarSeries> series = load(symbol);
  if (!series.ok()) return series.status();
  *loaded = true;
  auto entry = std::make_shared<Entry>();
  entry->series = std::make_shared<const BarSeries>(std::move(*series));
  entry->loaded_at = absl::Now();
  cache_.Put(symbol, entry);
  return entry->series;
}

}  // namespace pcs
