// CompiledFilters: a Database's cache of parsed filters, keyed by a caller's
// canonical encoding of the filter document (the Python bindings key a
// where_filter dict by its exact structure and values), so a repeated filter
// skips parsing. Thread-safe. Bounded: emptied when it reaches kMaxFilters
// entries; keys longer than kMaxKeyBytes are not kept (long $in lists).
// Parsed filters do not depend on the data, so mutations keep it.
// One per Database (no process-wide state).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "herondb/meta/filter.h"

namespace herondb {

class CompiledFilters {
 public:
  static constexpr size_t kMaxFilters = 256;
  static constexpr size_t kMaxKeyBytes = 4096;

  std::shared_ptr<const Filter> Find(const std::string& key) const {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : it->second;
  }
  void Insert(const std::string& key, std::shared_ptr<const Filter> f) {
    if (key.size() > kMaxKeyBytes) return;
    std::lock_guard<std::mutex> lk(mu_);
    if (map_.size() >= kMaxFilters) map_.clear();
    map_.emplace(key, std::move(f));
  }
  size_t size() const {
    std::lock_guard<std::mutex> lk(mu_);
    return map_.size();
  }

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const Filter>> map_;
};

}  // namespace herondb
