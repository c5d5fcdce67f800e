// AVX-512 VNNI SQ8 kernel (CMake adds F/BW/VL/DQ/VNNI flags by file name).
//
// Contract: see sq8.h and sq8_tables.h. Reached only when CPUID reports
// AVX512_VNNI: vpdpwssd fuses the multiply, pair-add and accumulate of the
// int16 kernel, and vpdpbusd (u8 x s8, four products per lane) gives the
// split-weight kernel dot_u8_s8x2.
// The loop itself is sq8_avx512_body.inc, shared with the other AVX-512 file.
// No std:: or other externally-linked inline code here (see isa_tables.h).
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "herondb/kernels/sq8_tables.h"

namespace herondb::kernels::internal {
namespace {

// acc += pairwise sums of codes * w (int16 x int16 -> int32).
inline __m512i Step(__m512i acc, __m512i codes16, __m512i w) {
  return _mm512_dpwssd_epi32(acc, codes16, w);
}

#include "herondb/kernels/sq8_avx512_body.inc"

inline __mmask64 TailMask(size_t rem) {
  return rem >= 64 ? ~__mmask64{0} : (__mmask64{1} << rem) - 1;
}

// sum code * (128 * hi + lo): vpdpbusd adds four u8 x s8 products into each
// int32 lane. 128 codes per iteration in two pairs of accumulators (two
// independent dependency chains per plane); the tail uses masked loads.
int32_t DotSplit(const uint8_t* code, const int8_t* hi, const int8_t* lo, size_t dim) {
  __m512i h0 = _mm512_setzero_si512(), h1 = h0, l0 = h0, l1 = h0;
  size_t i = 0;
  for (; i + 128 <= dim; i += 128) {
    const __m512i c0 = _mm512_loadu_si512(code + i);
    const __m512i c1 = _mm512_loadu_si512(code + i + 64);
    h0 = _mm512_dpbusd_epi32(h0, c0, _mm512_loadu_si512(hi + i));
    l0 = _mm512_dpbusd_epi32(l0, c0, _mm512_loadu_si512(lo + i));
    h1 = _mm512_dpbusd_epi32(h1, c1, _mm512_loadu_si512(hi + i + 64));
    l1 = _mm512_dpbusd_epi32(l1, c1, _mm512_loadu_si512(lo + i + 64));
  }
  for (; i < dim; i += 64) {  // at most two iterations
    const __mmask64 m = TailMask(dim - i);
    const __m512i c = _mm512_maskz_loadu_epi8(m, code + i);
    h0 = _mm512_dpbusd_epi32(h0, c, _mm512_maskz_loadu_epi8(m, hi + i));
    l0 = _mm512_dpbusd_epi32(l0, c, _mm512_maskz_loadu_epi8(m, lo + i));
  }
  // Within the contract both sums and the result fit int32; the combination
  // is done in int64 so no intermediate can wrap.
  const int64_t total = int64_t{128} * HSum(_mm512_add_epi32(h0, h1)) +
                        static_cast<int64_t>(HSum(_mm512_add_epi32(l0, l1)));
  return static_cast<int32_t>(total);
}

}  // namespace

constinit const Sq8Kernels kSq8Avx512VnniKernels = {Sq8Isa::kAvx512Vnni, &Dot, &DotSplit};

}  // namespace herondb::kernels::internal
