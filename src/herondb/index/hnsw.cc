#include "herondb/index/hnsw.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <limits>
#include <string>

#include "herondb/index/visited.h"

namespace herondb {
namespace {

constexpr uint32_t kNone = 0xFFFFFFFFu;
constexpr int kMaxLevel = 30;

inline void Prefetch(const void* p) { __builtin_prefetch(p, 0, 3); }

// Min-heap / max-heap helpers over Neighbor vectors.
struct Farther {
  bool operator()(const Neighbor& a, const Neighbor& b) const { return a.distance > b.distance; }
};
struct Closer {
  bool operator()(const Neighbor& a, const Neighbor& b) const { return a.distance < b.distance; }
};

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

// Per-thread scratch for traversals, reused across calls.
// Largest neighbour list (count word + 2 * max m).
constexpr size_t kMaxListWords = 1 + 2 * 256;

struct TraversalScratch {
  std::vector<Neighbor> candidates;
  uint32_t batch[kMaxListWords];
  std::vector<float> query;
  std::vector<float> insert_query;
  std::vector<Neighbor> found;
  std::vector<uint32_t> scored;  // SearchLayerTwoHop
  std::vector<uint32_t> hops;    // SearchLayerTwoHop
  AlignedVector<float> gather;   // ExactSearch: one block of gathered rows
  Sq8Query sq8_query;
  VisitedSet visited;
  static TraversalScratch& Get() {
    thread_local TraversalScratch s;
    return s;
  }
};

thread_local uint64_t t_distances = 0;

}  // namespace

uint64_t HnswIndex::ThreadDistanceCount() { return t_distances; }

HnswIndex::HnswIndex(size_t dim, Metric metric, HnswParams params,
                     std::unique_ptr<RowBacking> backing)
    : metric_(metric),
      params_(params),
      k_(kernels::Best()),
      vectors_(dim, std::move(backing)),
      graph_(params.m, params.m * 2),
      level_mult_(1.0 / std::log(std::max<double>(2.0, params.m))),
      rng_(params.seed) {}

float HnswIndex::ToReported(float d) const {
  return WithMetric(metric_, [d](auto t) { return decltype(t)::Reported(d); });
}

inline float HnswIndex::QueryDist(const float* q, uint32_t slot) const {
  const float* v = vectors_.row(slot);
  return WithMetric(metric_, [&](auto t) {
    using T = decltype(t);
    return T::FromKernel(T::Kernel(k_, q, v, dim()), T::kNeedsNorms ? inv_norms_[slot] : 1.0f);
  });
}

float HnswIndex::PairDist(uint32_t a, uint32_t b) const {
  const float* va = vectors_.row(a);
  const float* vb = vectors_.row(b);
  return WithMetric(metric_, [&](auto t) {
    using T = decltype(t);
    const float r = T::Kernel(k_, va, vb, dim());
    if constexpr (T::kNeedsNorms)
      return T::Pair(r, inv_norms_[a], inv_norms_[b]);
    else
      return T::Pair(r, 1.0f, 1.0f);
  });
}

const float* HnswIndex::PrepareQuery(const float* q, std::vector<float>* buf) const {
  if (!MetricNeedsNorms(metric_)) return q;
  float n2 = k_.dot(q, q, dim());
  float inv = n2 > 0 ? 1.0f / std::sqrt(n2) : 0.0f;
  buf->resize(dim());
  for (size_t i = 0; i < dim(); ++i) (*buf)[i] = q[i] * inv;
  return buf->data();
}

// Distances from a prepared float query (exact; graph construction and the
// default search).
struct HnswIndex::FloatSpace {
  const HnswIndex& ix;
  const float* q;
  size_t lines;  // cache lines prefetched per row, at most 8
  FloatSpace(const HnswIndex& index, const float* query)
      : ix(index), q(query), lines(std::min<size_t>(index.vectors_.row_bytes() / 64 + 1, 8)) {}
  float Dist(uint32_t s) const { return ix.QueryDist(q, s); }
  void Touch(uint32_t s) const { Prefetch(ix.vectors_.row(s)); }
  void Fetch(uint32_t s) const {
    const char* p = reinterpret_cast<const char*>(ix.vectors_.row(s));
    for (size_t l = 0; l < lines; ++l) Prefetch(p + 64 * l);
  }
};

// Approximate distances from SQ8 codes, on the same internal scale as
// QueryDist (cosine 1 - q.x/|x|, squared L2, -q.x). Under cosine the codes
// hold x/|x| (see RowScales), so the score is already q.x/|x|.
struct HnswIndex::CodeSpace {
  const HnswIndex& ix;
  const Sq8Quantizer& sq;
  const Sq8Query& q;
  size_t lines;
  CodeSpace(const HnswIndex& index, const Sq8Query& query)
      : ix(index), sq(*index.sq8_), q(query), lines(std::min<size_t>(index.dim() / 64 + 1, 8)) {}
  float Dist(uint32_t s) const {
    const float score = sq.Score(q, s);
    return WithMetric(ix.metric_, [score](auto t) { return decltype(t)::FromSq8(score); });
  }
  void Touch(uint32_t s) const { Prefetch(sq.code(s)); }
  void Fetch(uint32_t s) const {
    const char* p = reinterpret_cast<const char*>(sq.code(s));
    for (size_t l = 0; l < lines; ++l) Prefetch(p + 64 * l);
  }
};

int HnswIndex::RandomLevel() {
  std::uniform_real_distribution<double> u(std::numeric_limits<double>::min(), 1.0);
  int level = static_cast<int>(-std::log(u(rng_)) * level_mult_);
  return std::min(level, kMaxLevel);
}

// Copies a neighbour list under its slot's lock (used while inserting in
// parallel, when other threads may rewrite it).
const uint32_t* HnswIndex::CopyList(uint32_t slot, const uint32_t* list, uint32_t* out) const {
  LockSlot(slot);
  uint32_t n = list[0];
  for (uint32_t j = 0; j <= n; ++j) out[j] = list[j];
  UnlockSlot(slot);
  return out;
}

void HnswIndex::LockSlot(uint32_t s) const {
  auto& l = locks_[s];
  while (l.exchange(1, std::memory_order_acquire)) {
    while (l.load(std::memory_order_relaxed)) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
  }
}
void HnswIndex::UnlockSlot(uint32_t s) const { locks_[s].store(0, std::memory_order_release); }

void HnswIndex::Reserve(size_t slots) {
  if (slots <= locks_size_) return;
  size_t cap = std::max(slots, locks_size_ + locks_size_ / 2);
  vectors_.Reserve(cap);
  inv_norms_.reserve(MetricNeedsNorms(metric_) ? cap : 0);
  graph_.level0().reserve(cap * graph_.stride0());
  graph_.levels().reserve(cap);
  graph_.upper_offset().reserve(cap);
  deleted_.words.reserve((cap + 63) / 64);
  locks_.reset(new std::atomic<uint8_t>[cap]);
  for (size_t i = 0; i < cap; ++i) locks_[i].store(0, std::memory_order_relaxed);
  locks_size_ = cap;
  if (sq8_) sq8_->Reserve(cap);
}

template <bool kLocked, class Space>
uint32_t HnswIndex::Greedy(const Space& sp, uint32_t ep, int from_level, int to_level) const {
  uint32_t cur = ep;
  float cur_d = sp.Dist(cur);
  uint32_t copy[kMaxListWords];
  for (int level = from_level; level >= to_level; --level) {
    bool changed = true;
    while (changed) {
      changed = false;
      const uint32_t* list = graph_.List(cur, level);
      if constexpr (kLocked) list = CopyList(cur, list, copy);
      uint32_t cnt = list[0];
      t_distances += cnt;
      for (uint32_t j = 1; j <= cnt; ++j) sp.Touch(list[j]);
      for (uint32_t j = 1; j <= cnt; ++j) {
        float d = sp.Dist(list[j]);
        if (d < cur_d) {
          cur_d = d;
          cur = list[j];
          changed = true;
        }
      }
    }
  }
  return cur;
}

template <bool kLocked, class Space>
void HnswIndex::SearchLayer(const Space& sp, uint32_t ep, size_t ef, int level,
                            const SlotBitmap* allowed, bool skip_deleted, uint32_t exclude,
                            std::vector<Neighbor>* top) const {
  auto& scratch = TraversalScratch::Get();
  auto& cand = scratch.candidates;
  uint32_t batch[kMaxListWords];
  uint32_t copy[kMaxListWords];
  VisitedSet& visited = scratch.visited;
  visited.Reset(size());
  // Hot-loop state in locals: the compiler cannot keep thread_local or
  // member loads out of the loop on its own (they may alias the stores).
  uint16_t* const marks = visited.marks();
  const uint16_t epoch = visited.epoch();
  const SlotBitmap* const deleted = skip_deleted && deleted_count_ > 0 ? &deleted_ : nullptr;
  auto accept = [&](uint32_t s) {
    return s != exclude && !(deleted && deleted->Test(s)) && !(allowed && !allowed->Test(s));
  };
  Beam beam{cand, top, ef};
  marks[ep] = epoch;
  beam.Seed(ep, sp.Dist(ep), accept(ep));
  uint64_t scored = 1;
  Neighbor c;
  while (beam.Next(&c)) {
    const uint32_t* list = graph_.List(c.slot, level);
    if constexpr (kLocked) list = CopyList(c.slot, list, copy);
    // The list of the candidate expanded next is most likely the new heap
    // top: start loading it while this one is processed.
    if (!cand.empty()) Prefetch(graph_.List(cand.front().slot, level));
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
  t_distances += scored;
  std::sort(top->begin(), top->end());
}

template <class Space>
void HnswIndex::SearchLayerTwoHop(const Space& sp, uint32_t ep, size_t ef, size_t far_ef,
                                  const SlotBitmap& allowed, std::vector<Neighbor>* top) const {
  // Enough scored slots from one expansion (a full bottom-layer list): more
  // two-hop lists would cost list reads for little gain (measured on 100k
  // MiniLM: twice this costs ~15% QPS for +0.005 recall; half of it loses
  // 0.03 recall at 10% selectivity).
  const size_t max_scored = graph_.MaxNeighbors(0);
  auto& scratch = TraversalScratch::Get();
  auto& cand = scratch.candidates;
  std::vector<uint32_t>& scored = scratch.scored;
  std::vector<uint32_t>& hops = scratch.hops;
  VisitedSet& visited = scratch.visited;
  visited.Reset(size());
  auto match = [&](uint32_t s) { return allowed.Test(s) && !deleted_.Test(s); };
  Beam beam{cand, top, ef};
  visited.Set(ep);
  beam.Seed(ep, sp.Dist(ep), match(ep));
  Neighbor c;
  while (beam.Next(&c)) {
    const uint32_t* list = graph_.List(c.slot, 0);
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
        Prefetch(graph_.List(n, 0));
      }
    }
    if (top->empty()) {
      // No allowed slot reached yet: route through the others as the plain
      // walk does, so a query far from every allowed slot still gets there.
      // No allowed neighbour at all (under a filter independent of the
      // vectors that is unlikely unless it matches few): the query lies away
      // from the allowed slots, where one beam finds only the nearest group
      // of them; widen it.
      if (scored.empty()) beam.ef = std::max(beam.ef, far_ef);
      for (uint32_t n : hops) sp.Fetch(n);
      for (uint32_t n : hops) beam.AddCandidate(n, sp.Dist(n));
    }
    for (size_t h = 0; h < hops.size() && scored.size() < max_scored; ++h) {
      const uint32_t* list2 = graph_.List(hops[h], 0);
      const uint32_t cnt2 = list2[0];
      for (uint32_t j = 1; j <= cnt2; ++j) {
        const uint32_t m = list2[j];
        if (!match(m) || visited.TestAndSet(m)) continue;
        scored.push_back(m);
        sp.Fetch(m);
      }
    }
    t_distances += scored.size();
    for (uint32_t n : scored) {
      const float dn = sp.Dist(n);
      if (beam.Worth(dn)) {
        beam.AddCandidate(n, dn);
        beam.AddResult(n, dn);
      }
    }
  }
  std::sort(top->begin(), top->end());
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
  auto& scratch = TraversalScratch::Get();
  const float* q = PrepareQuery(vectors_.row(slot), &scratch.insert_query);
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
  const FloatSpace sp(*this, q);
  if (node_level < max_level) {
    cur = locked ? Greedy<true>(sp, ep, max_level, node_level + 1)
                 : Greedy<false>(sp, ep, max_level, node_level + 1);
  }
  std::vector<Neighbor>& found = scratch.found;
  for (int level = top_level; level >= 0; --level) {
    if (locked)
      SearchLayer<true>(sp, cur, params_.ef_construction, level, nullptr, false, slot, &found);
    else
      SearchLayer<false>(sp, cur, params_.ef_construction, level, nullptr, false, slot, &found);
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
  auto& scratch = TraversalScratch::Get();
  const float* q = PrepareQuery(vectors_.row(x), &scratch.insert_query);
  const FloatSpace sp(*this, q);
  uint32_t start = Greedy<false>(sp, entry_, max_level_, 1);
  if (start == x || (reached && !reached->Test(start))) start = entry_;
  std::vector<Neighbor> found;
  SearchLayer<false>(sp, start, kLinkInEf, 0, nullptr, false, x, &found);
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

bool HnswIndex::FindsItself(uint32_t s) const {
  auto& scratch = TraversalScratch::Get();
  const float* q = PrepareQuery(vectors_.row(s), &scratch.insert_query);
  const FloatSpace sp(*this, q);
  const uint32_t start = Greedy<false>(sp, entry_, max_level_, 1);
  std::vector<Neighbor> found;
  SearchLayer<false>(sp, start, kSelfSearchEf, 0, nullptr, false, kNone, &found);
  for (const Neighbor& n : found)
    if (n.slot == s) return true;
  return false;
}

void HnswIndex::MarkDeleted(uint32_t slot) {
  if (deleted_.Test(slot)) return;
  deleted_.Set(slot);
  ++deleted_count_;
}

void HnswIndex::Search(const float* query, size_t k, size_t ef, const SlotBitmap* allowed,
                       std::vector<Neighbor>* out) const {
  SearchImpl(query, k, ef, 0, allowed, false, out);
}

void HnswIndex::SearchTwoHop(const float* query, size_t k, size_t ef, size_t far_ef,
                             const SlotBitmap& allowed, std::vector<Neighbor>* out) const {
  SearchImpl(query, k, ef, std::max(ef, far_ef), &allowed, true, out);
}

void HnswIndex::SearchImpl(const float* query, size_t k, size_t ef, size_t far_ef,
                           const SlotBitmap* allowed, bool two_hop,
                           std::vector<Neighbor>* out) const {
  out->clear();
  if (k == 0 || max_level_ < 0 || live_count() == 0) return;
  auto& scratch = TraversalScratch::Get();
  const float* q = PrepareQuery(query, &scratch.query);
  if (sq8_ && sq8_->trained()) {
    // Walk with code distances, then re-rank the best RerankCount()
    // candidates (out is sorted by code distance) exactly.
    const bool sq8_l2 = WithMetric(metric_, [](auto t) { return decltype(t)::kSq8Euclidean; });
    sq8_->PrepareQuery(q, sq8_l2, &scratch.sq8_query);
    const CodeSpace sp(*this, scratch.sq8_query);
    uint32_t cur = Greedy<false>(sp, entry_, max_level_, 1);
    if (two_hop)
      SearchLayerTwoHop(sp, cur, std::max(ef, k), std::max(far_ef, k), *allowed, out);
    else
      SearchLayer<false>(sp, cur, std::max(ef, k), 0, allowed, true, kNone, out);
    out->resize(RerankCount(*out, k, scratch.sq8_query));
    const FloatSpace exact(*this, q);
    constexpr size_t kAhead = 4;  // rows prefetched ahead of the one scored
    for (size_t i = 0; i < std::min(kAhead, out->size()); ++i) exact.Fetch((*out)[i].slot);
    for (size_t i = 0; i < out->size(); ++i) {
      if (i + kAhead < out->size()) exact.Fetch((*out)[i + kAhead].slot);
      (*out)[i].distance = exact.Dist((*out)[i].slot);
    }
    std::sort(out->begin(), out->end());
  } else {
    const FloatSpace sp(*this, q);
    uint32_t cur = Greedy<false>(sp, entry_, max_level_, 1);
    if (two_hop)
      SearchLayerTwoHop(sp, cur, std::max(ef, k), std::max(far_ef, k), *allowed, out);
    else
      SearchLayer<false>(sp, cur, std::max(ef, k), 0, allowed, true, kNone, out);
  }
  if (out->size() > k) out->resize(k);
  for (Neighbor& n : *out) n.distance = ToReported(n.distance);
}

// The k smallest (distance, slot) pairs offered, as a max-heap on distance.
struct HnswIndex::TopK {
  // Up to this k the winners are kept as a sorted array (insertion is
  // cheaper than heap updates for small k); above it as a max-heap.
  static constexpr size_t kSortedMax = 64;
  size_t k;
  std::vector<Neighbor>& heap;
  bool full() const { return heap.size() >= k; }
  // The k-th best distance held (only when full()).
  float Worst() const { return k <= kSortedMax ? heap.back().distance : heap.front().distance; }
  void Offer(uint32_t s, float d) {
    if (k <= kSortedMax) {
      if (heap.size() < k) {
        heap.push_back({d, s});
      } else if (!(d < heap.back().distance)) {
        return;
      }
      size_t i = heap.size() - 1;
      for (; i > 0 && heap[i - 1].distance > d; --i) heap[i] = heap[i - 1];
      heap[i] = {d, s};
      return;
    }
    if (heap.size() < k) {
      heap.push_back({d, s});
      std::push_heap(heap.begin(), heap.end(), Closer{});
    } else if (d < heap.front().distance) {
      std::pop_heap(heap.begin(), heap.end(), Closer{});
      heap.back() = {d, s};
      std::push_heap(heap.begin(), heap.end(), Closer{});
    }
  }
};

void HnswIndex::ExactSearch(const float* query, size_t k, const SlotBitmap* allowed,
                            const std::vector<uint32_t>* candidates,
                            std::vector<Neighbor>* out) const {
  out->clear();
  if (k == 0) return;
  auto& scratch = TraversalScratch::Get();
  const float* q = PrepareQuery(query, &scratch.query);
  TopK top{k, *out};
  auto ok = [&](uint32_t s) { return !deleted_.Test(s) && !(allowed && !allowed->Test(s)); };
  if (candidates) {
    // Gathered rows: copied block by block into one buffer and scored like
    // packed rows (ScoreRows), so a filter's results are the same before and
    // after its rows are packed. The next block's rows are prefetched while
    // this one is scored.
    AlignedVector<float>& buf = scratch.gather;
    buf.resize(kScanBlock * dim());
    uint32_t slots[kScanBlock];
    float inv[kScanBlock];
    const uint32_t* c = candidates->data();
    const size_t total = candidates->size();
    const size_t lines = (vectors_.row_bytes() + 63) / 64 + 1;
    auto fetch = [&](size_t from) {
      for (size_t i = from; i < std::min(total, from + kScanBlock); ++i) {
        if (c[i] >= size()) continue;
        const char* p = reinterpret_cast<const char*>(vectors_.row(c[i]));
        for (size_t l = 0; l < lines; ++l) Prefetch(p + 64 * l);
      }
    };
    fetch(0);
    for (size_t begin = 0; begin < total; begin += kScanBlock) {
      const size_t end = std::min(total, begin + kScanBlock);
      fetch(end);
      size_t n = 0;
      for (size_t i = begin; i < end; ++i) {
        const uint32_t s = c[i];
        if (s >= size() || !ok(s)) continue;
        std::memcpy(buf.data() + n * dim(), vectors_.row(s), vectors_.row_bytes());
        slots[n] = s;
        inv[n] = RowScale(s);
        ++n;
      }
      ScoreRows(q, buf.data(), slots, 0, inv, n, &top);
    }
  } else {
    constexpr size_t kBlock = 256;
    float dists[kBlock];
    for (size_t begin = 0; begin < size(); begin += kBlock) {
      size_t n = std::min(kBlock, size() - begin);
      const float* base = vectors_.row(static_cast<uint32_t>(begin));
      WithMetric(metric_, [&](auto t) {
        using T = decltype(t);
        T::KernelBatch(k_, q, base, n, dim(), dists);
        for (size_t i = 0; i < n; ++i) {
          uint32_t s = static_cast<uint32_t>(begin + i);
          if (!ok(s)) continue;
          top.Offer(s, T::FromKernel(dists[i], T::kNeedsNorms ? inv_norms_[s] : 1.0f));
        }
      });
    }
  }
  if (candidates) RescoreWinners(q, out);
  std::sort(out->begin(), out->end());
  for (Neighbor& n : *out) n.distance = ToReported(n.distance);
}

void HnswIndex::RescoreWinners(const float* q, std::vector<Neighbor>* winners) const {
  for (Neighbor& n : *winners) n.distance = QueryDist(q, n.slot);
}

void HnswIndex::PackRows(const std::vector<uint32_t>& slots, PackedRows* out) const {
  out->slots = slots;
  out->rows.resize(slots.size() * dim());
  out->inv_norms.clear();
  const bool norms = MetricNeedsNorms(metric_);
  if (norms) out->inv_norms.reserve(slots.size());
  for (size_t i = 0; i < slots.size(); ++i) {
    std::memcpy(out->rows.data() + i * dim(), vectors_.row(slots[i]), vectors_.row_bytes());
    if (norms) out->inv_norms.push_back(inv_norms_[slots[i]]);
  }
}

void HnswIndex::ExactSearchPacked(const float* query, size_t k, const PackedRows& packed,
                                  std::vector<Neighbor>* out) const {
  out->clear();
  if (k == 0) return;
  auto& scratch = TraversalScratch::Get();
  const float* q = PrepareQuery(query, &scratch.query);
  TopK top{k, *out};
  const size_t total = packed.slots.size();
  const bool norms = MetricNeedsNorms(metric_);
  // Labelled by row position (ascending with the slots, so ties break the
  // same way); the winners are rescored from their packed rows (in cache)
  // with QueryDist's arithmetic, then labelled with their slots.
  for (size_t begin = 0; begin < total; begin += kScanBlock) {
    const size_t n = std::min(kScanBlock, total - begin);
    ScoreRows(q, packed.rows.data() + begin * dim(), nullptr, static_cast<uint32_t>(begin),
              norms ? packed.inv_norms.data() + begin : nullptr, n, &top);
  }
  for (Neighbor& nb : *out) {
    const uint32_t pos = nb.slot;
    const float* row = packed.rows.data() + pos * dim();
    nb.distance = WithMetric(metric_, [&](auto t) {
      using T = decltype(t);
      return T::FromKernel(T::Kernel(k_, q, row, dim()),
                           T::kNeedsNorms ? packed.inv_norms[pos] : 1.0f);
    });
    nb.slot = packed.slots[pos];
  }
  std::sort(out->begin(), out->end());
  for (Neighbor& nb : *out) nb.distance = ToReported(nb.distance);
}

void HnswIndex::ScoreRows(const float* q, const float* rows, const uint32_t* slots,
                          uint32_t first_label, const float* inv_norms, size_t n, TopK* top) const {
  auto label = [&](size_t i) { return slots ? slots[i] : first_label + static_cast<uint32_t>(i); };
  float dists[kScanBlock];
  WithMetric(metric_, [&](auto t) {
    using T = decltype(t);
    T::KernelBatch(k_, q, rows, n, dim(), dists);
    if constexpr (T::kNeedsNorms) {
      for (size_t i = 0; i < n; ++i) dists[i] = T::FromKernel(dists[i], inv_norms[i]);
    } else {
      for (size_t i = 0; i < n; ++i) dists[i] = T::FromKernel(dists[i], 1.0f);
    }
  });
  // Once k are held, most rows lose to the k-th best: one compare each.
  size_t i = 0;
  for (; i < n && !top->full(); ++i) top->Offer(label(i), dists[i]);
  if (i == n) return;
  float worst = top->Worst();
  for (; i < n; ++i) {
    if (!(dists[i] < worst)) continue;
    top->Offer(label(i), dists[i]);
    worst = top->Worst();
  }
}

GraphStats HnswIndex::Stats() const {
  GraphStats st;
  st.num_layers = max_level_ < 0 ? 0 : static_cast<size_t>(max_level_) + 1;
  st.memory_vectors_bytes = vectors_.bytes() + inv_norms_.size() * sizeof(float);
  st.memory_graph_bytes = graph_.MemoryBytes();
  st.memory_quantized_bytes = sq8_ ? sq8_->MemoryBytes() : 0;
  size_t live = 0, sum = 0, mx = 0, mn = std::numeric_limits<size_t>::max();
  for (uint32_t s = 0; s < size(); ++s) {
    if (deleted_.Test(s)) continue;
    size_t c = graph_.List(s, 0)[0];
    ++live;
    sum += c;
    mx = std::max(mx, c);
    mn = std::min(mn, c);
  }
  st.avg_degree_layer0 = live ? static_cast<double>(sum) / live : 0.0;
  st.max_degree_layer0 = mx;
  st.min_degree_layer0 = live ? mn : 0;
  return st;
}

std::string HnswIndex::Verify() const {
  const size_t n = size();
  if (graph_.size() != n)
    return "graph has " + std::to_string(graph_.size()) + " slots, vectors " + std::to_string(n);
  if (n == 0) return max_level_ < 0 ? "" : "empty graph has an entry point";
  if (entry_ >= n) return "entry point " + std::to_string(entry_) + " out of range";
  if (graph_.level(entry_) != max_level_) return "entry point is not on the top level";
  for (uint32_t s = 0; s < n; ++s) {
    int lv = graph_.level(s);
    if (lv > max_level_) return "slot " + std::to_string(s) + " is above the top level";
    if (lv > 0) {
      uint32_t off = graph_.upper_offset()[s];
      if (off == HnswGraph::kNoUpper ||
          off + static_cast<size_t>(lv) * (1 + graph_.m()) > graph_.upper().size())
        return "slot " + std::to_string(s) + " has upper lists out of bounds";
    }
    for (int l = 0; l <= lv; ++l) {
      const uint32_t* list = graph_.List(s, l);
      if (list[0] > graph_.MaxNeighbors(l))
        return "slot " + std::to_string(s) + " has too many links on level " + std::to_string(l);
      for (uint32_t j = 1; j <= list[0]; ++j) {
        uint32_t t = list[j];
        if (t >= n || t == s)
          return "slot " + std::to_string(s) + " links to invalid slot " + std::to_string(t);
        if (graph_.level(t) < l)
          return "slot " + std::to_string(s) + " links to " + std::to_string(t) +
                 " on a level it lacks";
      }
    }
  }
  return "";
}

void HnswIndex::RestoreState(uint32_t entry, int max_level, const uint64_t* deleted_words,
                             const float* inv_norms) {
  entry_ = entry;
  max_level_ = max_level;
  // Graphs written before reachability was repaired (or by an older
  // version) get checked at the next write.
  unchecked_rows_ = size();
  in_degree_valid_ = false;
  in_degree_.clear();
  Reserve(size());
  deleted_.words.assign(deleted_words, deleted_words + (size() + 63) / 64);
  deleted_count_ = 0;
  for (uint64_t w : deleted_.words) deleted_count_ += static_cast<size_t>(std::popcount(w));
  if (MetricNeedsNorms(metric_)) {
    if (inv_norms) {
      inv_norms_.assign(inv_norms, inv_norms + size());
    } else {
      inv_norms_.resize(size());
      for (uint32_t s = 0; s < size(); ++s) {
        const float* v = vectors_.row(s);
        float n2 = k_.dot(v, v, dim());
        inv_norms_[s] = n2 > 0 ? 1.0f / std::sqrt(n2) : 0.0f;
      }
    }
  }
}

void HnswIndex::EncodeRows(uint32_t first, size_t n) {
  if (n == 0) return;
  if (!sq8_->trained()) {
    // First rows of an index that was empty when quantization was enabled.
    RetrainQuantizer();
    return;
  }
  sq8_->Resize(size());
  for (size_t i = 0; i < n; ++i) {
    const uint32_t s = first + static_cast<uint32_t>(i);
    sq8_->SetRow(s, vectors_.row(s), RowScale(s));
  }
  if (sq8_->stale() && sq8_->rows_since_training() * kRetrainDivisor >= size()) RetrainQuantizer();
}

void HnswIndex::EnableQuantized() {
  if (sq8_) return;
  InstallQuantizer(TrainQuantizer());
}

std::unique_ptr<Sq8Quantizer> HnswIndex::TrainQuantizer() const {
  auto q = std::make_unique<Sq8Quantizer>(dim());
  q->Reserve(std::max(size(), locks_size_));
  if (size() > 0) q->Retrain(vectors_.data(), size(), RowScales());
  return q;
}

void HnswIndex::InstallQuantizer(std::unique_ptr<Sq8Quantizer> q) {
  sq8_ = std::move(q);
  vectors_.SetRandomAccess(true);
}

void HnswIndex::DisableQuantized() {
  sq8_.reset();
  vectors_.SetRandomAccess(false);
}

void HnswIndex::SetRerank(float sigmas, uint32_t extra) {
  // NaN and negatives map to 0; a huge value means "every ef candidate".
  rerank_sigmas_ = sigmas > 0.0f ? std::min(sigmas, 1e30f) : 0.0f;
  rerank_extra_ = extra;
}

size_t HnswIndex::RerankCount(const std::vector<Neighbor>& cands, size_t k,
                              const Sq8Query& q) const {
  const size_t n = cands.size();
  size_t r = std::min(n, k + rerank_extra_);
  if (r >= n || k == 0) return n;
  const float ck = cands[std::min(k, n) - 1].distance;
  const float limit = ck + rerank_sigmas_ * sq8_->ErrorSd(q, ck);
  while (r < n && cands[r].distance <= limit) ++r;
  return r;
}

void HnswIndex::RetrainQuantizer() {
  if (sq8_ && size() > 0) sq8_->Retrain(vectors_.data(), size(), RowScales());
}

void HnswIndex::RestoreQuantized(std::vector<float> mins, std::vector<float> scales,
                                 std::unique_ptr<RowBacking> codes) {
  auto q = std::make_unique<Sq8Quantizer>(dim());
  q->Restore(std::move(mins), std::move(scales), std::move(codes), size());
  sq8_ = std::move(q);
  vectors_.SetRandomAccess(true);
}

}  // namespace herondb
