// FileLock: the one-writer-per-database lock: OS locks on <dir>/LOCK and on
// the directory itself.
//
// Contract:
// - Acquire(dir) opens <dir>/LOCK (creating it if needed) with O_NOFOLLOW
//   and O_NONBLOCK and accepts only a regular file: a symbolic link, FIFO,
//   device or directory there is Error(kCorruption, "<dir>/LOCK: is a ...,
//   not a regular file"), and a link's target is never opened or written.
//   It then takes an exclusive, non-blocking flock(2) on LOCK and on an
//   O_DIRECTORY descriptor of <dir>. If anyone holds either, it throws at
//   once Error(kLocked, "database <dir> is locked by another process (pid
//   N)") (the pid is the one the holder wrote into LOCK, when readable).
//   Other failures (no such directory, read-only directory) are kIOError.
// - Why two locks: LOCK can be deleted (or replaced) while a writer holds
//   it, and a second writer would then lock a new LOCK file and get in. A
//   directory cannot be unlinked while it holds files, so the directory
//   lock still excludes that second writer. The LOCK file keeps the pid for
//   messages and keeps excluding writers of older herondb versions, which
//   lock only LOCK. Where flock on a directory is refused (EINVAL, ENOTSUP,
//   EBADF on some file systems) only the LOCK file is locked.
// - Check() (the Database calls it before every save): verifies that <dir>
//   is still the locked directory (same st_dev/st_ino) and that LOCK is
//   still the locked file. A LOCK deleted or replaced is locked again (the
//   new file, created if missing); if another process holds the new one
//   (e.g. an older herondb that got in), Check throws kLocked naming LOCK.
//   A directory moved away or replaced is kLocked as well. What remains:
//   with a file system whose flock on directories does not work, a LOCK
//   deleted while held still lets a second writer in until the first
//   writer's next save, which then fails loudly.
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

  // See the contract above; throws kLocked (or kIOError) when the lock is
  // no longer certainly held.
  void Check();
  void Release();
  bool held() const { return fd_ >= 0; }
  // Whether the directory itself is locked too.
  bool directory_locked() const { return dir_fd_ >= 0; }
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  int dir_fd_ = -1;
  std::string dir_;
  std::string path_;
};

}  // namespace herondb
