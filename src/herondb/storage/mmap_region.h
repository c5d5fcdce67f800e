// Memory mappings: MmapRegion (one mapping of a file range or of anonymous
// memory) and GrowableRegion (a contiguous region that starts as a file's
// bytes and grows with zero pages behind them).
//
// Contract (MmapRegion):
// - MapFile/MapFd map [offset, offset + length) of a file. kReadOnly is
//   MAP_SHARED + PROT_READ (writing through data() faults). kCopyOnWrite is
//   MAP_PRIVATE + PROT_READ|PROT_WRITE: the region may be modified in place
//   and no modification ever reaches the file. The offset need not be
//   page-aligned (the mapping starts at the page below; data() points at
//   `offset`). A range past the end of the file is Error(kCorruption,
//   "<path>: ... at offset N"), since touching such pages would SIGBUS;
//   the mapped file must not be truncated while mapped (herondb's snapshot
//   files are never modified after they are written).
// - Anonymous(length): zero-filled, read-write, private memory.
// - Length 0 gives an empty region (data() == nullptr). Move-only; the
//   destructor unmaps. mmap failures are Error(kIOError, "mmap <path>: ...").
// - Advise() passes madvise hints; they are hints, so failures are ignored.
//
// Contract (GrowableRegion):
// - One contiguous address range: size() bytes at data(), readable and
//   writable, followed by reserved but inaccessible address space up to
//   capacity(). FromFile places the file's bytes [offset, offset + length) at
//   the front, mapped MAP_PRIVATE (opening costs an mmap, not a read; pages
//   are read on first touch; writes never reach the file) when `offset` is a
//   multiple of the page size, and copied in otherwise.
// - Resize/EnsureSize grow size() in place while it fits the reservation
//   (mprotect of more of the reserved range); bytes added are zero. Beyond
//   the reservation, a new reservation (at least twice the old) is made and
//   the content copied: data() changes, so pointers into the region are
//   invalidated only by a growth past capacity(). Shrinking keeps the pages.
// - The reservation is PROT_NONE + MAP_NORESERVE address space: it costs no
//   memory and no swap, so reserve generously (e.g. 4x the expected size).
// - Not thread-safe: the owner serializes Resize with readers of data().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace herondb {

// The system page size (4096 on x86-64 Linux, 16384 on Apple silicon).
size_t PageSize();

enum class MapMode { kReadOnly, kCopyOnWrite };
enum class Advice { kNormal, kRandom, kSequential, kWillNeed, kDontNeed };

class MmapRegion {
 public:
  MmapRegion() = default;
  ~MmapRegion();
  MmapRegion(MmapRegion&& other) noexcept;
  MmapRegion& operator=(MmapRegion&& other) noexcept;
  MmapRegion(const MmapRegion&) = delete;
  MmapRegion& operator=(const MmapRegion&) = delete;

  static MmapRegion MapFile(const std::string& path, uint64_t offset, size_t length, MapMode mode);
  // Maps from an open descriptor (which may be closed afterwards); `path` is
  // for error messages.
  static MmapRegion MapFd(int fd, const std::string& path, uint64_t offset, size_t length,
                          MapMode mode);
  static MmapRegion Anonymous(size_t length);

  char* data() { return data_; }
  const char* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // madvise over [offset, offset + length) of the region (clamped).
  void Advise(Advice advice, size_t offset = 0, size_t length = SIZE_MAX) const;
  // Unmaps now.
  void Reset();

 private:
  void* base_ = nullptr;  // page-aligned start of the mapping
  size_t map_length_ = 0;
  char* data_ = nullptr;
  size_t size_ = 0;
};

class GrowableRegion {
 public:
  GrowableRegion() = default;
  ~GrowableRegion();
  GrowableRegion(GrowableRegion&& other) noexcept;
  GrowableRegion& operator=(GrowableRegion&& other) noexcept;
  GrowableRegion(const GrowableRegion&) = delete;
  GrowableRegion& operator=(const GrowableRegion&) = delete;

  // An empty region with `reserve_bytes` of address space reserved.
  static GrowableRegion Anonymous(size_t reserve_bytes);
  // A region of size `length` holding the file's bytes [offset, offset +
  // length), with at least `reserve_bytes` of address space reserved.
  static GrowableRegion FromFile(const std::string& path, uint64_t offset, size_t length,
                                 size_t reserve_bytes);
  static GrowableRegion FromFd(int fd, const std::string& path, uint64_t offset, size_t length,
                               size_t reserve_bytes);

  // Grows to at least `bytes` (no-op when already that large).
  void EnsureSize(size_t bytes);
  // Sets size() to `bytes`, growing with zero bytes or shrinking.
  void Resize(size_t bytes);

  char* data() { return base_; }
  const char* data() const { return base_; }
  size_t size() const { return size_; }
  // Bytes that fit without moving data().
  size_t capacity() const { return reserve_; }
  // Bytes at the front still mapped from the file (0 after a relocation or
  // when the file was copied in).
  size_t file_mapped_bytes() const { return file_mapped_; }
  void Advise(Advice advice) const;

 private:
  void Reserve(size_t reserve_bytes);  // fresh PROT_NONE reservation
  void Commit(size_t bytes);           // make [0, round_up(bytes)) accessible
  void Relocate(size_t new_reserve);
  void Release();

  char* base_ = nullptr;
  size_t reserve_ = 0;      // bytes of address space at base_
  size_t committed_ = 0;    // accessible bytes at base_ (page multiple)
  size_t size_ = 0;
  size_t file_mapped_ = 0;  // page-rounded bytes mapped from the file
  size_t dirty_end_ = 0;    // bytes at the front that may be nonzero
  std::string path_;        // for error messages
};

}  // namespace herondb
