// HnswIndex: a hierarchical navigable small world graph over dense u32 slots,
// plus the exact scan used for small collections and selective filters.
//
// Contract:
// - Slots are appended (AddBatch) and never renumbered; a deleted slot keeps
//   its vector and links (it still routes searches) but is never returned.
// - Writers (AddBatch, UpdateVector, MarkDeleted, Reserve) must be serialized
//   by the caller and must not run beside searches; AddBatch itself inserts
//   in parallel on the given pool with per-slot locks. Any number of searches
//   may run at once.
// - Search returns up to k (distance, slot) pairs of live slots accepted by
//   the optional filter bitmap, ascending by distance, using D2 distances
//   (cosine 1-cos, euclidean sqrt, dot -a.b). With a filter, non-matching
//   slots still guide the traversal.
// - Quantized search (SQ8, optional): while enabled, every slot also has u8
//   codes (Sq8Quantizer) kept current by AddBatch/UpdateVector; Search walks
//   the graph with asymmetric code distances, then re-ranks only the best
//   RerankCount() of its ef candidates (by code distance) with exact
//   float32 distances and returns the best k of those, so reported distances
//   are exact and only the candidate set can differ. Bounding the re-rank
//   bounds the float32 rows (pages of the vector block) a query touches;
//   while quantized, the vector block is also hinted random-access
//   (VectorStore::SetRandomAccess) so a cold row is read without
//   read-ahead. Under cosine the codes hold the unit vectors x/|x|. Graph
//   construction and ExactSearch always use float32. Ranges are trained on
//   the rows present when enabled (or on the first batch of an empty index)
//   and retrained by AddBatch/UpdateVector when the quantizer reports drift
//   (stale()), at most once per size()/kRetrainDivisor encoded rows.
// - Reachability: every live slot is reachable on the bottom layer from the
//   entry point, so a search whose beam covers the collection finds it.
//   Neighbour selection can drop a slot's last in-link (the heuristic
//   pruning of a full list keeps a closer, "occluding" neighbour, which
//   under parallel insertion may not link to the slot), and relinking an
//   updated slot drops its old out-links. The writers therefore keep each
//   slot's bottom-layer in-degree, and at the end of every AddBatch and
//   UpdateVector link each live slot left with none into the list of its
//   nearest slot (LinkIn); UpdateVector also links in each old neighbour it
//   dropped that a search for its own vector no longer finds. Slots
//   reachable only from other unreachable
//   slots are caught by a breadth-first walk of the bottom layer from the
//   entry point (RepairReachability): after every AddBatch/UpdateVector
//   once the rows inserted or relinked since the last walk reach
//   size()/kReachCheckDivisor (so always after a batch that large), and at
//   EnsureReachable (Database::Save, before writing a snapshot).
// - Scratch: every search, insertion and repair walk borrows a
//   SearchContext from this index's pool (search_context.h) for its
//   duration, so concurrent searches use different contexts, a context's
//   visited table is sized to this index only, and all of them are freed
//   with the index. SearchContextBytes() reports what the idle ones hold.
// - Composition: the graph (graph.h), the float rows and SQ8 codes (row
//   stores, row_store.h / sq8_quantizer.h), the walks (graph_walk.h, over a
//   distance space from distance_space.h), exact scans (exact_scan.h);
//   this class adds insertion (hnsw.cc), reachability repair
//   (hnsw_repair.cc) and the SQ8 re-rank policy.
// - Knows nothing of ids, metadata or files.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <random>
#include <vector>

#include "herondb/common/aligned_vector.h"
#include "herondb/common/slot_bitmap.h"
#include "herondb/common/thread_pool.h"
#include "herondb/index/distance_space.h"
#include "herondb/index/exact_scan.h"
#include "herondb/index/graph.h"
#include "herondb/index/metric.h"
#include "herondb/index/neighbor.h"
#include "herondb/index/row_store.h"
#include "herondb/index/search_context.h"
#include "herondb/index/slot_locks.h"
#include "herondb/index/sq8_quantizer.h"
#include "herondb/kernels/distance.h"

namespace herondb {

struct HnswParams {
  uint32_t m = 16;
  uint32_t ef_construction = 200;
  uint64_t seed = 0x5eed;
};

struct GraphStats {
  size_t num_layers = 0;
  double avg_degree_layer0 = 0;
  size_t max_degree_layer0 = 0;
  size_t min_degree_layer0 = 0;
  size_t memory_vectors_bytes = 0;
  size_t memory_graph_bytes = 0;
  size_t memory_quantized_bytes = 0;  // SQ8 code block + per-row terms; 0 when off
};

class HnswIndex {
 public:
  HnswIndex(size_t dim, Metric metric, HnswParams params,
            std::unique_ptr<RowBacking> backing = nullptr);

