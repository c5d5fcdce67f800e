// AVX2 SQ8 kernel (CMake adds -mavx2 -mfma -mbmi2 by file name).
//
// Contract: see sq8.h and sq8_tables.h. 32 codes per iteration: vpmovzxbw
// widens 16 codes to int16, vpmaddwd multiplies by the int16 weights and adds
// adjacent pairs into int32 lanes. The last dim % 16 elements go through a
// scalar loop, so nothing past dim is read.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "herondb/kernels/sq8_tables.h"

namespace herondb::kernels::internal {
namespace {

inline __m256i Widen(const uint8_t* p) {
  return _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline __m256i LoadW(const int16_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

int32_t Dot(const uint8_t* code, const int16_t* w, size_t dim) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0;
  size_t i = 0;
  for (; i + 32 <= dim; i += 32) {
    a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(Widen(code + i), LoadW(w + i)));
    a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(Widen(code + i + 16), LoadW(w + i + 16)));
  }
  if (i + 16 <= dim) {
    a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(Widen(code + i), LoadW(w + i)));
    i += 16;
  }
  const __m256i a = _mm256_add_epi32(a0, a1);
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  int32_t total = _mm_cvtsi128_si32(s);
  for (; i < dim; ++i) total += static_cast<int32_t>(code[i]) * w[i];
  return total;
}

}  // namespace

constinit const Sq8Kernels kSq8Avx2Kernels = {Sq8Isa::kAvx2, &Dot, nullptr};

}  // namespace herondb::kernels::internal
