// HnswIndex: reachability of every live slot (in-degrees, link-in of
// orphans, the breadth-first check and repair). See hnsw.h ("Reachability")
// for the contract.
#include <algorithm>
#include <limits>
#include <mutex>
#include <vector>

#include "herondb/index/graph_walk.h"
#include "herondb/index/hnsw.h"

namespace herondb {

void HnswIndex::NoteChangedRows(size_t rows) {
  LinkOrphans();
  unchecked_rows_ += rows;
  if (unchecked_rows_ * kReachCheckDivisor >= size()) EnsureReachable();
}

void HnswIndex::EnsureReachable() {
  if (unchecked_rows_ == 0) return;
  RepairReachability();
  unchecked_rows_ = 0;
}

void HnswIndex::EnsureInDegrees() {
  if (in_degree_valid_) return;
  in_degree_.assign(size(), 0);
  for (uint32_t s = 0; s < size(); ++s) {
    const uint32_t* list = graph_.List(s, 0);
    for (uint32_t j = 1; j <= list[0]; ++j) ++in_degree_[list[j]];
  }
  in_degree_valid_ = true;
}

void HnswIndex::MarkReached(uint32_t from, SlotBitmap* reached) const {
  if (reached->Test(from)) return;
  std::vector<uint32_t> stack{from};
  reached->Set(from);
  while (!stack.empty()) {
    const uint32_t s = stack.back();
    stack.pop_back();
    const uint32_t* list = graph_.List(s, 0);
    for (uint32_t j = 1; j <= list[0]; ++j) {
      const uint32_t t = list[j];
      if (reached->Test(t)) continue;
      reached->Set(t);
      stack.push_back(t);
    }
  }
}

std::vector<uint32_t> HnswIndex::UnreachableSlots() const {
  std::vector<uint32_t> out;
  if (max_level_ < 0) return out;
  SlotBitmap reached;
  reached.Resize(size());
  MarkReached(entry_, &reached);
  for (uint32_t s = 0; s < size(); ++s)
    if (!reached.Test(s) && !deleted_.Test(s)) out.push_back(s);
  return out;
}

void HnswIndex::LinkIn(uint32_t x, const SlotBitmap* reached) {
  // The nearest slots to x by a walk from the entry point (a walk from a
  // reached slot only meets reached slots). A narrow beam: only a near slot
  // that is reachable is needed (x's own neighbours are not enough: they may
  // be a group of near rows that only link each other).
  std::vector<Neighbor> found;
  WalkToRow(x, kLinkInEf, x, /*restart=*/true, reached, &found);
  if (found.empty()) return;
  // Prefer a near slot whose list has room; else the nearest gives up its
  // farthest link to a slot that keeps another in-link (so no new orphan
  // appears and repairs cannot cascade), or failing that its farthest.
  const uint32_t max0 = graph_.MaxNeighbors(0);
  uint32_t target = found.front().slot;
  for (size_t i = 0; i < std::min<size_t>(found.size(), 8); ++i) {
    if (graph_.List(found[i].slot, 0)[0] < max0) {
      target = found[i].slot;
      break;
    }
  }
  uint32_t* list = graph_.List(target, 0);
  if (list[0] < max0) {
    list[1 + list[0]] = x;
    ++list[0];
  } else {
    uint32_t far = 0;
    float far_d = -std::numeric_limits<float>::infinity();
    for (int pass = 0; pass < 2 && far == 0; ++pass) {
      for (uint32_t j = 1; j <= list[0]; ++j) {
        if (pass == 0 && in_degree_[list[j]] < 2) continue;
        const float d = PairDist(target, list[j]);
        if (d > far_d) {
          far_d = d;
          far = j;
        }
      }
    }
    const uint32_t dropped = list[far];
    list[far] = x;
    InLink(dropped, -1);
  }
  InLink(x, +1);
}

void HnswIndex::LinkOrphans() {
  // Each link-in may orphan one other slot; bounded so a pathological graph
  // cannot loop (RepairReachability catches what is left).
  for (size_t budget = 4 * orphans_.size() + 16; !orphans_.empty() && budget > 0; --budget) {
    const uint32_t x = orphans_.back();
    orphans_.pop_back();
    if (x == entry_ || in_degree_[x] != 0 || deleted_.Test(x)) continue;
    LinkIn(x, nullptr);
  }
  orphans_.clear();
}

size_t HnswIndex::RepairReachability() {
  if (max_level_ < 0 || size() < 2) return 0;
  EnsureInDegrees();
  size_t linked = 0;
  // Slots reachable only from other unreachable slots (their in-degree is
  // not zero): link each into its nearest reached slot, walking again while
  // a link-in displaced another slot's link.
  for (int round = 0; round < 8; ++round) {
    SlotBitmap reached;
    reached.Resize(size());
    MarkReached(entry_, &reached);
    size_t this_round = 0;
    for (uint32_t x = 0; x < size(); ++x) {
      if (reached.Test(x) || deleted_.Test(x)) continue;
      LinkIn(x, &reached);
      MarkReached(x, &reached);
      ++this_round;
    }
    linked += this_round;
    orphans_.clear();
    if (this_round == 0) break;
  }
  return linked;
}

bool HnswIndex::FindsItself(uint32_t s) const {
  std::vector<Neighbor> found;
  WalkToRow(s, kSelfSearchEf, kNoSlot, /*restart=*/false, nullptr, &found);
  for (const Neighbor& n : found)
    if (n.slot == s) return true;
  return false;
}

void HnswIndex::WalkToRow(uint32_t s, size_t ef, uint32_t exclude, bool restart,
                          const SlotBitmap* reached, std::vector<Neighbor>* found) const {
  auto ctx = contexts_.Acquire();
  WithMetric(metric_, [&](auto t) {
    using T = decltype(t);
    const auto sp =
        FloatSpaceOf<T>(FloatSpace<T>::Prepare(k_, vectors_.row(s), dim(), &ctx->query));
    const PlainLists lists{graph_};
    uint32_t start = GreedyDescent(lists, sp, entry_, max_level_, 1, *ctx);
    if (restart && (start == s || (reached && !reached->Test(start)))) start = entry_;
    LayerWalk opt;
    opt.ef = ef;
    opt.exclude_slot = exclude;
    SearchLayer(lists, sp, start, opt, *ctx, found);
  });
  AddThreadDistances(ctx->distances);
}

}  // namespace herondb
