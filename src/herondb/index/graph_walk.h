// Graph walks over an HnswGraph, generic in the distance space.
//
// Contract:
// - Every walk is a template over a Space (distance_space.h: FloatSpace<T>
//   or CodeSpace<T>) and reads neighbour lists through a Lists policy:
//   PlainLists reads them in place (searches, serialized writers);
//   LockedLists copies each one under its slot lock (parallel insertion,
//   when other threads may rewrite it).
// - GreedyDescent: from `ep`, on levels from_level down to to_level, moves
//   to the closest neighbour until none is closer; returns the slot reached.
// - SearchLayer: best-first beam search of one level from `ep` (LayerWalk
//   options: ef, the level, which slots may be results). Non-result slots
//   are scored and route the walk. *top gets up to ef results, ascending.
// - SearchLayerTwoHop: bottom-layer beam search over the allowed slots only
//   (TwoHopWalk options). From each expanded slot its allowed neighbours are
//   scored, and each non-allowed neighbour (not scored) contributes its own
//   allowed neighbours, up to max_scored scored slots per expansion. Until
//   an allowed slot is reached the walk routes through the others like
//   SearchLayer; when an expansion meanwhile meets no allowed neighbour the
//   beam grows from ef to far_ef. *top gets up to ef allowed, non-deleted
//   slots, ascending.
// - The walks use the SearchContext they are given (visited set, candidate
//   heap, lists), reset it themselves, and add the distances they compute to
//   ctx.distances. They allocate nothing once the context has grown.
//   Hot-loop state (visited marks, epoch, bitmaps) is kept in locals.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "herondb/common/slot_bitmap.h"
#include "herondb/index/distance_space.h"
#include "herondb/index/graph.h"
#include "herondb/index/neighbor.h"
#include "herondb/index/search_context.h"
#include "herondb/index/slot_locks.h"

namespace herondb {

// Largest neighbour list (count word + 2 * max m).
inline constexpr size_t kMaxListWords = 1 + 2 * 256;

// Reads lists in place.
struct PlainLists {
  const HnswGraph& g;
  const uint32_t* Get(uint32_t slot, int level, uint32_t* /*copy*/) const {
    return g.List(slot, level);
  }
};

// Copies each list (count and ids) into `copy` under its slot's lock.
struct LockedLists {
  const HnswGraph& g;
  const SlotLocks& locks;
  const uint32_t* Get(uint32_t slot, int level, uint32_t* copy) const {
    const uint32_t* list = g.List(slot, level);
    locks.Lock(slot);
    const uint32_t n = list[0];
    for (uint32_t j = 0; j <= n; ++j) copy[j] = list[j];
    locks.Unlock(slot);
    return copy;
  }
};

struct LayerWalk {
  size_t ef = 1;
  int level = 0;
  // Results only among these (null: any); the others still route the walk.
  const SlotBitmap* allowed = nullptr;
  // Never results (null: none), e.g. deleted slots.
  const SlotBitmap* excluded = nullptr;
  // Never a result: the slot being linked, or kNoSlot.
  uint32_t exclude_slot = kNoSlot;
  // Never scored, expanded or a result, as if it were not in the graph
  // (kNoSlot: none). Must not be the walk's entry point.
  uint32_t hidden_slot = kNoSlot;
};

struct TwoHopWalk {
  size_t ef = 1;
  size_t far_ef = 1;                     // >= ef
  const SlotBitmap* allowed = nullptr;   // required
  const SlotBitmap* excluded = nullptr;  // deleted slots (null: none)
  size_t max_scored = 0;                 // scored slots per expansion
};

namespace walk_detail {

// The two heaps of a best-first beam search: candidates to expand (closest
// on top) and the ef best accepted results so far (farthest on top; `lower`
// is its distance once there are any).
struct Beam {
  std::vector<Neighbor>& cand;
  std::vector<Neighbor>* top;
  size_t ef;
  float lower = std::numeric_limits<float>::infinity();

