// RowBacking: where the bytes of a row store live (RowStore<T> in
// row_store.h: VectorStore for float32 rows, CodeStore for SQ8 codes).
//
// Contract: a backing owns one contiguous, addressable block of size()
// bytes. HeapRowBacking (the default) is 64-byte aligned heap memory; the
// database may supply a backing that maps a snapshot file (copy-on-write),
// so the bytes in memory are the bytes on disk. EnsureSize() may move the
// block; its owner serializes it against all readers. Mutating the block
// never writes through to a file (backings are private).
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

}  // namespace herondb
