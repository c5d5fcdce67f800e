// MmapRegion and GrowableRegion: see mmap_region.h for the contract.
#include "herondb/storage/mmap_region.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "herondb/common/error.h"
#include "herondb/common/huge_pages.h"
#include "herondb/storage/env.h"

#if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
#define MAP_ANONYMOUS MAP_ANON
#endif
#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0
#endif

namespace herondb {
namespace {

size_t RoundUp(size_t n, size_t page) { return (n + page - 1) / page * page; }

int AdviceFlag(Advice a) {
  switch (a) {
    case Advice::kRandom:
      return MADV_RANDOM;
    case Advice::kSequential:
      return MADV_SEQUENTIAL;
    case Advice::kWillNeed:
      return MADV_WILLNEED;
    case Advice::kDontNeed:
      return MADV_DONTNEED;
    case Advice::kNormal:
      break;
  }
  return MADV_NORMAL;
}

void AdviseRange(void* base, size_t map_length, size_t offset, size_t length, Advice advice) {
  if (base == nullptr || offset >= map_length) return;
  length = std::min(length, map_length - offset);
  size_t page = PageSize();
  size_t start = offset / page * page;
  size_t end = RoundUp(offset + length, page);
  ::madvise(static_cast<char*>(base) + start, end - start, AdviceFlag(advice));
}

// Checks that [offset, offset + length) lies inside the file.
void CheckRange(int fd, const std::string& path, uint64_t offset, size_t length) {
  struct stat st;
  if (::fstat(fd, &st) != 0) throw IOError("stat", path, errno);
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (offset > size || length > size - offset) {
    throw Error(ErrorCode::kCorruption, path + ": mapping of " + std::to_string(length) +
                                            " bytes extends past the end of the file (size " +
                                            std::to_string(size) + ") at offset " +
                                            std::to_string(offset));
  }
}

}  // namespace

size_t PageSize() {
  static const size_t page = [] {
    long p = ::sysconf(_SC_PAGESIZE);
    return p > 0 ? static_cast<size_t>(p) : size_t{4096};
  }();
  return page;
}

// ---- MmapRegion ---------------------------------------------------------------

MmapRegion::~MmapRegion() { Reset(); }

MmapRegion::MmapRegion(MmapRegion&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)),
      map_length_(std::exchange(other.map_length_, 0)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

MmapRegion& MmapRegion::operator=(MmapRegion&& other) noexcept {
  if (this != &other) {
    Reset();
    base_ = std::exchange(other.base_, nullptr);
    map_length_ = std::exchange(other.map_length_, 0);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void MmapRegion::Reset() {
  if (base_ != nullptr) ::munmap(base_, map_length_);
  base_ = nullptr;
  map_length_ = 0;
  data_ = nullptr;
  size_ = 0;
}

MmapRegion MmapRegion::MapFile(const std::string& path, uint64_t offset, size_t length,
                               MapMode mode) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IOError("open", path, errno);
  try {
    MmapRegion r = MapFd(fd, path, offset, length, mode);
    ::close(fd);
    return r;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

MmapRegion MmapRegion::MapFd(int fd, const std::string& path, uint64_t offset, size_t length,
                             MapMode mode) {
  CheckRange(fd, path, offset, length);
  MmapRegion r;
  if (length == 0) return r;
  size_t page = PageSize();
  uint64_t aligned = offset / page * page;
  size_t delta = static_cast<size_t>(offset - aligned);
  int prot = mode == MapMode::kReadOnly ? PROT_READ : (PROT_READ | PROT_WRITE);
  int flags = mode == MapMode::kReadOnly ? MAP_SHARED : MAP_PRIVATE;
  void* p = ::mmap(nullptr, length + delta, prot, flags, fd, static_cast<off_t>(aligned));
  if (p == MAP_FAILED) throw IOError("mmap", path, errno);
  r.base_ = p;
  r.map_length_ = length + delta;
  r.data_ = static_cast<char*>(p) + delta;
  r.size_ = length;
  return r;
}

MmapRegion MmapRegion::Anonymous(size_t length) {
  MmapRegion r;
  if (length == 0) return r;
  void* p = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw IOError("mmap", "(anonymous)", errno);
  r.base_ = p;
  r.map_length_ = length;
  r.data_ = static_cast<char*>(p);
  r.size_ = length;
  return r;
}

void MmapRegion::Advise(Advice advice, size_t offset, size_t length) const {
  if (data_ == nullptr) return;
  size_t delta = static_cast<size_t>(data_ - static_cast<char*>(base_));
  AdviseRange(base_, map_length_, delta + std::min(offset, size_), length, advice);
}

// ---- GrowableRegion -----------------------------------------------------------

GrowableRegion::~GrowableRegion() { Release(); }

GrowableRegion::GrowableRegion(GrowableRegion&& other) noexcept { *this = std::move(other); }

GrowableRegion& GrowableRegion::operator=(GrowableRegion&& other) noexcept {
  if (this != &other) {
    Release();
    base_ = std::exchange(other.base_, nullptr);
    reserve_ = std::exchange(other.reserve_, 0);
    committed_ = std::exchange(other.committed_, 0);
    size_ = std::exchange(other.size_, 0);
    file_mapped_ = std::exchange(other.file_mapped_, 0);
    dirty_end_ = std::exchange(other.dirty_end_, 0);
    path_ = std::move(other.path_);
  }
  return *this;
}

void GrowableRegion::Release() {
  if (base_ != nullptr) ::munmap(base_, reserve_);
  base_ = nullptr;
  reserve_ = committed_ = size_ = file_mapped_ = dirty_end_ = 0;
}

void GrowableRegion::Reserve(size_t reserve_bytes) {
  size_t len = RoundUp(std::max<size_t>(reserve_bytes, 1), PageSize());
  // Large reservations start on a huge-page boundary (over-reserve, then
  // unmap the slack) so that their anonymous parts can use huge pages.
  const size_t align = len >= kHugePageBytes ? kHugePageBytes : PageSize();
  const size_t total = len + (align > PageSize() ? align : 0);
  void* p = ::mmap(nullptr, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    throw IOError("mmap reserve of " + std::to_string(len) + " bytes for", path_, errno);
  char* raw = static_cast<char*>(p);
  char* aligned = reinterpret_cast<char*>(RoundUp(reinterpret_cast<uintptr_t>(raw), align));
  if (aligned > raw) ::munmap(raw, static_cast<size_t>(aligned - raw));
  if (raw + total > aligned + len)
    ::munmap(aligned + len, static_cast<size_t>(raw + total - (aligned + len)));
  base_ = aligned;
  reserve_ = len;
  committed_ = 0;
  if (align == kHugePageBytes) AdviseHugePages(base_, reserve_);
}

void GrowableRegion::Commit(size_t bytes) {
  size_t want = RoundUp(bytes, PageSize());
  if (want <= committed_) return;
  if (::mprotect(base_ + committed_, want - committed_, PROT_READ | PROT_WRITE) != 0) {
    throw IOError("mprotect", path_, errno);
  }
  committed_ = want;
}

GrowableRegion GrowableRegion::Anonymous(size_t reserve_bytes) {
  GrowableRegion r;
  r.path_ = "(anonymous)";
  r.Reserve(reserve_bytes);
  return r;
}

GrowableRegion GrowableRegion::FromFile(const std::string& path, uint64_t offset, size_t length,
                                        size_t reserve_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IOError("open", path, errno);
  try {
    GrowableRegion r = FromFd(fd, path, offset, length, reserve_bytes);
    ::close(fd);
    return r;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

GrowableRegion GrowableRegion::FromFd(int fd, const std::string& path, uint64_t offset,
                                      size_t length, size_t reserve_bytes) {
  CheckRange(fd, path, offset, length);
  GrowableRegion r;
  r.path_ = path;
  r.Reserve(std::max(reserve_bytes, length));
  if (length == 0) return r;
  size_t page = PageSize();
  if (offset % page == 0) {
    void* p = ::mmap(r.base_, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd,
                     static_cast<off_t>(offset));
    if (p == MAP_FAILED) throw IOError("mmap", path, errno);
    r.file_mapped_ = RoundUp(length, page);
    r.committed_ = r.file_mapped_;
  } else {
    r.Commit(length);
    size_t done = 0;
    while (done < length) {
      ssize_t n = ::pread(fd, r.base_ + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw IOError("read", path, errno);
      if (n == 0)
        throw Error(ErrorCode::kCorruption,
                    path + ": unexpected end of file at offset " + std::to_string(offset + done));
      done += static_cast<size_t>(n);
    }
  }
  r.size_ = length;
  r.dirty_end_ = std::max(length, r.file_mapped_);
  return r;
}

void GrowableRegion::Relocate(size_t new_reserve) {
  GrowableRegion fresh;
  fresh.path_ = path_;
  fresh.Reserve(new_reserve);
  fresh.Commit(size_);
  if (size_ > 0) std::memcpy(fresh.base_, base_, size_);
  fresh.size_ = size_;
  fresh.dirty_end_ = size_;
  *this = std::move(fresh);
}

void GrowableRegion::EnsureSize(size_t bytes) {
  if (bytes > size_) Resize(bytes);
}

void GrowableRegion::Resize(size_t bytes) {
  if (bytes <= size_) {
    size_ = bytes;
    return;
  }
  if (bytes > reserve_ || base_ == nullptr) {
    size_t grown = reserve_ > SIZE_MAX / 2 ? SIZE_MAX : 2 * reserve_;
    Relocate(std::max(bytes, grown));
  }
  Commit(bytes);
  // Bytes that once held data (or file bytes past `length` in the last
  // file page) are cleared; never-touched anonymous pages are zero already.
  size_t clear_end = std::min(bytes, dirty_end_);
  if (clear_end > size_) std::memset(base_ + size_, 0, clear_end - size_);
  size_ = bytes;
  dirty_end_ = std::max(dirty_end_, bytes);
}

void GrowableRegion::Advise(Advice advice) const {
  AdviseRange(base_, committed_, 0, size_, advice);
}

}  // namespace herondb
