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
