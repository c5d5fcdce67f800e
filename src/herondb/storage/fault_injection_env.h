// FaultInjectionEnv: an Env wrapper whose writes, syncs and renames can be
// made to fail, for crash and I/O-error tests (C++ and, through the Database,
// Python).
//
// Contract:
// - Wraps a base Env (Env::Default() if none given) and forwards everything
//   to it; files opened through it count their operations in this Env.
// - Counting is global to the Env, across all files opened through it:
//   each WritableFile::Append/AppendParts is one "write", each
//   WritableFile::Sync and Env::SyncDir one "sync", each RenameFile one
//   "rename".
// - FailWriteAfter(n, err): the next n writes succeed, the (n+1)-th fails
//   with Error(kIOError, "write <path>: <strerror(err)> (injected)", err),
//   later writes succeed again. FailAllWritesAfter(n, err): the same, but
//   every write after the n-th fails until Reset(). Likewise for syncs and
//   renames. A plan set for a kind replaces the previous plan of that kind.
// - A failing write first writes SetPartialWrite(bytes) bytes of its data
//   (default 0), imitating a disk that fills up part-way through a write.
// - A failed operation is counted in failed_count() and not in the kind's
//   counter (write_count() counts writes that reached the base Env).
// - Reset() clears all failure plans and the partial-write size; counters are
//   cleared by ResetCounters(). All methods are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "herondb/storage/env.h"

namespace herondb {

class FaultInjectionEnv final : public Env {
 public:
  explicit FaultInjectionEnv(Env* base = Env::Default());
  ~FaultInjectionEnv() override;

  // --- control ---
  void FailWriteAfter(int n, int err);
  void FailAllWritesAfter(int n, int err);
  void FailSyncAfter(int n, int err);
  void FailAllSyncsAfter(int n, int err);
  void FailRenameAfter(int n, int err);
  void FailAllRenamesAfter(int n, int err);
  void SetPartialWrite(size_t bytes);
  void Reset();
  void ResetCounters();

  uint64_t write_count() const;
  uint64_t bytes_written() const;
  uint64_t sync_count() const;
  uint64_t rename_count() const;
  uint64_t failed_count() const;

  // --- Env ---
  std::unique_ptr<WritableFile> NewWritableFile(const std::string& path) override;
  std::unique_ptr<WritableFile> NewAppendableFile(const std::string& path) override;
  std::unique_ptr<RandomAccessFile> NewRandomAccessFile(const std::string& path) override;
  std::string ReadFileToString(const std::string& path) override;
  bool FileExists(const std::string& path) override;
  uint64_t GetFileSize(const std::string& path) override;
  void RenameFile(const std::string& from, const std::string& to) override;
  void RemoveFile(const std::string& path) override;
  void CreateDirs(const std::string& path) override;
  std::vector<std::string> ListDir(const std::string& path) override;
  void SyncDir(const std::string& path) override;

  // Used by the wrapped files. Returns 0 to go ahead, else the errno to fail
  // with (and counts the failure); counts the success otherwise.
  enum class Op { kWrite, kSync, kRename };
  int Decide(Op op, uint64_t bytes = 0);
  size_t partial_write() const;

 private:
  struct Plan {
    bool active = false;
    bool sticky = false;  // fail every op after the countdown
    int64_t countdown = 0;
    int err = 0;
  };
  void SetPlan(Op op, int n, int err, bool sticky);

  Env* base_;
  mutable std::mutex mu_;
  Plan plans_[3];
  size_t partial_write_ = 0;
  uint64_t counts_[3] = {0, 0, 0};
  uint64_t bytes_written_ = 0;
  uint64_t failed_ = 0;
};

}  // namespace herondb
