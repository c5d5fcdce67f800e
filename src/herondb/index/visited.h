// VisitedSet: an epoch-stamped "seen" table for graph traversals.
//
// Contract: Reset(n) prepares the set for slots [0, n) in O(1) amortized time
// (a 16-bit epoch; the table is cleared only when the epoch wraps). A set
// lives in a SearchContext (search_context.h), lent to one walk at a time by
// its index's pool, so traversals allocate nothing in steady state, never
// share mutable state, and the table is sized to that index only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace herondb {

class VisitedSet {
 public:
  void Reset(size_t n) {
    if (marks_.size() < n) marks_.resize(n + n / 4 + 64, 0);
    if (++epoch_ == 0) {
      std::memset(marks_.data(), 0, marks_.size() * sizeof(uint16_t));
      epoch_ = 1;
    }
  }
  bool Test(uint32_t slot) const { return marks_[slot] == epoch_; }
  void Set(uint32_t slot) { marks_[slot] = epoch_; }
  // Marks slot and returns whether it was already marked.
  bool TestAndSet(uint32_t slot) {
    bool seen = marks_[slot] == epoch_;
    marks_[slot] = epoch_;
    return seen;
  }
  const uint16_t* mark_ptr(uint32_t slot) const { return marks_.data() + slot; }
  // Raw access for hot loops (valid until the next Reset): slot s is marked
  // when marks()[s] == epoch().
  uint16_t* marks() { return marks_.data(); }
  uint16_t epoch() const { return epoch_; }
  // Heap bytes held.
  size_t Bytes() const { return marks_.capacity() * sizeof(uint16_t); }

 private:
  std::vector<uint16_t> marks_;
  uint16_t epoch_ = 0;
};

}  // namespace herondb
