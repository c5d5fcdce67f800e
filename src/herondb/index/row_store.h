// RowStore<T>: rows of `dim` values of type T in one contiguous block, the
// storage of both the float32 vectors (VectorStore) and the SQ8 codes
// (CodeStore).
//
// Contract: row i lives at data() + i * dim, for i < rows(). The block is
// owned by a RowBacking (vector_store.h), heap memory by default; the
// database may supply one that maps a snapshot file, so the bytes in memory
// are the bytes on disk. Resize()/Reserve()/ReplaceBacking() may move the
// block (pointers from row() are invalidated); callers serialize them
// against all readers. Mutating a row never writes through to a file
// (backings are private). T is float or uint8_t (instantiated in
// row_store.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "herondb/index/vector_store.h"

namespace herondb {

template <class T>
class RowStore {
 public:
  explicit RowStore(size_t dim, std::unique_ptr<RowBacking> backing = nullptr);

  size_t dim() const { return dim_; }
  size_t rows() const { return rows_; }
  size_t row_bytes() const { return dim_ * sizeof(T); }
  const T* data() const { return data_; }
  const T* row(uint32_t i) const { return data_ + static_cast<size_t>(i) * dim_; }
  T* mutable_row(uint32_t i) { return data_ + static_cast<size_t>(i) * dim_; }
  void SetRow(uint32_t i, const T* v) { std::memcpy(mutable_row(i), v, row_bytes()); }

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
  T* data_ = nullptr;
  bool random_access_ = false;
  std::unique_ptr<RowBacking> backing_;
};

extern template class RowStore<float>;
extern template class RowStore<uint8_t>;

// float32 vectors, one row per slot.
using VectorStore = RowStore<float>;
// SQ8 codes (Sq8Quantizer), one row of dim bytes per slot.
using CodeStore = RowStore<uint8_t>;

}  // namespace herondb
