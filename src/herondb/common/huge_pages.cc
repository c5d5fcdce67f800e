// See huge_pages.h for the contract.
#include "herondb/common/huge_pages.h"

#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace herondb {

void AdviseHugePages(void* p, size_t bytes) noexcept {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const auto begin = reinterpret_cast<uintptr_t>(p);
  const uintptr_t first = (begin + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  const uintptr_t last = (begin + bytes) & ~(kHugePageBytes - 1);
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

void* AllocateLarge(size_t bytes) {
  if (bytes == 0) bytes = 1;
  const size_t align = bytes >= kHugePageBytes ? kHugePageBytes : 64;
  if (bytes > static_cast<size_t>(-1) - align) throw std::bad_alloc();
  const size_t rounded = (bytes + align - 1) & ~(align - 1);
  void* p = std::aligned_alloc(align, rounded);
  if (!p) throw std::bad_alloc();
  if (align == kHugePageBytes) AdviseHugePages(p, rounded);
  return p;
}

void FreeLarge(void* p) noexcept { std::free(p); }

}  // namespace herondb
