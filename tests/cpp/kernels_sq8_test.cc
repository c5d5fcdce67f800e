// Tests for the SQ8 kernels (src/herondb/kernels/sq8.h): every ISA this
// machine supports must return the exact integer sum code . w (checked
// against a double-precision reference) on the standard dims, on every dim up
// to 130 with exactly-sized unaligned buffers (ASan catches any read past
// dim), and at the extremes of the overflow bound; the same for the
// split-weight (u8 x s8) kernel where the ISA has one; plus dispatch and names.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "herondb/kernels/sq8.h"

namespace herondb::kernels {
namespace {

const size_t kDims[] = {1, 3, 7, 16, 17, 100, 384, 1536};

double Reference(const uint8_t* c, const int16_t* w, size_t dim) {
  double s = 0;
  for (size_t i = 0; i < dim; ++i) s += static_cast<double>(c[i]) * static_cast<double>(w[i]);
  return s;
}

// Largest |w| with 255 * dim * |w| <= INT32_MAX (the kernel contract).
int16_t MaxWeight(size_t dim) {
  if (dim == 0) return 32767;
  const long long lim = INT32_MAX / (255LL * static_cast<long long>(dim));
  return static_cast<int16_t>(lim > 32767 ? 32767 : lim);
}

// Exactly-sized buffers starting `offset` elements into their allocation, so
// the data ends where the allocation ends and offset 1 misaligns them.
struct Inputs {
  Inputs(size_t dim, size_t offset, std::mt19937& rng)
      : codes(dim + offset), weights(dim + offset), off(offset) {
    const int16_t wmax = MaxWeight(dim);
    std::uniform_int_distribution<int> c(0, 255), w(-wmax, wmax);
    for (auto& x : codes) x = static_cast<uint8_t>(c(rng));
    for (auto& x : weights) x = static_cast<int16_t>(w(rng));
  }
  const uint8_t* c() const { return codes.data() + off; }
  const int16_t* w() const { return weights.data() + off; }
  std::vector<uint8_t> codes;
  std::vector<int16_t> weights;
  size_t off;
};

TEST(KernelsSq8, EveryIsaMatchesDoubleReferenceOnAllDims) {
  std::mt19937 rng(42);
  for (Sq8Isa isa : SupportedSq8Isas()) {
    const Sq8Kernels* k = Sq8ForIsa(isa);
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(k->isa, isa);
    for (size_t dim : kDims) {
      for (int rep = 0; rep < 5; ++rep) {
        Inputs in(dim, rep % 2, rng);
        EXPECT_EQ(static_cast<double>(k->dot_u8_i16(in.c(), in.w(), dim)),
                  Reference(in.c(), in.w(), dim))
            << Sq8IsaName(isa) << " dim " << dim;
      }
    }
  }
}

TEST(KernelsSq8, EveryIsaIsExactOnEveryDimUpTo130WithUnalignedExactBuffers) {
  std::mt19937 rng(7);
  for (Sq8Isa isa : SupportedSq8Isas()) {
    const Sq8Kernels* k = Sq8ForIsa(isa);
    for (size_t dim = 0; dim <= 130; ++dim) {
      Inputs in(dim, 1, rng);
      EXPECT_EQ(static_cast<double>(k->dot_u8_i16(in.c(), in.w(), dim)),
                Reference(in.c(), in.w(), dim))
          << Sq8IsaName(isa) << " dim " << dim;
    }
  }
}

TEST(KernelsSq8, EveryIsaIsExactAtTheOverflowBound) {
  for (Sq8Isa isa : SupportedSq8Isas()) {
    const Sq8Kernels* k = Sq8ForIsa(isa);
    for (size_t dim : kDims) {
      const int16_t wmax = MaxWeight(dim);
      std::vector<uint8_t> codes(dim, 255);
      for (int sign : {1, -1}) {
        std::vector<int16_t> w(dim, static_cast<int16_t>(sign * wmax));
        const double expect = 255.0 * sign * wmax * static_cast<double>(dim);
        EXPECT_EQ(static_cast<double>(k->dot_u8_i16(codes.data(), w.data(), dim)), expect)
            << Sq8IsaName(isa) << " dim " << dim << " sign " << sign;
      }
    }
  }
}

TEST(KernelsSq8, ZeroCodesOrWeightsGiveZero) {
  std::vector<uint8_t> zeros_c(384, 0), ones_c(384, 200);
  std::vector<int16_t> zeros_w(384, 0), w(384, -1234);
  for (Sq8Isa isa : SupportedSq8Isas()) {
    const Sq8Kernels* k = Sq8ForIsa(isa);
    EXPECT_EQ(k->dot_u8_i16(zeros_c.data(), w.data(), 384), 0) << Sq8IsaName(isa);
    EXPECT_EQ(k->dot_u8_i16(ones_c.data(), zeros_w.data(), 384), 0) << Sq8IsaName(isa);
  }
}

// Splits int16 weights (|w| <= 16383) into the byte planes of dot_u8_s8x2.
void Split(const int16_t* w, size_t dim, int8_t* hi, int8_t* lo) {
  for (size_t i = 0; i < dim; ++i) {
    hi[i] = static_cast<int8_t>(w[i] >> 7);
    lo[i] = static_cast<int8_t>(w[i] & 127);
  }
}

TEST(KernelsSq8, SplitWeightKernelIsExactOnEveryDimUpTo200AndTheStandardDims) {
  std::mt19937 rng(11);
  std::vector<size_t> dims;
  for (size_t d = 0; d <= 200; ++d) dims.push_back(d);
  dims.insert(dims.end(), std::begin(kDims), std::end(kDims));
  size_t checked = 0;
  for (Sq8Isa isa : SupportedSq8Isas()) {
    const Sq8Kernels* k = Sq8ForIsa(isa);
    if (k->dot_u8_s8x2 == nullptr) continue;
    for (size_t dim : dims) {
      for (size_t off : {0, 1}) {
        // Exactly-sized buffers (ASan catches reads past dim).
        const int16_t wmax = std::min<int16_t>(MaxWeight(dim), 16383);
        std::uniform_int_distribution<int> c(0, 255), w(-wmax, wmax);
        std::vector<uint8_t> codes(dim + off);
        std::vector<int16_t> weights(dim + off);
        std::vector<int8_t> hi(dim + off), lo(dim + off);
        for (auto& x : codes) x = static_cast<uint8_t>(c(rng));
        for (auto& x : weights) x = static_cast<int16_t>(w(rng));
        Split(weights.data() + off, dim, hi.data() + off, lo.data() + off);
        EXPECT_EQ(static_cast<double>(
                      k->dot_u8_s8x2(codes.data() + off, hi.data() + off, lo.data() + off, dim)),
                  Reference(codes.data() + off, weights.data() + off, dim))
            << Sq8IsaName(isa) << " dim " << dim;
        ++checked;
      }
    }
  }
  if (checked == 0) GTEST_SKIP() << "no ISA with a split-weight kernel on this machine";
}

TEST(KernelsSq8, SplitWeightKernelIsExactAtTheOverflowBoundAndAtTheWeightExtremes) {
  bool any = false;
  for (Sq8Isa isa : SupportedSq8Isas()) {
    const Sq8Kernels* k = Sq8ForIsa(isa);
    if (k->dot_u8_s8x2 == nullptr) continue;
    any = true;
    for (size_t dim : kDims) {
      const int16_t wmax = std::min<int16_t>(MaxWeight(dim), 16383);
      std::vector<uint8_t> codes(dim, 255);
      std::vector<int8_t> hi(dim), lo(dim);
      for (int sign : {1, -1}) {
        std::vector<int16_t> w(dim, static_cast<int16_t>(sign * wmax));
        Split(w.data(), dim, hi.data(), lo.data());
        const double expect = 255.0 * sign * wmax * static_cast<double>(dim);
        EXPECT_EQ(static_cast<double>(k->dot_u8_s8x2(codes.data(), hi.data(), lo.data(), dim)),
                  expect)
            << Sq8IsaName(isa) << " dim " << dim << " sign " << sign;
      }
    }
    // Every weight from -16383 to 16383 survives the split.
    std::vector<uint8_t> one(1, 1);
    for (int v = -16383; v <= 16383; ++v) {
      const int16_t w = static_cast<int16_t>(v);
      int8_t h, l;
      Split(&w, 1, &h, &l);
      ASSERT_EQ(k->dot_u8_s8x2(one.data(), &h, &l, 1), v) << Sq8IsaName(isa);
    }
  }
  if (!any) GTEST_SKIP() << "no ISA with a split-weight kernel on this machine";
}

TEST(KernelsSq8, OnlyVnniHasTheSplitWeightKernel) {
  for (Sq8Isa isa : SupportedSq8Isas())
    EXPECT_EQ(Sq8ForIsa(isa)->dot_u8_s8x2 != nullptr, isa == Sq8Isa::kAvx512Vnni)
        << Sq8IsaName(isa);
}

TEST(KernelsSq8, ScalarIsAlwaysSupportedAndListedFirst) {
  const auto isas = SupportedSq8Isas();
  ASSERT_FALSE(isas.empty());
  EXPECT_EQ(isas.front(), Sq8Isa::kScalar);
  ASSERT_NE(Sq8ForIsa(Sq8Isa::kScalar), nullptr);
}

TEST(KernelsSq8, VnniImpliesAvx512BwAndAvx512BwImpliesAvx2) {
  if (Sq8ForIsa(Sq8Isa::kAvx512Vnni)) {
    EXPECT_NE(Sq8ForIsa(Sq8Isa::kAvx512Bw), nullptr);
  }
  if (Sq8ForIsa(Sq8Isa::kAvx512Bw)) {
    EXPECT_NE(Sq8ForIsa(Sq8Isa::kAvx2), nullptr);
  }
}

TEST(KernelsSq8, ForceIsaCapsTheChoice) {
  EXPECT_EQ(Sq8SelectFor("scalar").isa, Sq8Isa::kScalar);
  EXPECT_EQ(Sq8SelectFor("SCALAR").isa, Sq8Isa::kScalar);
  const Sq8Isa widest = SupportedSq8Isas().back();
  EXPECT_EQ(Sq8SelectFor(nullptr).isa, widest);
  EXPECT_EQ(Sq8SelectFor("").isa, widest);
  EXPECT_EQ(Sq8SelectFor("bogus").isa, widest);
  EXPECT_EQ(Sq8SelectFor("avx512").isa, widest);
  const Sq8Isa avx2 = Sq8SelectFor("avx2").isa;
  EXPECT_TRUE(avx2 == Sq8Isa::kScalar || avx2 == Sq8Isa::kAvx2);
  if (Sq8ForIsa(Sq8Isa::kAvx2)) {
    EXPECT_EQ(avx2, Sq8Isa::kAvx2);
  }
  if (Sq8ForIsa(Sq8Isa::kAvx512Vnni)) {
    EXPECT_EQ(widest, Sq8Isa::kAvx512Vnni);
  }
}

TEST(KernelsSq8, BestFollowsTheEnvironmentCap) {
  EXPECT_EQ(Sq8Best().isa, Sq8SelectFor(std::getenv("HERONDB_FORCE_ISA")).isa);
}

TEST(KernelsSq8, IsaNamesAreDistinct) {
  EXPECT_EQ(std::string(Sq8IsaName(Sq8Isa::kScalar)), "scalar");
  EXPECT_EQ(std::string(Sq8IsaName(Sq8Isa::kAvx2)), "avx2");
  EXPECT_EQ(std::string(Sq8IsaName(Sq8Isa::kAvx512Bw)), "avx512bw");
  EXPECT_EQ(std::string(Sq8IsaName(Sq8Isa::kAvx512Vnni)), "avx512vnni");
}

}  // namespace
}  // namespace herondb::kernels
