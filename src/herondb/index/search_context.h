// SearchContext / SearchContextPool: the reusable scratch of one graph walk
// or scan, and the per-index pool that lends it out.
//
// Contract:
// - A SearchContext holds what one search, insertion or repair walk needs
//   besides the index itself: the visited set (sized to the index on each
//   walk), the candidate heap, the results of a layer search during
//   insertion, the two-hop walk's lists, the prepared float and SQ8 queries
//   and the exact scan's gather buffer. It is used by one thread at a time.
// - Each HnswIndex owns one SearchContextPool. Acquire() lends an idle
//   context (or makes a new one) as a Lease, which returns it when
//   destroyed (RAII); concurrent leases always hold different contexts.
//   At most max_idle contexts are kept idle; a context returned beyond that
//   is freed. Everything is freed with the pool, i.e. with its index, so an
//   index never shares or keeps another index's scratch.
// - Thread safety: Acquire() and a Lease's destruction may run on any
//   threads at once (one mutex, held only to pop or push a pointer).
//   Bytes()/idle() count idle contexts only: they see all of them when no
//   search is running.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "herondb/common/aligned_vector.h"
#include "herondb/index/neighbor.h"
#include "herondb/index/sq8_quantizer.h"
#include "herondb/index/visited.h"

namespace herondb {

struct SearchContext {
  VisitedSet visited;
  std::vector<Neighbor> candidates;  // the beam's candidate heap
  std::vector<Neighbor> found;       // a layer search's results (insertion)
  std::vector<uint32_t> scored;      // two-hop walk: slots to score
  std::vector<uint32_t> hops;        // two-hop walk: non-allowed neighbours
  std::vector<float> query;          // the query prepared for the metric
  Sq8Query sq8_query;                // the query prepared for SQ8 codes
  AlignedVector<float> gather;       // exact scan: one block of gathered rows
  uint64_t distances = 0;            // distances the walks computed (0 at Acquire)

  // Heap bytes held (capacities).
  size_t Bytes() const;
};

class SearchContextPool {
 public:
  explicit SearchContextPool(size_t max_idle);
  SearchContextPool(const SearchContextPool&) = delete;
  SearchContextPool& operator=(const SearchContextPool&) = delete;

  class Lease {
   public:
    Lease(SearchContextPool* pool, std::unique_ptr<SearchContext> ctx)
        : pool_(pool), ctx_(std::move(ctx)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (ctx_) pool_->Release(std::move(ctx_));
    }
    SearchContext& operator*() const { return *ctx_; }
    SearchContext* operator->() const { return ctx_.get(); }

   private:
    SearchContextPool* pool_;
    std::unique_ptr<SearchContext> ctx_;
  };

  Lease Acquire();
  // Idle contexts and the heap bytes they hold.
  size_t idle() const;
  size_t Bytes() const;
  size_t max_idle() const { return max_idle_; }

 private:
  void Release(std::unique_ptr<SearchContext> ctx);

  const size_t max_idle_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<SearchContext>> idle_;
};

}  // namespace herondb
