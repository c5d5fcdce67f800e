#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <thread>

#include "clustered_data.h"
#include "herondb/common/error.h"
#include "herondb/index/hnsw.h"

namespace herondb {
namespace {

using testing::Clustered;
using testing::Recall;

class HnswMetricTest : public ::testing::TestWithParam<Metric> {};

TEST_P(HnswMetricTest, RecallAgainstExactScanIsHighOnClusteredData) {
  const size_t dim = 32, n = 5000, nq = 100;
  ThreadPool pool(2);
  HnswIndex index(dim, GetParam(), HnswParams{16, 100, 1});
  auto data = Clustered(n, dim, 20, 7);
  index.AddBatch(data.data(), n, &pool);
  auto queries = Clustered(nq, dim, 20, 8);
  // Maximum inner product search is harder for HNSW than metric search.
  EXPECT_GE(Recall(index, queries, nq, 10, 64), GetParam() == Metric::kDot ? 0.8 : 0.95);
  EXPECT_EQ(index.Verify(), "");
}

INSTANTIATE_TEST_SUITE_P(AllMetrics, HnswMetricTest,
                         ::testing::Values(Metric::kCosine, Metric::kEuclidean, Metric::kDot));

TEST(HnswTest, ReportedDistancesFollowTheMetricDefinitions) {
  const size_t dim = 4;
  float rows[] = {1, 0, 0, 0, 0, 2, 0, 0};
  float q[] = {3, 0, 0, 0};
  std::vector<Neighbor> out;
  HnswIndex cos(dim, Metric::kCosine, HnswParams{});
  cos.AddBatch(rows, 2, nullptr);
  cos.ExactSearch(q, 2, nullptr, nullptr, &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_NEAR(out[0].distance, 0.0f, 1e-6);
  EXPECT_NEAR(out[1].distance, 1.0f, 1e-6);
  HnswIndex l2(dim, Metric::kEuclidean, HnswParams{});
  l2.AddBatch(rows, 2, nullptr);
  l2.ExactSearch(q, 2, nullptr, nullptr, &out);
  EXPECT_NEAR(out[0].distance, 2.0f, 1e-6);              // |(3,0)-(1,0)|
  EXPECT_NEAR(out[1].distance, std::sqrt(13.0f), 1e-5);  // |(3,0)-(0,2)|
  HnswIndex dot(dim, Metric::kDot, HnswParams{});
  dot.AddBatch(rows, 2, nullptr);
  dot.Search(q, 2, 10, nullptr, &out);
  EXPECT_NEAR(out[0].distance, -3.0f, 1e-6);
  EXPECT_NEAR(out[1].distance, 0.0f, 1e-6);
}

TEST(HnswTest, DeletedSlotsAreNeverReturnedButStillRoute) {
  const size_t dim = 16, n = 3000;
  ThreadPool pool(2);
  HnswIndex index(dim, Metric::kEuclidean, HnswParams{8, 64, 3});
  auto data = Clustered(n, dim, 10, 11);
  index.AddBatch(data.data(), n, &pool);
  for (uint32_t s = 0; s < n; s += 2) index.MarkDeleted(s);
  EXPECT_EQ(index.deleted_count(), n / 2);
  EXPECT_EQ(index.live_count(), n / 2);
  std::vector<Neighbor> out;
  size_t found = 0;
  for (size_t i = 0; i < 50; ++i) {
    index.Search(data.data() + i * dim, 10, 64, nullptr, &out);
    for (auto& nb : out) EXPECT_EQ(nb.slot % 2, 1u);
    found += out.size();
    index.ExactSearch(data.data() + i * dim, 10, nullptr, nullptr, &out);
    for (auto& nb : out) EXPECT_EQ(nb.slot % 2, 1u);
  }
  EXPECT_EQ(found, 500u);
  auto queries = Clustered(50, dim, 10, 12);
  EXPECT_GE(Recall(index, queries, 50, 10, 100), 0.9);
}

TEST(HnswTest, HiddenSlotIsNeverReturnedAndItsNeighboursAreStillFound) {
  const size_t dim = 16, n = 3000;
  ThreadPool pool(2);
  HnswIndex index(dim, Metric::kEuclidean, HnswParams{16, 100, 3});
  auto data = Clustered(n, dim, 10, 13);
  index.AddBatch(data.data(), n, &pool);
  std::vector<Neighbor> out, truth;
  size_t hit = 0, want = 0;
  for (uint32_t s = 0; s < 200; ++s) {
    if (s == index.entry_point()) continue;
    const float* row = index.vector(s);
    index.SearchHidden(row, 10, 64, s, &out);
    ASSERT_EQ(out.size(), 10u);
    for (const Neighbor& nb : out) EXPECT_NE(nb.slot, s);
    // A plain search for a stored row finds the row itself first.
    index.Search(row, 1, 64, nullptr, &truth);
    ASSERT_EQ(truth.size(), 1u);
    EXPECT_EQ(truth[0].distance, 0.0f);
    index.ExactSearch(row, 11, nullptr, nullptr, &truth);
    for (const Neighbor& t : truth) {
      if (t.slot == s) continue;
      ++want;
      for (const Neighbor& nb : out) hit += nb.slot == t.slot ? 1 : 0;
    }
  }
  EXPECT_GE(static_cast<double>(hit) / static_cast<double>(want), 0.9);
  EXPECT_THROW(index.SearchHidden(data.data(), 10, 64, index.entry_point(), &out), Error);
}

TEST(HnswTest, AllowedBitmapRestrictsResultsAndKeepsRecall) {
  const size_t dim = 16, n = 4000;
  ThreadPool pool(2);
  HnswIndex index(dim, Metric::kCosine, HnswParams{16, 100, 5});
  auto data = Clustered(n, dim, 10, 21);
  index.AddBatch(data.data(), n, &pool);
  SlotBitmap allowed;
  allowed.Resize(n);
  for (uint32_t s = 0; s < n; s += 4) allowed.Set(s);
  std::vector<Neighbor> approx, exact;
  size_t hit = 0;
  for (size_t i = 0; i < 50; ++i) {
    const float* q = data.data() + (i * 37 % n) * dim;
    index.Search(q, 10, 128, &allowed, &approx);
    index.ExactSearch(q, 10, &allowed, nullptr, &exact);
    for (auto& nb : approx) EXPECT_TRUE(allowed.Test(nb.slot));
    std::set<uint32_t> truth;
    for (auto& nb : exact) truth.insert(nb.slot);
    for (auto& nb : approx) hit += truth.count(nb.slot);
  }
  EXPECT_GE(hit / 500.0, 0.9);
}

TEST(HnswTest, UpdateVectorMovesTheSlotInTheGraph) {
  const size_t dim = 8, n = 1000;
  HnswIndex index(dim, Metric::kEuclidean, HnswParams{8, 50, 9});
  auto data = Clustered(n, dim, 5, 31);
  index.AddBatch(data.data(), n, nullptr);
  std::vector<float> far(dim, 1000.0f);
  index.UpdateVector(17, far.data());
  std::vector<Neighbor> out;
  index.Search(far.data(), 1, 32, nullptr, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].slot, 17u);
  EXPECT_NEAR(out[0].distance, 0.0f, 1e-4);
  EXPECT_EQ(index.Verify(), "");
}

TEST(HnswTest, UpdatingEverySlotIncludingTheEntryPointKeepsTheGraphValid) {
  // Regression: relinking the entry point started the upper-level search at
  // a level-0 neighbour, reading upper lists that node does not have.
  const size_t dim = 8, n = 600;
  HnswIndex index(dim, Metric::kEuclidean, HnswParams{4, 40, 3});
  auto data = Clustered(n, dim, 5, 11);
  index.AddBatch(data.data(), n, nullptr);
  auto fresh = Clustered(n, dim, 5, 12);
  for (int round = 0; round < 100; ++round) {
    index.UpdateVector(index.entry_point(), fresh.data() + round * dim);
    ASSERT_EQ(index.Verify(), "") << "round " << round;
  }
  for (uint32_t s = 0; s < n; ++s) index.UpdateVector(s, fresh.data() + s * dim);
  EXPECT_EQ(index.Verify(), "");
  std::vector<Neighbor> out;
  index.Search(fresh.data() + 5 * dim, 1, 64, nullptr, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].slot, 5u);
}

TEST(HnswTest, UpdatingTheEntryPointRelinksItOnItsOwnLevels) {
  // Regression: relinking the entry point started its upper-level searches
  // from a level-0 neighbour and read lists that neighbour does not have.
  const size_t dim = 8, n = 2000;
  HnswIndex index(dim, Metric::kEuclidean, HnswParams{8, 40, 19});
  auto data = Clustered(n, dim, 5, 35);
  index.AddBatch(data.data(), n, nullptr);
  ASSERT_GT(index.max_level(), 0);
  const uint32_t entry = index.entry_point();
  std::vector<float> moved(dim, 25.0f);
  index.UpdateVector(entry, moved.data());
  EXPECT_EQ(index.Verify(), "");
  std::vector<Neighbor> out;
  index.Search(moved.data(), 1, 32, nullptr, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].slot, entry);
  auto queries = Clustered(50, dim, 5, 36);
  EXPECT_GE(Recall(index, queries, 50, 10, 64), 0.9);
}

