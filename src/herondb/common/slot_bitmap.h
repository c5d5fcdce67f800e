// SlotBitmap: a set of dense u32 slots as a bitmap.
//
// Contract: bit i lives in word i / 64 (bit i % 64), the layout the snapshot
// stores for deleted slots (DELS) and filters hand to searches. Resize(n)
// makes slots [0, n) addressable; new bits are clear. Test/Set/Clear do no
// bounds checks: the caller keeps i below the resized size. No locking: a
// bitmap being written must not be read concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace herondb {

struct SlotBitmap {
  std::vector<uint64_t> words;
  void Resize(size_t n) { words.resize((n + 63) / 64, 0); }
  bool Test(uint32_t i) const { return (words[i >> 6] >> (i & 63)) & 1; }
  void Set(uint32_t i) { words[i >> 6] |= uint64_t{1} << (i & 63); }
  void Clear(uint32_t i) { words[i >> 6] &= ~(uint64_t{1} << (i & 63)); }
};

}  // namespace herondb
