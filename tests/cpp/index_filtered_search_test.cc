// Tests of HnswIndex's filtered search paths: exact scans of a candidate
// list (gathered rows, and packed rows via PackRows/ExactSearchPacked) agree
// bit for bit and with the graph walk's distances; SearchTwoHop returns only
// allowed slots with good recall (close to the plain filtered walk's at its
// widened beam), for filters independent of the data and correlated with
// it, with float32 and SQ8 traversal.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <set>
#include <vector>

#include "clustered_data.h"
#include "herondb/index/hnsw.h"

namespace herondb {
namespace {

using testing::Clustered;

class FilteredSearchTest : public ::testing::TestWithParam<Metric> {};

TEST_P(FilteredSearchTest, PackedAndGatheredScansAgreeBitForBit) {
  const size_t dim = 40, n = 3000;  // dim not a multiple of 16: masked tails
  ThreadPool pool(2);
  HnswIndex index(dim, GetParam(), HnswParams{12, 60, 3});
  auto data = Clustered(n, dim, 8, 21);
  index.AddBatch(data.data(), n, &pool);
  std::mt19937_64 rng(4);
  for (size_t count : {1u, 5u, 63u, 64u, 65u, 131u, 900u}) {
    std::vector<uint32_t> slots;
    for (uint32_t s = 0; s < n; ++s)
      if (rng() % n < count) slots.push_back(s);
    PackedRows packed;
    index.PackRows(slots, &packed);
    auto queries = Clustered(5, dim, 8, 22 + count);
    for (size_t qi = 0; qi < 5; ++qi) {
      const float* q = queries.data() + qi * dim;
      std::vector<Neighbor> gathered, from_packed;
      index.ExactSearch(q, 10, nullptr, &slots, &gathered);
      index.ExactSearchPacked(q, 10, packed, &from_packed);
      ASSERT_EQ(gathered.size(), std::min<size_t>(10, slots.size()));
      ASSERT_EQ(from_packed.size(), gathered.size());
      for (size_t i = 0; i < gathered.size(); ++i) {
        EXPECT_EQ(from_packed[i].slot, gathered[i].slot);
        EXPECT_EQ(from_packed[i].distance, gathered[i].distance);
        EXPECT_NEAR(gathered[i].distance,
                    Distance(GetParam(), q, index.vector(gathered[i].slot), dim),
                    1e-4 * (1 + std::fabs(gathered[i].distance)));
      }
      // The true top 10 of the candidates (by the D2 distance).
      std::vector<std::pair<float, uint32_t>> all;
      for (uint32_t s : slots) all.emplace_back(Distance(GetParam(), q, index.vector(s), dim), s);
      std::sort(all.begin(), all.end());
      for (size_t i = 0; i < gathered.size(); ++i)
        EXPECT_NEAR(gathered[i].distance, all[i].first, 1e-4 * (1 + std::fabs(all[i].first)));
    }
  }
}

TEST_P(FilteredSearchTest, ScanDistancesEqualTheGraphWalks) {
  const size_t dim = 24, n = 2500;
  ThreadPool pool(2);
  HnswIndex index(dim, GetParam(), HnswParams{12, 80, 5});
  auto data = Clustered(n, dim, 10, 31);
  index.AddBatch(data.data(), n, &pool);
  auto queries = Clustered(20, dim, 10, 32);
  for (size_t qi = 0; qi < 20; ++qi) {
    const float* q = queries.data() + qi * dim;
    std::vector<Neighbor> walk, scan, packed_scan;
    index.Search(q, 10, 64, nullptr, &walk);
    std::vector<uint32_t> slots;
    for (const Neighbor& nb : walk) slots.push_back(nb.slot);
    std::sort(slots.begin(), slots.end());
    index.ExactSearch(q, 10, nullptr, &slots, &scan);
    PackedRows packed;
    index.PackRows(slots, &packed);
    index.ExactSearchPacked(q, 10, packed, &packed_scan);
    ASSERT_EQ(scan.size(), walk.size());
    ASSERT_EQ(packed_scan.size(), walk.size());
    for (size_t i = 0; i < walk.size(); ++i) {
      EXPECT_EQ(scan[i].slot, walk[i].slot);
      EXPECT_EQ(scan[i].distance, walk[i].distance);
      EXPECT_EQ(packed_scan[i].distance, walk[i].distance);
    }
  }
}

// Recall@10 of SearchTwoHop against the exact answer over `allowed`; checks
// that every result is allowed and that min(k, allowed) come back.
double TwoHopRecall(const HnswIndex& index, const SlotBitmap& allowed,
                    const std::vector<uint32_t>& allowed_slots, const std::vector<float>& queries,
                    size_t nq, size_t ef, size_t far_ef) {
  size_t hit = 0, want = 0;
  for (size_t qi = 0; qi < nq; ++qi) {
    const float* q = queries.data() + qi * index.dim();
    std::vector<Neighbor> got, exact;
    index.SearchTwoHop(q, 10, ef, far_ef, allowed, &got);
    index.ExactSearch(q, 10, nullptr, &allowed_slots, &exact);
    // (Under dot product HNSW may come back short; the Database then scans.)
    if (index.metric() != Metric::kDot) {
      EXPECT_EQ(got.size(), exact.size());
    }
    EXPECT_TRUE(std::is_sorted(got.begin(), got.end()));
    std::set<uint32_t> truth;
    for (const Neighbor& nb : exact) truth.insert(nb.slot);
    for (const Neighbor& nb : got) {
      EXPECT_TRUE(allowed.Test(nb.slot)) << nb.slot;
      EXPECT_FALSE(index.IsDeleted(nb.slot));
      hit += truth.count(nb.slot);
    }
    want += exact.size();
  }
  return static_cast<double>(hit) / static_cast<double>(want);
}

TEST_P(FilteredSearchTest, TwoHopWalkReturnsOnlyAllowedSlotsWithGoodRecall) {
  const size_t dim = 32, n = 20000, clusters = 40;
  ThreadPool pool(2);
  HnswIndex index(dim, GetParam(), HnswParams{16, 100, 7});
  std::vector<size_t> cluster_of;
  auto data = Clustered(n, dim, clusters, 41, &cluster_of);
  index.AddBatch(data.data(), n, &pool);
  for (uint32_t s = 0; s < n; s += 97) index.MarkDeleted(s);  // deleted slots still route
  auto queries = Clustered(40, dim, clusters, 42);
  std::mt19937_64 rng(43);
  struct Case {
    const char* name;
    std::function<bool(uint32_t)> allow;
    size_t far_mult;
  };
  const std::vector<Case> cases = {
      {"random 50%", [&](uint32_t) { return rng() % 2 == 0; }, 2},
      {"random 10%", [&](uint32_t) { return rng() % 10 == 0; }, 4},
      {"random 3%", [&](uint32_t) { return rng() % 33 == 0; }, 4},
      // Correlated: a fifth of the blobs, away from most queries.
      {"clusters >= 32", [&](uint32_t s) { return cluster_of[s] >= 32; }, 3},
  };
  for (const Case& c : cases) {
    SlotBitmap allowed;
    allowed.Resize(n);
    std::vector<uint32_t> slots;
    for (uint32_t s = 0; s < n; ++s) {
      if (!c.allow(s) || index.IsDeleted(s)) continue;
      allowed.Set(s);
      slots.push_back(s);
    }
    const double recall = TwoHopRecall(index, allowed, slots, queries, 40, 64, 64 * c.far_mult);
    // The plain filtered walk (non-allowed slots scored) at the widened beam.
    size_t hit = 0, want = 0;
    for (size_t qi = 0; qi < 40; ++qi) {
      const float* q = queries.data() + qi * dim;
      std::vector<Neighbor> got, exact;
      index.Search(q, 10, 64 * c.far_mult, &allowed, &got);
      index.ExactSearch(q, 10, nullptr, &slots, &exact);
      std::set<uint32_t> truth;
      for (const Neighbor& nb : exact) truth.insert(nb.slot);
      for (const Neighbor& nb : got) hit += truth.count(nb.slot);
      want += exact.size();
    }
    const double plain = static_cast<double>(hit) / static_cast<double>(want);
    std::printf("%s (%zu allowed): recall@10 %.3f (plain walk %.3f)\n", c.name, slots.size(),
                recall, plain);
    // Inner product is not a metric and HNSW serves it less well (both
    // walks); elsewhere the two-hop walk must be good in absolute terms.
    // Since every slot is kept reachable (hnsw.h), the plain walk under dot
    // finds nearly all (0.99 here, was 0.6-0.7) and the two-hop walk trails
    // it further (0.80-0.97 measured); it must still be good.
    if (GetParam() != Metric::kDot) {
      EXPECT_GE(recall, 0.9) << c.name;
      EXPECT_GE(recall, plain - 0.12) << c.name;
    } else {
      EXPECT_GE(recall, 0.7) << c.name;
    }
  }
}

TEST_P(FilteredSearchTest, TwoHopWalkWithQuantizedTraversalReportsExactDistances) {
  const size_t dim = 24, n = 6000;
  ThreadPool pool(2);
  HnswIndex index(dim, GetParam(), HnswParams{12, 80, 9});
  auto data = Clustered(n, dim, 10, 51);
  index.AddBatch(data.data(), n, &pool);
  index.EnableQuantized();
  SlotBitmap allowed;
  allowed.Resize(n);
  std::vector<uint32_t> slots;
  for (uint32_t s = 0; s < n; s += 5) {
    allowed.Set(s);
    slots.push_back(s);
  }
  auto queries = Clustered(20, dim, 10, 52);
  for (size_t qi = 0; qi < 20; ++qi) {
    const float* q = queries.data() + qi * dim;
    std::vector<Neighbor> got;
    index.SearchTwoHop(q, 10, 48, 96, allowed, &got);
    ASSERT_EQ(got.size(), 10u);
    for (const Neighbor& nb : got) {
      EXPECT_TRUE(allowed.Test(nb.slot));
      EXPECT_NEAR(nb.distance, Distance(GetParam(), q, index.vector(nb.slot), dim),
                  1e-4 * (1 + std::fabs(nb.distance)));
    }
  }
  EXPECT_GE(TwoHopRecall(index, allowed, slots, queries, 20, 48, 96), 0.85);
}

INSTANTIATE_TEST_SUITE_P(AllMetrics, FilteredSearchTest,
                         ::testing::Values(Metric::kCosine, Metric::kEuclidean, Metric::kDot));

}  // namespace
}  // namespace herondb