TEST(HnswTest, ParallelInsertBuildsAValidGraphAndSearchesRunConcurrently) {
  const size_t dim = 24, n = 6000;
  ThreadPool pool(4);
  HnswIndex index(dim, Metric::kCosine, HnswParams{12, 80, 13});
  auto data = Clustered(n, dim, 12, 41);
  for (size_t off = 0; off < n; off += 1500) index.AddBatch(data.data() + off * dim, 1500, &pool);
  EXPECT_EQ(index.size(), n);
  EXPECT_EQ(index.Verify(), "");
  std::vector<std::thread> readers;
  std::vector<double> recalls(4);
  auto queries = Clustered(100, dim, 12, 42);
  for (int t = 0; t < 4; ++t)
    readers.emplace_back([&, t] { recalls[t] = Recall(index, queries, 100, 10, 64); });
  for (auto& th : readers) th.join();
  for (double r : recalls) EXPECT_GE(r, 0.95);
}

TEST(HnswTest, EmptyIndexReturnsNothing) {
  HnswIndex index(4, Metric::kCosine, HnswParams{});
  float q[] = {1, 2, 3, 4};
  std::vector<Neighbor> out{{1.0f, 3}};
  index.Search(q, 5, 10, nullptr, &out);
  EXPECT_TRUE(out.empty());
  index.ExactSearch(q, 5, nullptr, nullptr, &out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(index.Verify(), "");
}

TEST(HnswTest, StatsReportDegreesAndMemory) {
  const size_t dim = 8, n = 500;
  HnswIndex index(dim, Metric::kEuclidean, HnswParams{8, 40, 17});
  auto data = Clustered(n, dim, 3, 51);
  index.AddBatch(data.data(), n, nullptr);
  GraphStats st = index.Stats();
  EXPECT_GE(st.num_layers, 1u);
  EXPECT_LE(st.max_degree_layer0, 16u);
  EXPECT_GE(st.min_degree_layer0, 1u);
  EXPECT_GT(st.avg_degree_layer0, 1.0);
  EXPECT_EQ(st.memory_vectors_bytes, n * dim * sizeof(float));
  EXPECT_GT(st.memory_graph_bytes, n * 4);
}

}  // namespace
}  // namespace herondb
