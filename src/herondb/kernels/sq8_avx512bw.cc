// AVX-512BW SQ8 kernel, no VNNI (CMake adds F/BW/VL/DQ flags by file name).
//
// Contract: see sq8.h and sq8_tables.h. For AVX-512 CPUs without VNNI
// (Skylake-SP); this file is built without -mavx512vnni.
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
  return _mm512_add_epi32(acc, _mm512_madd_epi16(codes16, w));
}

#include "herondb/kernels/sq8_avx512_body.inc"

}  // namespace

constinit const Sq8Kernels kSq8Avx512BwKernels = {Sq8Isa::kAvx512Bw, &Dot, nullptr};

}  // namespace herondb::kernels::internal
