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
#include "server/compact_bar_series.h"

namespace pcs {

struct PriceHistoryCacheOptions {
  // Bars a request needs, ending at its decision day: the feature builder's
  // declared lookback (features/feature_builder.h).
  int history_bars = FeatureBuilder::kHistoryBars;
  // Memory budget of the cache: what its entries hold, counted honestly
  // (CompactBarSeries::bytes(), i.e. array capacities, plus
  // kEntryOverheadBytes and the symbol per entry, plus the decoded copy of a
  // `decoded_symbols` entry). Default 128 MiB: the recent window
  // (history_bars bars, 28 B each) of about 9,000 symbols; a universe whose
  // requests range over all of history fills it and then evicts the least
  // recently used symbols. pcs-server's --bar-cache-mb.
  size_t max_bytes = size_t{128} << 20;
  // An entry older than this is dropped and reloaded (bars corrected by a
  // later ingest are picked up within ttl).
  absl::Duration ttl = absl::Minutes(5);
  // Symbols read by every request (the market proxy): their entries also
  // keep the decoded run, so Get hands it out without decoding a window.
  std::vector<std::string> decoded_symbols = {};

  // Per-entry bytes besides the bars: list node, map slots, flight, Entry.
  static constexpr size_t kEntryOverheadBytes = 256;
};

// Cache of the bars each symbol's requests need, sized by memory. Entries
// are CompactBarSeries (28 B a bar instead of 56, lossless); Get decodes the
// window a request reads.
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

  // The bars the features of a pattern decided on `needed_day` read: the
  // last history_bars bars of `symbol` with day <= needed_day (fewer when
  // the symbol has fewer; for a `decoded_symbols` symbol, its whole cached
  // run, which holds that window). `loaded` (optional) is set when a load
  // ran.
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

  // The cached run of `symbol` (null when none); tests and logs.
  std::shared_ptr<const CompactBarSeries> CachedRun(
      const std::string& symbol) const ABSL_LOCKS_EXCLUDED(mu_);

  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);
  size_t bytes() const ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t loads() const ABSL_LOCKS_EXCLUDED(mu_);
  const PriceHistoryCacheOptions& options() const { return options_; }

 private:
  struct Entry {
    std::shared_ptr<const CompactBarSeries> run;
    std::shared_ptr<const BarSeries> decoded;  // decoded_symbols only
    bool starts_at_first = false;  // no older bar exists in the database
    absl::Time loaded_at;
    size_t bytes = 0;
  };
  struct Flight {
    absl::Mutex mu;
    bool busy ABSL_GUARDED_BY(mu) = false;
  };
  using Order = std::list<std::pair<std::string, Entry>>;

  // True when the entry is fresh and covers `day` (then *hit is a copy of
  // it); else *have is the fresh part to extend, if any. Bumps LRU.
  bool Lookup(const std::string& symbol, Day day, Entry* hit, Entry* have)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The window of `entry` a request for `day` reads.
  std::shared_ptr<const BarSeries> Window(const std::string& symbol,
                                          const Entry& entry, Day day) const;
  absl::StatusOr<Entry> Load(const std::string& symbol, Day day,
                             const Entry& have, absl::Time deadline);
  // Encodes `bars` into an entry (and its decoded copy for decoded_symbols).
  Entry MakeEntry(const std::string& symbol, std::vector<Bar> bars,
                  bool starts_at_first) const;
  void Put(const std::string& symbol, const Entry& entry)
      ABSL_LOCKS_EXCLUDED(mu_);
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
