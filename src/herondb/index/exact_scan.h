// Exact scans: score every candidate row against the query and keep the
// top k, for small collections and selective filters.
//
// Contract:
// - ScanRows is a read-only view of an index's float rows: the row store,
//   the per-row 1/|x| (read only when the metric needs norms), the metric
//   and the kernels. The rows must not change during a scan.
// - Every scan takes a query already prepared for the metric
//   (PrepareQuery in distance_space.h) and writes the best k (internal
//   distance, slot) pairs to *out, ascending (ties by slot). Deleted slots
//   (`deleted`) are never returned; `allowed` (may be null) restricts them
//   further. Rows are scored in blocks with the batch kernels.
// - ScanAll scores every slot; ScanCandidates the given slots (any order;
//   out-of-range ones are skipped), gathering them block by block into
//   *gather, then rescoring the k winners with the single-row kernel, so
//   the reported distance of a slot is the same as a graph walk's.
// - PackRows copies rows into a PackedRows; ScanPacked over it returns, bit
//   for bit, what ScanCandidates returns over packed.slots while those rows
//   are unchanged (both score blocks the same way and rescore the winners).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "herondb/common/aligned_vector.h"
#include "herondb/common/slot_bitmap.h"
#include "herondb/index/metric.h"
#include "herondb/index/neighbor.h"
#include "herondb/index/row_store.h"
#include "herondb/kernels/distance.h"

namespace herondb {

// Copies of some slots' rows in one contiguous block (plus their cosine
// inverse norms), so that an exact scan over them reads memory sequentially
// (ScanPacked). Stale once any of those slots changes (the owner must drop
// it).
struct PackedRows {
  std::vector<uint32_t> slots;   // slot of row i
  AlignedVector<float> rows;     // slots.size() x dim, as stored
  std::vector<float> inv_norms;  // cosine only: 1/|row i|
  size_t Bytes() const {
    return slots.capacity() * sizeof(uint32_t) + rows.capacity() * sizeof(float) +
           inv_norms.capacity() * sizeof(float);
  }
};

struct ScanRows {
  const VectorStore& rows;
  const float* inv_norms;  // per slot; used only when the metric needs norms
  Metric metric;
  const kernels::F32Kernels& k;
};

void ScanAll(const ScanRows& src, const float* q, size_t k, const SlotBitmap& deleted,
             const SlotBitmap* allowed, std::vector<Neighbor>* out);
void ScanCandidates(const ScanRows& src, const float* q, size_t k, const SlotBitmap& deleted,
                    const SlotBitmap* allowed, const std::vector<uint32_t>& candidates,
                    AlignedVector<float>* gather, std::vector<Neighbor>* out);
void PackRows(const ScanRows& src, const std::vector<uint32_t>& slots, PackedRows* out);
void ScanPacked(Metric metric, const kernels::F32Kernels& kern, size_t dim, const float* q,
                size_t k, const PackedRows& packed, std::vector<Neighbor>* out);

}  // namespace herondb
