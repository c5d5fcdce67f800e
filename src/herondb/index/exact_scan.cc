// Exact scans and top-k selection; see exact_scan.h for the contract.
#include "herondb/index/exact_scan.h"

#include <algorithm>
#include <cstring>

#include "herondb/index/distance_space.h"

namespace herondb {
namespace {

// Rows are scored in blocks of this many with the batch kernels.
constexpr size_t kScanBlock = 64;

// The k smallest (distance, slot) pairs offered.
struct TopK {
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

// Offers rows[i] (n contiguous rows, n <= kScanBlock) to *top labelled
// slots[i], or first_label + i when slots is null; under norms inv_norms[i]
// is the row's 1/|x|.
void ScoreRows(Metric metric, const kernels::F32Kernels& kern, size_t dim, const float* q,
               const float* rows, const uint32_t* slots, uint32_t first_label,
               const float* inv_norms, size_t n, TopK* top) {
  auto label = [&](size_t i) { return slots ? slots[i] : first_label + static_cast<uint32_t>(i); };
  float dists[kScanBlock];
  WithMetric(metric, [&](auto t) {
    using T = decltype(t);
    T::KernelBatch(kern, q, rows, n, dim, dists);
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

// The single-row distance a graph walk computes for a row.
float RowDist(Metric metric, const kernels::F32Kernels& kern, size_t dim, const float* q,
              const float* row, float inv_norm) {
  return WithMetric(metric, [&](auto t) {
    using T = decltype(t);
    return T::FromKernel(T::Kernel(kern, q, row, dim), T::kNeedsNorms ? inv_norm : 1.0f);
  });
}

bool NeedsNorms(const ScanRows& src) { return MetricNeedsNorms(src.metric); }

}  // namespace

void ScanAll(const ScanRows& src, const float* q, size_t k, const SlotBitmap& deleted,
             const SlotBitmap* allowed, std::vector<Neighbor>* out) {
  out->clear();
  if (k == 0) return;
  TopK top{k, *out};
  const size_t dim = src.rows.dim();
  const size_t size = src.rows.rows();
  auto ok = [&](uint32_t s) { return !deleted.Test(s) && !(allowed && !allowed->Test(s)); };
  constexpr size_t kBlock = 256;
  float dists[kBlock];
  for (size_t begin = 0; begin < size; begin += kBlock) {
    const size_t n = std::min(kBlock, size - begin);
    const float* base = src.rows.row(static_cast<uint32_t>(begin));
    WithMetric(src.metric, [&](auto t) {
      using T = decltype(t);
      T::KernelBatch(src.k, q, base, n, dim, dists);
      for (size_t i = 0; i < n; ++i) {
        const uint32_t s = static_cast<uint32_t>(begin + i);
        if (!ok(s)) continue;
        top.Offer(s, T::FromKernel(dists[i], T::kNeedsNorms ? src.inv_norms[s] : 1.0f));
      }
    });
  }
  std::sort(out->begin(), out->end());
}

void ScanCandidates(const ScanRows& src, const float* q, size_t k, const SlotBitmap& deleted,
                    const SlotBitmap* allowed, const std::vector<uint32_t>& candidates,
                    AlignedVector<float>* gather, std::vector<Neighbor>* out) {
  out->clear();
  if (k == 0) return;
  TopK top{k, *out};
  const size_t dim = src.rows.dim();
  const size_t size = src.rows.rows();
  const bool norms = NeedsNorms(src);
  auto ok = [&](uint32_t s) { return !deleted.Test(s) && !(allowed && !allowed->Test(s)); };
  // Gathered rows: copied block by block into one buffer and scored like
  // packed rows (ScoreRows), so a filter's results are the same before and
  // after its rows are packed. The next block's rows are prefetched while
  // this one is scored.
  AlignedVector<float>& buf = *gather;
  buf.resize(kScanBlock * dim);
  uint32_t slots[kScanBlock];
  float inv[kScanBlock];
  const uint32_t* c = candidates.data();
  const size_t total = candidates.size();
  const size_t lines = (src.rows.row_bytes() + 63) / 64 + 1;
  auto fetch = [&](size_t from) {
    for (size_t i = from; i < std::min(total, from + kScanBlock); ++i) {
      if (c[i] >= size) continue;
      const char* p = reinterpret_cast<const char*>(src.rows.row(c[i]));
      for (size_t l = 0; l < lines; ++l) PrefetchLine(p + 64 * l);
    }
  };
  fetch(0);
  for (size_t begin = 0; begin < total; begin += kScanBlock) {
    const size_t end = std::min(total, begin + kScanBlock);
    fetch(end);
    size_t n = 0;
    for (size_t i = begin; i < end; ++i) {
      const uint32_t s = c[i];
      if (s >= size || !ok(s)) continue;
      std::memcpy(buf.data() + n * dim, src.rows.row(s), src.rows.row_bytes());
      slots[n] = s;
      inv[n] = norms ? src.inv_norms[s] : 1.0f;
      ++n;
    }
    ScoreRows(src.metric, src.k, dim, q, buf.data(), slots, 0, inv, n, &top);
  }
  // The batch kernels round differently from the single-row one; the k
  // winners get the walk's distance, so every search reports the same value
  // for a slot (the graph walk, both scans).
  for (Neighbor& nb : *out)
    nb.distance = RowDist(src.metric, src.k, dim, q, src.rows.row(nb.slot),
                          norms ? src.inv_norms[nb.slot] : 1.0f);
  std::sort(out->begin(), out->end());
}

void PackRows(const ScanRows& src, const std::vector<uint32_t>& slots, PackedRows* out) {
  const size_t dim = src.rows.dim();
  out->slots = slots;
  out->rows.resize(slots.size() * dim);
  out->inv_norms.clear();
  const bool norms = NeedsNorms(src);
  if (norms) out->inv_norms.reserve(slots.size());
  for (size_t i = 0; i < slots.size(); ++i) {
    std::memcpy(out->rows.data() + i * dim, src.rows.row(slots[i]), src.rows.row_bytes());
    if (norms) out->inv_norms.push_back(src.inv_norms[slots[i]]);
  }
}

void ScanPacked(Metric metric, const kernels::F32Kernels& kern, size_t dim, const float* q,
                size_t k, const PackedRows& packed, std::vector<Neighbor>* out) {
  out->clear();
  if (k == 0) return;
  TopK top{k, *out};
  const size_t total = packed.slots.size();
  const bool norms = MetricNeedsNorms(metric);
  // Labelled by row position (ascending with the slots, so ties break the
  // same way); the winners are rescored from their packed rows (in cache)
  // with the single-row kernel, then labelled with their slots.
  for (size_t begin = 0; begin < total; begin += kScanBlock) {
    const size_t n = std::min(kScanBlock, total - begin);
    ScoreRows(metric, kern, dim, q, packed.rows.data() + begin * dim, nullptr,
              static_cast<uint32_t>(begin), norms ? packed.inv_norms.data() + begin : nullptr, n,
              &top);
  }
  for (Neighbor& nb : *out) {
    const uint32_t pos = nb.slot;
    nb.distance = RowDist(metric, kern, dim, q, packed.rows.data() + pos * dim,
                          norms ? packed.inv_norms[pos] : 1.0f);
    nb.slot = packed.slots[pos];
  }
  std::sort(out->begin(), out->end());
}

}  // namespace herondb
