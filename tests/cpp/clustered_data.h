// Test data shared by the index and database tests: Gaussian blobs around
// fixed centres, and recall of HNSW search against the exact scan.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "herondb/common/thread_pool.h"
#include "herondb/index/hnsw.h"

namespace herondb::testing {

// `clusters` blobs whose centres depend only on (clusters, dim), so data and
// queries drawn with different seeds share them; row i's blob goes to
// (*cluster_of)[i] when given.
inline std::vector<float> Clustered(size_t n, size_t dim, size_t clusters, uint64_t seed,
                                    std::vector<size_t>* cluster_of = nullptr) {
  std::mt19937_64 center_rng(clusters * 1000003 + dim);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> centers(clusters * dim);
  for (float& c : centers) c = g(center_rng) * 3.0f;
  std::mt19937_64 rng(seed);
  std::vector<float> out(n * dim);
  if (cluster_of) cluster_of->resize(n);
  for (size_t i = 0; i < n; ++i) {
    size_t c = rng() % clusters;
    if (cluster_of) (*cluster_of)[i] = c;
    for (size_t d = 0; d < dim; ++d) out[i * dim + d] = centers[c * dim + d] + g(rng);
  }
  return out;
}

// Appends n clustered rows (Clustered(n, dim, clusters, seed)) to `index`,
// inserting on two threads.
inline void AddClustered(HnswIndex* index, size_t n, size_t clusters, uint64_t seed) {
  ThreadPool pool(2);
  std::vector<float> data = Clustered(n, index->dim(), clusters, seed);
  index->AddBatch(data.data(), n, &pool);
}

// Mean recall@k of HnswIndex::Search at `ef` over nq queries.
inline double Recall(const HnswIndex& index, const std::vector<float>& queries, size_t nq, size_t k,
                     size_t ef) {
  size_t hit = 0;
  std::vector<Neighbor> approx, exact;
  for (size_t i = 0; i < nq; ++i) {
    const float* q = queries.data() + i * index.dim();
    index.Search(q, k, ef, nullptr, &approx);
    index.ExactSearch(q, k, nullptr, nullptr, &exact);
    std::set<uint32_t> truth;
    for (auto& n : exact) truth.insert(n.slot);
    for (auto& n : approx) hit += truth.count(n.slot);
  }
  return static_cast<double>(hit) / static_cast<double>(nq * k);
}

}  // namespace herondb::testing
