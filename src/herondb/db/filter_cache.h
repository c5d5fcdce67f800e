// FilterCache: the matching sets of recently searched filters, so that a
// filtered search repeated with the same where_filter skips evaluating it
// against the metadata index (and listing its postings) on every call.
//
// Contract:
// - An entry maps a filter's cache key (Filter::cache_key(): the canonical
//   encoding of the where value as given, so equal dicts share an entry) to
//   an immutable MatchSet: the ascending live slots that match, plus the same
//   slots as a bitmap when the set is large enough that a graph walk may use
//   it, plus (PackedRows) a contiguous copy of those slots' vectors once the
//   filter was searched again and the exact scan was chosen, when the copy is
//   at most a quarter of max_bytes: the scan then streams from one block
//   instead of gathering rows from all over the vector store.
// - Invalidation: every change of slots or metadata (add, update, upsert,
//   delete, import, compact, load/replay) calls Invalidate() while holding
//   the database's write lock, which drops every entry and bumps epoch().
//   Searches look up and insert only while holding the read lock, so an
//   entry is never older than the last mutation. Insert also takes the epoch
//   the set was computed at and ignores a stale one (defence in depth).
// - Bounds: at most max_entries entries and max_bytes bytes of sets and keys;
//   least recently used entries go first; a set larger than max_bytes alone
//   is not kept.
// - Thread safety: every method may be called concurrently (one internal
//   mutex, held only for the map update); sets are shared_ptr<const>, so a
//   search keeps using its set while another evicts it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "herondb/common/slot_bitmap.h"
#include "herondb/index/exact_scan.h"

namespace herondb {

struct MatchSet {
  std::vector<uint32_t> slots;  // ascending live slots matching the filter
  SlotBitmap bits;              // `slots` as a bitmap; empty when not built
  PackedRows packed;            // the slots' rows; empty when not built
  bool has_packed() const { return !packed.slots.empty(); }
  size_t Bytes() const {
    return sizeof(MatchSet) + slots.capacity() * sizeof(uint32_t) +
           bits.words.capacity() * sizeof(uint64_t) + packed.Bytes();
  }
};

struct FilterCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t invalidations = 0;
  size_t entries = 0;
  size_t bytes = 0;
};

class FilterCache {
 public:
  static constexpr size_t kDefaultMaxEntries = 32;
  static constexpr size_t kDefaultMaxBytes = size_t{64} << 20;

  explicit FilterCache(size_t max_entries = kDefaultMaxEntries, size_t max_bytes = kDefaultMaxBytes)
      : max_entries_(max_entries), max_bytes_(max_bytes) {}

  // The set cached under `key` (and marks it most recently used), or null.
  // *uses (optional) gets how many searches used this key's entry before:
  // the one that inserted it plus earlier Finds.
  std::shared_ptr<const MatchSet> Find(const std::string& key, uint64_t* uses = nullptr);
  // The largest packed copy worth keeping (a quarter of max_bytes).
  size_t max_packed_bytes() const { return max_bytes_ / 4; }
  // Keeps `set` under `key` if `epoch` is still current; replaces an entry
  // already there.
  void Insert(const std::string& key, uint64_t epoch, std::shared_ptr<const MatchSet> set);
  // Drops every entry and bumps the epoch (a mutation happened).
  void Invalidate();
  uint64_t epoch() const;
  FilterCacheStats stats() const;

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const MatchSet> set;
    uint64_t uses = 0;
  };
  void EraseLocked(std::list<Entry>::iterator it);

  const size_t max_entries_;
  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> map_;
  size_t bytes_ = 0;
  uint64_t epoch_ = 0;
  uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace herondb
