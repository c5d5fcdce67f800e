// Tests for the float32 distance kernels (src/herondb/kernels/distance.h):
// every ISA table this machine supports against a double-precision reference,
// exactness on integer data, unaligned and exactly-sized inputs (ASan catches
// any read past dim), and dispatch. Metric names and D2 semantics: index_metric_test.cc.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "herondb/kernels/distance.h"

namespace herondb::kernels {
namespace {

const size_t kDims[] = {1, 3, 7, 16, 17, 100, 384, 1536};

double RefDot(const float* a, const float* b, size_t dim) {
  double s = 0;
  for (size_t i = 0; i < dim; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}
double RefAbsDot(const float* a, const float* b, size_t dim) {
  double s = 0;
  for (size_t i = 0; i < dim; ++i) s += std::fabs(static_cast<double>(a[i]) * b[i]);
  return s;
}
double RefL2sq(const float* a, const float* b, size_t dim) {
  double s = 0;
  for (size_t i = 0; i < dim; ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    s += d * d;
  }
  return s;
}
double RefCosine(const float* a, const float* b, size_t dim) {
  const double na = RefDot(a, a, dim), nb = RefDot(b, b, dim);
  if (na == 0 || nb == 0) return 1.0;
  return 1.0 - RefDot(a, b, dim) / std::sqrt(na * nb);
}

// float32 summation error bound, relative to the sum of |terms|.
double Tol(size_t dim, double abs_sum) {
  return 2e-6 * std::sqrt(static_cast<double>(dim)) * abs_sum + 1e-30;
}

// Exactly-sized buffer holding `count` floats starting `offset` floats in, so
// the data ends at the end of the allocation (ASan sees any over-read) and
// offset 1 makes it 4-byte but not 16/32/64-byte aligned.
struct Buffer {
  Buffer(size_t count, size_t offset, std::mt19937& rng) : storage(count + offset), off(offset) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (float& x : storage) x = u(rng);
  }
  float* data() { return storage.data() + off; }
  std::vector<float> storage;
  size_t off;
};

std::string Label(Isa isa, size_t dim, size_t offset) {
  return std::string(IsaName(isa)) + " dim=" + std::to_string(dim) +
         " offset=" + std::to_string(offset);
}

TEST(KernelsDistance, EveryIsaMatchesDoubleReferenceOnAllDims) {
  std::mt19937 rng(42);
  for (Isa isa : SupportedIsas()) {
    const F32Kernels* k = ForIsa(isa);
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(k->isa, isa);
    for (size_t dim : kDims) {
      for (size_t offset : {0, 1}) {
        SCOPED_TRACE(Label(isa, dim, offset));
        Buffer a(dim, offset, rng), b(dim, offset, rng);
        const double abs_sum = RefAbsDot(a.data(), b.data(), dim);
        EXPECT_NEAR(k->dot(a.data(), b.data(), dim), RefDot(a.data(), b.data(), dim),
                    Tol(dim, abs_sum));
        const double l2 = RefL2sq(a.data(), b.data(), dim);
        EXPECT_NEAR(k->l2sq(a.data(), b.data(), dim), l2, Tol(dim, l2));
        EXPECT_NEAR(k->cosine(a.data(), b.data(), dim), RefCosine(a.data(), b.data(), dim),
                    Tol(dim, 1.0) + 1e-6);
      }
    }
  }
}

TEST(KernelsDistance, EveryIsaMatchesDoubleReferenceOnEveryDimUpTo130) {
  std::mt19937 rng(7);
  for (Isa isa : SupportedIsas()) {
    const F32Kernels& k = *ForIsa(isa);
    for (size_t dim = 1; dim <= 130; ++dim) {
      SCOPED_TRACE(Label(isa, dim, 1));
      Buffer a(dim, 1, rng), b(dim, 1, rng);
      EXPECT_NEAR(k.dot(a.data(), b.data(), dim), RefDot(a.data(), b.data(), dim),
                  Tol(dim, RefAbsDot(a.data(), b.data(), dim)));
      const double l2 = RefL2sq(a.data(), b.data(), dim);
      EXPECT_NEAR(k.l2sq(a.data(), b.data(), dim), l2, Tol(dim, l2));
      EXPECT_NEAR(k.cosine(a.data(), b.data(), dim), RefCosine(a.data(), b.data(), dim),
                  Tol(dim, 1.0) + 1e-6);
    }
  }
}

// Small integers make every partial sum exact in float32, so any dropped,
// duplicated or misplaced element shows up as an exact mismatch.
TEST(KernelsDistance, EveryIsaIsExactOnSmallIntegerData) {
  std::vector<size_t> dims;
  for (size_t d = 1; d <= 200; ++d) dims.push_back(d);
  for (size_t d : {255, 256, 257, 384, 768, 1000, 1536}) dims.push_back(d);
  for (Isa isa : SupportedIsas()) {
    const F32Kernels& k = *ForIsa(isa);
    for (size_t dim : dims) {
      SCOPED_TRACE(Label(isa, dim, 0));
      std::vector<float> a(dim), b(dim);
      double dot = 0, l2 = 0;
      for (size_t i = 0; i < dim; ++i) {
        a[i] = static_cast<float>(static_cast<int>(i % 7) - 3);
        b[i] = static_cast<float>(static_cast<int>((i * 5 + 1) % 11) - 5);
        dot += a[i] * b[i];
        l2 += (a[i] - b[i]) * (a[i] - b[i]);
      }
      EXPECT_EQ(k.dot(a.data(), b.data(), dim), static_cast<float>(dot));
      EXPECT_EQ(k.l2sq(a.data(), b.data(), dim), static_cast<float>(l2));
      const size_t n = 5;  // one group of 4 rows plus a single row
      std::vector<float> rows(n * dim), out(n);
      for (size_t r = 0; r < n; ++r) {
        for (size_t i = 0; i < dim; ++i) rows[r * dim + i] = b[(i + r) % dim];
      }
      k.dot_batch(a.data(), rows.data(), n, dim, out.data());
      for (size_t r = 0; r < n; ++r) {
        EXPECT_EQ(out[r], k.dot(a.data(), rows.data() + r * dim, dim)) << "row " << r;
        EXPECT_EQ(out[r], static_cast<float>(RefDot(a.data(), rows.data() + r * dim, dim)));
      }
      k.l2sq_batch(a.data(), rows.data(), n, dim, out.data());
      for (size_t r = 0; r < n; ++r) {
        EXPECT_EQ(out[r], static_cast<float>(RefL2sq(a.data(), rows.data() + r * dim, dim)))
            << "row " << r;
      }
    }
  }
}

TEST(KernelsDistance, EveryIsaBatchMatchesDoubleReferenceForAnyRowCount) {
  std::mt19937 rng(123);
  for (Isa isa : SupportedIsas()) {
    const F32Kernels& k = *ForIsa(isa);
    for (size_t dim : kDims) {
      for (size_t n : {1, 2, 3, 4, 5, 7, 8, 9, 13}) {
        for (size_t offset : {0, 1}) {
          SCOPED_TRACE(Label(isa, dim, offset) + " n=" + std::to_string(n));
          Buffer q(dim, offset, rng), rows(n * dim, offset, rng);
          std::vector<float> out(n, -1.0f);
          k.dot_batch(q.data(), rows.data(), n, dim, out.data());
          for (size_t i = 0; i < n; ++i) {
            const float* r = rows.data() + i * dim;
            EXPECT_NEAR(out[i], RefDot(q.data(), r, dim), Tol(dim, RefAbsDot(q.data(), r, dim)))
                << "row " << i;
          }
          k.l2sq_batch(q.data(), rows.data(), n, dim, out.data());
          for (size_t i = 0; i < n; ++i) {
            const double l2 = RefL2sq(q.data(), rows.data() + i * dim, dim);
            EXPECT_NEAR(out[i], l2, Tol(dim, l2)) << "row " << i;
          }
        }
      }
    }
  }
}

// Blocks above 64K floats take the row-by-row streaming path.
TEST(KernelsDistance, EveryIsaBatchMatchesSingleKernelOnLargeBlocks) {
  std::mt19937 rng(9);
  for (Isa isa : SupportedIsas()) {
    const F32Kernels& k = *ForIsa(isa);
    for (size_t dim : {100, 384}) {
      const size_t n = 70000 / dim + 3;
      SCOPED_TRACE(Label(isa, dim, 1) + " n=" + std::to_string(n));
      Buffer q(dim, 1, rng), rows(n * dim, 1, rng);
      std::vector<float> out(n);
      k.dot_batch(q.data(), rows.data(), n, dim, out.data());
      for (size_t i = 0; i < n; ++i) {
        const float* r = rows.data() + i * dim;
        ASSERT_NEAR(out[i], RefDot(q.data(), r, dim), Tol(dim, RefAbsDot(q.data(), r, dim)));
      }
      k.l2sq_batch(q.data(), rows.data(), n, dim, out.data());
      for (size_t i = 0; i < n; ++i) {
        const double l2 = RefL2sq(q.data(), rows.data() + i * dim, dim);
        ASSERT_NEAR(out[i], l2, Tol(dim, l2));
      }
    }
  }
}

TEST(KernelsDistance, BatchWithZeroRowsWritesNothing) {
  float q[3] = {1, 2, 3};
  float out = 42.0f;
  for (Isa isa : SupportedIsas()) {
    ForIsa(isa)->dot_batch(q, q, 0, 3, &out);
    ForIsa(isa)->l2sq_batch(q, q, 0, 3, &out);
    EXPECT_EQ(out, 42.0f);
  }
}

TEST(KernelsDistance, CosineOfZeroVectorIsOneOnEveryIsa) {
  for (Isa isa : SupportedIsas()) {
    const F32Kernels& k = *ForIsa(isa);
    for (size_t dim : kDims) {
      SCOPED_TRACE(Label(isa, dim, 0));
      std::vector<float> zero(dim, 0.0f), x(dim, 0.5f);
      EXPECT_EQ(k.cosine(zero.data(), x.data(), dim), 1.0f);
      EXPECT_EQ(k.cosine(x.data(), zero.data(), dim), 1.0f);
      EXPECT_EQ(k.cosine(zero.data(), zero.data(), dim), 1.0f);
    }
  }
}

TEST(KernelsDistance, CosineStaysWithinZeroToTwoForParallelAndOppositeVectors) {
  std::mt19937 rng(5);
  for (Isa isa : SupportedIsas()) {
    const F32Kernels& k = *ForIsa(isa);
    for (size_t dim : kDims) {
      SCOPED_TRACE(Label(isa, dim, 0));
      Buffer a(dim, 0, rng);
      std::vector<float> same(a.data(), a.data() + dim), scaled(dim), neg(dim);
      for (size_t i = 0; i < dim; ++i) {
        scaled[i] = 3.0f * same[i];
        neg[i] = -same[i];
      }
      for (const auto* v : {&same, &scaled}) {
        const float c = k.cosine(a.data(), v->data(), dim);
        EXPECT_GE(c, 0.0f);
        EXPECT_NEAR(c, 0.0f, 1e-6);
      }
      const float c = k.cosine(a.data(), neg.data(), dim);
      EXPECT_LE(c, 2.0f);
      EXPECT_NEAR(c, 2.0f, 1e-6);
    }
  }
}

TEST(KernelsDistance, BestIsTheWidestSupportedIsa) {
  const std::vector<Isa> isas = SupportedIsas();
  ASSERT_FALSE(isas.empty());
  EXPECT_EQ(isas.front(), Isa::kScalar);
  const char* force = std::getenv("HERONDB_FORCE_ISA");
  if (force == nullptr || *force == '\0') {
    EXPECT_EQ(Best().isa, isas.back());
  }
  EXPECT_EQ(SelectFor(nullptr).isa, isas.back());
  EXPECT_EQ(SelectFor("").isa, isas.back());
  EXPECT_EQ(&Best(), &Best());
}

TEST(KernelsDistance, SupportedIsasMatchCpuFeatures) {
  const std::vector<Isa> isas = SupportedIsas();
  auto has = [&](Isa isa) {
    for (Isa i : isas) {
      if (i == isa) return true;
    }
    return false;
  };
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512, Isa::kNeon}) {
    EXPECT_EQ(ForIsa(isa) != nullptr, has(isa)) << IsaName(isa);
  }
#if defined(__x86_64__)
  EXPECT_FALSE(has(Isa::kNeon));
  __builtin_cpu_init();
  EXPECT_EQ(has(Isa::kAvx2), __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                                 __builtin_cpu_supports("bmi2"));
  EXPECT_EQ(has(Isa::kAvx512),
            __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"));
#elif defined(__aarch64__)
  EXPECT_TRUE(has(Isa::kNeon));
#endif
}

TEST(KernelsDistance, ForceIsaCapsTheSelection) {
  const std::vector<Isa> isas = SupportedIsas();
  EXPECT_EQ(SelectFor("scalar").isa, Isa::kScalar);
  EXPECT_EQ(SelectFor("SCALAR").isa, Isa::kScalar);
  EXPECT_EQ(SelectFor("avx512").isa, isas.back());  // the top tier: no cap
  EXPECT_EQ(SelectFor("bogus").isa, isas.back());   // unrecognised: ignored
  const Isa mid = SelectFor("avx2").isa;
  EXPECT_EQ(SelectFor("Neon").isa, mid);
  if (ForIsa(Isa::kAvx2) != nullptr) {
    EXPECT_EQ(mid, Isa::kAvx2);
  } else if (ForIsa(Isa::kNeon) != nullptr) {
    EXPECT_EQ(mid, Isa::kNeon);
  } else {
    EXPECT_EQ(mid, Isa::kScalar);
  }
}

TEST(KernelsDistance, BestIsChosenOnceAcrossThreads) {
  std::vector<const F32Kernels*> seen(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&seen, i] { seen[i] = &Best(); });
  }
  for (auto& t : threads) t.join();
  for (const F32Kernels* k : seen) EXPECT_EQ(k, &Best());
}

TEST(KernelsDistance, IsaNamesAreStable) {
  EXPECT_STREQ(IsaName(Isa::kScalar), "scalar");
  EXPECT_STREQ(IsaName(Isa::kAvx2), "avx2");
  EXPECT_STREQ(IsaName(Isa::kAvx512), "avx512");
  EXPECT_STREQ(IsaName(Isa::kNeon), "neon");
}

}  // namespace
}  // namespace herondb::kernels
