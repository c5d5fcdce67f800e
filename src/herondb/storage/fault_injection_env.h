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
// - FailOpenAfter(n, err) / FailAllOpensAfter(n, err): the same for file
//   opens (NewWritableFile, NewAppendableFile, NewRandomAccessFile,
//   ReadFileToString and the directory open of SyncDir), e.g. EMFILE.
// - Reset() clears all failure plans and the partial-write size; counters are
//   cleared by ResetCounters(). All methods are thread-safe.
//
// Power-loss simulation (SimulatePowerLoss(true), before the files are
// opened through this Env):
// - The Env tracks, for every file written through it, how many bytes are
//   durable (made so by WritableFile::Sync; a file opened for appending is
//   taken as durable up to its size at open; a Truncate lowers it), and the
//   directory operations (file creations, renames, removals) made since the
//   last SyncDir of their directory. Syncs of the base files are skipped
//   (durability is simulated, so a test runs at memory speed).
// - CutPowerAfter(n): the next n mutating operations (writes, syncs,
//   renames, removals, file creations) succeed; from the (n+1)-th on, every
//   one fails with EIO (the machine has stopped): nothing more reaches the
//   disk. power_cut() says whether it has happened.
// - DropUnsyncedData(rng): turns the files into what a power loss leaves:
//   every tracked file is cut to its durable length (with an rng: to a
//   random length between its durable length and its size, a torn tail),
//   and the directory operations not followed by a directory sync are
//   undone, newest first (a created file disappears, a rename is reversed
//   and the replaced file's durable content restored, a removed file comes
//   back with its durable content). Then tracking starts afresh and the
//   power is back on. Files are read and written with the base Env.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

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
  void FailOpenAfter(int n, int err);
  void FailAllOpensAfter(int n, int err);
  void SetPartialWrite(size_t bytes);
  void Reset();
  void ResetCounters();

  uint64_t write_count() const;
  uint64_t bytes_written() const;
  uint64_t sync_count() const;
  uint64_t rename_count() const;
  uint64_t failed_count() const;

  // --- power-loss simulation (see above) ---
  void SimulatePowerLoss(bool on);
  void CutPowerAfter(uint64_t n);
  bool power_cut() const;
  // Mutating operations counted since CutPowerAfter (or since tracking began).
  uint64_t mutation_count() const;
  void DropUnsyncedData(std::mt19937_64* rng = nullptr);

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
  enum class Op { kWrite, kSync, kRename, kOpen };
  int Decide(Op op, uint64_t bytes = 0);
  size_t partial_write() const;
  // Power-loss bookkeeping of the wrapped files.
  bool simulating() const;
  int CountMutation();  // 0, or EIO once the power is cut
  void NoteAppend(const std::string& path, uint64_t new_size);
  void NoteSync(const std::string& path, uint64_t size);
  void NoteTruncate(const std::string& path, uint64_t size);

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
  struct TrackedFile {
    uint64_t durable = 0;  // bytes that survive a power loss
    uint64_t size = 0;     // bytes written
  };
  struct DirOp {
    enum Kind { kCreate, kRename, kRemove } kind;
    std::string path;       // created / removed file, or the rename's target
    std::string from;       // the rename's source
    bool replaced = false;  // the rename replaced an existing file
    std::string content;    // durable content of the replaced / removed file
  };
  std::string DurableContent(const std::string& path);  // needs mu_
  static std::string DirOf(const std::string& path);

  Plan plans_[4];
  size_t partial_write_ = 0;
  uint64_t counts_[4] = {0, 0, 0, 0};
  bool simulate_ = false;
  bool cut_armed_ = false;
  bool power_cut_ = false;
  uint64_t cut_after_ = 0;
  uint64_t mutations_ = 0;
  std::map<std::string, TrackedFile> tracked_;
  std::vector<DirOp> pending_;
  uint64_t bytes_written_ = 0;
  uint64_t failed_ = 0;
};

}  // namespace herondb
