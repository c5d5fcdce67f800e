#include "herondb/index/vector_store.h"

#include <cstdlib>
#include <new>

#include "herondb/common/error.h"
#include "herondb/common/huge_pages.h"

namespace herondb {

HeapRowBacking::~HeapRowBacking() { FreeLarge(data_); }

void HeapRowBacking::EnsureSize(size_t bytes) {
  if (bytes <= size_) return;
  if (bytes > capacity_) {
    size_t cap = capacity_ ? capacity_ : 4096;
    while (cap < bytes) cap += cap / 2 + 4096;
    cap = (cap + 63) & ~size_t{63};
    char* p = static_cast<char*>(AllocateLarge(cap));
    if (data_) std::memcpy(p, data_, size_);
    FreeLarge(data_);
    data_ = p;
    capacity_ = cap;
  }
  std::memset(data_ + size_, 0, bytes - size_);
  size_ = bytes;
}

VectorStore::VectorStore(size_t dim, std::unique_ptr<RowBacking> backing)
    : dim_(dim), backing_(backing ? std::move(backing) : std::make_unique<HeapRowBacking>()) {
  rows_ = backing_->size() / row_bytes();
  data_ = reinterpret_cast<float*>(backing_->data());
}

void VectorStore::ReplaceBacking(std::unique_ptr<RowBacking> backing) {
  if (!backing || backing->size() < bytes())
    throw Error(ErrorCode::kInvalidArgument, "replacement vector backing is too small");
  backing_ = std::move(backing);
  data_ = reinterpret_cast<float*>(backing_->data());
  if (random_access_) backing_->SetAccessHint(true);
}

void VectorStore::SetRandomAccess(bool random) {
  random_access_ = random;
  backing_->SetAccessHint(random);
}

void VectorStore::Reserve(size_t rows) {
  backing_->EnsureSize(rows * row_bytes());
  data_ = reinterpret_cast<float*>(backing_->data());
}

void VectorStore::Resize(size_t rows) {
  if (rows > rows_) Reserve(rows);
  rows_ = rows;
}

}  // namespace herondb
