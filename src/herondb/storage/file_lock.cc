// FileLock: see file_lock.h for the contract.
#include "herondb/storage/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <utility>

#include "herondb/common/error.h"
#include "herondb/storage/env.h"

namespace herondb {
namespace {

// Closes a descriptor on scope exit unless released.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

int FlockNb(int fd) {
  int rc;
  do {
    rc = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  return rc == 0 ? 0 : errno;
}

bool WouldBlock(int err) { return err == EWOULDBLOCK || err == EAGAIN; }

const char* TypeName(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a plain file";
}

[[noreturn]] void NotRegular(const std::string& path, mode_t mode) {
  throw Error(ErrorCode::kCorruption,
              path + ": is " + std::string(TypeName(mode)) + ", not a regular file");
}

// Opens (creating) the LOCK file: regular files only, never through a link,
// never blocking on a FIFO.
int OpenLockFile(const std::string& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    const int err = errno;
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) NotRegular(path, st.st_mode);
    throw IOError("open", path, err);
  }
  FdGuard guard(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) throw IOError("stat", path, errno);
  if (!S_ISREG(st.st_mode)) NotRegular(path, st.st_mode);
  return guard.release();
}

std::string LockedMessage(const std::string& dir, int fd, const std::string& why) {
  char buf[32] = {};
  ssize_t n = fd >= 0 ? ::pread(fd, buf, sizeof buf - 1, 0) : -1;
  long pid = n > 0 ? std::strtol(buf, nullptr, 10) : 0;
  std::string msg = "database " + dir + " is locked by ";
  if (pid == static_cast<long>(::getpid())) {
    msg += "another handle in this process (pid " + std::to_string(pid) + ")";
  } else if (pid > 0) {
    msg += "another process (pid " + std::to_string(pid) + ")";
  } else {
    msg += "another process";
  }
  return msg + why;
}

void WritePid(int fd) {
  // Record the holder for the message of whoever conflicts next (best effort).
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] ssize_t w = ::pwrite(fd, pid.data(), pid.size(), 0);
  }
}

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

}  // namespace

FileLock::~FileLock() { Release(); }

FileLock::FileLock(FileLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      dir_fd_(std::exchange(other.dir_fd_, -1)),
      dir_(std::move(other.dir_)),
      path_(std::move(other.path_)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    Release();
    fd_ = std::exchange(other.fd_, -1);
    dir_fd_ = std::exchange(other.dir_fd_, -1);
    dir_ = std::move(other.dir_);
    path_ = std::move(other.path_);
  }
  return *this;
}

void FileLock::Release() {
  if (dir_fd_ >= 0) {
    ::flock(dir_fd_, LOCK_UN);
    ::close(dir_fd_);
    dir_fd_ = -1;
  }
  if (fd_ < 0) return;
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
  fd_ = -1;
}

FileLock FileLock::Acquire(const std::string& dir) {
  FileLock lock;
  lock.dir_ = dir;
  lock.path_ = JoinPath(dir, kLockFileName);
  FdGuard fd(OpenLockFile(lock.path_));
  if (int err = FlockNb(fd.get()); err != 0) {
    if (WouldBlock(err)) throw Error(ErrorCode::kLocked, LockedMessage(dir, fd.get(), ""));
    throw IOError("lock", lock.path_, err);
  }
  int dfd;
  do {
    dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (dfd < 0 && errno == EINTR);
  if (dfd < 0) throw IOError("open directory", dir, errno);
  FdGuard dir_fd(dfd);
  if (int err = FlockNb(dir_fd.get()); err != 0) {
    if (WouldBlock(err)) {
      throw Error(ErrorCode::kLocked,
                  "database " + dir +
                      " is locked by another process (its LOCK file was removed or replaced "
                      "while that process held it)");
    }
    if (err != EINVAL && err != ENOTSUP && err != EOPNOTSUPP && err != EBADF)
      throw IOError("lock directory", dir, err);
    ::close(dir_fd.release());  // no directory locks here: the LOCK file alone
  }
  lock.fd_ = fd.release();
  lock.dir_fd_ = dir_fd.release();
  WritePid(lock.fd_);
  return lock;
}

void FileLock::Check() {
  if (fd_ < 0) throw Error(ErrorCode::kLocked, "database " + dir_ + ": the lock is not held");
  struct stat held, now;
  if (dir_fd_ >= 0) {
    if (::fstat(dir_fd_, &held) != 0) throw IOError("stat", dir_, errno);
    if (::stat(dir_.c_str(), &now) != 0 || !SameFile(held, now))
      throw Error(ErrorCode::kLocked, "database directory " + dir_ +
                                          " was moved or replaced while this handle held its "
                                          "lock; close and reopen it");
  }
  if (::fstat(fd_, &held) != 0) throw IOError("stat", path_, errno);
  if (::lstat(path_.c_str(), &now) == 0 && SameFile(held, now)) return;
  // LOCK was removed or replaced: lock what is there now.
  FdGuard fd(OpenLockFile(path_));
  if (int err = FlockNb(fd.get()); err != 0) {
    if (WouldBlock(err))
      throw Error(ErrorCode::kLocked,
                  path_ + " was replaced while this handle held it, and " +
                      LockedMessage(dir_, fd.get(), " now; this handle cannot save"));
    throw IOError("lock", path_, err);
  }
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
  fd_ = fd.release();
  WritePid(fd_);
}

}  // namespace herondb
