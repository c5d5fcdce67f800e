// FileLock: see file_lock.h for the contract.
#include "herondb/storage/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <utility>

#include "herondb/common/error.h"
#include "herondb/storage/env.h"

namespace herondb {

FileLock::~FileLock() { Release(); }

FileLock::FileLock(FileLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    Release();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

void FileLock::Release() {
  if (fd_ < 0) return;
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
  fd_ = -1;
}

FileLock FileLock::Acquire(const std::string& dir) {
  FileLock lock;
  lock.path_ = JoinPath(dir, kLockFileName);
  int fd;
  do {
    fd = ::open(lock.path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw IOError("open", lock.path_, errno);
  int rc;
  do {
    rc = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int err = errno;
    if (err == EWOULDBLOCK || err == EAGAIN) {
      char buf[32] = {};
      ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
      ::close(fd);
      long pid = n > 0 ? std::strtol(buf, nullptr, 10) : 0;
      std::string msg = "database " + dir + " is locked by ";
      if (pid == static_cast<long>(::getpid())) {
        msg += "another handle in this process (pid " + std::to_string(pid) + ")";
      } else if (pid > 0) {
        msg += "another process (pid " + std::to_string(pid) + ")";
      } else {
        msg += "another process";
      }
      throw Error(ErrorCode::kLocked, msg);
    }
    ::close(fd);
    throw IOError("lock", lock.path_, err);
  }
  lock.fd_ = fd;
  // Record the holder for the message of whoever conflicts next (best effort).
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] ssize_t w = ::pwrite(fd, pid.data(), pid.size(), 0);
  }
  return lock;
}

}  // namespace herondb
