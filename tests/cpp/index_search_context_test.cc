// Tests for per-index search contexts (src/herondb/index/search_context.h)
// and their use by HnswIndex: each index lends its own scratch, sized to
// itself, to one search at a time, and frees it with the index.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "clustered_data.h"
#include "herondb/index/hnsw.h"
#include "herondb/index/search_context.h"

namespace herondb {
namespace {

using testing::AddClustered;
using testing::Clustered;

HnswParams FastParams() {
  HnswParams p;
  p.m = 8;
  p.ef_construction = 40;
  return p;
}

TEST(SearchContextPoolTest, ConcurrentLeasesHoldDifferentContexts) {
  SearchContextPool pool(4);
  auto a = pool.Acquire();
  auto b = pool.Acquire();
  auto c = pool.Acquire();
  std::set<SearchContext*> seen{&*a, &*b, &*c};
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_EQ(pool.idle(), 0u);
}

TEST(SearchContextPoolTest, AReturnedContextIsLentAgain) {
  SearchContextPool pool(4);
  SearchContext* first;
  {
    auto a = pool.Acquire();
    first = &*a;
    a->query.assign(100, 1.0f);
    a->distances = 7;
  }
  EXPECT_EQ(pool.idle(), 1u);
  auto b = pool.Acquire();
  EXPECT_EQ(&*b, first);
  EXPECT_EQ(b->query.size(), 100u);  // scratch kept: no allocation next time
  EXPECT_EQ(b->distances, 0u);       // the counter restarts with each lease
}

TEST(SearchContextPoolTest, ContextsBeyondTheIdleBoundAreFreedOnReturn) {
  SearchContextPool pool(2);
  {
    std::vector<SearchContextPool::Lease> leases;
    for (int i = 0; i < 5; ++i) leases.push_back(pool.Acquire());
    for (auto& l : leases) l->query.resize(1000);
  }
  EXPECT_EQ(pool.idle(), 2u);
  EXPECT_GE(pool.Bytes(), 2 * 1000 * sizeof(float));
  EXPECT_LT(pool.Bytes(), 3 * 1000 * sizeof(float) + 3 * sizeof(SearchContext));
}

TEST(SearchContextTest, IndexesOfDifferentSizesKeepTheirOwnScratch) {
  constexpr size_t kDim = 8;
  HnswIndex small(kDim, Metric::kEuclidean, FastParams());
  HnswIndex large(kDim, Metric::kEuclidean, FastParams());
  AddClustered(&small, 100, 4, 1);
  AddClustered(&large, 30000, 16, 2);
  std::vector<float> q = Clustered(1, kDim, 16, 3);
  std::vector<Neighbor> out;
  // On one thread: the large index first, then the small one. With scratch
  // shared per thread the small index's search would reuse (and keep) a
  // visited table sized to 30000 slots.
  large.Search(q.data(), 10, 64, nullptr, &out);
  ASSERT_EQ(out.size(), 10u);
  const size_t small_before = small.SearchContextBytes();
  small.Search(q.data(), 10, 64, nullptr, &out);
  ASSERT_EQ(out.size(), 10u);
  // The large index's visited table alone is 2 bytes per slot.
  EXPECT_GE(large.SearchContextBytes(), 30000 * sizeof(uint16_t));
  EXPECT_LT(small.SearchContextBytes(), 16 * 1024u);
  EXPECT_GE(small.SearchContextCount(), 1u);
  EXPECT_GE(small.SearchContextBytes(), small_before);
}

TEST(SearchContextTest, DestroyingAnIndexLeavesOtherIndexesWithoutItsScratch) {
  constexpr size_t kDim = 8;
  std::vector<float> q = Clustered(1, kDim, 8, 3);
  std::vector<Neighbor> out;
  auto large = std::make_unique<HnswIndex>(kDim, Metric::kCosine, FastParams());
  AddClustered(large.get(), 20000, 8, 2);
  large->Search(q.data(), 5, 32, nullptr, &out);
  EXPECT_GE(large->SearchContextBytes(), 20000 * sizeof(uint16_t));
  large.reset();  // its contexts go with it (ASan reports a leak otherwise)
  HnswIndex fresh(kDim, Metric::kCosine, FastParams());
  EXPECT_EQ(fresh.SearchContextCount(), 0u);
  EXPECT_EQ(fresh.SearchContextBytes(), 0u);
  AddClustered(&fresh, 50, 2, 4);
  fresh.Search(q.data(), 5, 32, nullptr, &out);
  EXPECT_EQ(out.size(), 5u);
  EXPECT_LT(fresh.SearchContextBytes(), 16 * 1024u);
}

// Many threads search two indexes at once (plain, filtered, two-hop and
// exact); every result equals the one computed alone.
TEST(SearchContextTest, ConcurrentSearchesMatchSequentialResults) {
  constexpr size_t kDim = 16;
  constexpr size_t kQueries = 48;
  HnswIndex a(kDim, Metric::kEuclidean, FastParams());
  HnswIndex b(kDim, Metric::kDot, FastParams());
  AddClustered(&a, 4000, 8, 1);
  AddClustered(&b, 600, 4, 2);
  b.EnableQuantized();
  SlotBitmap allowed;
  allowed.Resize(a.size());
  for (uint32_t s = 0; s < a.size(); s += 3) allowed.Set(s);
  std::vector<float> queries = Clustered(kQueries, kDim, 8, 9);

  auto run = [&](size_t i, std::vector<std::vector<Neighbor>>* res) {
    const float* q = queries.data() + i * kDim;
    res->resize(5);
    a.Search(q, 10, 48, nullptr, &(*res)[0]);
    a.Search(q, 10, 48, &allowed, &(*res)[1]);
    a.SearchTwoHop(q, 10, 48, 96, allowed, &(*res)[2]);
    b.Search(q, 10, 32, nullptr, &(*res)[3]);  // SQ8 walk, exact re-rank
    a.ExactSearch(q, 10, &allowed, nullptr, &(*res)[4]);
  };
  std::vector<std::vector<std::vector<Neighbor>>> expected(kQueries);
  for (size_t i = 0; i < kQueries; ++i) run(i, &expected[i]);

  constexpr int kThreads = 12;
  constexpr int kRounds = 4;
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::vector<Neighbor>> got;
      for (int r = 0; r < kRounds; ++r) {
        for (size_t j = 0; j < kQueries; ++j) {
          const size_t i = (j + static_cast<size_t>(t) * 7) % kQueries;
          run(i, &got);
          for (size_t v = 0; v < got.size(); ++v) {
            if (got[v].size() != expected[i][v].size()) {
              ++mismatches;
              continue;
            }
            for (size_t n = 0; n < got[v].size(); ++n)
              if (got[v][n].slot != expected[i][v][n].slot ||
                  got[v][n].distance != expected[i][v][n].distance)
                ++mismatches;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
  // Contexts are kept per index, at most the idle bound, at least one.
  EXPECT_GE(a.SearchContextCount(), 1u);
  EXPECT_GE(b.SearchContextCount(), 1u);
  EXPECT_LE(a.SearchContextCount(), std::max<size_t>(4, std::thread::hardware_concurrency()));
}

// Parallel insertion borrows contexts on the pool's threads while searches
// run on others between batches; the graph stays valid.
TEST(SearchContextTest, ParallelInsertionUsesTheIndexContexts) {
  constexpr size_t kDim = 8;
  HnswIndex index(kDim, Metric::kEuclidean, FastParams());
  ThreadPool pool(4);
  std::vector<float> data = Clustered(3000, kDim, 8, 5);
  index.AddBatch(data.data(), 1500, &pool);
  index.AddBatch(data.data() + 1500 * kDim, 1500, &pool);
  EXPECT_EQ(index.Verify(), "");
  EXPECT_GE(index.SearchContextCount(), 1u);
  EXPECT_TRUE(index.UnreachableSlots().empty());
}

}  // namespace
}  // namespace herondb
