#include "herondb/meta/slot_set.h"

#include <algorithm>
#include <bit>

namespace herondb {
namespace {

uint16_t High(uint32_t s) { return static_cast<uint16_t>(s >> 16); }
uint16_t Low(uint32_t s) { return static_cast<uint16_t>(s & 0xFFFF); }

}  // namespace

SlotSet::Chunk* SlotSet::FindChunk(uint16_t high) {
  auto it = std::lower_bound(chunks_.begin(), chunks_.end(), high,
                             [](const Chunk& c, uint16_t h) { return c.high < h; });
  return (it != chunks_.end() && it->high == high) ? &*it : nullptr;
}

const SlotSet::Chunk* SlotSet::FindChunk(uint16_t high) const {
  return const_cast<SlotSet*>(this)->FindChunk(high);
}

bool SlotSet::Contains(uint32_t slot) const {
  if (chunks_.empty()) return std::binary_search(small_.begin(), small_.end(), slot);
  const Chunk* c = FindChunk(High(slot));
  if (c == nullptr) return false;
  uint16_t lo = Low(slot);
  if (!c->bits.empty()) return (c->bits[lo >> 6] >> (lo & 63)) & 1;
  return std::binary_search(c->array.begin(), c->array.end(), lo);
}

bool SlotSet::Insert(uint32_t slot) {
  if (chunks_.empty()) {
    auto it = std::lower_bound(small_.begin(), small_.end(), slot);
    if (it != small_.end() && *it == slot) return false;
    small_.insert(it, slot);
    ++size_;
    if (small_.size() > kSmallMax) ToChunks();
    return true;
  }
  uint16_t high = High(slot), lo = Low(slot);
  auto cit = std::lower_bound(chunks_.begin(), chunks_.end(), high,
                              [](const Chunk& c, uint16_t h) { return c.high < h; });
  if (cit == chunks_.end() || cit->high != high) {
    Chunk c;
    c.high = high;
    cit = chunks_.insert(cit, std::move(c));
  }
  Chunk& c = *cit;
  if (!c.bits.empty()) {
    uint64_t& w = c.bits[lo >> 6];
    uint64_t m = uint64_t{1} << (lo & 63);
    if (w & m) return false;
    w |= m;
  } else {
    auto it = std::lower_bound(c.array.begin(), c.array.end(), lo);
    if (it != c.array.end() && *it == lo) return false;
    c.array.insert(it, lo);
    if (c.array.size() > kArrayMax) {
      c.bits.assign(1024, 0);
      for (uint16_t v : c.array) c.bits[v >> 6] |= uint64_t{1} << (v & 63);
      std::vector<uint16_t>().swap(c.array);
    }
  }
  ++c.count;
  ++size_;
  return true;
}

bool SlotSet::Erase(uint32_t slot) {
  if (chunks_.empty()) {
    auto it = std::lower_bound(small_.begin(), small_.end(), slot);
    if (it == small_.end() || *it != slot) return false;
    small_.erase(it);
    --size_;
    return true;
  }
  uint16_t high = High(slot), lo = Low(slot);
  auto cit = std::lower_bound(chunks_.begin(), chunks_.end(), high,
                              [](const Chunk& c, uint16_t h) { return c.high < h; });
  if (cit == chunks_.end() || cit->high != high) return false;
  Chunk& c = *cit;
  if (!c.bits.empty()) {
    uint64_t& w = c.bits[lo >> 6];
    uint64_t m = uint64_t{1} << (lo & 63);
    if (!(w & m)) return false;
    w &= ~m;
    if (c.count - 1 < kBitmapMin) {
      c.array.clear();
      c.array.reserve(c.count - 1);
      for (size_t i = 0; i < c.bits.size(); ++i) {
        for (uint64_t x = c.bits[i]; x != 0; x &= x - 1) {
          c.array.push_back(
              static_cast<uint16_t>(i * 64 + static_cast<size_t>(std::countr_zero(x))));
        }
      }
      std::vector<uint64_t>().swap(c.bits);
    }
  } else {
    auto it = std::lower_bound(c.array.begin(), c.array.end(), lo);
    if (it == c.array.end() || *it != lo) return false;
    c.array.erase(it);
  }
  --size_;
  if (--c.count == 0) chunks_.erase(cit);
  if (size_ <= kSmallMax / 2) ToSmall();
  return true;
}

void SlotSet::Clear() {
  std::vector<uint32_t>().swap(small_);
  std::vector<Chunk>().swap(chunks_);
  size_ = 0;
}

void SlotSet::ToChunks() {
  std::vector<uint32_t> members;
  members.swap(small_);
  for (uint32_t s : members) {
    if (chunks_.empty() || chunks_.back().high != High(s)) {
      Chunk c;
      c.high = High(s);
      chunks_.push_back(std::move(c));
    }
    chunks_.back().array.push_back(Low(s));
    ++chunks_.back().count;
  }
}

void SlotSet::ToSmall() {
  std::vector<uint32_t> members;
  members.reserve(size_);
  AppendTo(&members);
  std::vector<Chunk>().swap(chunks_);
  small_ = std::move(members);
}

void SlotSet::AppendTo(std::vector<uint32_t>* out) const {
  if (chunks_.empty()) {
    out->insert(out->end(), small_.begin(), small_.end());
    return;
  }
  out->reserve(out->size() + size_);
  for (const Chunk& c : chunks_) {
    uint32_t base = static_cast<uint32_t>(c.high) << 16;
    if (c.bits.empty()) {
      for (uint16_t v : c.array) out->push_back(base | v);
    } else {
      for (size_t i = 0; i < c.bits.size(); ++i) {
        for (uint64_t x = c.bits[i]; x != 0; x &= x - 1) {
          out->push_back(base | static_cast<uint32_t>(i * 64 + std::countr_zero(x)));
        }
      }
    }
  }
}

void SlotSet::OrInto(std::vector<uint64_t>* words) const {
  auto set = [words](uint32_t s) {
    size_t w = s >> 6;
    if (w >= words->size()) words->resize(w + 1, 0);
    (*words)[w] |= uint64_t{1} << (s & 63);
  };
  if (chunks_.empty()) {
    for (uint32_t s : small_) set(s);
    return;
  }
  for (const Chunk& c : chunks_) {
    const uint32_t base = static_cast<uint32_t>(c.high) << 16;
    if (c.bits.empty()) {
      for (uint16_t v : c.array) set(base | v);
      continue;
    }
    const size_t first = base >> 6;  // chunks start on a word boundary
    if (words->size() < first + c.bits.size()) words->resize(first + c.bits.size(), 0);
    for (size_t i = 0; i < c.bits.size(); ++i) (*words)[first + i] |= c.bits[i];
  }
}

void SlotSet::AndNotInto(std::vector<uint64_t>* words) const {
  auto clear = [words](uint32_t s) {
    size_t w = s >> 6;
    if (w < words->size()) (*words)[w] &= ~(uint64_t{1} << (s & 63));
  };
  if (chunks_.empty()) {
    for (uint32_t s : small_) clear(s);
    return;
  }
  for (const Chunk& c : chunks_) {
    const uint32_t base = static_cast<uint32_t>(c.high) << 16;
    if (c.bits.empty()) {
      for (uint16_t v : c.array) clear(base | v);
      continue;
    }
    const size_t first = base >> 6;
    const size_t n = std::min(c.bits.size(), words->size() > first ? words->size() - first : 0);
    for (size_t i = 0; i < n; ++i) (*words)[first + i] &= ~c.bits[i];
  }
}

}  // namespace herondb
