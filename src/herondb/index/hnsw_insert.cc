// HnswIndex: insertion (levels, linking with the neighbour-selection
// heuristic, reverse links, parallel batches) and vector updates. See hnsw.h
// for the contract.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <vector>

#include "herondb/index/graph_walk.h"
#include "herondb/index/hnsw.h"

namespace herondb {
namespace {

constexpr int kMaxLevel = 30;

}  // namespace

int HnswIndex::RandomLevel() {
  std::uniform_real_distribution<double> u(std::numeric_limits<double>::min(), 1.0);
  int level = static_cast<int>(-std::log(u(rng_)) * level_mult_);
  return std::min(level, kMaxLevel);
}

void HnswIndex::Reserve(size_t slots) {
  if (slots <= locks_.size()) return;
  size_t cap = std::max(slots, locks_.size() + locks_.size() / 2);
  vectors_.Reserve(cap);
  inv_norms_.reserve(MetricNeedsNorms(metric_) ? cap : 0);
  graph_.level0().reserve(cap * graph_.stride0());
  graph_.levels().reserve(cap);
  graph_.upper_offset().reserve(cap);
  deleted_.words.reserve((cap + 63) / 64);
  locks_.Reserve(cap);
  if (sq8_) sq8_->Reserve(cap);
}

void HnswIndex::SelectHeuristic(std::vector<Neighbor>* cands, size_t max) const {
  std::sort(cands->begin(), cands->end());
  if (cands->size() <= max) return;
  std::vector<Neighbor> kept;
  kept.reserve(max);
  for (const Neighbor& c : *cands) {
    if (kept.size() >= max) break;
    bool good = true;
    for (const Neighbor& r : kept) {
      if (PairDist(c.slot, r.slot) < c.distance) {
        good = false;
        break;
      }
    }
    if (good) kept.push_back(c);
  }
  cands->swap(kept);
}

void HnswIndex::SetLinks(uint32_t slot, int level, const std::vector<Neighbor>& sel) {
  LockSlot(slot);
  uint32_t* list = graph_.List(slot, level);
  uint32_t max = graph_.MaxNeighbors(level);
  // Bottom layer: count the new links before dropping the old ones, so a
  // slot linked before and after never reads as orphaned.
  const uint32_t old_cnt = list[0];
  uint32_t old[kMaxListWords];
  if (level == 0) {
    std::copy_n(list + 1, old_cnt, old);
    for (size_t j = 0; j < std::min<size_t>(sel.size(), max); ++j) InLink(sel[j].slot, +1);
  }
  uint32_t cnt = 0;
  for (const Neighbor& n : sel) {
    if (cnt >= max) break;
    list[1 + cnt++] = n.slot;
  }
  list[0] = cnt;
  if (level == 0)
    for (uint32_t j = 0; j < old_cnt; ++j) InLink(old[j], -1);
  UnlockSlot(slot);
}

void HnswIndex::InLink(uint32_t s, int delta) {
  std::atomic_ref<uint32_t> d(in_degree_[s]);
  if (delta > 0) {
    d.fetch_add(1, std::memory_order_relaxed);
  } else if (d.fetch_sub(1, std::memory_order_relaxed) == 1) {
    std::lock_guard<std::mutex> lk(orphans_mu_);
    orphans_.push_back(s);
  }
}

void HnswIndex::AddReverseLink(uint32_t target, uint32_t slot, int level, float dist) {
  LockSlot(target);
  uint32_t* list = graph_.List(target, level);
  uint32_t cnt = list[0];
  uint32_t max = graph_.MaxNeighbors(level);
  for (uint32_t j = 1; j <= cnt; ++j) {
    if (list[j] == slot) {
      UnlockSlot(target);
      return;
    }
  }
  if (cnt < max) {
    list[1 + cnt] = slot;
    list[0] = cnt + 1;
    if (level == 0) InLink(slot, +1);
  } else {
    std::vector<Neighbor> cands;
    cands.reserve(cnt + 1);
    for (uint32_t j = 1; j <= cnt; ++j) cands.push_back({PairDist(target, list[j]), list[j]});
    cands.push_back({dist, slot});
    SelectHeuristic(&cands, max);
    if (level == 0) {
      // The heuristic keeps a subset of the old list plus maybe `slot`.
      for (const Neighbor& c : cands)
        if (c.slot == slot) InLink(slot, +1);
      for (uint32_t j = 1; j <= cnt; ++j) {
        bool kept = false;
        for (const Neighbor& c : cands) kept |= c.slot == list[j];
        if (!kept) InLink(list[j], -1);
      }
    }
    for (size_t j = 0; j < cands.size(); ++j) list[1 + j] = cands[j].slot;
    list[0] = static_cast<uint32_t>(cands.size());
  }
  UnlockSlot(target);
}

// Links `slot` (whose vector and level are set) into the graph.
void HnswIndex::Link(uint32_t slot, int node_level, bool locked) {
  auto ctx = contexts_.Acquire();
  WithMetric(metric_, [&](auto t) {
    using T = decltype(t);
    if (locked)
      LinkWith<T>(LockedLists{graph_, locks_}, slot, node_level, *ctx);
    else
      LinkWith<T>(PlainLists{graph_}, slot, node_level, *ctx);
  });
  AddThreadDistances(ctx->distances);
}

template <class T, class Lists>
void HnswIndex::LinkWith(const Lists& lists, uint32_t slot, int node_level, SearchContext& ctx) {
  const auto sp =
      FloatSpaceOf<T>(FloatSpace<T>::Prepare(k_, vectors_.row(slot), dim(), &ctx.query));
  uint32_t ep;
  int max_level;
  {
    std::lock_guard<std::mutex> lk(entry_mu_);
    ep = entry_;
    max_level = max_level_;
  }
  int top_level = std::min(node_level, max_level);
  if (ep == slot) {
    // Relinking the entry point (UpdateVector): start from a neighbour on the
    // highest level where it has one. That neighbour exists on that level, so
    // the layer searches below never read a list a slot lacks (a level-0
    // neighbour used on an upper level did, and crashed).
    while (top_level >= 0 && graph_.List(slot, top_level)[0] == 0) --top_level;
    if (top_level < 0) return;
    ep = graph_.List(slot, top_level)[1];
  }
  uint32_t cur = ep;
  if (node_level < max_level) cur = GreedyDescent(lists, sp, ep, max_level, node_level + 1, ctx);
  std::vector<Neighbor>& found = ctx.found;
  LayerWalk opt;
  opt.ef = params_.ef_construction;
  opt.exclude_slot = slot;
  for (int level = top_level; level >= 0; --level) {
    opt.level = level;
    SearchLayer(lists, sp, cur, opt, ctx, &found);
    if (found.empty()) continue;
    uint32_t next = found.front().slot;
    SelectHeuristic(&found, params_.m);
    SetLinks(slot, level, found);
    for (const Neighbor& n : found) AddReverseLink(n.slot, slot, level, n.distance);
    cur = next;
  }
  if (node_level > max_level) {
    std::lock_guard<std::mutex> lk(entry_mu_);
    if (node_level > max_level_) {
      max_level_ = node_level;
      entry_ = slot;
    }
  }
}

uint32_t HnswIndex::AddBatch(const float* rows, size_t n, ThreadPool* pool) {
  const uint32_t first = static_cast<uint32_t>(size());
  if (n == 0) return first;
  const size_t total = first + n;
  Reserve(total);
  vectors_.Resize(total);
  graph_.Resize(total);
  deleted_.Resize(total);
  EnsureInDegrees();
  in_degree_.resize(total, 0);
  std::memcpy(vectors_.mutable_row(first), rows, n * vectors_.row_bytes());
  if (MetricNeedsNorms(metric_)) {
    inv_norms_.resize(total);
    for (size_t i = 0; i < n; ++i) {
      const float* v = vectors_.row(first + i);
      float n2 = k_.dot(v, v, dim());
      inv_norms_[first + i] = n2 > 0 ? 1.0f / std::sqrt(n2) : 0.0f;
    }
  }
  if (sq8_) EncodeRows(first, n);
  std::vector<int> levels(n);
  size_t upper_words = 0;
  for (size_t i = 0; i < n; ++i) {
    levels[i] = RandomLevel();
    upper_words += static_cast<size_t>(levels[i]) * (1 + params_.m);
  }
  graph_.ReserveUpper(upper_words);
  for (size_t i = 0; i < n; ++i) graph_.AllocateUpper(first + i, levels[i]);
  size_t start = 0;
  if (max_level_ < 0) {
    entry_ = first;
    max_level_ = levels[0];
    start = 1;
  }
  if (pool && pool->size() > 1 && n - start > 1) {
    pool->ParallelFor(
        n - start,
        [&](size_t i, size_t) {
          uint32_t s = first + static_cast<uint32_t>(start + i);
          Link(s, levels[start + i], true);
        },
        8);
  } else {
    for (size_t i = start; i < n; ++i) Link(first + static_cast<uint32_t>(i), levels[i], false);
  }
  {
    // New slots that no neighbour kept a link to.
    std::lock_guard<std::mutex> lk(orphans_mu_);
    for (size_t i = 0; i < n; ++i)
      if (in_degree_[first + i] == 0) orphans_.push_back(first + static_cast<uint32_t>(i));
  }
  NoteChangedRows(n);
  return first;
}

void HnswIndex::UpdateVector(uint32_t slot, const float* v) {
  EnsureInDegrees();
  vectors_.SetRow(slot, v);
  if (MetricNeedsNorms(metric_)) {
    float n2 = k_.dot(v, v, dim());
    inv_norms_[slot] = n2 > 0 ? 1.0f / std::sqrt(n2) : 0.0f;
  }
  if (sq8_) EncodeRows(slot, 1);
  // The old bottom-layer neighbours may have been reachable only through
  // this slot (a group of near rows linking each other, entered from here),
  // which in-degrees do not show: each one dropped from its list must still
  // be found by a search for its own vector, else it is linked in.
  const uint32_t* list = graph_.List(slot, 0);
  std::vector<uint32_t> before(list + 1, list + 1 + list[0]);
  if (size() > 1) Link(slot, graph_.level(slot), false);
  LinkOrphans();
  list = graph_.List(slot, 0);
  for (uint32_t o : before) {
    if (deleted_.Test(o) || std::find(list + 1, list + 1 + list[0], o) != list + 1 + list[0])
      continue;
    if (!FindsItself(o)) LinkIn(o, nullptr);
  }
  NoteChangedRows(1);
}

void HnswIndex::MarkDeleted(uint32_t slot) {
  if (deleted_.Test(slot)) return;
  deleted_.Set(slot);
  ++deleted_count_;
}

}  // namespace herondb