  size_t dim() const { return vectors_.dim(); }
  Metric metric() const { return metric_; }
  const HnswParams& params() const { return params_; }
  size_t size() const { return vectors_.rows(); }
  size_t deleted_count() const { return deleted_count_; }
  size_t live_count() const { return size() - deleted_count_; }
  const float* vector(uint32_t slot) const { return vectors_.row(slot); }
  bool IsDeleted(uint32_t slot) const { return deleted_.Test(slot); }

  // Appends n rows (row-major, n x dim) as new slots [size(), size()+n) and
  // links them into the graph, in parallel on `pool` (may be null). For
  // cosine every row must have a non-zero norm (checked by the caller).
  uint32_t AddBatch(const float* rows, size_t n, ThreadPool* pool);
  // Replaces the vector of a slot and relinks it.
  void UpdateVector(uint32_t slot, const float* v);
  void MarkDeleted(uint32_t slot);
  // Make room for `slots` slots in total (avoids regrowth during big batches).
  void Reserve(size_t slots);

  // Distances the graph walks (Search, SearchTwoHop, insertion) have
  // computed on the calling thread so far (for cost estimates: the
  // difference around one search is that search's work).
  static uint64_t ThreadDistanceCount();

  // Approximate search; `allowed` (may be null) restricts results
  // (non-allowed slots are scored and route the walk).
  void Search(const float* query, size_t k, size_t ef, const SlotBitmap* allowed,
              std::vector<Neighbor>* out) const;
  // Search as if slot `hidden` were not in the graph: it is never scored,
  // walked through or returned (its in-links lead nowhere). Searching for a
  // stored row with its own slot hidden is a query the graph has never
  // seen, drawn from the stored data (search calibration). `hidden` must
  // not be entry_point(); quantized search applies as in Search.
  void SearchHidden(const float* query, size_t k, size_t ef, uint32_t hidden,
                    std::vector<Neighbor>* out) const;
  // Approximate search restricted to `allowed`, scoring allowed slots only:
  // on the bottom layer a non-allowed neighbour is not scored, but its own
  // allowed neighbours are (two hops), so the walk moves through the allowed
  // slots (SearchLayerTwoHop). Until it reaches an allowed slot it routes
  // through the others like Search; when a slot expanded meanwhile has no
  // allowed neighbour (the query lies away from the allowed slots, e.g.
  // under a filter correlated with the data) the beam grows from ef to
  // far_ef (>= ef).
  void SearchTwoHop(const float* query, size_t k, size_t ef, size_t far_ef,
                    const SlotBitmap& allowed, std::vector<Neighbor>* out) const;
  // Exact scan over live slots, or over `candidates` when given (sorted or
  // not; deleted ones are skipped).
  void ExactSearch(const float* query, size_t k, const SlotBitmap* allowed,
                   const std::vector<uint32_t>* candidates, std::vector<Neighbor>* out) const;
  // Copies the rows of `slots` (live, in this order) into *out.
  void PackRows(const std::vector<uint32_t>& slots, PackedRows* out) const;
  // ExactSearch over packed rows: the same results, bit for bit, as
  // ExactSearch over `packed.slots` while those slots are unchanged (both
  // score with the batch kernels and report the walk's distances).
  void ExactSearchPacked(const float* query, size_t k, const PackedRows& packed,
                         std::vector<Neighbor>* out) const;

