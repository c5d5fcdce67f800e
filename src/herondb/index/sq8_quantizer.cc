// Sq8Quantizer and CodeStore; see sq8_quantizer.h for the contract.
#include "herondb/index/sq8_quantizer.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <string>

#include "herondb/common/error.h"

namespace herondb {
namespace {

float MeanSquare(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += static_cast<double>(x) * x;
  return v.empty() ? 0.0f : static_cast<float>(s / static_cast<double>(v.size()));
}

}  // namespace

CodeStore::CodeStore(size_t dim, std::unique_ptr<RowBacking> backing)
    : dim_(dim), backing_(backing ? std::move(backing) : std::make_unique<HeapRowBacking>()) {
  rows_ = dim_ ? backing_->size() / dim_ : 0;
  data_ = reinterpret_cast<uint8_t*>(backing_->data());
}

void CodeStore::ReplaceBacking(std::unique_ptr<RowBacking> backing) {
  if (!backing || backing->size() < bytes())
    Throw(ErrorCode::kInvalidArgument, "replacement code backing is too small");
  backing_ = std::move(backing);
  data_ = reinterpret_cast<uint8_t*>(backing_->data());
}

void CodeStore::Reserve(size_t rows) {
  backing_->EnsureSize(rows * dim_);
  data_ = reinterpret_cast<uint8_t*>(backing_->data());
}

void CodeStore::Resize(size_t rows) {
  if (rows > rows_) Reserve(rows);
  rows_ = rows;
}

Sq8Quantizer::Sq8Quantizer(size_t dim, std::unique_ptr<RowBacking> codes)
    : dim_(dim), kernels_(&kernels::Sq8Best()), codes_(dim, std::move(codes)) {
  if (dim_ == 0) Throw(ErrorCode::kInvalidArgument, "Sq8Quantizer needs dim >= 1");
}

void Sq8Quantizer::SetRanges(std::vector<float> mins, std::vector<float> maxs) {
  std::vector<float> scales(dim_), inv(dim_);
  for (size_t d = 0; d < dim_; ++d) {
    const float range = maxs[d] - mins[d];
    scales[d] = range > 0.0f ? range / 255.0f : 0.0f;
    // A range so small that range / 255 underflows is treated as constant.
    inv[d] = scales[d] > 0.0f ? 1.0f / scales[d] : 0.0f;
    if (!std::isfinite(inv[d])) {
      scales[d] = 0.0f;
      inv[d] = 0.0f;
    }
  }
  mins_ = std::move(mins);
  maxs_ = std::move(maxs);
  scales_ = std::move(scales);
  inv_scales_ = std::move(inv);
  mean_scale2_ = MeanSquare(scales_);
  trained_ = true;
  rows_since_training_ = 0;
  clamped_since_training_ = 0;
}

void Sq8Quantizer::Train(const float* rows, size_t n, const float* row_scales) {
  if (n == 0) Throw(ErrorCode::kInvalidArgument, "Sq8Quantizer::Train needs at least one row");
  const float s0 = row_scales ? row_scales[0] : 1.0f;
  std::vector<float> lo(dim_), hi(dim_);
  for (size_t d = 0; d < dim_; ++d) lo[d] = hi[d] = rows[d] * s0;
  const size_t samples = std::min(n, kMaxTrainRows);
  for (size_t j = 1; j < samples; ++j) {
    // Evenly spread sample: row floor(j * n / samples).
    const size_t i = static_cast<size_t>((static_cast<uint64_t>(j) * n) / samples);
    const float* v = rows + i * dim_;
    const float scale = row_scales ? row_scales[i] : 1.0f;
    for (size_t d = 0; d < dim_; ++d) {
      lo[d] = std::min(lo[d], v[d] * scale);
      hi[d] = std::max(hi[d], v[d] * scale);
    }
  }
  SetRanges(std::move(lo), std::move(hi));
}

size_t Sq8Quantizer::Encode(const float* v, uint8_t* code, float scale) const {
  size_t clamped = 0;
  for (size_t d = 0; d < dim_; ++d) {
    const float x = v[d] * scale;
    if (x < mins_[d] || x > maxs_[d]) ++clamped;
    const float t = (x - mins_[d]) * inv_scales_[d];
    // Clamp before converting: the float-to-int conversion of an
    // out-of-range value would be undefined.
    const float c = std::clamp(std::nearbyint(t), 0.0f, 255.0f);
    code[d] = static_cast<uint8_t>(c);
  }
  return clamped;
}

void Sq8Quantizer::Decode(const uint8_t* code, float* out) const {
  for (size_t d = 0; d < dim_; ++d) out[d] = mins_[d] + scales_[d] * static_cast<float>(code[d]);
}

void Sq8Quantizer::UpdateNorm(uint32_t slot) {
  const uint8_t* c = codes_.row(slot);
  double s = 0;
  for (size_t d = 0; d < dim_; ++d) {
    const double x = static_cast<double>(scales_[d]) * c[d];
    s += x * x;
  }
  norms_[slot] = static_cast<float>(s);
}

void Sq8Quantizer::Reserve(size_t rows) {
  codes_.Reserve(rows);
  norms_.reserve(rows);
}

void Sq8Quantizer::Resize(size_t rows) {
  codes_.Resize(rows);
  norms_.resize(rows, 0.0f);
}

void Sq8Quantizer::SetRow(uint32_t slot, const float* v, float scale) {
  clamped_since_training_ += Encode(v, codes_.mutable_row(slot), scale);
  ++rows_since_training_;
  UpdateNorm(slot);
}

void Sq8Quantizer::Retrain(const float* rows, size_t n, const float* row_scales) {
  Resize(n);
  if (n == 0) return;
  Train(rows, n, row_scales);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t slot = static_cast<uint32_t>(i);
    Encode(rows + i * dim_, codes_.mutable_row(slot), row_scales ? row_scales[i] : 1.0f);
    UpdateNorm(slot);
  }
}

