#include "herondb/index/vector_store.h"

#include <cstdlib>
#include <new>

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

}  // namespace herondb
