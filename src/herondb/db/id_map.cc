#include "herondb/db/id_map.h"

#include <functional>

namespace herondb {

IdMap::IdMap(std::vector<uint64_t> offsets, std::string bytes)
    : offsets_(std::move(offsets)), bytes_(std::move(bytes)) {
  if (offsets_.empty()) offsets_.push_back(0);
}

size_t IdMap::Home(std::string_view id) const {
  // Fibonacci scrambling of the library hash, then the top bits.
  uint64_t h = std::hash<std::string_view>{}(id) * 0x9E3779B97F4A7C15ull;
  return static_cast<size_t>(h >> 32) & (table_.size() - 1);
}

std::optional<uint32_t> IdMap::Find(std::string_view id) const {
  if (live_ == 0) return std::nullopt;
  const size_t mask = table_.size() - 1;
  for (size_t i = Home(id);; i = (i + 1) & mask) {
    uint32_t e = table_[i];
    if (e == 0) return std::nullopt;
    if (this->id(e - 1) == id) return e - 1;
  }
}

void IdMap::Reserve(size_t extra_slots, size_t extra_bytes) {
  offsets_.reserve(offsets_.size() + extra_slots);
  bytes_.reserve(bytes_.size() + extra_bytes);
  if ((live_ + extra_slots) * 2 > table_.size()) Rehash(live_ + extra_slots);
}

void IdMap::Rehash(size_t want_live) {
  size_t capacity = 16;
  while (capacity < want_live * 2) capacity <<= 1;
  if (capacity <= table_.size()) return;
  std::vector<uint32_t> old;
  old.swap(table_);
  table_.assign(capacity, 0);
  for (uint32_t e : old)
    if (e) InsertUnique(e - 1);
}

void IdMap::InsertUnique(uint32_t slot) {
  const size_t mask = table_.size() - 1;
  size_t i = Home(id(slot));
  while (table_[i]) i = (i + 1) & mask;
  table_[i] = slot + 1;
}

void IdMap::Append(std::string_view id) {
  bytes_.append(id);
  offsets_.push_back(bytes_.size());
  if ((live_ + 1) * 2 > table_.size()) Rehash(live_ + 1);
  InsertUnique(static_cast<uint32_t>(slots() - 1));
  ++live_;
}

bool IdMap::Revive(uint32_t slot) {
  if (Find(id(slot))) return false;
  if ((live_ + 1) * 2 > table_.size()) Rehash(live_ + 1);
  InsertUnique(slot);
  ++live_;
  return true;
}

void IdMap::Kill(uint32_t slot) {
  const size_t mask = table_.size() - 1;
  size_t i = Home(id(slot));
  while (table_[i] != slot + 1) {
    if (table_[i] == 0) return;  // not live
    i = (i + 1) & mask;
  }
  // Backward-shift deletion: pull later entries of the run into the hole
  // when their home position allows it.
  size_t hole = i;
  for (size_t j = (hole + 1) & mask; table_[j]; j = (j + 1) & mask) {
    size_t home = Home(id(table_[j] - 1));
    // The entry at j may move to the hole if its home is not in (hole, j].
    bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!stays) {
      table_[hole] = table_[j];
      hole = j;
    }
  }
  table_[hole] = 0;
  --live_;
}

size_t IdMap::MemoryBytes() const {
  return offsets_.capacity() * sizeof(uint64_t) + bytes_.capacity() +
         table_.capacity() * sizeof(uint32_t);
}

}  // namespace herondb
