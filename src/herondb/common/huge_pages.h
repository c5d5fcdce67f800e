// Large, randomly accessed blocks (vectors, level-0 links, SQ8 codes) are
// backed by transparent huge pages where the OS offers them: a graph search
// touches rows all over a block of hundreds of MiB, and with 4 KiB pages
// nearly every row costs a TLB miss (a page walk) on top of its cache miss.
//
// Contract:
// - AllocateLarge(bytes) returns 64-byte aligned memory (never null; throws
//   std::bad_alloc). Blocks of at least kHugePageBytes are aligned to
//   kHugePageBytes and advised MADV_HUGEPAGE before their first touch (a
//   hint: where THP is off, or outside Linux, they are ordinary pages).
//   FreeLarge(p) releases it (null is ignored). Contents are uninitialized.
// - AdviseHugePages(p, bytes) gives the hint for an existing range (the
//   parts of it that cover whole huge pages); failures are ignored.
// - HugePageAllocator<T> is a std::allocator replacement built on these, for
//   std::vector members that hold such blocks.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>

namespace herondb {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;

void* AllocateLarge(size_t bytes);
void FreeLarge(void* p) noexcept;
void AdviseHugePages(void* p, size_t bytes) noexcept;

template <class T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}
  T* allocate(size_t n) {
    if (n > static_cast<size_t>(-1) / sizeof(T)) throw std::bad_alloc();
    return static_cast<T*>(AllocateLarge(n * sizeof(T)));
  }
  void deallocate(T* p, size_t) noexcept { FreeLarge(p); }
  template <class U>
  bool operator==(const HugePageAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace herondb
