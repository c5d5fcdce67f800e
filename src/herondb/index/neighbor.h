// Neighbor: a (distance, slot) pair, the unit every search produces.
//
// Contract: operator< orders by distance, then by slot, so sorted results
// are deterministic under ties. Farther / Closer are the heap orders the
// walks and scans use (min-heap on distance / max-heap on distance).
#pragma once

#include <cstdint>

namespace herondb {

struct Neighbor {
  float distance;
  uint32_t slot;
  bool operator<(const Neighbor& o) const {
    return distance < o.distance || (distance == o.distance && slot < o.slot);
  }
};

// std::*_heap comparator putting the closest on top.
struct Farther {
  bool operator()(const Neighbor& a, const Neighbor& b) const { return a.distance > b.distance; }
};
// std::*_heap comparator putting the farthest on top.
struct Closer {
  bool operator()(const Neighbor& a, const Neighbor& b) const { return a.distance < b.distance; }
};

// "No slot": larger than any slot an index holds.
inline constexpr uint32_t kNoSlot = 0xFFFFFFFFu;

}  // namespace herondb
