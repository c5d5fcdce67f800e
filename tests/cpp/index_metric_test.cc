// Tests for index/metric.h: names and parsing, the D2 slow-path distance, the
// exhaustive dispatch WithMetric, and each traits type's arithmetic against
// the D2 formula computed in double precision.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "herondb/common/error.h"
#include "herondb/index/metric.h"
#include "herondb/kernels/distance.h"

namespace herondb {
namespace {

constexpr Metric kAll[] = {Metric::kCosine, Metric::kEuclidean, Metric::kDot};

TEST(Metric, ParseMetricAcceptsEverySpellingInAnyCase) {
  EXPECT_EQ(ParseMetric("cosine"), Metric::kCosine);
  EXPECT_EQ(ParseMetric("COSINE"), Metric::kCosine);
  EXPECT_EQ(ParseMetric("Cosine"), Metric::kCosine);
  EXPECT_EQ(ParseMetric("euclidean"), Metric::kEuclidean);
  EXPECT_EQ(ParseMetric("Euclidean"), Metric::kEuclidean);
  EXPECT_EQ(ParseMetric("l2"), Metric::kEuclidean);
  EXPECT_EQ(ParseMetric("L2"), Metric::kEuclidean);
  EXPECT_EQ(ParseMetric("dot"), Metric::kDot);
  EXPECT_EQ(ParseMetric("DOT"), Metric::kDot);
  EXPECT_EQ(ParseMetric("dot_product"), Metric::kDot);
  EXPECT_EQ(ParseMetric("Dot_Product"), Metric::kDot);
}

TEST(Metric, ParseMetricRejectsUnknownNamesWithInvalidArgument) {
  for (const char* bad :
       {"", "cos", "manhattan", "l1", "dot-product", " cosine", "cosine ", "inner_product"}) {
    SCOPED_TRACE(bad);
    try {
      ParseMetric(bad);
      ADD_FAILURE() << "no exception";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      const std::string msg = e.what();
      EXPECT_NE(msg.find(std::string("'") + bad + "'"), std::string::npos) << msg;
      for (const char* ok : {"cosine", "euclidean", "l2", "dot", "dot_product"}) {
        EXPECT_NE(msg.find(ok), std::string::npos) << msg;
      }
    }
  }
}

TEST(Metric, MetricNameRoundTripsThroughParseMetric) {
  EXPECT_STREQ(MetricName(Metric::kCosine), "cosine");
  EXPECT_STREQ(MetricName(Metric::kEuclidean), "euclidean");
  EXPECT_STREQ(MetricName(Metric::kDot), "dot_product");
  for (Metric m : {Metric::kCosine, Metric::kEuclidean, Metric::kDot}) {
    EXPECT_EQ(ParseMetric(MetricName(m)), m);
  }
}

TEST(Metric, DistanceFollowsD2Semantics) {
  const float a[3] = {1.0f, 2.0f, 2.0f};                         // |a| = 3
  const float b[3] = {4.0f, 6.0f, 2.0f};                         // a - b = (-3, -4, 0)
  const float c[3] = {-2.0f, 1.0f, 0.0f};                        // orthogonal to a
  EXPECT_FLOAT_EQ(Distance(Metric::kEuclidean, a, b, 3), 5.0f);  // the root, not 25
  EXPECT_FLOAT_EQ(Distance(Metric::kEuclidean, a, a, 3), 0.0f);
  EXPECT_FLOAT_EQ(Distance(Metric::kDot, a, b, 3), -20.0f);  // -(4 + 12 + 4)
  EXPECT_FLOAT_EQ(Distance(Metric::kCosine, a, c, 3), 1.0f);
  EXPECT_NEAR(Distance(Metric::kCosine, a, a, 3), 0.0f, 1e-7);
  const float neg_a[3] = {-1.0f, -2.0f, -2.0f};
  EXPECT_NEAR(Distance(Metric::kCosine, a, neg_a, 3), 2.0f, 1e-7);
  EXPECT_NEAR(Distance(Metric::kCosine, a, b, 3), 1.0 - 20.0 / (3.0 * std::sqrt(56.0)), 1e-6);
  const float zero[3] = {0, 0, 0};
  EXPECT_EQ(Distance(Metric::kCosine, a, zero, 3), 1.0f);
}

TEST(Metric, DistanceIsLowerForMoreSimilarVectorsUnderEveryMetric) {
  const float q[4] = {1, 0, 0, 0};
  const float near[4] = {0.9f, 0.1f, 0, 0};
  const float far[4] = {-1, 0.2f, 0, 0};
  for (Metric m : {Metric::kCosine, Metric::kEuclidean, Metric::kDot}) {
    EXPECT_LT(Distance(m, q, near, 4), Distance(m, q, far, 4)) << MetricName(m);
  }
}

TEST(Metric, WithMetricVisitsTheTraitsOfEachMetric) {
  for (Metric m : kAll) {
    EXPECT_EQ(WithMetric(m, [](auto t) { return decltype(t)::kMetric; }), m) << MetricName(m);
  }
}

TEST(Metric, OnDiskIdsAreZeroOneTwoAndNothingElse) {
  EXPECT_EQ(static_cast<int>(Metric::kCosine), 0);
  EXPECT_EQ(static_cast<int>(Metric::kEuclidean), 1);
  EXPECT_EQ(static_cast<int>(Metric::kDot), 2);
  for (uint32_t id = 0; id < 300; ++id) EXPECT_EQ(IsMetricId(id), id <= 2) << id;
  EXPECT_FALSE(IsMetricId(0x100));  // would wrap to 0 if narrowed first
}

TEST(Metric, WithMetricRejectsAValueOutsideTheEnumWithCorruption) {
  try {
    WithMetric(static_cast<Metric>(7), [](auto) { return 0; });
    ADD_FAILURE() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  }
}

TEST(Metric, OnlyCosineNeedsNormsAndOnlyEuclideanScoresSq8AsL2) {
  EXPECT_TRUE(MetricNeedsNorms(Metric::kCosine));
  EXPECT_FALSE(MetricNeedsNorms(Metric::kEuclidean));
  EXPECT_FALSE(MetricNeedsNorms(Metric::kDot));
  for (Metric m : kAll) {
    EXPECT_EQ(WithMetric(m, [](auto t) { return decltype(t)::kSq8Euclidean; }),
              m == Metric::kEuclidean)
        << MetricName(m);
  }
}

double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

// The D2 formula in double precision (metric.h).
double Formula(Metric m, const std::vector<float>& a, const std::vector<float>& b) {
  switch (m) {
    case Metric::kCosine:
      return 1.0 - Dot(a, b) / std::sqrt(Dot(a, a) * Dot(b, b));
    case Metric::kEuclidean: {
      double s = 0;
      for (size_t i = 0; i < a.size(); ++i) s += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
      return std::sqrt(s);
    }
    case Metric::kDot:
      return -Dot(a, b);
  }
  return NAN;
}

// What the index does: prepare the query (unit length when the metric needs
// norms), run the traits' kernel against a stored row, convert with the
// row's 1/|x|, report. Also the pair form between two stored rows, the SQ8
// form fed the exact score, and the slow path.
TEST(Metric, EachTraitsTypesReportedDistanceMatchesTheD2Formula) {
  const kernels::F32Kernels& k = kernels::Best();
  std::mt19937 rng(7);
  std::normal_distribution<float> g(0.0f, 1.0f);
  for (size_t dim : {1u, 3u, 16u, 100u}) {
    for (int trial = 0; trial < 5; ++trial) {
      std::vector<float> a(dim), b(dim);
      for (float& x : a) x = g(rng);
      for (float& x : b) x = g(rng) * 3.0f;
      for (Metric m : kAll) {
        SCOPED_TRACE(std::string(MetricName(m)) + " dim " + std::to_string(dim));
        const double want = Formula(m, a, b);
        const double tol = 1e-5 * (1.0 + std::abs(want)) * std::sqrt(double(dim));
        WithMetric(m, [&](auto t) {
          using T = decltype(t);
          const float inv_a = static_cast<float>(1.0 / std::sqrt(Dot(a, a)));
          const float inv_b = static_cast<float>(1.0 / std::sqrt(Dot(b, b)));
          std::vector<float> q = a;
          if (T::kNeedsNorms)
            for (float& x : q) x *= inv_a;
          const float r = T::Kernel(k, q.data(), b.data(), dim);
          const float internal = T::FromKernel(r, inv_b);
          EXPECT_NEAR(T::Reported(internal), want, tol);
          const float pair = T::Pair(T::Kernel(k, a.data(), b.data(), dim), inv_a, inv_b);
          EXPECT_NEAR(T::Reported(pair), want, tol);
          // SQ8 scores are squared L2 or inner products of the (unit, under
          // norms) rows; fed the exact score they give the internal distance.
          const std::vector<float> unit_b = [&] {
            std::vector<float> u = b;
            if (T::kNeedsNorms)
              for (float& x : u) x *= inv_b;
            return u;
          }();
          const float score = T::kSq8Euclidean ? k.l2sq(q.data(), unit_b.data(), dim)
                                               : k.dot(q.data(), unit_b.data(), dim);
          EXPECT_NEAR(T::Reported(T::FromSq8(score)), want, tol);
          EXPECT_NEAR(T::Exact(k, a.data(), b.data(), dim), want, tol);
          std::vector<float> batch(1);
          T::KernelBatch(k, q.data(), b.data(), 1, dim, batch.data());
          EXPECT_NEAR(T::Reported(T::FromKernel(batch[0], inv_b)), want, tol);
        });
      }
    }
  }
}

TEST(Metric, ReportedDistancesStayInTheirRange) {
  // Rounding can push an internal cosine distance just outside [0, 2] and a
  // squared L2 just below 0; the reported values never leave the range.
  EXPECT_EQ(metric::Cosine::Reported(-1e-7f), 0.0f);
  EXPECT_EQ(metric::Cosine::Reported(2.0f + 1e-6f), 2.0f);
  EXPECT_EQ(metric::Euclidean::Reported(-1e-7f), 0.0f);
  EXPECT_EQ(metric::Euclidean::Reported(25.0f), 5.0f);
  EXPECT_EQ(metric::Dot::Reported(-3.5f), -3.5f);
}

}  // namespace
}  // namespace herondb
