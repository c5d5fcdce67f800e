// Env: the file-system layer under every herondb file (log, snapshots,
// CURRENT). All storage code does its I/O through an Env so that tests can
// substitute FaultInjectionEnv (fault_injection_env.h) and fail the Nth write
// or fsync.
//
// Contract:
// - Every failure throws herondb::Error(kIOError, "<op> <path>: <OS reason>",
//   errno); nothing returns error codes. A missing file is kIOError with
//   errno ENOENT (callers that expect absence check FileExists first).
// - WritableFile is unbuffered: Append() hands all bytes to the OS (write(2)
//   or writev(2), retried on EINTR and short writes) before it returns, so the
//   data survives the process being killed. Sync() makes it durable on the
//   device (fdatasync on Linux, fcntl(F_FULLFSYNC) on macOS, else fsync).
//   If Append() fails part-way, some of its bytes may be in the file; Size()
//   still reports the length before the call, and Truncate(Size()) removes
//   them (LogWriter relies on this).
// - Files are opened O_CLOEXEC with mode 0644 (subject to the umask), and
//   O_NONBLOCK so that a FIFO or device in a file's place cannot make the
//   open (or a read) wait. Only regular files are accepted: anything else
//   (FIFO, device, directory, socket) is Error(kCorruption, "<path>: is a
//   FIFO, not a regular file"). Files opened for writing are opened
//   O_NOFOLLOW: a symbolic link there is refused the same way (its target is
//   never truncated or written); files opened for reading may be symbolic
//   links to regular files.
// - Env::Default() is a stateless PosixEnv shared by the whole process;
//   Env methods and distinct file objects may be used from any thread, but
//   one file object must not be used by two threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herondb/common/error.h"

namespace herondb {

// "<op> <path>: <strerror(err)>" as Error(kIOError, ..., err).
Error IOError(std::string_view op, std::string_view path, int err);
// strerror(err), thread-safe.
std::string ErrnoText(int err);

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  WritableFile(const WritableFile&) = delete;
  WritableFile& operator=(const WritableFile&) = delete;

  // Writes data[0, n) at the end of the file (one write(2), looped on short
  // writes). Throws kIOError; see the file comment for partial writes.
  virtual void Append(const void* data, size_t n) = 0;
  // Writes the pieces back to back with a single writev(2) where possible.
  virtual void AppendParts(std::span<const std::string_view> parts) = 0;
  // Makes everything appended so far durable (fdatasync / F_FULLFSYNC).
  virtual void Sync() = 0;
  // Cuts (or extends with zeros) the file to `size` bytes and continues
  // appending there.
  virtual void Truncate(uint64_t size) = 0;
  // Closes the descriptor; further calls throw. Does not sync. The
  // destructor closes too (ignoring errors).
  virtual void Close() = 0;
  // Bytes in the file as far as this object knows (start size + appended).
  virtual uint64_t Size() const = 0;
  virtual const std::string& path() const = 0;

 protected:
  WritableFile() = default;
};

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  RandomAccessFile(const RandomAccessFile&) = delete;
  RandomAccessFile& operator=(const RandomAccessFile&) = delete;

  // Reads up to n bytes at `offset` into scratch (pread, looped); returns the
  // number read, which is less than n only at the end of the file.
  virtual size_t Read(uint64_t offset, size_t n, char* scratch) const = 0;
  // Current size of the file (fstat).
  virtual uint64_t Size() const = 0;
  // The open descriptor, e.g. for mmap (valid for this object's lifetime).
  virtual int fd() const = 0;
  virtual const std::string& path() const = 0;

 protected:
  RandomAccessFile() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX Env (never destroyed).
  static Env* Default();

  // Creates `path` or truncates it to empty, for writing.
  virtual std::unique_ptr<WritableFile> NewWritableFile(const std::string& path) = 0;
  // Opens `path` for appending at its current end, creating it if missing.
  virtual std::unique_ptr<WritableFile> NewAppendableFile(const std::string& path) = 0;
  // Opens an existing file for positional reads.
  virtual std::unique_ptr<RandomAccessFile> NewRandomAccessFile(const std::string& path) = 0;
  // The whole content of a (small) file.
  virtual std::string ReadFileToString(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  virtual uint64_t GetFileSize(const std::string& path) = 0;
  // rename(2): atomically replaces `to` if it exists.
  virtual void RenameFile(const std::string& from, const std::string& to) = 0;
  virtual void RemoveFile(const std::string& path) = 0;
  // mkdir -p (mode 0755); no error if it already exists as a directory.
  virtual void CreateDirs(const std::string& path) = 0;
  // Names of the entries of a directory, without "." and "..", unsorted.
  virtual std::vector<std::string> ListDir(const std::string& path) = 0;
  // Makes the directory's entries (creations, renames, removals) durable:
  // open(dir) + fsync.
  virtual void SyncDir(const std::string& path) = 0;

 protected:
  Env() = default;
};

// Joins a directory and a file name with one '/'.
std::string JoinPath(std::string_view dir, std::string_view name);

}  // namespace herondb
