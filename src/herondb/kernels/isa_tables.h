// Internal: the per-ISA kernel tables that dispatch (distance.cc) chooses from.
//
// Contract:
// - Each table is constant-initialized (no static-init order issues) and its
//   functions obey the contract in distance.h.
// - kScalarKernels exists on every platform; kNeonKernels only on aarch64;
//   kAvx2Kernels / kAvx512Kernels only on x86-64, where CMake compiles their
//   files with the matching -m flags. Calling an x86 table on a CPU without
//   its features is undefined (SIGILL): only reach them through ForIsa()/Best().
// - The *_avx2.cc / *_avx512.cc files must not odr-use inline functions with
//   external linkage (std:: templates, inline helpers from shared headers):
//   the linker may keep their wide-ISA copy for baseline callers. Helpers in
//   those files live in anonymous namespaces; the only shared helper below is
//   `static` (internal linkage, one copy per file).
#pragma once

#include <cstddef>

#include "herondb/kernels/distance.h"

namespace herondb::kernels::internal {

extern const F32Kernels kScalarKernels;
#if defined(__aarch64__)
extern const F32Kernels kNeonKernels;
#endif
#if defined(__x86_64__) || defined(_M_X64)
extern const F32Kernels kAvx2Kernels;
extern const F32Kernels kAvx512Kernels;
#endif

// Cosine distance from the three sums of one pass: 1 - ab/sqrt(aa*bb),
// clamped to [0, 2]; 1 when either norm is zero. NaN inputs give NaN.
// The root is taken in double so aa*bb cannot overflow.
static inline float CosineFromSums(float ab, float aa, float bb) {
  if (aa == 0.0f || bb == 0.0f) return 1.0f;
  const double d = 1.0 - static_cast<double>(ab) /
                             __builtin_sqrt(static_cast<double>(aa) * static_cast<double>(bb));
  if (d < 0.0) return 0.0f;
  if (d > 2.0) return 2.0f;
  return static_cast<float>(d);
}

}  // namespace herondb::kernels::internal
