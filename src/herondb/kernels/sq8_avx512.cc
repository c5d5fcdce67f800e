// AVX-512 VNNI SQ8 kernel (CMake adds F/BW/VL/DQ/VNNI flags by file name).
//
// Contract: see sq8.h and sq8_tables.h. Reached only when CPUID reports
// AVX512_VNNI: vpdpwssd fuses the multiply, pair-add and accumulate.
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

}  // namespace

constinit const Sq8Kernels kSq8Avx512VnniKernels = {Sq8Isa::kAvx512Vnni, &Dot};

}  // namespace herondb::kernels::internal