  // Starts from `ep` at distance d; it is a result when `accepted`.
  void Seed(uint32_t ep, float d, bool accepted) {
    cand.clear();
    top->clear();
    cand.push_back({d, ep});
    if (accepted) {
      top->push_back({d, ep});
      lower = d;
    }
  }
  // Pops the next candidate to expand; false once none can improve the
  // results (or none is left).
  bool Next(Neighbor* c) {
    if (cand.empty()) return false;
    *c = cand.front();
    if (c->distance > lower && top->size() >= ef) return false;
    std::pop_heap(cand.begin(), cand.end(), Farther{});
    cand.pop_back();
    return true;
  }
  // Whether a slot at distance d is worth expanding (and, if accepted,
  // keeping): the results are not full yet or it beats the worst of them.
  bool Worth(float d) const { return top->size() < ef || d < lower; }
  void AddCandidate(uint32_t s, float d) {
    cand.push_back({d, s});
    std::push_heap(cand.begin(), cand.end(), Farther{});
  }
  void AddResult(uint32_t s, float d) {
    top->push_back({d, s});
    std::push_heap(top->begin(), top->end(), Closer{});
    if (top->size() > ef) {
      std::pop_heap(top->begin(), top->end(), Closer{});
      top->pop_back();
    }
    lower = top->front().distance;
  }
};

}  // namespace walk_detail

// Moves from `ep` to the closest slot on each level from `from_level` down to
// `to_level`, never stepping onto `hidden` (kNoSlot: none; not `ep`).
template <class Lists, class Space>
uint32_t GreedyDescent(const Lists& lists, const Space& sp, uint32_t ep, int from_level,
                       int to_level, SearchContext& ctx, uint32_t hidden = kNoSlot) {
  uint32_t cur = ep;
  float cur_d = sp.Dist(cur);
  uint32_t copy[kMaxListWords];
  uint64_t scored = 0;
  for (int level = from_level; level >= to_level; --level) {
    bool changed = true;
    while (changed) {
      changed = false;
      const uint32_t* list = lists.Get(cur, level, copy);
      const uint32_t cnt = list[0];
      scored += cnt;
      for (uint32_t j = 1; j <= cnt; ++j) sp.Touch(list[j]);
      for (uint32_t j = 1; j <= cnt; ++j) {
        if (list[j] == hidden) continue;
        const float d = sp.Dist(list[j]);
        if (d < cur_d) {
          cur_d = d;
          cur = list[j];
          changed = true;
        }
      }
    }
  }
  ctx.distances += scored;
  return cur;
}

template <class Lists, class Space>
void SearchLayer(const Lists& lists, const Space& sp, uint32_t ep, const LayerWalk& opt,
                 SearchContext& ctx, std::vector<Neighbor>* top) {
  const HnswGraph& g = lists.g;
  const int level = opt.level;
  std::vector<Neighbor>& cand = ctx.candidates;
  uint32_t batch[kMaxListWords];
  uint32_t copy[kMaxListWords];
  ctx.visited.Reset(g.size());
  // Hot-loop state in locals: the compiler cannot keep member loads out of
  // the loop on its own (they may alias the stores).
  uint16_t* const marks = ctx.visited.marks();
  const uint16_t epoch = ctx.visited.epoch();
  const SlotBitmap* const excluded = opt.excluded;
  const SlotBitmap* const allowed = opt.allowed;
  const uint32_t exclude = opt.exclude_slot;
  auto accept = [&](uint32_t s) {
    return s != exclude && !(excluded && excluded->Test(s)) && !(allowed && !allowed->Test(s));
  };
  walk_detail::Beam beam{cand, top, opt.ef};
  if (opt.hidden_slot != kNoSlot) marks[opt.hidden_slot] = epoch;
  marks[ep] = epoch;
  beam.Seed(ep, sp.Dist(ep), accept(ep));
  uint64_t scored = 1;
  Neighbor c;
  while (beam.Next(&c)) {
    const uint32_t* list = lists.Get(c.slot, level, copy);
    // The list of the candidate expanded next is most likely the new heap
    // top: start loading it while this one is processed.
    if (!cand.empty()) PrefetchLine(g.List(cand.front().slot, level));
    const uint32_t cnt = list[0];
    uint32_t nbatch = 0;
    for (uint32_t j = 1; j <= cnt; ++j) {
      const uint32_t n = list[j];
      if (marks[n] == epoch) continue;
      marks[n] = epoch;
      batch[nbatch++] = n;
    }
    // Rows arrive one ahead: the whole next row is requested while this
    // one's distance is computed (requesting every row at once overflows
    // the line-fill buffers and stalls on the prefetches themselves).
    if (nbatch > 0) sp.Fetch(batch[0]);
    scored += nbatch;
    for (uint32_t b = 0; b < nbatch; ++b) {
      const uint32_t n = batch[b];
      if (b + 1 < nbatch) sp.Fetch(batch[b + 1]);
      const float dn = sp.Dist(n);
      if (beam.Worth(dn)) {
        beam.AddCandidate(n, dn);
        if (accept(n)) beam.AddResult(n, dn);
      }
    }
  }
  ctx.distances += scored;
  std::sort(top->begin(), top->end());
}

template <class Space>
void SearchLayerTwoHop(const HnswGraph& g, const Space& sp, uint32_t ep, const TwoHopWalk& opt,
                       SearchContext& ctx, std::vector<Neighbor>* top) {
  std::vector<Neighbor>& cand = ctx.candidates;
  std::vector<uint32_t>& scored = ctx.scored;
  std::vector<uint32_t>& hops = ctx.hops;
  VisitedSet& visited = ctx.visited;
  visited.Reset(g.size());
  const SlotBitmap& allowed = *opt.allowed;
  const SlotBitmap* const excluded = opt.excluded;
  const size_t max_scored = opt.max_scored;
  auto match = [&](uint32_t s) { return allowed.Test(s) && !(excluded && excluded->Test(s)); };
  walk_detail::Beam beam{cand, top, opt.ef};
  visited.Set(ep);
  beam.Seed(ep, sp.Dist(ep), match(ep));
  uint64_t total = 0;  // scored allowed slots (the routing ones are not counted)
  Neighbor c;
  while (beam.Next(&c)) {
    const uint32_t* list = g.List(c.slot, 0);
    const uint32_t cnt = list[0];
    scored.clear();
    hops.clear();
    for (uint32_t j = 1; j <= cnt; ++j) {
      const uint32_t n = list[j];
      if (visited.TestAndSet(n)) continue;
      if (match(n)) {
        scored.push_back(n);
        sp.Fetch(n);
      } else {
        hops.push_back(n);
        PrefetchLine(g.List(n, 0));
      }
    }
    if (top->empty()) {
      // No allowed slot reached yet: route through the others as the plain
      // walk does, so a query far from every allowed slot still gets there.
      // No allowed neighbour at all (under a filter independent of the
      // vectors that is unlikely unless it matches few): the query lies away
      // from the allowed slots, where one beam finds only the nearest group
      // of them; widen it.
      if (scored.empty()) beam.ef = std::max(beam.ef, opt.far_ef);
      for (uint32_t n : hops) sp.Fetch(n);
      for (uint32_t n : hops) beam.AddCandidate(n, sp.Dist(n));
    }
    for (size_t h = 0; h < hops.size() && scored.size() < max_scored; ++h) {
      const uint32_t* list2 = g.List(hops[h], 0);
      const uint32_t cnt2 = list2[0];
      for (uint32_t j = 1; j <= cnt2; ++j) {
        const uint32_t m = list2[j];
        if (!match(m) || visited.TestAndSet(m)) continue;
        scored.push_back(m);
        sp.Fetch(m);
      }
    }
    total += scored.size();
    for (uint32_t n : scored) {
      const float dn = sp.Dist(n);
      if (beam.Worth(dn)) {
        beam.AddCandidate(n, dn);
        beam.AddResult(n, dn);
      }
    }
  }
  ctx.distances += total;
  std::sort(top->begin(), top->end());
}

}  // namespace herondb