  // SQ8 quantized traversal (see the contract above). EnableQuantized trains
  // the ranges on the current rows (if any) and encodes them all; a no-op
  // when already enabled. DisableQuantized frees the codes. Writers.
  void EnableQuantized();
  void DisableQuantized();
  // EnableQuantized in two steps, so that the costly one runs beside
  // readers: TrainQuantizer (const; rows must not change meanwhile) trains
  // and encodes a quantizer for the current rows, InstallQuantizer (a
  // writer) makes it the live one.
  std::unique_ptr<Sq8Quantizer> TrainQuantizer() const;
  void InstallQuantizer(std::unique_ptr<Sq8Quantizer> q);
  bool quantized() const { return sq8_ != nullptr; }
  // Re-rank bound of quantized search. With the candidates sorted by code
  // distance c_1 <= c_2 <= ..., the re-ranked ones are
  //   every candidate with c_i <= c_k + sigmas * sd,
  //   at least min(ef', k + extra) and at most ef' of them  (ef' = max(ef, k)),
  // where sd is the estimated standard deviation of the difference between
  // two candidates' code-distance errors (Sq8Quantizer::ErrorSd: 8-bit
  // rounding, per query and, for L2, per distance). So the bound adapts to
  // how well the codes order this data: on MiniLM 100k x 384 it re-ranks
  // about k + 2 (recall equal to re-ranking all ef), on 16-d tight clusters
  // many more. sigmas >= 0 (a huge value re-ranks all ef'). Writer.
  static constexpr float kDefaultRerankSigmas = 3.0f;
  static constexpr uint32_t kDefaultRerankExtra = 2;
  void SetRerank(float sigmas, uint32_t extra);
  // How many of `cands` (sorted by code distance, the ef' found by the
  // quantized walk for `q`) the bound above re-ranks.
  size_t RerankCount(const std::vector<Neighbor>& cands, size_t k, const Sq8Query& q) const;
  // Retrain when drift is detected only after this fraction of size() rows
  // were encoded since the last training (amortizes the full re-encode).
  static constexpr size_t kRetrainDivisor = 8;
  // Retrains the ranges on all current rows and re-encodes them (compaction).
  void RetrainQuantizer();

  // Live slots that a walk of the bottom layer from the entry point (through
  // deleted slots too, which still route) does not reach, ascending.
  std::vector<uint32_t> UnreachableSlots() const;
  // Runs RepairReachability when rows were inserted or relinked since the
  // last check (or since RestoreState). Writer.
  void EnsureReachable();
  // See the reachability contract above: a check costs one walk of the
  // bottom layer (size() lists), amortized over size()/kReachCheckDivisor
  // rows inserted or relinked.
  static constexpr size_t kReachCheckDivisor = 16;
  // Links every unreachable live slot in; returns how many were linked.
  // Writer.
  size_t RepairReachability();

  // Search contexts held idle by this index and their heap bytes (all of
  // them when no search, insertion or repair is running).
  size_t SearchContextCount() const { return contexts_.idle(); }
  size_t SearchContextBytes() const { return contexts_.Bytes(); }

  GraphStats Stats() const;
  // Checks graph invariants (link targets in range, counts within bounds, no
  // self links, entry point valid); returns an empty string or a description.
  std::string Verify() const;

  // For snapshots.
  HnswGraph& graph() { return graph_; }
  const HnswGraph& graph() const { return graph_; }
  VectorStore& vectors() { return vectors_; }
  const SlotBitmap& deleted() const { return deleted_; }
  uint32_t entry_point() const { return entry_; }
  int max_level() const { return max_level_; }
  // Restores the non-array state after a snapshot's vectors and graph arrays
  // were loaded: the entry point, the top level, the deleted bitmap
  // (ceil(size()/64) words) and, for cosine, the per-slot inverse norms
  // (size() floats; null: recomputed from the vectors).
  void RestoreState(uint32_t entry, int max_level, const uint64_t* deleted_words,
                    const float* inv_norms);
  const std::vector<float>& inv_norms() const { return inv_norms_; }
  // The SQ8 quantizer (ranges, code block) while quantized(), else null.
  Sq8Quantizer* quantizer() { return sq8_.get(); }
  const Sq8Quantizer* quantizer() const { return sq8_.get(); }
  // Enables quantized search from saved ranges and a code block holding
  // size() rows (e.g. mapped from a snapshot), without re-encoding. Call
  // after the vectors are loaded. Throws Error(kInvalidArgument) on a
  // mismatch, leaving the index unchanged.
  void RestoreQuantized(std::vector<float> mins, std::vector<float> scales,
                        std::unique_ptr<RowBacking> codes);

