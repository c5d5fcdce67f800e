// Float32 distance kernels with runtime CPU dispatch.
//
// Contract:
// - Every function works for any dim >= 1, any alignment of its inputs, and
//   reads exactly dim floats from each input. No allocation, no exceptions.
// - Results agree with a double-precision scalar reference within the usual
//   float32 summation error (tests: |err| <= 1e-5 * (1 + |ref|) * sqrt(dim)-ish).
// - The table returned by Best() is chosen once per process from the CPU's
//   features (AVX-512F/BW/VL/DQ, AVX2+FMA, NEON, scalar) and never changes.
// - Kernels know no metric: index/metric.h maps each metric onto these
//   functions (its traits types) and owns the metric enum, names and errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace herondb {

namespace kernels {

enum class Isa : uint8_t { kScalar = 0, kAvx2 = 1, kAvx512 = 2, kNeon = 3 };
const char* IsaName(Isa isa);

struct F32Kernels {
  Isa isa;
  // sum a[i]*b[i]
  float (*dot)(const float* a, const float* b, size_t dim);
  // sum (a[i]-b[i])^2
  float (*l2sq)(const float* a, const float* b, size_t dim);
  // 1 - a.b/(|a||b|), computed in one pass; 1 if either norm is zero.
  float (*cosine)(const float* a, const float* b, size_t dim);
  // One query against n rows of a row-major block (row i at base + i*dim):
  // out[i] = dot(q, row i) / l2sq(q, row i). Used by exact scans.
  void (*dot_batch)(const float* q, const float* base, size_t n, size_t dim, float* out);
  void (*l2sq_batch)(const float* q, const float* base, size_t n, size_t dim, float* out);
};

// The fastest table this CPU supports (chosen once, thread-safe), capped by
// the environment variable HERONDB_FORCE_ISA if set (see SelectFor); read once,
// on the first call.
const F32Kernels& Best();
// The table Best() would pick for a given HERONDB_FORCE_ISA value, without
// touching the environment or the cached choice (benchmarks, tests).
// force: nullptr or "" = no cap; "scalar" | "avx2" | "neon" | "avx512"
// (case-insensitive) = the widest supported ISA no wider than that tier
// (scalar < avx2 = neon < avx512), e.g. "avx512" on an AVX2-only CPU gives
// avx2 and "avx2" on ARM gives neon. Unrecognised values are ignored (no cap).
const F32Kernels& SelectFor(const char* force);
// The table for one ISA, or nullptr when this CPU (or build) lacks it.
const F32Kernels* ForIsa(Isa isa);
// Every ISA usable on this machine, scalar first.
std::vector<Isa> SupportedIsas();

}  // namespace kernels

}  // namespace herondb
