// Distance metrics: the enum, its names, and one compile-time dispatch.
//
// Contract:
// - Metric's values are the on-disk ids (0 cosine, 1 euclidean, 2 dot) and
//   never change; a new metric takes the next id.
// - Semantics (api-decisions D2), "lower is more similar":
//     cosine      1 - a.b / (|a| |b|)   in [0, 2]
//     euclidean   sqrt(sum (a-b)^2)     (the true distance, not the square)
//     dot         -(a.b)
// - WithMetric(m, f) calls f with the traits type of m (metric::Cosine,
//   metric::Euclidean, metric::Dot) and returns what f returns. Its switch
//   names every enumerator and has no default, so -Wswitch flags a metric
//   without traits. Every metric-dependent choice in the index goes through
//   a traits type; the only other per-metric code is the kernel it names.
// - A traits type T gives, on the index's internal scale (what graph walks
//   and exact scans compare; monotone in the reported distance):
//     T::kMetric             its enumerator
//     T::kNeedsNorms         rows carry 1/|x| (stored on disk as NORM) and the
//                            query is scaled to unit length (PrepareQuery);
//                            an all-zero vector is rejected (no direction)
//     T::Kernel(k, a, b, d)  the float32 kernel result for one row
//     T::KernelBatch(...)    the same for a block of rows (exact scans)
//     T::FromKernel(r, inv)  internal distance from a kernel result r and
//                            the row's 1/|x| (ignored unless kNeedsNorms)
//     T::Pair(r, ia, ib)     internal distance between two stored rows
//     T::Reported(d)         the D2 distance from an internal one
//     T::Exact(k, a, b, d)   the D2 distance of two raw vectors (slow path)
//     T::kSq8Euclidean       SQ8 scores are squared L2 (else inner products)
//     T::FromSq8(score)      internal distance from an SQ8 score; under
//                            kNeedsNorms the codes hold x/|x|
// - Adding a metric: a new enumerator (and its name in metric.cc), a traits
//   type here, and its kernel in kernels/ when none of the existing ones
//   fits. See docs/architecture.md ("Metrics").
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "herondb/kernels/distance.h"

namespace herondb {

enum class Metric : uint8_t { kCosine = 0, kEuclidean = 1, kDot = 2 };

// Canonical name ("cosine", "euclidean", "dot_product").
const char* MetricName(Metric m);
// Case-insensitive parse of cosine | euclidean | l2 | dot | dot_product;
// throws Error(kInvalidArgument) naming the accepted values otherwise.
Metric ParseMetric(const std::string& name);
// Whether id is the on-disk id of a known metric.
bool IsMetricId(uint32_t id);
// Reached only with a value outside the enum (a bad cast): throws
// Error(kCorruption).
[[noreturn]] void ThrowUnknownMetric(Metric m);

namespace metric {

struct Cosine {
  static constexpr Metric kMetric = Metric::kCosine;
  static constexpr bool kNeedsNorms = true;
  static constexpr bool kSq8Euclidean = false;
  static float Kernel(const kernels::F32Kernels& k, const float* a, const float* b, size_t d) {
    return k.dot(a, b, d);
  }
  static void KernelBatch(const kernels::F32Kernels& k, const float* q, const float* base, size_t n,
                          size_t d, float* out) {
    k.dot_batch(q, base, n, d, out);
  }
  static float FromKernel(float r, float inv_norm) { return 1.0f - r * inv_norm; }
  static float Pair(float r, float inv_a, float inv_b) { return 1.0f - r * inv_a * inv_b; }
  static float Reported(float d) { return std::clamp(d, 0.0f, 2.0f); }
  static float Exact(const kernels::F32Kernels& k, const float* a, const float* b, size_t d) {
    return k.cosine(a, b, d);
  }
  static float FromSq8(float score) { return 1.0f - score; }
};

struct Euclidean {
  static constexpr Metric kMetric = Metric::kEuclidean;
  static constexpr bool kNeedsNorms = false;
  static constexpr bool kSq8Euclidean = true;
  static float Kernel(const kernels::F32Kernels& k, const float* a, const float* b, size_t d) {
    return k.l2sq(a, b, d);
  }
  static void KernelBatch(const kernels::F32Kernels& k, const float* q, const float* base, size_t n,
                          size_t d, float* out) {
    k.l2sq_batch(q, base, n, d, out);
  }
  static float FromKernel(float r, float /*inv_norm*/) { return r; }
  static float Pair(float r, float /*inv_a*/, float /*inv_b*/) { return r; }
  static float Reported(float d) { return std::sqrt(std::max(0.0f, d)); }
  static float Exact(const kernels::F32Kernels& k, const float* a, const float* b, size_t d) {
    return std::sqrt(k.l2sq(a, b, d));
  }
  static float FromSq8(float score) { return score; }
};

struct Dot {
  static constexpr Metric kMetric = Metric::kDot;
  static constexpr bool kNeedsNorms = false;
  static constexpr bool kSq8Euclidean = false;
  static float Kernel(const kernels::F32Kernels& k, const float* a, const float* b, size_t d) {
    return k.dot(a, b, d);
  }
  static void KernelBatch(const kernels::F32Kernels& k, const float* q, const float* base, size_t n,
                          size_t d, float* out) {
    k.dot_batch(q, base, n, d, out);
  }
  static float FromKernel(float r, float /*inv_norm*/) { return -r; }
  static float Pair(float r, float /*inv_a*/, float /*inv_b*/) { return -r; }
  static float Reported(float d) { return d; }
  static float Exact(const kernels::F32Kernels& k, const float* a, const float* b, size_t d) {
    return -k.dot(a, b, d);
  }
  static float FromSq8(float score) { return -score; }
};

}  // namespace metric

// Calls f(T{}) with the traits type T of m; see the contract above.
template <typename F>
decltype(auto) WithMetric(Metric m, F&& f) {
  switch (m) {
    case Metric::kCosine:
      return std::forward<F>(f)(metric::Cosine{});
    case Metric::kEuclidean:
      return std::forward<F>(f)(metric::Euclidean{});
    case Metric::kDot:
      return std::forward<F>(f)(metric::Dot{});
  }
  ThrowUnknownMetric(m);
}

// T::kNeedsNorms of m.
inline bool MetricNeedsNorms(Metric m) {
  return WithMetric(m, [](auto t) { return decltype(t)::kNeedsNorms; });
}

// D2 distance between two vectors (slow path: tests, get-free checks).
float Distance(Metric m, const float* a, const float* b, size_t dim);

}  // namespace herondb
