// HnswIndex: construction, search (float32 and SQ8 with re-ranking),
// exact scans, snapshot state and the quantizer's lifecycle. Insertion is in
// hnsw_insert.cc, reachability repair in hnsw_repair.cc. See hnsw.h for the
// contract.
#include "herondb/index/hnsw.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <thread>

#include "herondb/common/error.h"
#include "herondb/index/graph_walk.h"

namespace herondb {
namespace {

thread_local uint64_t t_distances = 0;

// Idle search contexts an index keeps: one per thread that may search or
// insert at once (the caller plus a pool as large as the machine).
size_t MaxIdleContexts() { return std::max<size_t>(4, std::thread::hardware_concurrency()); }

}  // namespace

uint64_t HnswIndex::ThreadDistanceCount() { return t_distances; }
void HnswIndex::AddThreadDistances(uint64_t n) { t_distances += n; }

HnswIndex::HnswIndex(size_t dim, Metric metric, HnswParams params,
                     std::unique_ptr<RowBacking> backing)
    : metric_(metric),
      params_(params),
      k_(kernels::Best()),
      vectors_(dim, std::move(backing)),
      graph_(params.m, params.m * 2),
      level_mult_(1.0 / std::log(std::max<double>(2.0, params.m))),
      rng_(params.seed),
      contexts_(MaxIdleContexts()) {}

float HnswIndex::ToReported(float d) const {
  return WithMetric(metric_, [d](auto t) { return decltype(t)::Reported(d); });
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

void HnswIndex::Search(const float* query, size_t k, size_t ef, const SlotBitmap* allowed,
                       std::vector<Neighbor>* out) const {
  SearchImpl(query, k, ef, 0, allowed, false, kNoSlot, out);
}

void HnswIndex::SearchHidden(const float* query, size_t k, size_t ef, uint32_t hidden,
                             std::vector<Neighbor>* out) const {
  if (hidden == entry_ && max_level_ >= 0)
    throw Error(ErrorCode::kInvalidArgument, "the entry point cannot be hidden from a search");
  SearchImpl(query, k, ef, 0, nullptr, false, hidden, out);
}

void HnswIndex::SearchTwoHop(const float* query, size_t k, size_t ef, size_t far_ef,
                             const SlotBitmap& allowed, std::vector<Neighbor>* out) const {
  SearchImpl(query, k, ef, std::max(ef, far_ef), &allowed, true, kNoSlot, out);
}

void HnswIndex::SearchImpl(const float* query, size_t k, size_t ef, size_t far_ef,
                           const SlotBitmap* allowed, bool two_hop, uint32_t hidden,
                           std::vector<Neighbor>* out) const {
  out->clear();
  if (k == 0 || max_level_ < 0 || live_count() == 0) return;
  auto ctx = contexts_.Acquire();
  WithMetric(metric_, [&](auto t) {
    SearchWith<decltype(t)>(query, k, ef, far_ef, allowed, two_hop, hidden, *ctx, out);
  });
  AddThreadDistances(ctx->distances);
  if (out->size() > k) out->resize(k);
  for (Neighbor& n : *out) n.distance = ToReported(n.distance);
}

template <class T>
void HnswIndex::SearchWith(const float* query, size_t k, size_t ef, size_t far_ef,
                           const SlotBitmap* allowed, bool two_hop, uint32_t hidden,
                           SearchContext& ctx, std::vector<Neighbor>* out) const {
  const float* q = FloatSpace<T>::Prepare(k_, query, dim(), &ctx.query);
  const PlainLists lists{graph_};
  // The bottom-layer walk in space sp (out: ascending in sp's distances).
  auto walk = [&](const auto& sp) {
    const uint32_t cur = GreedyDescent(lists, sp, entry_, max_level_, 1, ctx, hidden);
    if (two_hop) {
      TwoHopWalk opt;
      opt.ef = std::max(ef, k);
      opt.far_ef = std::max(far_ef, k);
      opt.allowed = allowed;
      opt.excluded = &deleted_;
      // Enough scored slots from one expansion (a full bottom-layer list):
      // more two-hop lists would cost list reads for little gain (measured
      // on 100k MiniLM: twice this costs ~15% QPS for +0.005 recall; half
      // of it loses 0.03 recall at 10% selectivity).
      opt.max_scored = graph_.MaxNeighbors(0);
      SearchLayerTwoHop(graph_, sp, cur, opt, ctx, out);
    } else {
      LayerWalk opt;
      opt.ef = std::max(ef, k);
      opt.allowed = allowed;
      opt.excluded = deleted_count_ > 0 ? &deleted_ : nullptr;
      opt.hidden_slot = hidden;
      SearchLayer(lists, sp, cur, opt, ctx, out);
    }
  };
  const FloatSpace<T> exact = FloatSpaceOf<T>(q);
  if (sq8_ && sq8_->trained()) {
    // Walk with code distances, then re-rank the best RerankCount()
    // candidates (out is sorted by code distance) exactly.
    const CodeSpace<T> sp(*sq8_, CodeSpace<T>::Prepare(*sq8_, q, &ctx.sq8_query));
    walk(sp);
    out->resize(RerankCount(*out, k, ctx.sq8_query));
    constexpr size_t kAhead = 4;  // rows prefetched ahead of the one scored
    for (size_t i = 0; i < std::min(kAhead, out->size()); ++i) exact.Fetch((*out)[i].slot);
    for (size_t i = 0; i < out->size(); ++i) {
      if (i + kAhead < out->size()) exact.Fetch((*out)[i + kAhead].slot);
      (*out)[i].distance = exact.Dist((*out)[i].slot);
    }
    std::sort(out->begin(), out->end());
  } else {
    walk(exact);
  }
}

void HnswIndex::ExactSearch(const float* query, size_t k, const SlotBitmap* allowed,
                            const std::vector<uint32_t>* candidates,
                            std::vector<Neighbor>* out) const {
  out->clear();
  if (k == 0) return;
  auto ctx = contexts_.Acquire();
  const float* q = PrepareQuery(metric_, k_, query, dim(), &ctx->query);
  if (candidates)
    ScanCandidates(scan_rows(), q, k, deleted_, allowed, *candidates, &ctx->gather, out);
  else
    ScanAll(scan_rows(), q, k, deleted_, allowed, out);
  for (Neighbor& n : *out) n.distance = ToReported(n.distance);
}

void HnswIndex::PackRows(const std::vector<uint32_t>& slots, PackedRows* out) const {
  herondb::PackRows(scan_rows(), slots, out);
}

void HnswIndex::ExactSearchPacked(const float* query, size_t k, const PackedRows& packed,
                                  std::vector<Neighbor>* out) const {
  out->clear();
  if (k == 0) return;
  auto ctx = contexts_.Acquire();
  const float* q = PrepareQuery(metric_, k_, query, dim(), &ctx->query);
  ScanPacked(metric_, k_, dim(), q, k, packed, out);
  for (Neighbor& nb : *out) nb.distance = ToReported(nb.distance);
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
  q->Reserve(std::max(size(), locks_.size()));
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
