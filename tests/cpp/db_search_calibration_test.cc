#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "clustered_data.h"
#include "herondb/db/search_calibration.h"

namespace herondb {
namespace {

TEST(SearchCalibrationTest, CalibratesTheSmallestEfReachingTheTargetOnClusteredData) {
  const size_t dim = 16, n = 5000;
  ThreadPool pool(2);
  HnswIndex index(dim, Metric::kEuclidean, HnswParams{16, 100, 3});
  auto data = testing::Clustered(n, dim, 20, 5);
  index.AddBatch(data.data(), n, &pool);
  SearchCalibration c = CalibrateSearch(index, &pool);
  EXPECT_GE(c.ef, 16u);
  EXPECT_GE(c.recall, kTargetRecall);
  EXPECT_LE(c.recall, 1.0f);
  EXPECT_GT(c.walk_distances, 0.0f);
  EXPECT_EQ(c.calibrated_at, n);
  // The same index calibrates the same way (fixed seeds), with or without a pool.
  SearchCalibration again = CalibrateSearch(index, nullptr);
  EXPECT_EQ(again.ef, c.ef);
  EXPECT_EQ(again.recall, c.recall);
}

TEST(SearchCalibrationTest, UniformHighDimensionalDataNeedsAWideBeamAndPrefersTheScan) {
  const size_t dim = 64, n = 4000;
  ThreadPool pool(2);
  HnswIndex index(dim, Metric::kEuclidean, HnswParams{16, 100, 3});
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> data(n * dim);
  for (float& x : data) x = u(rng);
  index.AddBatch(data.data(), n, &pool);
  SearchCalibration c = CalibrateSearch(index, &pool);
  EXPECT_GE(c.ef, 64u);
  EXPECT_TRUE(ScanIsCheaper(c, index.size()));
}

// Rows of a low-dimensional set embedded in many dimensions (as sentence
// embeddings are): `intrinsic` uniform coordinates mapped by a fixed random
// `intrinsic` x `dim` matrix.
std::vector<float> Embedded(size_t n, size_t intrinsic, size_t dim, uint64_t seed,
                            const std::vector<float>& basis) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> out(n * dim, 0.0f);
  std::vector<float> z(intrinsic);
  for (size_t i = 0; i < n; ++i) {
    for (float& v : z) v = u(rng);
    for (size_t j = 0; j < intrinsic; ++j)
      for (size_t d = 0; d < dim; ++d) out[i * dim + d] += z[j] * basis[j * dim + d];
  }
  return out;
}

TEST(SearchCalibrationTest, CalibratedEfReachesTheTargetForNewQueriesOnEmbeddedData) {
  // A query moved in a random direction of a 256-d space is almost
  // orthogonal to this 16-d data, keeps the neighbour ranking of the stored
  // row it came from and looks easier than a new query: calibrating on such
  // queries chose ef 16, whose recall on new queries was 0.936. Held-out
  // samples (the row's own slot hidden from the walk) do not overestimate.
  const size_t intrinsic = 16, dim = 256, n = 6000, nq = 300, k = 10;
  std::mt19937_64 rng(21);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> basis(intrinsic * dim);
  for (float& v : basis) v = g(rng);
  ThreadPool pool(2);
  HnswIndex index(dim, Metric::kEuclidean, HnswParams{16, 100, 3});
  auto data = Embedded(n, intrinsic, dim, 1, basis);
  index.AddBatch(data.data(), n, &pool);
  SearchCalibration c = CalibrateSearch(index, &pool);
  ASSERT_GT(c.ef, 0u);
  auto queries = Embedded(nq, intrinsic, dim, 2, basis);
  size_t hit = 0;
  std::vector<Neighbor> truth, found;
  for (size_t i = 0; i < nq; ++i) {
    const float* q = queries.data() + i * dim;
    index.ExactSearch(q, k, nullptr, nullptr, &truth);
    index.Search(q, k, c.ef, nullptr, &found);
    for (const Neighbor& f : found)
      for (const Neighbor& t : truth) hit += f.slot == t.slot ? 1 : 0;
  }
  EXPECT_GE(static_cast<double>(hit) / (nq * k), 0.95) << "calibrated ef " << c.ef;
}

TEST(SearchCalibrationTest, TinyIndexIsNotCalibrated) {
  HnswIndex index(4, Metric::kCosine, HnswParams{});
  float rows[] = {1, 0, 0, 0, 0, 1, 0, 0};
  index.AddBatch(rows, 2, nullptr);
  EXPECT_EQ(CalibrateSearch(index, nullptr).ef, 0u);
  EXPECT_FALSE(ScanIsCheaper(SearchCalibration{}, 1));
}

TEST(SearchCalibrationTest, StaleOnceGrownOrShrunkByHalf) {
  SearchCalibration c{64, 0.97f, 900.0f, 10000};
  EXPECT_FALSE(CalibrationStale(c, 10000));
  EXPECT_FALSE(CalibrationStale(c, 14999));
  EXPECT_TRUE(CalibrationStale(c, 15000));
  EXPECT_FALSE(CalibrationStale(c, 5001));
  EXPECT_TRUE(CalibrationStale(c, 5000));
  EXPECT_TRUE(CalibrationStale(SearchCalibration{}, 10000));
}

TEST(SearchCalibrationTest, SectionRoundTripsAndRejectsInvalidBytes) {
  SearchCalibration c{96, 0.9725f, 1234.5f, 20000};
  std::string bytes = EncodeCalibration(c);
  ASSERT_EQ(bytes.size(), kCalibrationBytes);
  auto back = DecodeCalibration(bytes);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->ef, 96u);
  EXPECT_EQ(back->recall, 0.9725f);
  EXPECT_EQ(back->walk_distances, 1234.5f);
  EXPECT_EQ(back->calibrated_at, 20000u);
  EXPECT_FALSE(DecodeCalibration(std::string_view(bytes).substr(0, 20)).has_value());
  EXPECT_FALSE(DecodeCalibration(EncodeCalibration({0, 0.9f, 1, 1})).has_value());
  EXPECT_FALSE(DecodeCalibration(EncodeCalibration({16, 1.5f, 1, 1})).has_value());
  EXPECT_FALSE(
      DecodeCalibration(EncodeCalibration({16, std::numeric_limits<float>::quiet_NaN(), 1, 1}))
          .has_value());
  EXPECT_FALSE(DecodeCalibration(EncodeCalibration({16, 0.9f, -1, 1})).has_value());
}

}  // namespace
}  // namespace herondb
