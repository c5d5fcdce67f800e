// SQ8 distance kernels: u8 codes against int16 query weights, with runtime
// CPU dispatch (scalar, AVX2, AVX-512BW, AVX-512 VNNI).
//
// Formulation (why the query side is int16 rather than u8):
//   A stored vector x is quantized per dimension, x_d ~ min_d + scale_d * c_d
//   with c_d in [0, 255] (index/sq8_quantizer.h). Scales differ between
//   dimensions, so a symmetric code-to-code sum such as sum (a_d - b_d)^2 is
//   only a distance after weighting every term by scale_d^2, which integer
//   SIMD cannot do per lane. Instead the query stays (nearly) exact and only
//   the stored side is quantized (asymmetric distance):
//     q . x~           = sum_d q_d min_d + sum_d (q_d scale_d) c_d
//     |q - x~|^2       = |q'|^2 - 2 sum_d (q'_d scale_d) c_d + |x~'|^2
//                        with q' = q - min and x~' = x~ - min (per-row |x~'|^2
//                        is a stored correction term; working relative to min
//                        avoids float cancellation when data sit far from 0).
//   Both reduce to one weighted sum  sum_d w_d c_d  with per-query float
//   weights w_d. The weights are rounded once per query to int16 with a
//   single scale alpha (w_d ~ alpha * w16_d); alpha is chosen so that
//   255 * sum_d |w16_d| <= INT32_MAX, hence every partial sum in any order
//   fits an int32 (no overflow, no UB), and |w16| <= 32767 keeps up to ~15
//   bits of weight precision: the rounding error is far below the 8-bit code
//   error. The kernel is then u8 x s16 multiply-accumulate: vpmovzxbw +
//   vpmaddwd (AVX2 / AVX-512BW), 32-64 dims per iteration and a quarter of
//   float32's memory traffic. With AVX-512 VNNI the int16 weights (then at
//   most 16383 in magnitude) are split into two signed bytes,
//   w = 128 * hi + lo, and vpdpbusd multiplies the u8 codes by each plane
//   directly: 2 instructions per 64 codes instead of 2 widenings and 2
//   vpdpwssd per 64, with the same exact integer result.
//
// Contract:
// - dot_u8_i16(code, w, dim) returns sum_{i<dim} code[i] * w[i] exactly,
//   provided 255 * sum |w[i]| <= INT32_MAX (callers guarantee it; see
//   Sq8Quantizer::PrepareQuery). Any dim >= 0, any alignment; reads exactly
//   dim bytes of code and dim int16 of w (masked tails never touch memory
//   past the end). No allocation, no exceptions. Every ISA returns the same
//   value (integer arithmetic). dot_u8_s8x2 (where not null) likewise, with
//   dim bytes of each of hi and lo.
// - Sq8Best() is chosen once per process from the CPU's features, capped by
//   HERONDB_FORCE_ISA like kernels::Best(): "scalar" -> scalar, "avx2" ->
//   AVX2, "avx512" -> VNNI if the CPU has AVX512_VNNI, else AVX-512BW.
//   AVX-512 needs what distance.h's avx512 tier needs (F/BW/VL/DQ + OS state);
//   VNNI is detected separately (CPUID.7.0:ECX[11]).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace herondb::kernels {

enum class Sq8Isa : uint8_t { kScalar = 0, kAvx2 = 1, kAvx512Bw = 2, kAvx512Vnni = 3 };
const char* Sq8IsaName(Sq8Isa isa);

struct Sq8Kernels {
  Sq8Isa isa;
  // sum code[i] * w[i] (see the contract above).
  int32_t (*dot_u8_i16)(const uint8_t* code, const int16_t* w, size_t dim);
  // The same sum with each weight given as two signed bytes,
  // w[i] = 128 * hi[i] + lo[i] with lo[i] in [0, 127] (so |w[i]| <= 16384):
  // sum code[i] * (128 * hi[i] + lo[i]), exactly, under the same bound
  // 255 * sum |w[i]| <= INT32_MAX. Null unless the ISA multiplies u8 by s8
  // natively (AVX-512 VNNI: vpdpbusd, four products per int32 lane, so 64
  // codes need two instructions and no widening); callers then prefer it.
  int32_t (*dot_u8_s8x2)(const uint8_t* code, const int8_t* hi, const int8_t* lo, size_t dim);
};

// The fastest table this CPU supports, capped by HERONDB_FORCE_ISA (read
// once, on the first call).
const Sq8Kernels& Sq8Best();
// The table Sq8Best() would pick for a given HERONDB_FORCE_ISA value.
const Sq8Kernels& Sq8SelectFor(const char* force);
// The table for one ISA, or nullptr when this CPU (or build) lacks it.
const Sq8Kernels* Sq8ForIsa(Sq8Isa isa);
// Every SQ8 ISA usable on this machine, scalar first.
std::vector<Sq8Isa> SupportedSq8Isas();

}  // namespace herondb::kernels
