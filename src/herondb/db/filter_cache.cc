#include "herondb/db/filter_cache.h"

namespace herondb {

std::shared_ptr<const MatchSet> FilterCache::Find(const std::string& key, uint64_t* uses) {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = map_.find(key);
  if (it == map_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  Entry& e = *it->second;
  if (uses) *uses = e.uses;
  ++e.uses;
  return e.set;
}

void FilterCache::EraseLocked(std::list<Entry>::iterator it) {
  bytes_ -= it->set->Bytes() + it->key.size();
  map_.erase(it->key);
  lru_.erase(it);
}

void FilterCache::Insert(const std::string& key, uint64_t epoch,
                         std::shared_ptr<const MatchSet> set) {
  if (!set || max_entries_ == 0) return;
  const size_t size = set->Bytes() + key.size();
  if (size > max_bytes_) return;
  std::lock_guard<std::mutex> lk(mu_);
  if (epoch != epoch_) return;
  uint64_t uses = 1;  // the search that computed the set
  if (auto it = map_.find(key); it != map_.end()) {
    uses = it->second->uses;
    EraseLocked(it->second);
  }
  while (!lru_.empty() && (lru_.size() >= max_entries_ || bytes_ + size > max_bytes_))
    EraseLocked(std::prev(lru_.end()));
  lru_.push_front(Entry{key, std::move(set), uses});
  map_.emplace(key, lru_.begin());
  bytes_ += size;
}

void FilterCache::Invalidate() {
  std::lock_guard<std::mutex> lk(mu_);
  ++epoch_;
  map_.clear();
  lru_.clear();
  bytes_ = 0;
}

uint64_t FilterCache::epoch() const {
  std::lock_guard<std::mutex> lk(mu_);
  return epoch_;
}

FilterCacheStats FilterCache::stats() const {
  std::lock_guard<std::mutex> lk(mu_);
  return {hits_, misses_, epoch_, lru_.size(), bytes_};
}

}  // namespace herondb
