#include "server/price_history_cache.h"

#include <algorithm>
#include <utility>

namespace pcs {

PriceHistoryCache::PriceHistoryCache(PriceHistoryCacheOptions options,
                                     Loader loader)
    : options_(std::move(options)), loader_(std::move(loader)) {}

bool PriceHistoryCache::Covers(const Entry& entry, Day day) const {
  const CompactBarSeries& run = *entry.run;
  if (run.empty() || run.back_day() < day ||
      absl::Now() - entry.loaded_at >= options_.ttl) {
    return false;
  }
  const int at = run.IndexAtOrBefore(day);
  if (at < 0) return entry.starts_at_first;
  return at + 1 >= options_.history_bars || entry.starts_at_first;
}

bool PriceHistoryCache::Lookup(const std::string& symbol, Day day, Entry* hit,
                               Entry* have) {
  absl::MutexLock lock(&mu_);
  auto it = index_.find(symbol);
  if (it == index_.end()) return false;
  order_.splice(order_.begin(), order_, it->second);
  const Entry& entry = it->second->second;
  if (Covers(entry, day)) {
    *hit = entry;
    return true;
  }
  if (absl::Now() - entry.loaded_at < options_.ttl) *have = entry;
  return false;
}

std::shared_ptr<const BarSeries> PriceHistoryCache::Window(
    const std::string& symbol, const Entry& entry, Day day) const {
  if (entry.decoded != nullptr) return entry.decoded;
  auto window = std::make_shared<BarSeries>();
  window->symbol = symbol;
  const int at = entry.run->IndexAtOrBefore(day);
  window->bars = entry.run->Decode(at + 1 - options_.history_bars, at + 1);
  return window;
}

absl::StatusOr<std::shared_ptr<const BarSeries>> PriceHistoryCache::Get(
    const std::string& symbol, Day needed_day, absl::Time deadline,
    bool* loaded) {
  if (loaded != nullptr) *loaded = false;
  Entry hit, have;
  if (Lookup(symbol, needed_day, &hit, &have)) {
    return Window(symbol, hit, needed_day);
  }

  std::shared_ptr<Flight> flight;
  {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<Flight>& slot = flights_[symbol];
    if (slot == nullptr) slot = std::make_shared<Flight>();
    flight = slot;
  }
  absl::StatusOr<Entry> result;
  bool ran = false;
  if (!flight->mu.LockWhenWithDeadline(
          absl::Condition(
              +[](bool* busy) { return !*busy; }, &flight->busy),
          deadline)) {
    flight->mu.Unlock();
    result = absl::DeadlineExceededError(
        "deadline passed waiting for another request's load of the bars of " +
        symbol);
  } else {
    flight->busy = true;
    flight->mu.Unlock();
    // Another request may have loaded what this one needs meanwhile.
    have = Entry{};
    if (Lookup(symbol, needed_day, &hit, &have)) {
      result = hit;
    } else {
      result = Load(symbol, needed_day, have, deadline);
      ran = result.ok();
    }
    flight->mu.Lock();
    flight->busy = false;
    flight->mu.Unlock();
  }
  {
    absl::MutexLock lock(&mu_);
    auto it = flights_.find(symbol);
    // Copies are only taken under mu_: 2 = the map's and this one.
    if (it != flights_.end() && it->second.use_count() == 2) {
      flights_.erase(it);
    }
  }
  if (loaded != nullptr) *loaded = ran;
  if (!result.ok()) return result.status();
  return Window(symbol, *result, needed_day);
}

absl::StatusOr<PriceHistoryCache::Entry> PriceHistoryCache::Load(
    const std::string& symbol, Day day, const Entry& have,
    absl::Time deadline) {
  const int want = options_.history_bars;
  std::vector<Bar> bars;
  bool starts_at_first = false;
  const bool have_run = have.run != nullptr && !have.run->empty();
  const std::vector<Bar> old =
      have_run ? have.run->DecodeAll() : std::vector<Bar>{};
  const int at = have_run ? have.run->IndexAtOrBefore(day) : -1;
  if (have_run && at >= 0 && old.back().day >= day) {
    // `day` lies inside the cached run: load only the missing older bars.
    const int missing = want - (at + 1);
    auto older = loader_(symbol, old.front().day - 1, missing, deadline);
    if (!older.ok()) return older.status();
    starts_at_first = static_cast<int>(older->size()) < missing;
    bars = std::move(*older);
    bars.insert(bars.end(), old.begin(), old.end());
  } else if (have_run && day > old.back().day) {
    // Past the run's end: load from the run's last bar up to `day`. There is
    // at most one bar per calendar day, so `day - back + 1` bars reach back
    // into the run and the union stays one contiguous run (plus what the run
    // lacks of `want`).
    const int limit = static_cast<int>(day - old.back().day) + 1 +
                      std::max(0, want - static_cast<int>(old.size()));
    auto newer = loader_(symbol, day, limit, deadline);
    if (!newer.ok()) return newer.status();
    const bool newer_at_first = static_cast<int>(newer->size()) < limit;
    const Day from = newer->empty() ? day + 1 : newer->front().day;
    for (const Bar& b : old) {
      if (b.day < from) bars.push_back(b);
    }
    bars.insert(bars.end(), newer->begin(), newer->end());
    starts_at_first = old.front().day < from
                          ? have.starts_at_first
                          : newer_at_first || have.starts_at_first;
  } else if (have_run && at < 0) {
    // Before the run's start: load the bars up to it, `want` of them before
    // `day` (at most `front - day` bars lie in between).
    const int limit = want + static_cast<int>(old.front().day - day);
    auto older = loader_(symbol, old.front().day - 1, limit, deadline);
    if (!older.ok()) return older.status();
    starts_at_first = static_cast<int>(older->size()) < limit;
    bars = std::move(*older);
    bars.insert(bars.end(), old.begin(), old.end());
  } else {
    auto window = loader_(symbol, day, want, deadline);
    if (!window.ok()) return window.status();
    starts_at_first = static_cast<int>(window->size()) < want;
    bars = std::move(*window);
  }
  Entry entry = MakeEntry(symbol, std::move(bars), starts_at_first);
  Put(symbol, entry);
  return entry;
}

PriceHistoryCache::Entry PriceHistoryCache::MakeEntry(
    const std::string& symbol, std::vector<Bar> bars,
    bool starts_at_first) const {
  Entry entry;
  entry.run = std::make_shared<const CompactBarSeries>(bars);
  entry.starts_at_first = starts_at_first;
  entry.loaded_at = absl::Now();
  entry.bytes = PriceHistoryCacheOptions::kEntryOverheadBytes +
                symbol.capacity() + entry.run->bytes();
  const auto& decoded = options_.decoded_symbols;
  if (std::find(decoded.begin(), decoded.end(), symbol) != decoded.end()) {
    auto series = std::make_shared<BarSeries>();
    series->symbol = symbol;
    series->bars = std::move(bars);
    series->bars.shrink_to_fit();
    entry.bytes += sizeof(BarSeries) + series->bars.capacity() * sizeof(Bar);
    entry.decoded = std::move(series);
  }
  return entry;
}

void PriceHistoryCache::Put(const std::string& symbol, const Entry& entry) {
  absl::MutexLock lock(&mu_);
  ++loads_;
  if (auto it = index_.find(symbol); it != index_.end()) {
    bytes_ -= it->second->second.bytes;
    order_.erase(it->second);
    index_.erase(it);
  }
  if (entry.bytes > options_.max_bytes) return;  // larger than the budget
  bytes_ += entry.bytes;
  order_.emplace_front(symbol, entry);
  index_[symbol] = order_.begin();
  while (bytes_ > options_.max_bytes && !order_.empty()) {
    bytes_ -= order_.back().second.bytes;
    index_.erase(order_.back().first);
    order_.pop_back();
  }
}

void PriceHistoryCache::Preload(const std::string& symbol,
                                std::vector<Bar> bars, bool starts_at_first) {
  Put(symbol, MakeEntry(symbol, std::move(bars), starts_at_first));
}

std::shared_ptr<const CompactBarSeries> PriceHistoryCache::CachedRun(
    const std::string& symbol) const {
  absl::MutexLock lock(&mu_);
  auto it = index_.find(symbol);
  return it == index_.end() ? nullptr : it->second->second.run;
}

size_t PriceHistoryCache::size() const {
  absl::MutexLock lock(&mu_);
  return order_.size();
}

size_t PriceHistoryCache::bytes() const {
  absl::MutexLock lock(&mu_);
  return bytes_;
}

uint64_t PriceHistoryCache::loads() const {
  absl::MutexLock lock(&mu_);
  return loads_;
}

}  // namespace pcs
