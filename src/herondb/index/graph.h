// HnswGraph: the adjacency storage of an HNSW index over dense u32 slots.
//
// Layout (chosen so a snapshot can store it as three flat arrays):
// - level0: one u32 array with a fixed stride of 1 + max0 per slot:
//   [count, n_0, ..., n_{max0-1}]. Unused entries are zero.
// - levels: one byte per slot, the slot's top level (0 for most slots).
// - upper: one u32 pool; upper_offset[slot] is the index in the pool of the
//   slot's level-1 list (or kNoUpper), followed by its level-2 list, and so on,
//   each list [count, n_0, ..., n_{max-1}] with stride 1 + max.
// The graph itself does no locking; HnswIndex serializes writers. level0 is
// the array every search reads at random: it lives on huge pages where the OS
// has them (common/huge_pages.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "herondb/common/huge_pages.h"

namespace herondb {

class HnswGraph {
 public:
  using Level0Array = std::vector<uint32_t, HugePageAllocator<uint32_t>>;
  static constexpr uint32_t kNoUpper = 0xFFFFFFFFu;

  HnswGraph(uint32_t m, uint32_t max0) : m_(m), max0_(max0) {}

  uint32_t m() const { return m_; }
  uint32_t max0() const { return max0_; }
  size_t size() const { return levels_.size(); }
  uint32_t MaxNeighbors(int level) const { return level == 0 ? max0_ : m_; }

  // Grows to `slots` slots; new slots have level 0 and no links.
  void Resize(size_t slots) {
    level0_.resize(slots * stride0(), 0);
    levels_.resize(slots, 0);
    upper_offset_.resize(slots, kNoUpper);
  }
  // Reserves the upper-level storage of `slot` for `level` levels (level >= 1).
  void AllocateUpper(uint32_t slot, int level) {
    levels_[slot] = static_cast<uint8_t>(level);
    if (level == 0) return;
    upper_offset_[slot] = static_cast<uint32_t>(upper_.size());
    upper_.resize(upper_.size() + static_cast<size_t>(level) * (1 + m_), 0);
  }
  void ReserveUpper(size_t extra_words) { upper_.reserve(upper_.size() + extra_words); }

  int level(uint32_t slot) const { return levels_[slot]; }
  // The list of `slot` at `level`: list[0] is the count, list[1..] the ids.
  uint32_t* List(uint32_t slot, int level) {
    if (level == 0) return level0_.data() + static_cast<size_t>(slot) * stride0();
    return upper_.data() + upper_offset_[slot] + static_cast<size_t>(level - 1) * (1 + m_);
  }
  const uint32_t* List(uint32_t slot, int level) const {
    return const_cast<HnswGraph*>(this)->List(slot, level);
  }
  size_t stride0() const { return 1 + static_cast<size_t>(max0_); }

  size_t MemoryBytes() const {
    return level0_.size() * 4 + upper_.size() * 4 + levels_.size() + upper_offset_.size() * 4;
  }

  // Raw arrays, for snapshots.
  Level0Array& level0() { return level0_; }
  std::vector<uint8_t>& levels() { return levels_; }
  std::vector<uint32_t>& upper() { return upper_; }
  std::vector<uint32_t>& upper_offset() { return upper_offset_; }
  const Level0Array& level0() const { return level0_; }
  const std::vector<uint8_t>& levels() const { return levels_; }
  const std::vector<uint32_t>& upper() const { return upper_; }
  const std::vector<uint32_t>& upper_offset() const { return upper_offset_; }

 private:
  uint32_t m_;
  uint32_t max0_;
  Level0Array level0_;
  std::vector<uint8_t> levels_;
  std::vector<uint32_t> upper_;
  std::vector<uint32_t> upper_offset_;
};

}  // namespace herondb
