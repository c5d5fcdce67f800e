// SlotSet: an updatable, compressed set of uint32 slot numbers (a posting
// list of the metadata indexes).
//
// Contract: Insert/Erase/Contains in about O(log n) plus a bounded memmove;
// size() in O(1); AppendTo writes the members in ascending order; OrInto /
// AndNotInto combine the set with a dense bitmap. Layout
// (roaring-style): up to kSmallMax members live in one sorted vector; beyond
// that, members are grouped by their high 16 bits into chunks, each a sorted
// uint16 array (up to 4096 members) or a 65536-bit bitmap (denser chunks), so
// a set costs at most ~2 bytes per member plus 8 KiB per dense 64K range.
// Not thread-safe for writes; concurrent const use is safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace herondb {

class SlotSet {
 public:
  // Returns true if `slot` was not already a member.
  bool Insert(uint32_t slot);
  // Returns true if `slot` was a member.
  bool Erase(uint32_t slot);
  bool Contains(uint32_t slot) const;
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void Clear();
  // Appends the members to *out in ascending order.
  void AppendTo(std::vector<uint32_t>* out) const;
  // Dense-bitmap views (bit i of word i/64 is slot i), for set algebra
  // without listing members: OrInto sets the members' bits, growing *words
  // as needed; AndNotInto clears them (members beyond *words are ignored).
  // Bitmap chunks are combined a word at a time.
  void OrInto(std::vector<uint64_t>* words) const;
  void AndNotInto(std::vector<uint64_t>* words) const;

  static constexpr size_t kSmallMax = 64;

 private:
  struct Chunk {
    uint16_t high = 0;
    uint32_t count = 0;
    std::vector<uint16_t> array;  // sorted; used while bits is empty
    std::vector<uint64_t> bits;   // 1024 words when the chunk is a bitmap
  };
  static constexpr uint32_t kArrayMax = 4096;   // array -> bitmap above this
  static constexpr uint32_t kBitmapMin = 2048;  // bitmap -> array below this

  Chunk* FindChunk(uint16_t high);
  const Chunk* FindChunk(uint16_t high) const;
  void ToChunks();
  void ToSmall();

  std::vector<uint32_t> small_;  // the members while chunks_ is empty
  std::vector<Chunk> chunks_;    // sorted by high
  size_t size_ = 0;
};

}  // namespace herondb
