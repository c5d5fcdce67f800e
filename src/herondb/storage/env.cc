// PosixEnv: Env on POSIX system calls. See env.h for the contract.
#include "herondb/storage/env.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace herondb {
namespace {

// strerror_r exists in an XSI (int) and a GNU (char*) flavour.
[[maybe_unused]] std::string PickStrerror(int rc, const char* buf, int err) {
  return rc == 0 ? std::string(buf) : "Unknown error " + std::to_string(err);
}
[[maybe_unused]] std::string PickStrerror(const char* s, const char*, int) { return s; }

int SyncFd(int fd) {
#if defined(__APPLE__)
  if (::fcntl(fd, F_FULLFSYNC) == 0) return 0;
  return ::fsync(fd);  // file systems without F_FULLFSYNC support
#elif defined(__linux__)
  return ::fdatasync(fd);
#else
  return ::fsync(fd);
#endif
}

int OpenRetry(const char* path, int flags, mode_t mode = 0) {
  int fd;
  do {
    fd = ::open(path, flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// What a non-regular file is, for messages.
const char* FileTypeName(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a plain file";
}

[[noreturn]] void ThrowNotRegular(const std::string& path, mode_t mode) {
  throw Error(ErrorCode::kCorruption, path + ": is " + FileTypeName(mode) + ", not a regular file");
}

// Opens `path` so that it cannot block (O_NONBLOCK: a FIFO without a peer
// neither waits nor, for reading, blocks later reads) and accepts only a
// regular file; the descriptor is returned in blocking mode. With
// O_NOFOLLOW in `flags` a symbolic link is refused as well. A non-regular
// file is kCorruption naming it; other failures kIOError.
int OpenRegular(const std::string& path, int flags, mode_t mode = 0) {
  int fd = OpenRetry(path.c_str(), flags | O_NONBLOCK, mode);
  if (fd < 0) {
    const int err = errno;
    struct stat st;
    if ((err == ELOOP || err == ENXIO || err == EISDIR || err == EWOULDBLOCK) &&
        ::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
      ThrowNotRegular(path, st.st_mode);
    throw IOError("open", path, err);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw IOError("stat", path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    ThrowNotRegular(path, st.st_mode);
  }
  const int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0 || ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
    const int err = errno;
    ::close(fd);
    throw IOError("fcntl", path, err);
  }
  return fd;
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  void Append(const void* data, size_t n) override {
    std::string_view part(static_cast<const char*>(data), n);
    AppendParts(std::span<const std::string_view>(&part, 1));
  }

  void AppendParts(std::span<const std::string_view> parts) override {
    CheckOpen("write");
    constexpr size_t kMaxIov = 64;
    uint64_t total = 0;
    size_t i = 0;     // first part not yet completely written
    size_t skip = 0;  // bytes of parts[i] already written
    while (i < parts.size()) {
      iovec iov[kMaxIov];
      int cnt = 0;
      for (size_t j = i; j < parts.size() && cnt < static_cast<int>(kMaxIov); ++j) {
        size_t off = (j == i) ? skip : 0;
        if (parts[j].size() == off) continue;
        iov[cnt].iov_base = const_cast<char*>(parts[j].data() + off);
        iov[cnt].iov_len = parts[j].size() - off;
        ++cnt;
      }
      if (cnt == 0) break;
      ssize_t w = ::writev(fd_, iov, cnt);
      if (w < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        throw IOError("write", path_, err);
      }
      total += static_cast<uint64_t>(w);
      size_t left = static_cast<size_t>(w);
      while (i < parts.size() && left >= parts[i].size() - skip) {
        left -= parts[i].size() - skip;
        skip = 0;
        ++i;
      }
      skip += left;
    }
    size_ += total;
  }

  void Sync() override {
    CheckOpen("fsync");
    if (SyncFd(fd_) != 0) throw IOError("fsync", path_, errno);
  }

  void Truncate(uint64_t size) override {
    CheckOpen("truncate");
    int rc;
    do {
      rc = ::ftruncate(fd_, static_cast<off_t>(size));
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) throw IOError("truncate", path_, errno);
    if (::lseek(fd_, static_cast<off_t>(size), SEEK_SET) < 0) throw IOError("seek", path_, errno);
    size_ = size;
  }

  void Close() override {
    if (fd_ < 0) return;
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0 && errno != EINTR) throw IOError("close", path_, errno);
  }

  uint64_t Size() const override { return size_; }
  const std::string& path() const override { return path_; }

 private:
  void CheckOpen(const char* op) const {
    if (fd_ < 0) throw IOError(op, path_, EBADF);
  }

  std::string path_;
  int fd_;
  uint64_t size_;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  size_t Read(uint64_t offset, size_t n, char* scratch) const override {
    size_t done = 0;
    while (done < n) {
      size_t want = std::min<size_t>(n - done, size_t{1} << 30);
      ssize_t r = ::pread(fd_, scratch + done, want, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        throw IOError("read", path_, errno);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    return done;
  }

  uint64_t Size() const override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) throw IOError("stat", path_, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  int fd() const override { return fd_; }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
};

class PosixEnv final : public Env {
 public:
  std::unique_ptr<WritableFile> NewWritableFile(const std::string& path) override {
    // O_TRUNC cannot hurt a non-regular file (FIFOs and devices ignore it;
    // O_NOFOLLOW keeps a symbolic link's target out of reach).
    int fd = OpenRegular(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
    return std::make_unique<PosixWritableFile>(path, fd, 0);
  }

  std::unique_ptr<WritableFile> NewAppendableFile(const std::string& path) override {
    int fd = OpenRegular(path, O_WRONLY | O_CREAT | O_NOFOLLOW, 0644);
    off_t end = ::lseek(fd, 0, SEEK_END);
    if (end < 0) {
      int err = errno;
      ::close(fd);
      throw IOError("seek", path, err);
    }
    return std::make_unique<PosixWritableFile>(path, fd, static_cast<uint64_t>(end));
  }

  std::unique_ptr<RandomAccessFile> NewRandomAccessFile(const std::string& path) override {
    int fd = OpenRegular(path, O_RDONLY);
    return std::make_unique<PosixRandomAccessFile>(path, fd);
  }

  std::string ReadFileToString(const std::string& path) override {
    auto file = NewRandomAccessFile(path);
    std::string out;
    out.resize(static_cast<size_t>(file->Size()));
    out.resize(file->Read(0, out.size(), out.data()));
    // The file may have grown since fstat: read the rest.
    char buf[4096];
    for (;;) {
      size_t r = file->Read(out.size(), sizeof buf, buf);
      if (r == 0) break;
      out.append(buf, r);
    }
    return out;
  }

  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  uint64_t GetFileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) throw IOError("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  void RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      throw IOError("rename", from + " -> " + to, errno);
    }
  }

  void RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) throw IOError("remove", path, errno);
  }

  void CreateDirs(const std::string& path) override {
    if (path.empty()) return;
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) return;
      throw IOError("mkdir", path, ENOTDIR);
    }
    size_t slash = path.find_last_of('/');
    if (slash != std::string::npos && slash > 0) {
      CreateDirs(path.substr(0, slash));
    }
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) throw IOError("mkdir", path, errno);
  }

