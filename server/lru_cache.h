#ifndef PCS_SERVER_LRU_CACHE_H_
#define PCS_SERVER_LRU_CACHE_H_

#include <cstddef>
#include <list>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace pcs {

// A bounded least-recently-used map from K to std::shared_ptr<const V>.
// Values are immutable once inserted, so a reader keeps its shared_ptr after
// the entry is evicted. Capacity 0 disables caching (Get always misses).
//
// Threading: thread-safe; one mutex, held for O(1) work per call.
//
// Example:
//   LruCache<std::string, Features> cache(10000);
//   if (auto hit = cache.Get(key)) use(*hit); else cache.Put(key, make());
template <typename K, typename V, typename Hash = std::hash<K>>
class LruCache {
 public:
  explicit LruCache(size_t capacity) : capacity_(capacity) {}

  std::shared_ptr<const V> Get(const K& key) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto it = index_.find(key);
    if (it == index_.end()) {
      ++misses_;
      return nullptr;
    }
    order_.splice(order_.begin(), order_, it->second);
    ++hits_;
    return it->second->second;
  }

  void Put(const K& key, std::shared_ptr<const V> value)
      ABSL_LOCKS_EXCLUDED(mu_) {
    if (capacity_ == 0) return;
    absl::MutexLock lock(&mu_);
    auto it = index_.find(key);
    if (it != index_.end()) {
      it->second->second = std::move(value);
      order_.splice(order_.begin(), order_, it->second);
      return;
    }
    order_.emplace_front(key, std::move(value));
    index_[key] = order_.begin();
    if (order_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
  }

  void Erase(const K& key) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return;
    order_.erase(it->second);
    index_.erase(it);
  }

  size_t size() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return order_.size();
  }
  size_t capacity() const { return capacity_; }
  uint64_t hits() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return hits_;
  }
  uint64_t misses() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return misses_;
  }

 private:
  using Entry = std::pair<K, std::shared_ptr<const V>>;
  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::list<Entry> order_ ABSL_GUARDED_BY(mu_);  // most recent first
  std::unordered_map<K, typename std::list<Entry>::iterator, Hash> index_
      ABSL_GUARDED_BY(mu_);
  uint64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t misses_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace pcs

#endif  // PCS_SERVER_LRU_CACHE_H_
