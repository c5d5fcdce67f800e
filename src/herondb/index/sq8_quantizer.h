// Sq8Quantizer: per-dimension 8-bit scalar quantization of float32 rows, the
// code block it produces, and the asymmetric query scoring used by quantized
// HNSW traversal.
//
// Contract:
// - Ranges: Train() learns [min_d, max_d] per dimension from the rows it is
//   given (an even sample of at most kMaxTrainRows). Codes are affine,
//   x_d ~ min_d + scale_d * c_d with scale_d = (max_d - min_d) / 255 and
//   c_d = round((x_d - min_d) / scale_d) clamped to [0, 255]; a value outside
//   [min_d, max_d] is "clamped". A constant dimension has scale 0 and code 0.
//   Decoding is exact at the range ends and off by at most scale_d / 2 inside.
// - Code block: row i's dim codes live at codes().row(i), contiguous
//   (i * dim), in a CodeStore (row_store.h) over a RowBacking, so a snapshot can persist the
//   block as is and hand back a backing that maps it (Restore()).
// - Row scales: Train/Encode/SetRow/Retrain optionally quantize each row
//   times a per-row factor (HnswIndex passes 1/|x| under cosine, so codes
//   hold unit vectors: cosine ignores norms, and unit vectors share one tight
//   range however the stored norms vary). Score() then refers to the scaled
//   rows.
// - Drift: every SetRow() after the last Train()/Retrain()/Restore() counts
//   its clamped values; stale() says that at least kStaleMinRows rows were
//   encoded since and more than kStaleClampedFraction of their values were
//   clamped, i.e. the ranges no longer fit the data. Retrain() re-learns the
//   ranges from the given rows and re-encodes all of them.
// - Scoring (see kernels/sq8.h for the derivation): PrepareQuery() turns a
//   float query into int16 weights once (with a VNNI kernel, 15-bit weights
//   also split into two byte planes for the u8 x s8 kernel); Score() then returns, from a row's
//   codes and one per-row correction term (|x~ - min|^2, kept beside the
//   block and recomputed from codes on Restore()), either the inner product
//   q . x~ or the squared distance |q - x~|^2, where x~ is the decoded row.
//   Against the decoded row its error is the int16 weight rounding plus
//   float32 rounding, within 2e-4 of the sum of |terms| (tested); against
//   the original row it is the quantization error.
// - Thread safety: const methods may run concurrently; mutators need
//   exclusive access (HnswIndex serializes writers against searches).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "herondb/index/row_store.h"
#include "herondb/kernels/sq8.h"

namespace herondb {

// A query prepared for Score(): int16 weights with one scale, plus the
// metric-independent constant terms.
struct Sq8Query {
  std::vector<int16_t> w;  // dim weights; real weight ~ alpha * w[d]
  // With a dot_u8_s8x2 kernel (split == true): w[d] = 128 * hi[d] + lo[d],
  // lo in [0, 127], and |w[d]| <= 16383; otherwise empty.
  std::vector<int8_t> hi, lo;
  bool split = false;
  float alpha = 0.0f;
  float bias = 0.0f;    // inner product: sum q_d min_d
  float qnorm2 = 0.0f;  // squared L2: |q - min|^2
  bool l2 = false;      // Score() gives |q - x~|^2 (true) or q . x~ (false)
  // ErrorSd() terms: inner product: the sd itself; L2: per sqrt(distance).
  float err_sd = 0.0f;
};

class Sq8Quantizer {
 public:
  static constexpr size_t kMaxTrainRows = 100000;
  static constexpr size_t kStaleMinRows = 64;
  static constexpr double kStaleClampedFraction = 0.01;

  explicit Sq8Quantizer(size_t dim, std::unique_ptr<RowBacking> codes = nullptr);

  size_t dim() const { return dim_; }
  bool trained() const { return trained_; }
  // Per-dimension range start and step (empty until trained).
  const std::vector<float>& mins() const { return mins_; }
  const std::vector<float>& scales() const { return scales_; }