 private:
  // Adds n to ThreadDistanceCount() (once per walk, not per distance).
  static void AddThreadDistances(uint64_t n);
  float ToReported(float internal) const;
  // (Re-)encodes rows [first, first + n) (new or updated) into the
  // quantizer, training it first if needed and retraining on drift.
  void EncodeRows(uint32_t first, size_t n);
  // What the quantizer multiplies each row by: 1/|x| under cosine (codes hold
  // unit vectors), else 1 (null: all rows).
  const float* RowScales() const { return MetricNeedsNorms(metric_) ? inv_norms_.data() : nullptr; }
  float RowScale(uint32_t slot) const {
    return MetricNeedsNorms(metric_) ? inv_norms_[slot] : 1.0f;
  }
  // The float rows as exact scans see them.
  ScanRows scan_rows() const { return ScanRows{vectors_, inv_norms_.data(), metric_, k_}; }
  // The float32 distance space of metric traits T for a query prepared by
  // FloatSpace<T>::Prepare.
  template <class T>
  FloatSpace<T> FloatSpaceOf(const float* q) const {
    return FloatSpace<T>(k_, vectors_, inv_norms_.data(), q);
  }
  float PairDist(uint32_t a, uint32_t b) const;
  // Search/SearchTwoHop for metric traits T (two_hop: `allowed` is set).
  template <class T>
  void SearchWith(const float* query, size_t k, size_t ef, size_t far_ef, const SlotBitmap* allowed,
                  bool two_hop, uint32_t hidden, SearchContext& ctx,
                  std::vector<Neighbor>* out) const;
  // The ef nearest slots to slot s's own vector (a bottom-layer beam
  // search, never returning `exclude`) from where the upper layers lead;
  // with restart, from the entry point instead when that is s itself or
  // outside `reached` (when given).
  void WalkToRow(uint32_t s, size_t ef, uint32_t exclude, bool restart, const SlotBitmap* reached,
                 std::vector<Neighbor>* found) const;
  int RandomLevel();
  void Link(uint32_t slot, int level, bool locked);
  template <class T, class Lists>
  void LinkWith(const Lists& lists, uint32_t slot, int node_level, SearchContext& ctx);
  void SearchImpl(const float* query, size_t k, size_t ef, size_t far_ef, const SlotBitmap* allowed,
                  bool two_hop, uint32_t hidden, std::vector<Neighbor>* out) const;
  void SelectHeuristic(std::vector<Neighbor>* cands, size_t max) const;
  void SetLinks(uint32_t slot, int level, const std::vector<Neighbor>& sel);
  void AddReverseLink(uint32_t target, uint32_t slot, int level, float dist);
  void LockSlot(uint32_t s) const { locks_.Lock(s); }
  void UnlockSlot(uint32_t s) const { locks_.Unlock(s); }
  // Marks in *reached (a size() bitmap) every slot the bottom layer reaches
  // from `from` that is not marked yet.
  void MarkReached(uint32_t from, SlotBitmap* reached) const;
  // Links in the orphans found, counts `rows` inserted or relinked, and
  // runs RepairReachability once enough have been.
  void NoteChangedRows(size_t rows);
  // Adds 1 or -1 to the bottom-layer in-degree of s; a slot dropping to 0
  // joins orphans_. Thread-safe (parallel insertion).
  void InLink(uint32_t s, int delta);
  // Computes in_degree_ from the bottom layer if it is not current.
  void EnsureInDegrees();
  // Links x into the bottom-layer list of a near slot that a walk (beam
  // kLinkInEf) from the entry point finds (among the reached ones when
  // `reached` is given).
  static constexpr size_t kLinkInEf = 32;
  void LinkIn(uint32_t x, const SlotBitmap* reached);
  // LinkIn for every live slot of orphans_ whose in-degree is still 0.
  void LinkOrphans();
  // Whether a search for slot s's own vector (beam kSelfSearchEf) returns s.
  static constexpr size_t kSelfSearchEf = 32;
  bool FindsItself(uint32_t s) const;

  Metric metric_;
  HnswParams params_;
  kernels::F32Kernels k_;
  VectorStore vectors_;
  HnswGraph graph_;
  std::vector<float> inv_norms_;  // cosine only: 1/|v| per slot
  SlotBitmap deleted_;
  size_t deleted_count_ = 0;
  uint32_t entry_ = 0;
  int max_level_ = -1;  // -1: empty graph
  double level_mult_;
  std::mt19937_64 rng_;
  SlotLocks locks_;
  std::mutex entry_mu_;
  size_t unchecked_rows_ = 0;  // inserted or relinked since the last reachability check
  // Bottom-layer in-degree per slot (valid once computed; a loaded graph
  // computes it at its first write); updated with std::atomic_ref.
  std::vector<uint32_t> in_degree_;
  bool in_degree_valid_ = true;
  std::mutex orphans_mu_;
  std::vector<uint32_t> orphans_;      // slots whose in-degree dropped to 0
  std::unique_ptr<Sq8Quantizer> sq8_;  // null: quantized search off
  float rerank_sigmas_ = kDefaultRerankSigmas;
  uint32_t rerank_extra_ = kDefaultRerankExtra;
  // Scratch lent to walks and scans (see the contract); mutable because
  // const searches borrow from it.
  mutable SearchContextPool contexts_;
};

}  // namespace herondb
