// Portable float32 kernels (the baseline every platform has), and the NEON
// kernels on aarch64.
//
// Contract: see distance.h. The scalar loops keep 8 (cosine: 3 x 4)
// independent partial sums so that, even without -ffast-math, the compiler can vectorize them at
// the baseline ISA (SSE2 on x86-64) and the dependency chains stay short. The NEON versions use 4 x
// 4-lane accumulators and a scalar tail (< 4 floats).
#include <cstddef>

#include "herondb/kernels/isa_tables.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace herondb::kernels::internal {
namespace {

constexpr size_t kLanes = 8;

float SumLanes(const float (&acc)[kLanes]) {
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

float DotScalar(const float* a, const float* b, size_t dim) {
  float acc[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= dim; i += kLanes) {
    for (size_t j = 0; j < kLanes; ++j) acc[j] += a[i + j] * b[i + j];
  }
  float s = SumLanes(acc);
  for (; i < dim; ++i) s += a[i] * b[i];
  return s;
}

float L2sqScalar(const float* a, const float* b, size_t dim) {
  float acc[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= dim; i += kLanes) {
    for (size_t j = 0; j < kLanes; ++j) {
      const float d = a[i + j] - b[i + j];
      acc[j] += d * d;
    }
  }
  float s = SumLanes(acc);
  for (; i < dim; ++i) {
    const float d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

float CosineScalar(const float* a, const float* b, size_t dim) {
  // 4 lanes per sum (one SSE register each); 8 lanes x 3 sums makes gcc
  // interleave the outer loop with shuffles and run ~10x slower.
  constexpr size_t kCosLanes = 4;
  float ab[kCosLanes] = {}, aa[kCosLanes] = {}, bb[kCosLanes] = {};
  size_t i = 0;
  for (; i + kCosLanes <= dim; i += kCosLanes) {
    for (size_t j = 0; j < kCosLanes; ++j) {
      const float x = a[i + j], y = b[i + j];
      ab[j] += x * y;
      aa[j] += x * x;
      bb[j] += y * y;
    }
  }
  float sab = (ab[0] + ab[2]) + (ab[1] + ab[3]);
  float saa = (aa[0] + aa[2]) + (aa[1] + aa[3]);
  float sbb = (bb[0] + bb[2]) + (bb[1] + bb[3]);
  for (; i < dim; ++i) {
    sab += a[i] * b[i];
    saa += a[i] * a[i];
    sbb += b[i] * b[i];
  }
  return CosineFromSums(sab, saa, sbb);
}

void DotBatchScalar(const float* q, const float* base, size_t n, size_t dim, float* out) {
  for (size_t i = 0; i < n; ++i) out[i] = DotScalar(q, base + i * dim, dim);
}

void L2sqBatchScalar(const float* q, const float* base, size_t n, size_t dim, float* out) {
  for (size_t i = 0; i < n; ++i) out[i] = L2sqScalar(q, base + i * dim, dim);
}

#if defined(__aarch64__)

float DotNeon(const float* a, const float* b, size_t dim) {
  float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    s0 = vfmaq_f32(s0, vld1q_f32(a + i), vld1q_f32(b + i));
    s1 = vfmaq_f32(s1, vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
    s2 = vfmaq_f32(s2, vld1q_f32(a + i + 8), vld1q_f32(b + i + 8));
    s3 = vfmaq_f32(s3, vld1q_f32(a + i + 12), vld1q_f32(b + i + 12));
  }
  for (; i + 4 <= dim; i += 4) s0 = vfmaq_f32(s0, vld1q_f32(a + i), vld1q_f32(b + i));
  float s = vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));
  for (; i < dim; ++i) s += a[i] * b[i];
  return s;
}

float L2sqNeon(const float* a, const float* b, size_t dim) {
  float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    const float32x4_t d0 = vsubq_f32(vld1q_f32(a + i), vld1q_f32(b + i));
    const float32x4_t d1 = vsubq_f32(vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
    const float32x4_t d2 = vsubq_f32(vld1q_f32(a + i + 8), vld1q_f32(b + i + 8));
    const float32x4_t d3 = vsubq_f32(vld1q_f32(a + i + 12), vld1q_f32(b + i + 12));
    s0 = vfmaq_f32(s0, d0, d0);
    s1 = vfmaq_f32(s1, d1, d1);
    s2 = vfmaq_f32(s2, d2, d2);
    s3 = vfmaq_f32(s3, d3, d3);
  }
  for (; i + 4 <= dim; i += 4) {
    const float32x4_t d = vsubq_f32(vld1q_f32(a + i), vld1q_f32(b + i));
    s0 = vfmaq_f32(s0, d, d);
  }
  float s = vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));
  for (; i < dim; ++i) {
    const float d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

float CosineNeon(const float* a, const float* b, size_t dim) {
  float32x4_t ab0 = vdupq_n_f32(0.0f), ab1 = ab0, aa0 = ab0, aa1 = ab0, bb0 = ab0, bb1 = ab0;
  size_t i = 0;
  for (; i + 8 <= dim; i += 8) {
    const float32x4_t x0 = vld1q_f32(a + i), y0 = vld1q_f32(b + i);
    const float32x4_t x1 = vld1q_f32(a + i + 4), y1 = vld1q_f32(b + i + 4);
    ab0 = vfmaq_f32(ab0, x0, y0);
    aa0 = vfmaq_f32(aa0, x0, x0);
    bb0 = vfmaq_f32(bb0, y0, y0);
    ab1 = vfmaq_f32(ab1, x1, y1);
    aa1 = vfmaq_f32(aa1, x1, x1);
    bb1 = vfmaq_f32(bb1, y1, y1);
  }
  float sab = vaddvq_f32(vaddq_f32(ab0, ab1));
  float saa = vaddvq_f32(vaddq_f32(aa0, aa1));
  float sbb = vaddvq_f32(vaddq_f32(bb0, bb1));
  for (; i < dim; ++i) {
    sab += a[i] * b[i];
    saa += a[i] * a[i];
    sbb += b[i] * b[i];
  }
  return CosineFromSums(sab, saa, sbb);
}

void DotBatchNeon(const float* q, const float* base, size_t n, size_t dim, float* out) {
  for (size_t i = 0; i < n; ++i) out[i] = DotNeon(q, base + i * dim, dim);
}

void L2sqBatchNeon(const float* q, const float* base, size_t n, size_t dim, float* out) {
  for (size_t i = 0; i < n; ++i) out[i] = L2sqNeon(q, base + i * dim, dim);
}

#endif  // __aarch64__

}  // namespace

constinit const F32Kernels kScalarKernels = {Isa::kScalar,  &DotScalar,      &L2sqScalar,
                                             &CosineScalar, &DotBatchScalar, &L2sqBatchScalar};

#if defined(__aarch64__)
constinit const F32Kernels kNeonKernels = {Isa::kNeon,  &DotNeon,      &L2sqNeon,
                                           &CosineNeon, &DotBatchNeon, &L2sqBatchNeon};
#endif

}  // namespace herondb::kernels::internal
