// VectorStore: rows of `dim` float32 values in one contiguous block.
//
// Contract: row i lives at data() + i * dim, for i < rows(). The block is
// owned by a RowBacking, which is heap memory by default; the database may
// supply a backing that maps a snapshot file (copy-on-write), so the bytes in
// memory are the bytes on disk. Resize() may move the block (pointers from
// row() are invalidated); callers serialize Resize() against all readers.
// Mutating a row never writes through to a file (backings are private).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

namespace herondb {

// Where the bytes of a VectorStore live.
class RowBacking {
 public:
  virtual ~RowBacking() = default;
  virtual char* data() = 0;
  virtual size_t size() const = 0;
  // Make at least `bytes` addressable; bytes past the old size read as zero.
  // May move data(). Throws on failure, leaving the old contents intact.
  virtual void EnsureSize(size_t bytes) = 0;
  // Access-pattern hint: `random` says rows are read a few at a time at
  // scattered places (quantized search re-ranks a handful of rows per
  // query), so a file-backed block should not read ahead around a fault.
  // A hint only: the default ignores it.
  virtual void SetAccessHint(bool random) { (void)random; }
};

// 64-byte aligned heap memory that grows geometrically.
class HeapRowBacking final : public RowBacking {
 public:
  HeapRowBacking() = default;
  ~HeapRowBacking() override;
  char* data() override { return data_; }
  size_t size() const override { return size_; }
  void EnsureSize(size_t bytes) override;

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

class VectorStore {
 public:
  explicit VectorStore(size_t dim, std::unique_ptr<RowBacking> backing = nullptr);

  size_t dim() const { return dim_; }
  size_t rows() const { return rows_; }
  size_t row_bytes() const { return dim_ * sizeof(float); }
  const float* data() const { return data_; }
  const float* row(uint32_t i) const { return data_ + static_cast<size_t>(i) * dim_; }
  float* mutable_row(uint32_t i) { return data_ + static_cast<size_t>(i) * dim_; }
  void SetRow(uint32_t i, const float* v) { std::memcpy(mutable_row(i), v, row_bytes()); }

  // Grow or shrink the row count (capacity is managed by the backing).
  void Resize(size_t rows);
  // Ask the backing for room for `rows` rows without changing rows().
  void Reserve(size_t rows);
  // Bytes held for rows() rows.
  size_t bytes() const { return rows_ * row_bytes(); }
  RowBacking* backing() { return backing_.get(); }
  // Swaps in another backing that already holds the same rows() rows (e.g.
  // the same bytes mapped from a new snapshot); pointers from row() are
  // invalidated. Throws kInvalidArgument if it is too small.
  // Re-applied to a backing swapped in later.
  void ReplaceBacking(std::unique_ptr<RowBacking> backing);
  // Passes RowBacking::SetAccessHint(random) to the backing, now and after
  // any ReplaceBacking().
  void SetRandomAccess(bool random);

 private:
  size_t dim_;
  size_t rows_ = 0;
  float* data_ = nullptr;
  bool random_access_ = false;
  std::unique_ptr<RowBacking> backing_;
};

}  // namespace herondb
