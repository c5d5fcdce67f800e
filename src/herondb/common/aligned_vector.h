// CacheAlignedAllocator / AlignedVector: std::vector storage that starts on a
// 64-byte cache line.
//
// Contract: every allocation is aligned to 64 bytes, so vector loads from
// rows whose size is a multiple of 64 bytes never straddle two lines. The
// allocator is stateless (all instances compare equal).
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace herondb {

template <class T>
struct CacheAlignedAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlign{64};
  CacheAlignedAllocator() = default;
  template <class U>
  CacheAlignedAllocator(const CacheAlignedAllocator<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlign)); }
  void deallocate(T* p, size_t) { ::operator delete(p, kAlign); }
  template <class U>
  bool operator==(const CacheAlignedAllocator<U>&) const {
    return true;
  }
};

template <class T>
using AlignedVector = std::vector<T, CacheAlignedAllocator<T>>;

}  // namespace herondb