bool Sq8Quantizer::stale() const {
  return trained_ && rows_since_training_ >= kStaleMinRows &&
         clamped_fraction() > kStaleClampedFraction;
}

double Sq8Quantizer::clamped_fraction() const {
  if (rows_since_training_ == 0) return 0.0;
  return static_cast<double>(clamped_since_training_) /
         (static_cast<double>(rows_since_training_) * static_cast<double>(dim_));
}

void Sq8Quantizer::PrepareQuery(const float* q, bool l2, Sq8Query* out) const {
  out->l2 = l2;
  out->w.resize(dim_);
  // Pass 1: the constant term and the max and sum of |w_d|; pass 2 rounds.
  double amax = 0, asum = 0, constant = 0, w2 = 0;
  for (size_t d = 0; d < dim_; ++d) {
    const double base = l2 ? static_cast<double>(q[d]) - mins_[d] : static_cast<double>(q[d]);
    const double w = base * scales_[d];
    amax = std::max(amax, std::fabs(w));
    asum += std::fabs(w);
    w2 += w * w;
    constant += l2 ? base * base : base * mins_[d];
  }
  // See ErrorSd(): sqrt(2 var) of one row's error.
  out->err_sd = l2 ? static_cast<float>(std::sqrt(2.0 * 4.0 * mean_scale2_ / 12.0))
                   : static_cast<float>(std::sqrt(2.0 * w2 / 12.0));
  // 255 * sum|w16| <= INT32_MAX: |w16_d| <= |w_d| / alpha + 1/2, so
  // sum|w16| <= asum / alpha + dim / 2 (see kernels/sq8.h).
  const double budget =
      static_cast<double>(INT32_MAX) / 255.0 - static_cast<double>(dim_) / 2.0 - 1.0;
  // The split (u8 x s8) kernel takes weights of at most 16383 in magnitude.
  const bool split = kernels_->dot_u8_s8x2 != nullptr;
  const double wmax = split ? 16383.0 : 32767.0;
  out->split = split;
  const double alpha = std::max(amax / wmax, asum / budget);
  out->alpha = static_cast<float>(alpha);
  out->bias = l2 ? 0.0f : static_cast<float>(constant);
  out->qnorm2 = l2 ? static_cast<float>(constant) : 0.0f;
  if (!(alpha > 0.0) || !std::isfinite(alpha)) {
    std::fill(out->w.begin(), out->w.end(), int16_t{0});
    out->alpha = 0.0f;
  } else {
    for (size_t d = 0; d < dim_; ++d) {
      const double base = l2 ? static_cast<double>(q[d]) - mins_[d] : static_cast<double>(q[d]);
      const double r = std::nearbyint(base * scales_[d] / alpha);
      out->w[d] = static_cast<int16_t>(std::clamp(r, -wmax, wmax));
    }
  }
  if (!split) {
    out->hi.clear();
    out->lo.clear();
    return;
  }
  out->hi.resize(dim_);
  out->lo.resize(dim_);
  for (size_t d = 0; d < dim_; ++d) {
    const int w = out->w[d];
    out->hi[d] = static_cast<int8_t>(w >> 7);  // floor(w / 128), in [-128, 127]
    out->lo[d] = static_cast<int8_t>(w & 127);
  }
}

void Sq8Quantizer::Restore(std::vector<float> mins, std::vector<float> scales,
                           std::unique_ptr<RowBacking> codes, size_t rows) {
  if (mins.size() != dim_ || scales.size() != dim_)
    Throw(ErrorCode::kInvalidArgument, "SQ8 ranges have " + std::to_string(mins.size()) +
                                           " mins and " + std::to_string(scales.size()) +
                                           " scales, expected " + std::to_string(dim_));
  for (size_t d = 0; d < dim_; ++d)
    if (!std::isfinite(mins[d]) || !std::isfinite(scales[d]) || scales[d] < 0.0f)
      Throw(ErrorCode::kInvalidArgument,
            "SQ8 range of dimension " + std::to_string(d) + " is invalid");
  CodeStore store(dim_, std::move(codes));
  if (store.rows() < rows)
    Throw(ErrorCode::kInvalidArgument, "SQ8 code block holds " + std::to_string(store.rows()) +
                                           " rows, expected " + std::to_string(rows));
  // Everything that can throw (allocations) happens before any member
  // changes; the saved step is kept exactly rather than re-derived.
  std::vector<float> maxs(dim_), inv(dim_);
  for (size_t d = 0; d < dim_; ++d) {
    maxs[d] = mins[d] + scales[d] * 255.0f;
    const float r = scales[d] > 0.0f ? 1.0f / scales[d] : 0.0f;
    inv[d] = std::isfinite(r) ? r : 0.0f;
  }
  std::vector<float> norms(rows);
  store.Resize(rows);
  codes_ = std::move(store);
  mins_ = std::move(mins);
  maxs_ = std::move(maxs);
  scales_ = std::move(scales);
  inv_scales_ = std::move(inv);
  norms_ = std::move(norms);
  mean_scale2_ = MeanSquare(scales_);
  trained_ = true;
  rows_since_training_ = 0;
  clamped_since_training_ = 0;
  for (uint32_t s = 0; s < rows; ++s) UpdateNorm(s);
}

}  // namespace herondb