  std::vector<std::string> ListDir(const std::string& path) override {
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) throw IOError("list", path, errno);
    std::vector<std::string> names;
    for (;;) {
      errno = 0;
      dirent* e = ::readdir(d);
      if (e == nullptr) {
        int err = errno;
        ::closedir(d);
        if (err != 0) throw IOError("list", path, err);
        break;
      }
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      names.emplace_back(e->d_name);
    }
    return names;
  }

  void SyncDir(const std::string& path) override {
    int fd = OpenRetry(path.c_str(), O_RDONLY
#ifdef O_DIRECTORY
                                         | O_DIRECTORY
#endif
    );
    if (fd < 0) throw IOError("open directory", path, errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    // Some file systems refuse fsync on directories; there is nothing more to do.
    if (rc != 0 && err != EINVAL && err != ENOTSUP) throw IOError("fsync directory", path, err);
  }
};

}  // namespace

std::string ErrnoText(int err) {
  char buf[256];
  buf[0] = '\0';
  return PickStrerror(strerror_r(err, buf, sizeof buf), buf, err);
}

Error IOError(std::string_view op, std::string_view path, int err) {
  std::string msg;
  msg.reserve(op.size() + path.size() + 48);
  msg.append(op).append(" ").append(path).append(": ").append(ErrnoText(err));
  return Error(ErrorCode::kIOError, msg, err);
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/') out.push_back('/');
  out.append(name);
  return out;
}

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();
  return env;
}

}  // namespace herondb
