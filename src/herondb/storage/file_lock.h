// FileLock: the one-writer-per-database lock, an OS lock on <dir>/LOCK.
//
// Contract:
// - Acquire(dir) creates <dir>/LOCK if needed and takes an exclusive,
//   non-blocking flock(2) on it; if anyone holds it, it throws at once
//   Error(kLocked, "database <dir> is locked by another process (pid N)")
//   (the pid is the one the holder wrote into LOCK, when readable). Other
//   failures (no such directory, read-only directory) are kIOError.
// - flock locks belong to an open file description, not to a process: a
//   second Acquire of the same directory in the same process also fails
//   with kLocked, as does one in a forked child that opens the file anew.
// - The lock lives as long as the FileLock (move-only): Release() or the
//   destructor unlock explicitly (LOCK_UN) before closing, so a descriptor
//   inherited by a forked child cannot keep the lock alive afterwards. The
//   OS releases it if the process dies. LOCK itself is never removed.
// - Read-only openers do not take this lock.
// - Caveat: on network file systems flock may be emulated with per-process
//   POSIX locks (no conflict within one process) or not be enforced at all.
#pragma once

#include <string>

namespace herondb {

inline constexpr char kLockFileName[] = "LOCK";

class FileLock {
 public:
  FileLock() = default;
  ~FileLock();
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  static FileLock Acquire(const std::string& dir);

  void Release();
  bool held() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace herondb
