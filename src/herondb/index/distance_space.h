// Distance spaces: what a graph walk (graph_walk.h) measures with.
//
// Contract:
// - A space is built once per query and answers, for any slot s < rows:
//     float Dist(s)   the internal distance from the query to slot s
//                     (metric.h's scale: smaller is closer)
//     void Touch(s)   prefetch the first cache line of s's row
//     void Fetch(s)   prefetch all of s's row (at most 8 lines)
//   Spaces are cheap to copy, hold no locks and allocate nothing; the rows
//   they read must not move while the space is in use (writers are
//   serialized against searches by HnswIndex's contract).
// - FloatSpace<T> scores float32 rows with metric traits T exactly as the
//   index's PairDist/exact scans do (same expressions, so a slot gets the
//   same distance from every path). Its query is prepared by Prepare():
//   scaled to unit length when T::kNeedsNorms, else used as is.
// - CodeSpace<T> scores SQ8 codes (Sq8Quantizer::Score) on the same internal
//   scale: under kNeedsNorms the codes hold x/|x|, so no norm is applied.
//   Its query is prepared from the float-prepared query by Prepare().
// - PrepareQuery(m, ...) is FloatSpace<T>::Prepare for a runtime metric
//   (exact scans, which dispatch per block rather than per slot).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "herondb/index/metric.h"
#include "herondb/index/row_store.h"
#include "herondb/index/sq8_quantizer.h"
#include "herondb/kernels/distance.h"

namespace herondb {

inline void PrefetchLine(const void* p) { __builtin_prefetch(p, 0, 3); }

template <class T>
class FloatSpace {
 public:
  // q: a query prepared by Prepare(); inv_norms: 1/|x| per row (read only
  // when T::kNeedsNorms).
  FloatSpace(const kernels::F32Kernels& k, const VectorStore& rows, const float* inv_norms,
             const float* q)
      : k_(&k),
        base_(rows.data()),
        dim_(rows.dim()),
        inv_norms_(inv_norms),
        q_(q),
        lines_(std::min<size_t>(rows.row_bytes() / 64 + 1, 8)) {}

  // The query as the space scores it: q itself, or q/|q| (written to *buf).
  static const float* Prepare(const kernels::F32Kernels& k, const float* q, size_t dim,
                              std::vector<float>* buf) {
    if constexpr (!T::kNeedsNorms) {
      (void)k;
      (void)dim;
      (void)buf;
      return q;
    } else {
      float n2 = k.dot(q, q, dim);
      float inv = n2 > 0 ? 1.0f / std::sqrt(n2) : 0.0f;
      buf->resize(dim);
      for (size_t i = 0; i < dim; ++i) (*buf)[i] = q[i] * inv;
      return buf->data();
    }
  }

  const float* query() const { return q_; }
  float Dist(uint32_t s) const {
    return T::FromKernel(T::Kernel(*k_, q_, Row(s), dim_), T::kNeedsNorms ? inv_norms_[s] : 1.0f);
  }
  void Touch(uint32_t s) const { PrefetchLine(Row(s)); }
  void Fetch(uint32_t s) const {
    const char* p = reinterpret_cast<const char*>(Row(s));
    for (size_t l = 0; l < lines_; ++l) PrefetchLine(p + 64 * l);
  }

 private:
  const float* Row(uint32_t s) const { return base_ + static_cast<size_t>(s) * dim_; }

  const kernels::F32Kernels* k_;
  const float* base_;
  size_t dim_;
  const float* inv_norms_;
  const float* q_;
  size_t lines_;
};

template <class T>
class CodeSpace {
 public:
  // q: a query prepared by Prepare() on this quantizer.
  CodeSpace(const Sq8Quantizer& sq, const Sq8Query& q)
      : sq_(&sq), q_(&q), lines_(std::min<size_t>(sq.dim() / 64 + 1, 8)) {}

  // Prepares `q` (already FloatSpace<T>::Prepare'd) for SQ8 scoring.
  static const Sq8Query& Prepare(const Sq8Quantizer& sq, const float* q, Sq8Query* buf) {
    sq.PrepareQuery(q, T::kSq8Euclidean, buf);
    return *buf;
  }

  const Sq8Query& query() const { return *q_; }
  float Dist(uint32_t s) const { return T::FromSq8(sq_->Score(*q_, s)); }
  void Touch(uint32_t s) const { PrefetchLine(sq_->code(s)); }
  void Fetch(uint32_t s) const {
    const char* p = reinterpret_cast<const char*>(sq_->code(s));
    for (size_t l = 0; l < lines_; ++l) PrefetchLine(p + 64 * l);
  }

 private:
  const Sq8Quantizer* sq_;
  const Sq8Query* q_;
  size_t lines_;
};

inline const float* PrepareQuery(Metric m, const kernels::F32Kernels& k, const float* q, size_t dim,
                                 std::vector<float>* buf) {
  return WithMetric(m, [&](auto t) { return FloatSpace<decltype(t)>::Prepare(k, q, dim, buf); });
}

}  // namespace herondb