  // Learns the ranges from n >= 1 row-major rows, row i multiplied by
  // row_scales[i] (null: 1); existing codes are kept as they are (use
  // Retrain() to re-encode). Resets the drift counters.
  void Train(const float* rows, size_t n, const float* row_scales = nullptr);
  // Encodes scale * v into dim codes; returns how many values were clamped.
  // Requires trained().
  size_t Encode(const float* v, uint8_t* code, float scale = 1.0f) const;
  void Decode(const uint8_t* code, float* out) const;

  // The code block and its rows.
  const CodeStore& codes() const { return codes_; }
  size_t rows() const { return codes_.rows(); }
  void Reserve(size_t rows);
  // Grows (new rows hold code 0 until SetRow) or shrinks the block.
  void Resize(size_t rows);
  // Encodes scale * v as row `slot` (< rows()) and counts it towards drift.
  void SetRow(uint32_t slot, const float* v, float scale = 1.0f);
  // Re-learns the ranges from `rows` (n x dim, each times row_scales[i] when
  // given; n == rows() after the call) and re-encodes every row from them.
  // Resets the drift counters.
  void Retrain(const float* rows, size_t n, const float* row_scales = nullptr);

  // Drift since the last (re)training.
  bool stale() const;
  size_t rows_since_training() const { return rows_since_training_; }
  // Fraction of the values encoded since training that were clamped.
  double clamped_fraction() const;

  void PrepareQuery(const float* q, bool l2, Sq8Query* out) const;
  float Score(const Sq8Query& q, uint32_t slot) const {
    const int32_t dot =
        q.split ? kernels_->dot_u8_s8x2(codes_.row(slot), q.hi.data(), q.lo.data(), dim_)
                : kernels_->dot_u8_i16(codes_.row(slot), q.w.data(), dim_);
    const float ip = q.alpha * static_cast<float>(dot);
    return q.l2 ? q.qnorm2 - 2.0f * ip + norms_[slot] : q.bias + ip;
  }
  const uint8_t* code(uint32_t slot) const { return codes_.row(slot); }
  // Estimated standard deviation of the difference between the Score()
  // errors (against the original rows) of two rows whose score is about
  // `score`: each dimension's rounding error is taken as independent and
  // uniform over +-scale_d / 2 (variance scale_d^2 / 12). Inner product:
  // sqrt(2 * sum_d (q_d scale_d)^2 / 12). Squared L2: the error is about
  // -2 (q - x) . e, whose sd is taken as 2 sqrt(score * mean_d scale_d^2 / 12),
  // times sqrt(2) for the difference. An estimate for ranking margins, not
  // a bound.
  float ErrorSd(const Sq8Query& q, float score) const {
    return q.l2 ? q.err_sd * std::sqrt(std::max(score, 0.0f)) : q.err_sd;
  }

  // The code block's backing, and ReplaceBacking on it (the database swaps
  // a mapped block for a copy in memory: db/promotion_task.h). Writers.
  RowBacking* code_backing() { return codes_.backing(); }
  void ReplaceCodeBacking(std::unique_ptr<RowBacking> backing) {
    codes_.ReplaceBacking(std::move(backing));
  }

  // Code block plus per-row correction terms.
  size_t MemoryBytes() const { return codes_.bytes() + norms_.size() * sizeof(float); }

  // Adopts ranges and a code block saved earlier (e.g. mapped from a
  // snapshot) holding at least `rows` rows; recomputes the correction terms
  // from the codes. Throws Error(kInvalidArgument) on mismatched sizes,
  // non-finite values or negative scales, leaving the quantizer unchanged.
  void Restore(std::vector<float> mins, std::vector<float> scales,
               std::unique_ptr<RowBacking> codes, size_t rows);

 private:
  void SetRanges(std::vector<float> mins, std::vector<float> maxs);
  void UpdateNorm(uint32_t slot);

  size_t dim_;
  const kernels::Sq8Kernels* kernels_;
  bool trained_ = false;
  std::vector<float> mins_, maxs_, scales_, inv_scales_;
  CodeStore codes_;
  std::vector<float> norms_;  // per row: |x~ - min|^2
  float mean_scale2_ = 0.0f;  // mean_d scale_d^2 (ErrorSd for L2)
  size_t rows_since_training_ = 0;
  size_t clamped_since_training_ = 0;
};

}  // namespace herondb
