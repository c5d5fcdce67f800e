// IdMap: the string id of every slot of a database, and the lookup from a
// live id to its slot.
//
// Layout: the ids' bytes back to back in one arena, with (slots + 1) u64
// offsets; a deleted slot keeps its id (it is what a snapshot stores). The
// lookup is an open-addressing hash table of u32 (slot + 1; 0 is empty),
// linear probing, at most half full, with backward-shift deletion. So
// loading n ids from a snapshot is two array copies and n hash inserts: no
// allocation per id.
//
// Contract: Append adds a new slot whose id the caller has checked is not
// live; Kill removes a live slot's id from the lookup (the id stays at its
// slot); Revive puts a slot back into the lookup and returns false (changing
// nothing) if another slot already holds that id live. Not thread-safe for
// writes; const methods may run concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herondb {

class IdMap {
 public:
  IdMap() = default;
  // From a snapshot's arrays: `offsets` holds slots + 1 monotone entries
  // starting at 0 and ending at bytes.size() (checked by the caller). No
  // slot is live until revived.
  IdMap(std::vector<uint64_t> offsets, std::string bytes);

  size_t slots() const { return offsets_.size() - 1; }
  size_t live() const { return live_; }
  std::string_view id(uint32_t slot) const {
    return std::string_view(bytes_).substr(offsets_[slot], offsets_[slot + 1] - offsets_[slot]);
  }
  std::optional<uint32_t> Find(std::string_view id) const;

  // Room for `extra_slots` more slots holding `extra_bytes` more id bytes.
  void Reserve(size_t extra_slots, size_t extra_bytes);
  // Sizes the lookup for `live` live ids (before reviving a loaded map).
  void ReserveLive(size_t live) { Rehash(live); }
  // New slot slots() with `id`, live.
  void Append(std::string_view id);
  void Kill(uint32_t slot);
  bool Revive(uint32_t slot);

  const std::vector<uint64_t>& offsets() const { return offsets_; }
  const std::string& bytes() const { return bytes_; }
  size_t MemoryBytes() const;

 private:
  size_t Home(std::string_view id) const;
  void InsertUnique(uint32_t slot);  // the id is known not to be in the table
  void Rehash(size_t capacity);

  std::vector<uint64_t> offsets_{0};
  std::string bytes_;
  std::vector<uint32_t> table_;  // slot + 1, or 0 for empty; size a power of two
  size_t live_ = 0;
};

}  // namespace herondb
