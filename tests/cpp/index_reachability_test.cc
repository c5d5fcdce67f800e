// Every live slot of an HnswIndex must be reachable: a search for a slot's
// own vector with a beam wider than the collection must return it. These
// tests build graphs on several data shapes (uniform, clustered, duplicate
// rows, low and high dimension), insert on one thread and in parallel, then
// update, delete and rebuild, and check reachability by a breadth-first walk
// of the bottom layer from the entry point and by self-search.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "clustered_data.h"
#include "herondb/index/hnsw.h"

namespace herondb {
namespace {

std::vector<float> Uniform(size_t n, size_t dim, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> out(n * dim);
  for (float& x : out) x = u(rng);
  return out;
}

// Live slots that a bottom-layer walk from the entry point never reaches
// (deleted slots route, as in a search).
std::vector<uint32_t> UnreachableLive(const HnswIndex& ix) {
  std::vector<uint32_t> out;
  if (ix.size() == 0) return out;
  std::vector<char> seen(ix.size(), 0);
  std::vector<uint32_t> stack{ix.entry_point()};
  seen[ix.entry_point()] = 1;
  while (!stack.empty()) {
    uint32_t s = stack.back();
    stack.pop_back();
    const uint32_t* list = ix.graph().List(s, 0);
    for (uint32_t j = 1; j <= list[0]; ++j) {
      if (!seen[list[j]]) {
        seen[list[j]] = 1;
        stack.push_back(list[j]);
      }
    }
  }
  for (uint32_t s = 0; s < ix.size(); ++s)
    if (!seen[s] && !ix.IsDeleted(s)) out.push_back(s);
  return out;
}

// Live slots (every 29th, to bound the test's time) whose own vector,
// searched with a beam wider than the collection, is not among the results
// (64 of them, so that duplicates tied at distance 0 all fit).
size_t SelfSearchMisses(const HnswIndex& ix) {
  size_t misses = 0;
  std::vector<Neighbor> out;
  const size_t ef = ix.size() + 10;
  for (uint32_t s = 0; s < ix.size(); s += 29) {
    if (ix.IsDeleted(s)) continue;
    ix.Search(ix.vector(s), 64, ef, nullptr, &out);
    bool hit = false;
    for (const Neighbor& n : out) hit |= n.slot == s;
    misses += hit ? 0 : 1;
  }
  return misses;
}

enum class Shape { kUniform, kClustered, kDuplicates };

std::vector<float> Make(Shape shape, size_t n, size_t dim, uint64_t seed) {
  switch (shape) {
    case Shape::kUniform:
      return Uniform(n, dim, seed);
    case Shape::kClustered:
      return testing::Clustered(n, dim, 8, seed);
    case Shape::kDuplicates: {
      // A quarter of distinct rows, each repeated four times.
      auto base = Uniform(n / 4 + 1, dim, seed);
      std::vector<float> out(n * dim);
      for (size_t i = 0; i < n; ++i)
        std::copy_n(base.data() + (i % (n / 4 + 1)) * dim, dim, out.data() + i * dim);
      return out;
    }
  }
  return {};
}

struct Case {
  const char* name;
  Shape shape;
  size_t n, dim;
  Metric metric;
};

class ReachabilityTest : public ::testing::TestWithParam<Case> {};

TEST_P(ReachabilityTest, EveryLiveSlotIsReachableAfterInsertUpdateDeleteAndRebuild) {
  const Case c = GetParam();
  auto data = Make(c.shape, c.n, c.dim, 3);
  for (int parallel = 0; parallel < 2; ++parallel) {
    SCOPED_TRACE(parallel ? "parallel insert" : "single-thread insert");
    ThreadPool pool(4);
    HnswIndex ix(c.dim, c.metric, HnswParams{16, 200, 7});
    // Two batches, so the second one links into an existing graph.
    const size_t half = c.n / 2;
    ix.AddBatch(data.data(), half, parallel ? &pool : nullptr);
    ix.AddBatch(data.data() + half * c.dim, c.n - half, parallel ? &pool : nullptr);
    EXPECT_EQ(ix.Verify(), "");
    EXPECT_EQ(UnreachableLive(ix).size(), 0u) << "after insert";
    EXPECT_EQ(ix.UnreachableSlots(), UnreachableLive(ix));
    EXPECT_EQ(SelfSearchMisses(ix), 0u) << "after insert";

    // Move a tenth of the rows elsewhere (among the data, so duplicates stay
    // duplicates), the entry point included.
    auto moved = Make(c.shape, c.n / 10, c.dim, 99);
    ix.UpdateVector(ix.entry_point(), moved.data());
    for (size_t i = 1; i < c.n / 10; ++i)
      ix.UpdateVector(static_cast<uint32_t>((i * 7919) % c.n), moved.data() + i * c.dim);
    EXPECT_EQ(ix.Verify(), "");
    EXPECT_EQ(UnreachableLive(ix).size(), 0u) << "after updates";
    EXPECT_EQ(SelfSearchMisses(ix), 0u) << "after updates";

    // Delete a third (the entry point too): deleted slots still route.
    for (uint32_t s = 0; s < c.n; s += 3) ix.MarkDeleted(s);
    ix.MarkDeleted(ix.entry_point());
    EXPECT_EQ(UnreachableLive(ix).size(), 0u) << "after deletes";
    EXPECT_EQ(SelfSearchMisses(ix), 0u) << "after deletes";

    // Compaction rebuilds from the live rows (as Database::Compact does).
    std::vector<float> live;
    for (uint32_t s = 0; s < ix.size(); ++s)
      if (!ix.IsDeleted(s)) live.insert(live.end(), ix.vector(s), ix.vector(s) + c.dim);
    HnswIndex rebuilt(c.dim, c.metric, HnswParams{16, 200, 8});
    rebuilt.AddBatch(live.data(), live.size() / c.dim, parallel ? &pool : nullptr);
    EXPECT_EQ(UnreachableLive(rebuilt).size(), 0u) << "after rebuild";
    EXPECT_EQ(SelfSearchMisses(rebuilt), 0u) << "after rebuild";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ReachabilityTest,
    ::testing::Values(Case{"Uniform32", Shape::kUniform, 3000, 32, Metric::kEuclidean},
                      Case{"Uniform32Cosine", Shape::kUniform, 3000, 32, Metric::kCosine},
                      Case{"Clustered16", Shape::kClustered, 3000, 16, Metric::kEuclidean},
                      Case{"Duplicates8", Shape::kDuplicates, 2000, 8, Metric::kEuclidean},
                      Case{"LowDim2", Shape::kUniform, 3000, 2, Metric::kEuclidean},
                      Case{"HighDim256", Shape::kUniform, 1500, 256, Metric::kCosine}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(ReachabilityRepairTest, ASlotCutOffByHandIsLinkedBackIn) {
  const size_t dim = 16, n = 2000;
  auto data = Uniform(n, dim, 5);
  HnswIndex ix(dim, Metric::kEuclidean, HnswParams{8, 64, 2});
  ix.AddBatch(data.data(), n, nullptr);
  ASSERT_TRUE(ix.UnreachableSlots().empty());
  // Remove every bottom-layer link to slot 10 and to its own neighbours, so
  // that it and they can only reach each other.
  std::vector<uint32_t> group{10};
  const uint32_t* own = ix.graph().List(10, 0);
  group.insert(group.end(), own + 1, own + 1 + own[0]);
  for (uint32_t s = 0; s < n; ++s) {
    if (std::find(group.begin(), group.end(), s) != group.end()) continue;
    uint32_t* list = ix.graph().List(s, 0);
    uint32_t kept = 0;
    for (uint32_t j = 1; j <= list[0]; ++j)
      if (std::find(group.begin(), group.end(), list[j]) == group.end()) list[1 + kept++] = list[j];
    list[0] = kept;
  }
  if (std::find(group.begin(), group.end(), ix.entry_point()) != group.end()) GTEST_SKIP();
  ASSERT_FALSE(ix.UnreachableSlots().empty());
  EXPECT_GE(ix.RepairReachability(), 1u);
  EXPECT_TRUE(ix.UnreachableSlots().empty());
  EXPECT_EQ(ix.Verify(), "");
  EXPECT_EQ(SelfSearchMisses(ix), 0u);
}

TEST(ReachabilityRepairTest, AnEmptyOrSingleSlotIndexNeedsNoRepair) {
  HnswIndex ix(4, Metric::kEuclidean, HnswParams{});
  EXPECT_EQ(ix.RepairReachability(), 0u);
  EXPECT_TRUE(ix.UnreachableSlots().empty());
  float row[] = {1, 2, 3, 4};
  ix.AddBatch(row, 1, nullptr);
  EXPECT_EQ(ix.RepairReachability(), 0u);
  EXPECT_TRUE(ix.UnreachableSlots().empty());
}

}  // namespace
}  // namespace herondb
