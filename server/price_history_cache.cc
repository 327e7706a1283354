#include "server/price_history_cache.h"

#include <algorithm>
#include <utility>

namespace pcs {
namespace {

constexpr size_t kEntryOverheadBytes = 128;  // list node, map slot, symbol

size_t EntryBytes(const BarSeries& s) {
  return kEntryOverheadBytes + s.symbol.size() + s.bars.size() * sizeof(Bar);
}

}  // namespace

PriceHistoryCache::PriceHistoryCache(PriceHistoryCacheOptions options,
                                     Loader loader)
    : options_(options), loader_(std::move(loader)) {}

bool PriceHistoryCache::Covers(const Entry& entry, Day day) const {
  const std::vector<Bar>& bars = entry.series->bars;
  if (bars.empty() || bars.back().day < day ||
      absl::Now() - entry.loaded_at >= options_.ttl) {
    return false;
  }
  const int at = entry.series->IndexAtOrBefore(day);
  if (at < 0) return entry.starts_at_first;
  return at + 1 >= options_.history_bars || entry.starts_at_first;
}

std::shared_ptr<const BarSeries> PriceHistoryCache::Lookup(
    const std::string& symbol, Day day, Entry* have) {
  absl::MutexLock lock(&mu_);
  auto it = index_.find(symbol);
  if (it == index_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second);
  const Entry& entry = it->second->second;
  if (Covers(entry, day)) return entry.series;
  if (absl::Now() - entry.loaded_at < options_.ttl) *have = entry;
  return nullptr;
}

absl::StatusOr<std::shared_ptr<const BarSeries>> PriceHistoryCache::Get(
    const std::string& symbol, Day needed_day, absl::Time deadline,
    bool* loaded) {
  if (loaded != nullptr) *loaded = false;
  Entry have;
  if (auto hit = Lookup(symbol, needed_day, &have)) return hit;

  std::shared_ptr<Flight> flight;
  {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<Flight>& slot = flights_[symbol];
    if (slot == nullptr) slot = std::make_shared<Flight>();
    flight = slot;
  }
  absl::StatusOr<std::shared_ptr<const BarSeries>> result;
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
    if (auto hit = Lookup(symbol, needed_day, &have)) {
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
  return result;
}

absl::StatusOr<std::shared_ptr<const BarSeries>> PriceHistoryCache::Load(
    const std::string& symbol, Day day, const Entry& have,
    absl::Time deadline) {
  const int want = options_.history_bars;
  auto series = std::make_shared<BarSeries>();
  series->symbol = symbol;
  Entry entry;
  const bool have_run = have.series != nullptr && !have.series->bars.empty();
  const int at = have_run ? have.series->IndexAtOrBefore(day) : -1;
  if (have_run && at >= 0 && have.series->bars.back().day >= day) {
    // `day` lies inside the cached run: load only the missing older bars.
    const int missing = want - (at + 1);
    auto older =
        loader_(symbol, have.series->bars.front().day - 1, missing, deadline);
    if (!older.ok()) return older.status();
    series->bars = std::move(*older);
    series->bars.insert(series->bars.end(), have.series->bars.begin(),
                        have.series->bars.end());
    entry.starts_at_first = static_cast<int>(series->bars.size()) -
                                static_cast<int>(have.series->bars.size()) <
                            missing;
  } else if (have_run && day > have.series->bars.back().day) {
    // Past the run's end: load from the run's last bar up to `day`. There is
    // at most one bar per calendar day, so `day - back + 1` bars reach back
    // into the run and the union stays one contiguous run (plus what the run
    // lacks of `want`).
    const std::vector<Bar>& old = have.series->bars;
    const int limit = static_cast<int>(day - old.back().day) + 1 +
                      std::max(0, want - static_cast<int>(old.size()));
    auto newer = loader_(symbol, day, limit, deadline);
    if (!newer.ok()) return newer.status();
    const bool newer_at_first = static_cast<int>(newer->size()) < limit;
    const Day from = newer->empty() ? day + 1 : newer->front().day;
    for (const Bar& b : old) {
      if (b.day < from) series->bars.push_back(b);
    }
    series->bars.insert(series->bars.end(), newer->begin(), newer->end());
    entry.starts_at_first = old.front().day < from
                                ? have.starts_at_first
                                : newer_at_first || have.starts_at_first;
  } else if (have_run && at < 0) {
    // Before the run's start: load the bars up to it, `want` of them before
    // `day` (at most `front - day` bars lie in between).
    const std::vector<Bar>& old = have.series->bars;
    const int limit = want + static_cast<int>(old.front().day - day);
    auto older = loader_(symbol, old.front().day - 1, limit, deadline);
    if (!older.ok()) return older.status();
    entry.starts_at_first = static_cast<int>(older->size()) < limit;
    series->bars = std::move(*older);
    series->bars.insert(series->bars.end(), old.begin(), old.end());
  } else {
    auto window = loader_(symbol, day, want, deadline);
    if (!window.ok()) return window.status();
    entry.starts_at_first = static_cast<int>(window->size()) < want;
    series->bars = std::move(*window);
  }
  entry.series = std::move(series);
  entry.loaded_at = absl::Now();
  entry.bytes = EntryBytes(*entry.series);
  std::shared_ptr<const BarSeries> out = entry.series;
  Put(symbol, std::move(entry));
  return out;
}

void PriceHistoryCache::Put(const std::string& symbol, Entry entry) {
  absl::MutexLock lock(&mu_);
  ++loads_;
  if (auto it = index_.find(symbol); it != index_.end()) {
    bytes_ -= it->second->second.bytes;
    order_.erase(it->second);
    index_.erase(it);
  }
  if (entry.bytes > options_.max_bytes) return;  // larger than the budget
  bytes_ += entry.bytes;
  order_.emplace_front(symbol, std::move(entry));
  index_[symbol] = order_.begin();
  while (bytes_ > options_.max_bytes && !order_.empty()) {
    bytes_ -= order_.back().second.bytes;
    index_.erase(order_.back().first);
    order_.pop_back();
  }
}

void PriceHistoryCache::Preload(const std::string& symbol,
                                std::vector<Bar> bars, bool starts_at_first) {
  auto series = std::make_shared<BarSeries>();
  series->symbol = symbol;
  series->bars = std::move(bars);
  Entry entry;
  entry.starts_at_first = starts_at_first;
  entry.loaded_at = absl::Now();
  entry.bytes = EntryBytes(*series);
  entry.series = std::move(series);
  Put(symbol, std::move(entry));
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
