// Internal: the per-ISA SQ8 kernel tables that sq8.cc dispatches between.
//
// Contract: each table is constant-initialized and obeys sq8.h. The x86
// tables exist only on x86-64 and must only be reached through Sq8ForIsa() /
// Sq8Best() (calling one on a CPU without its features is SIGILL). As with
// isa_tables.h, the per-ISA files keep their helpers in anonymous namespaces
// and odr-use no externally-linked inline code. sq8_avx512bw.cc is compiled
// without -mavx512vnni (CMake, by file suffix) so the compiler cannot fold
// its vpmaddwd + vpaddd into VNNI instructions on CPUs that lack them.
#pragma once

#include "herondb/kernels/sq8.h"

namespace herondb::kernels::internal {

extern const Sq8Kernels kSq8ScalarKernels;
#if defined(__x86_64__) || defined(_M_X64)
extern const Sq8Kernels kSq8Avx2Kernels;
extern const Sq8Kernels kSq8Avx512BwKernels;
extern const Sq8Kernels kSq8Avx512VnniKernels;
#endif

}  // namespace herondb::kernels::internal
