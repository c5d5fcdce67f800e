// Tests for SQ8 quantization (src/herondb/index/sq8_quantizer.h) and the
// quantized search of HnswIndex: code round trips and clamping, drift
// detection and retraining, query scoring against the decoded vectors,
// restoring saved codes, and quantized HNSW search (recall next to float32 at
// the same ef for every metric, the bounded re-rank, exact reported
// distances, filters, deletes, updates, enable/disable, memory stats).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <set>

#include "clustered_data.h"
#include "herondb/common/error.h"
#include "herondb/index/hnsw.h"
#include "herondb/index/sq8_quantizer.h"

namespace herondb {
namespace {

using testing::AddClustered;
using testing::Clustered;
using testing::Recall;

std::vector<float> Uniform(size_t n, size_t dim, float lo, float hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> out(n * dim);
  for (float& x : out) x = u(rng);
  return out;
}

Sq8Quantizer Filled(const std::vector<float>& data, size_t n, size_t dim) {
  Sq8Quantizer q(dim);
  q.Retrain(data.data(), n);
  return q;
}

// ---- quantizer ----------------------------------------------------------------

TEST(Sq8Quantizer, DecodeIsWithinHalfAStepAndExactAtRangeEnds) {
  const size_t dim = 17, n = 500;
  auto data = Uniform(n, dim, -3.0f, 5.0f, 1);
  Sq8Quantizer q = Filled(data, n, dim);
  ASSERT_TRUE(q.trained());
  std::vector<float> out(dim);
  for (size_t i = 0; i < n; ++i) {
    q.Decode(q.code(static_cast<uint32_t>(i)), out.data());
    for (size_t d = 0; d < dim; ++d)
      EXPECT_LE(std::fabs(out[d] - data[i * dim + d]), q.scales()[d] * 0.5f + 1e-5f);
  }
  // The smallest and largest training value of each dimension map to 0 / 255.
  for (size_t d = 0; d < dim; ++d) {
    float lo = data[d], hi = data[d];
    for (size_t i = 0; i < n; ++i) {
      lo = std::min(lo, data[i * dim + d]);
      hi = std::max(hi, data[i * dim + d]);
    }
    EXPECT_EQ(q.mins()[d], lo);
    EXPECT_NEAR(q.mins()[d] + 255.0f * q.scales()[d], hi, 1e-5f);
  }
}

TEST(Sq8Quantizer, ValuesOutsideTheRangeClampToTheEndCodesAndAreCounted) {
  const size_t dim = 4;
  std::vector<float> train = {0, 0, 0, 0, 1, 2, 3, 4};
  Sq8Quantizer q(dim);
  q.Train(train.data(), 2);
  const float v[] = {-5.0f, 100.0f, 1.5f, 4.0f};
  uint8_t code[dim];
  EXPECT_EQ(q.Encode(v, code), 2u);
  EXPECT_EQ(code[0], 0);
  EXPECT_EQ(code[1], 255);
  EXPECT_EQ(code[2], 128);  // 1.5 / (3/255) = 127.5 -> nearest even
  EXPECT_EQ(code[3], 255);
}

TEST(Sq8Quantizer, ConstantDimensionHasZeroScaleAndDecodesExactly) {
  const size_t dim = 2;
  std::vector<float> train = {7.0f, 0.0f, 7.0f, 1.0f, 7.0f, 2.0f};
  Sq8Quantizer q(dim);
  q.Train(train.data(), 3);
  EXPECT_EQ(q.scales()[0], 0.0f);
  uint8_t code[dim];
  float out[dim];
  const float v[] = {7.0f, 1.0f};
  EXPECT_EQ(q.Encode(v, code), 0u);
  q.Decode(code, out);
  EXPECT_EQ(out[0], 7.0f);
  const float off[] = {7.5f, 1.0f};
  EXPECT_EQ(q.Encode(off, code), 1u);
}

TEST(Sq8Quantizer, TrainWithoutRowsIsAnError) {
  Sq8Quantizer q(3);
  EXPECT_THROW(q.Train(nullptr, 0), Error);
  EXPECT_FALSE(q.trained());
}

TEST(Sq8Quantizer, BecomesStaleWhenManyNewValuesAreClampedAndRetrainClearsIt) {
  const size_t dim = 8, n = 200;
  auto base = Uniform(n, dim, 0.0f, 1.0f, 2);
  Sq8Quantizer q = Filled(base, n, dim);
  EXPECT_FALSE(q.stale());
  // In-range rows keep it fresh however many there are.
  auto more = Uniform(100, dim, 0.1f, 0.9f, 3);
  q.Resize(n + 100);
  for (size_t i = 0; i < 100; ++i) q.SetRow(static_cast<uint32_t>(n + i), more.data() + i * dim);
  EXPECT_EQ(q.rows_since_training(), 100u);
  EXPECT_EQ(q.clamped_fraction(), 0.0);
  EXPECT_FALSE(q.stale());
  // Drifted rows: fewer than kStaleMinRows are not enough on their own.
  auto drifted = Uniform(Sq8Quantizer::kStaleMinRows, dim, 2.0f, 3.0f, 4);
  for (size_t i = 0; i + 1 < Sq8Quantizer::kStaleMinRows; ++i)
    q.SetRow(static_cast<uint32_t>(i), drifted.data() + i * dim);
  EXPECT_GT(q.clamped_fraction(), Sq8Quantizer::kStaleClampedFraction);
  // 163 rows, 63 fully clamped: well over 1% clamped and over the row minimum.
  EXPECT_TRUE(q.stale());
  // Retrain on rows that include the drifted values.
  std::vector<float> all(base);
  all.insert(all.end(), drifted.begin(), drifted.end());
  q.Retrain(all.data(), all.size() / dim);
  EXPECT_FALSE(q.stale());
  EXPECT_EQ(q.rows_since_training(), 0u);
  EXPECT_EQ(q.rows(), all.size() / dim);
  std::vector<float> out(dim);
  q.Decode(q.code(static_cast<uint32_t>(n)), out.data());
  for (size_t d = 0; d < dim; ++d) EXPECT_NEAR(out[d], drifted[d], q.scales()[d] * 0.5f + 1e-5f);
}

TEST(Sq8Quantizer, FewDriftedRowsDoNotMakeItStale) {
  const size_t dim = 4, n = 100;
  auto base = Uniform(n, dim, 0.0f, 1.0f, 5);
  Sq8Quantizer q = Filled(base, n, dim);
  auto drifted = Uniform(10, dim, 5.0f, 6.0f, 6);
  for (size_t i = 0; i < 10; ++i) q.SetRow(static_cast<uint32_t>(i), drifted.data() + i * dim);
  EXPECT_EQ(q.clamped_fraction(), 1.0);
  EXPECT_FALSE(q.stale());
}

double RefScore(const Sq8Quantizer& q, const float* query, uint32_t slot, bool l2,
                double* abs_sum) {
  std::vector<float> x(q.dim());
  q.Decode(q.code(slot), x.data());
  double s = 0, a = 0;
  for (size_t d = 0; d < q.dim(); ++d) {
    const double t = l2 ? (static_cast<double>(query[d]) - x[d]) * (query[d] - x[d])
                        : static_cast<double>(query[d]) * x[d];
    s += t;
    a += std::fabs(t) + std::fabs(static_cast<double>(query[d]) * x[d]);
  }
  *abs_sum = a;
  return s;
}

TEST(Sq8Quantizer, ScoreMatchesTheDecodedVectorForBothKindsAndOffsetData) {
  for (float offset : {0.0f, 100.0f}) {
    for (size_t dim : {1, 7, 100, 384}) {
      const size_t n = 64;
      auto data = Uniform(n, dim, offset - 1.0f, offset + 1.0f, dim);
      auto queries = Uniform(8, dim, offset - 1.5f, offset + 1.5f, dim + 1);
      Sq8Quantizer q = Filled(data, n, dim);
      Sq8Query prepared;
      for (bool l2 : {false, true}) {
        for (size_t j = 0; j < 8; ++j) {
          const float* qv = queries.data() + j * dim;
          q.PrepareQuery(qv, l2, &prepared);
          for (uint32_t s = 0; s < n; ++s) {
            double abs_sum = 0;
            const double ref = RefScore(q, qv, s, l2, &abs_sum);
            // int16 weight rounding plus float32 combination error.
            EXPECT_NEAR(q.Score(prepared, s), ref, 2e-4 * abs_sum + 1e-6)
                << "dim " << dim << " l2 " << l2 << " offset " << offset;
          }
        }
      }
    }
  }
}

TEST(Sq8Quantizer, ZeroQueryScoresZeroInnerProduct) {
  const size_t dim = 16;
  auto data = Uniform(10, dim, -1.0f, 1.0f, 9);
  Sq8Quantizer q = Filled(data, 10, dim);
  std::vector<float> zero(dim, 0.0f);
  Sq8Query prepared;
  q.PrepareQuery(zero.data(), false, &prepared);
  for (uint32_t s = 0; s < 10; ++s) EXPECT_EQ(q.Score(prepared, s), 0.0f);
}

TEST(Sq8Quantizer, CodeBlockIsContiguousAndSizedRowsTimesDim) {
  const size_t dim = 5, n = 9;
  auto data = Uniform(n, dim, 0.0f, 1.0f, 10);
  Sq8Quantizer q = Filled(data, n, dim);
  EXPECT_EQ(q.codes().bytes(), n * dim);
  for (uint32_t i = 0; i < n; ++i) EXPECT_EQ(q.code(i), q.codes().data() + i * dim);
  EXPECT_EQ(q.MemoryBytes(), n * dim + n * sizeof(float));
}

// A backing over a copy of saved bytes (stands in for a mapped snapshot).
std::unique_ptr<RowBacking> CopyBacking(const uint8_t* p, size_t bytes) {
  auto b = std::make_unique<HeapRowBacking>();
  b->EnsureSize(bytes);
  std::memcpy(b->data(), p, bytes);
  return b;
}

TEST(Sq8Quantizer, RestoreAdoptsSavedRangesAndCodesAndScoresIdentically) {
  const size_t dim = 33, n = 50;
  auto data = Uniform(n, dim, -2.0f, 2.0f, 11);
  Sq8Quantizer a = Filled(data, n, dim);
  Sq8Quantizer b(dim);
  b.Restore(a.mins(), a.scales(), CopyBacking(a.codes().data(), a.codes().bytes()), n);
  ASSERT_TRUE(b.trained());
  EXPECT_EQ(b.rows(), n);
  EXPECT_EQ(std::memcmp(a.codes().data(), b.codes().data(), n * dim), 0);
  Sq8Query qa, qb;
  for (bool l2 : {false, true}) {
    a.PrepareQuery(data.data(), l2, &qa);
    b.PrepareQuery(data.data(), l2, &qb);
    for (uint32_t s = 0; s < n; ++s) EXPECT_EQ(a.Score(qa, s), b.Score(qb, s));
  }
}

TEST(Sq8Quantizer, RestoreRejectsMismatchedInputsAndKeepsState) {
  const size_t dim = 4, n = 10;
  auto data = Uniform(n, dim, 0.0f, 1.0f, 12);
  Sq8Quantizer a = Filled(data, n, dim);
  Sq8Quantizer b(dim);
  std::vector<float> short_mins(dim - 1, 0.0f);
  EXPECT_THROW(b.Restore(short_mins, a.scales(), CopyBacking(a.codes().data(), n * dim), n), Error);
  std::vector<float> neg(a.scales());
  neg[0] = -1.0f;
  EXPECT_THROW(b.Restore(a.mins(), neg, CopyBacking(a.codes().data(), n * dim), n), Error);
  EXPECT_THROW(b.Restore(a.mins(), a.scales(), CopyBacking(a.codes().data(), n * dim), n + 1),
               Error);
  EXPECT_FALSE(b.trained());
  EXPECT_EQ(b.rows(), 0u);
}

// ---- quantized HNSW search --------------------------------------------------

class Sq8MetricTest : public ::testing::TestWithParam<Metric> {};

TEST_P(Sq8MetricTest, QuantizedRecallIsWithin002OfFloat32AtTheSameEf) {
  const size_t dim = 32, n = 5000, nq = 200;
  HnswIndex index(dim, GetParam(), HnswParams{16, 100, 1});
  AddClustered(&index, n, 20, 7);
  auto queries = Clustered(nq, dim, 20, 8);
  for (size_t ef : {16, 64}) {
    const double float_recall = Recall(index, queries, nq, 10, ef);
    index.EnableQuantized();
    ASSERT_TRUE(index.quantized());
    const double sq8_recall = Recall(index, queries, nq, 10, ef);
    index.DisableQuantized();
    EXPECT_GE(sq8_recall, float_recall - 0.02) << "ef " << ef << " float " << float_recall;
  }
}

TEST_P(Sq8MetricTest, ReportedDistancesAreTheExactFloat32Distances) {
  const size_t dim = 24, n = 3000;
  ThreadPool pool(2);
  HnswIndex index(dim, GetParam(), HnswParams{12, 80, 2});
  auto data = Clustered(n, dim, 10, 17);
  index.AddBatch(data.data(), n, &pool);
  index.EnableQuantized();
  auto queries = Clustered(30, dim, 10, 18);
  std::vector<Neighbor> approx, exact;
  for (size_t i = 0; i < 30; ++i) {
    const float* q = queries.data() + i * dim;
    index.Search(q, 10, 48, nullptr, &approx);
    ASSERT_EQ(approx.size(), 10u);
    EXPECT_TRUE(std::is_sorted(approx.begin(), approx.end()));
    std::vector<uint32_t> slots;
    for (auto& nb : approx) slots.push_back(nb.slot);
    index.ExactSearch(q, 10, nullptr, &slots, &exact);
    ASSERT_EQ(exact.size(), approx.size());
    for (size_t j = 0; j < exact.size(); ++j) {
      EXPECT_EQ(approx[j].slot, exact[j].slot);
      EXPECT_EQ(approx[j].distance, exact[j].distance);
      EXPECT_NEAR(approx[j].distance, Distance(GetParam(), q, index.vector(approx[j].slot), dim),
                  1e-4 * (1 + std::fabs(approx[j].distance)));
    }
  }
}

TEST_P(Sq8MetricTest, BoundedRerankKeepsRecallWithin001OfFloat32AtEveryEf) {
  // The default re-rank bound (candidates within 3 error sds of the k-th code
  // distance, at least k + 2) against float32 search and against re-ranking
  // all ef candidates.
  const size_t dim = 64, n = 6000, nq = 200;
  HnswIndex index(dim, GetParam(), HnswParams{16, 100, 3});
  AddClustered(&index, n, 30, 31);
  auto queries = Clustered(nq, dim, 30, 32);
  for (size_t ef : {16, 32, 64, 128}) {
    const double float_recall = Recall(index, queries, nq, 10, ef);
    index.EnableQuantized();
    const double bounded = Recall(index, queries, nq, 10, ef);
    index.SetRerank(1e30f, 0);  // every ef candidate
    const double full = Recall(index, queries, nq, 10, ef);
    index.SetRerank(HnswIndex::kDefaultRerankSigmas, HnswIndex::kDefaultRerankExtra);
    index.DisableQuantized();
    EXPECT_GE(bounded, float_recall - 0.01) << "ef " << ef;
    EXPECT_GE(bounded, full - 0.01) << "ef " << ef;
  }
}

TEST_P(Sq8MetricTest, MinimalRerankStillReturnsKExactSortedResults) {
  // Re-ranking only k candidates: results are the k best code-distance
  // candidates, each with its exact float32 distance, sorted.
  const size_t dim = 24, n = 3000, k = 10;
  ThreadPool pool(2);
  HnswIndex index(dim, GetParam(), HnswParams{12, 80, 4});
  auto data = Clustered(n, dim, 10, 41);
  index.AddBatch(data.data(), n, &pool);
  index.EnableQuantized();
  index.SetRerank(0.0f, 0);
  auto queries = Clustered(20, dim, 10, 42);
  std::vector<Neighbor> approx;
  for (size_t i = 0; i < 20; ++i) {
    const float* q = queries.data() + i * dim;
    index.Search(q, k, 64, nullptr, &approx);
    ASSERT_EQ(approx.size(), k);
    EXPECT_TRUE(std::is_sorted(approx.begin(), approx.end()));
    for (const Neighbor& nb : approx)
      EXPECT_NEAR(nb.distance, Distance(GetParam(), q, index.vector(nb.slot), dim),
                  1e-4 * (1 + std::fabs(nb.distance)));
  }
}

TEST_P(Sq8MetricTest, FilterBitmapRestrictsQuantizedResultsAndKeepsRecall) {
  const size_t dim = 16, n = 4000;
  ThreadPool pool(2);
  HnswIndex index(dim, GetParam(), HnswParams{16, 100, 5});
  auto data = Clustered(n, dim, 10, 21);
  index.AddBatch(data.data(), n, &pool);
  index.EnableQuantized();
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
  EXPECT_GE(hit / 500.0, GetParam() == Metric::kDot ? 0.8 : 0.9);
}

TEST_P(Sq8MetricTest, DeletedSlotsAreNeverReturnedByQuantizedSearch) {
  const size_t dim = 16, n = 3000;
  ThreadPool pool(2);
  HnswIndex index(dim, GetParam(), HnswParams{8, 64, 3});
  auto data = Clustered(n, dim, 10, 11);
  index.AddBatch(data.data(), n, &pool);
  index.EnableQuantized();
  for (uint32_t s = 0; s < n; s += 2) index.MarkDeleted(s);
  std::vector<Neighbor> out;
  size_t found = 0;
  for (size_t i = 0; i < 50; ++i) {
    index.Search(data.data() + i * dim, 10, 64, nullptr, &out);
    for (auto& nb : out) EXPECT_EQ(nb.slot % 2, 1u);
    found += out.size();
  }
  EXPECT_EQ(found, 500u);
}

INSTANTIATE_TEST_SUITE_P(AllMetrics, Sq8MetricTest,
                         ::testing::Values(Metric::kCosine, Metric::kEuclidean, Metric::kDot));

TEST_P(Sq8MetricTest, RerankCountTakesTheCandidatesWithinTheErrorMarginOfTheKth) {
  const size_t dim = 16, n = 500;
  HnswIndex index(dim, GetParam(), HnswParams{8, 40, 6});
  auto data = Clustered(n, dim, 5, 51);
  index.AddBatch(data.data(), n, nullptr);
  index.EnableQuantized();
  Sq8Query q;
  index.quantizer()->PrepareQuery(data.data(), GetParam() == Metric::kEuclidean, &q);
  const float ck = 0.5f;
  const float sd = index.quantizer()->ErrorSd(q, ck);
  ASSERT_GT(sd, 0.0f);
  // 10 candidates at or below ck, then 30 spaced by sd / 2 above it.
  std::vector<Neighbor> cands;
  for (uint32_t i = 0; i < 10; ++i) cands.push_back({ck - 0.01f * static_cast<float>(9 - i), i});
  for (uint32_t i = 1; i <= 30; ++i)
    cands.push_back({ck + 0.5f * sd * static_cast<float>(i) * 1.0001f, 10 + i});
  index.SetRerank(0.0f, 0);
  EXPECT_EQ(index.RerankCount(cands, 10, q), 10u);  // exactly k
  index.SetRerank(0.0f, 4);
  EXPECT_EQ(index.RerankCount(cands, 10, q), 14u);  // the floor k + extra
  index.SetRerank(3.0f, 0);
  EXPECT_EQ(index.RerankCount(cands, 10, q), 15u);  // within 3 sd: 5 more
  index.SetRerank(3.0f, 8);
  EXPECT_EQ(index.RerankCount(cands, 10, q), 18u);  // the floor wins
  index.SetRerank(1e30f, 0);
  EXPECT_EQ(index.RerankCount(cands, 10, q), 40u);  // every candidate
  index.SetRerank(3.0f, 0);
  EXPECT_EQ(index.RerankCount(cands, 50, q), 40u);  // fewer candidates than k
  std::vector<Neighbor> few(cands.begin(), cands.begin() + 11);
  EXPECT_EQ(index.RerankCount(few, 10, q), 11u);
}

TEST(HnswSq8, ErrorSdGrowsWithTheQuantizationStepAndForL2WithDistance) {
  const size_t dim = 32, n = 200;
  auto narrow = Uniform(n, dim, -1.0f, 1.0f, 61);
  auto wide = narrow;
  for (float& x : wide) x *= 10.0f;
  Sq8Quantizer a = Filled(narrow, n, dim), b = Filled(wide, n, dim);
  Sq8Query qa, qb;
  a.PrepareQuery(narrow.data(), false, &qa);
  b.PrepareQuery(narrow.data(), false, &qb);
  EXPECT_NEAR(b.ErrorSd(qb, 0.0f), 10.0f * a.ErrorSd(qa, 0.0f), 1e-3f * b.ErrorSd(qb, 0.0f));
  a.PrepareQuery(narrow.data(), true, &qa);
  EXPECT_EQ(a.ErrorSd(qa, 0.0f), 0.0f);
  EXPECT_NEAR(a.ErrorSd(qa, 4.0f), 2.0f * a.ErrorSd(qa, 1.0f), 1e-6f);
}

TEST(HnswSq8, UpdateVectorReencodesTheSlot) {
  const size_t dim = 8, n = 3000;
  HnswIndex index(dim, Metric::kEuclidean, HnswParams{8, 50, 9});
  auto data = Clustered(n, dim, 5, 31);
  index.AddBatch(data.data(), n, nullptr);
  index.EnableQuantized();
  // Move slot 17 onto slot 2000's position: its codes must follow.
  const float* target = data.data() + 2000 * dim;
  index.UpdateVector(17, target);
  EXPECT_EQ(std::memcmp(index.quantizer()->code(17), index.quantizer()->code(2000), dim), 0);
  std::vector<Neighbor> out;
  index.Search(target, 2, 64, nullptr, &out);
  ASSERT_EQ(out.size(), 2u);
  std::set<uint32_t> got{out[0].slot, out[1].slot};
  EXPECT_EQ(got, (std::set<uint32_t>{17u, 2000u}));
  EXPECT_EQ(out[0].distance, 0.0f);
  EXPECT_EQ(out[1].distance, 0.0f);
  EXPECT_EQ(index.Verify(), "");
}

TEST(HnswSq8, DriftingUpdatesRetrainTheRanges) {
  const size_t dim = 8, n = 1000;
  HnswIndex index(dim, Metric::kEuclidean, HnswParams{8, 40, 19});
  auto data = Uniform(n, dim, 0.0f, 1.0f, 33);
  index.AddBatch(data.data(), n, nullptr);
  index.EnableQuantized();
  EXPECT_LE(index.quantizer()->mins()[0] + 255.0f * index.quantizer()->scales()[0], 1.0f);
  auto far = Uniform(n / 4, dim, 5.0f, 6.0f, 34);
  for (size_t i = 0; i < n / 4; ++i)
    index.UpdateVector(static_cast<uint32_t>(i), far.data() + i * dim);
  const Sq8Quantizer& q = *index.quantizer();
  EXPECT_GT(q.mins()[0] + 255.0f * q.scales()[0], 5.0f);  // retrained to cover the new data
  EXPECT_FALSE(q.stale());
  std::vector<Neighbor> out;
  index.Search(far.data(), 1, 32, nullptr, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].slot, 0u);
}

TEST(HnswSq8, EnabledOnAnEmptyIndexTrainsOnTheFirstBatchAndKeepsUpWithGrowth) {
  const size_t dim = 16;
  ThreadPool pool(2);
  HnswIndex index(dim, Metric::kCosine, HnswParams{12, 80, 4});
  index.EnableQuantized();
  EXPECT_TRUE(index.quantized());
  EXPECT_FALSE(index.quantizer()->trained());
  auto data = Clustered(4000, dim, 8, 41);
  index.AddBatch(data.data(), 1, &pool);  // a single row: degenerate ranges
  EXPECT_TRUE(index.quantizer()->trained());
  for (size_t off = 1; off < 4000; off += 333)
    index.AddBatch(data.data() + off * dim, std::min<size_t>(333, 4000 - off), &pool);
  EXPECT_EQ(index.quantizer()->rows(), 4000u);
  EXPECT_FALSE(index.quantizer()->stale());
  auto queries = Clustered(100, dim, 8, 42);
  EXPECT_GE(Recall(index, queries, 100, 10, 64), 0.9);
  EXPECT_EQ(index.Verify(), "");
}

TEST(HnswSq8, EnableDisableToggleAndMemoryStats) {
  const size_t dim = 12, n = 700;
  HnswIndex index(dim, Metric::kDot, HnswParams{8, 40, 5});
  auto data = Clustered(n, dim, 4, 51);
  index.AddBatch(data.data(), n, nullptr);
  EXPECT_FALSE(index.quantized());
  EXPECT_EQ(index.quantizer(), nullptr);
  EXPECT_EQ(index.Stats().memory_quantized_bytes, 0u);
  index.EnableQuantized();
  EXPECT_EQ(index.Stats().memory_quantized_bytes, n * dim + n * sizeof(float));
  const Sq8Quantizer* before = index.quantizer();
  index.EnableQuantized();  // no-op
  EXPECT_EQ(index.quantizer(), before);
  index.AddBatch(data.data(), 10, nullptr);
  EXPECT_EQ(index.Stats().memory_quantized_bytes, (n + 10) * (dim + sizeof(float)));
  index.DisableQuantized();
  EXPECT_FALSE(index.quantized());
  EXPECT_EQ(index.Stats().memory_quantized_bytes, 0u);
  std::vector<Neighbor> out;
  index.Search(data.data(), 5, 32, nullptr, &out);
  EXPECT_EQ(out.size(), 5u);
}

TEST(HnswSq8, CosineCodesHoldUnitVectorsSoNormsSpanningDecadesDoNotHurtRecall) {
  const size_t dim = 24, n = 4000, nq = 100;
  ThreadPool pool(2);
  HnswIndex index(dim, Metric::kCosine, HnswParams{12, 80, 8});
  auto data = Clustered(n, dim, 10, 71);
  std::mt19937_64 rng(72);
  std::uniform_real_distribution<float> decades(-2.0f, 2.0f);
  for (size_t i = 0; i < n; ++i) {
    const float f = std::pow(10.0f, decades(rng));
    for (size_t d = 0; d < dim; ++d) data[i * dim + d] *= f;
  }
  index.AddBatch(data.data(), n, &pool);
  auto queries = Clustered(nq, dim, 10, 73);
  const double float_recall = Recall(index, queries, nq, 10, 32);
  index.EnableQuantized();
  // Unit vectors lie in [-1, 1] whatever the norms.
  for (size_t d = 0; d < dim; ++d) {
    EXPECT_GE(index.quantizer()->mins()[d], -1.0f);
    EXPECT_LE(index.quantizer()->mins()[d] + 255.0f * index.quantizer()->scales()[d], 1.0001f);
  }
  EXPECT_GE(Recall(index, queries, nq, 10, 32), float_recall - 0.02);
}

TEST(HnswSq8, RestoreQuantizedReproducesSearchResults) {
  const size_t dim = 20, n = 2500;
  ThreadPool pool(2);
  HnswIndex index(dim, Metric::kEuclidean, HnswParams{12, 60, 6});
  auto data = Clustered(n, dim, 6, 61);
  index.AddBatch(data.data(), n, &pool);
  index.EnableQuantized();
  const Sq8Quantizer& q = *index.quantizer();
  std::vector<float> mins = q.mins(), scales = q.scales();
  auto codes = CopyBacking(q.codes().data(), q.codes().bytes());
  auto queries = Clustered(20, dim, 6, 62);
  std::vector<std::vector<Neighbor>> before(20);
  for (size_t i = 0; i < 20; ++i)
    index.Search(queries.data() + i * dim, 10, 32, nullptr, &before[i]);
  index.DisableQuantized();
  EXPECT_THROW(index.RestoreQuantized(mins, scales, std::make_unique<HeapRowBacking>()), Error);
  EXPECT_FALSE(index.quantized());
  index.RestoreQuantized(mins, scales, std::move(codes));
  ASSERT_TRUE(index.quantized());
  std::vector<Neighbor> after;
  for (size_t i = 0; i < 20; ++i) {
    index.Search(queries.data() + i * dim, 10, 32, nullptr, &after);
    ASSERT_EQ(after.size(), before[i].size());
    for (size_t j = 0; j < after.size(); ++j) {
      EXPECT_EQ(after[j].slot, before[i][j].slot);
      EXPECT_EQ(after[j].distance, before[i][j].distance);
    }
  }
}

}  // namespace
}  // namespace herondb
