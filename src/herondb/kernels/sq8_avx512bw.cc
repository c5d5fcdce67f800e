// AVX-512BW SQ8 kernel, no VNNI (CMake adds F/BW/VL/DQ flags by file name).
//
// Contract: see sq8.h and sq8_tables.h. For AVX-512 CPUs without VNNI
// (Skylake-SP); this file is built without -mavx512vnni.
// 64 codes per iteration in two accumulators; vpmovzxbw widens 32 codes to
// int16 lanes. The tail (dim % 32, then any remaining full block) uses masked
// loads, which never touch memory past dim (masked-off lanes cannot fault).
// No std:: or other externally-linked inline code here (see isa_tables.h).
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "herondb/kernels/sq8_tables.h"

namespace herondb::kernels::internal {
namespace {

// acc += pairwise sums of codes * w (int16 x int16 -> int32).
inline __m512i Step(__m512i acc, __m512i codes16, __m512i w) {
  return _mm512_add_epi32(acc, _mm512_madd_epi16(codes16, w));
}

inline __m512i Widen(const uint8_t* p) {
  return _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

// Horizontal sum in the zero-masking forms (see distance_avx512.cc: gcc 12's
// unmasked extracts go through _mm*_undefined_* and trip -Wuninitialized).
inline int32_t HSum(__m512i v) {
  const __m256i h = _mm256_add_epi32(_mm512_maskz_extracti64x4_epi64(0xF, v, 0),
                                     _mm512_maskz_extracti64x4_epi64(0xF, v, 1));
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

int32_t Dot(const uint8_t* code, const int16_t* w, size_t dim) {
  __m512i a0 = _mm512_setzero_si512(), a1 = a0;
  size_t i = 0;
  for (; i + 64 <= dim; i += 64) {
    a0 = Step(a0, Widen(code + i), _mm512_loadu_si512(w + i));
    a1 = Step(a1, Widen(code + i + 32), _mm512_loadu_si512(w + i + 32));
  }
  for (; i < dim; i += 32) {  // at most two iterations
    const size_t rem = dim - i;
    const __mmask32 m = rem >= 32 ? ~__mmask32{0} : static_cast<__mmask32>((1u << rem) - 1u);
    const __m512i c = _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(m, code + i));
    a1 = Step(a1, c, _mm512_maskz_loadu_epi16(m, w + i));
  }
  return HSum(_mm512_add_epi32(a0, a1));
}

}  // namespace

constinit const Sq8Kernels kSq8Avx512BwKernels = {Sq8Isa::kAvx512Bw, &Dot};

}  // namespace herondb::kernels::internal
