// LogWriter: appends records to a write-ahead log (format: log_format.h).
//
// Contract:
// - AddRecord(type, payload, sync) returns only after the record has been
//   handed to the OS (write(2)/writev(2)): it survives the process being
//   killed. With sync = true it returns only after the record is durable on
//   the device (fdatasync / F_FULLFSYNC).
// - Thread-safe, with group commit: concurrent callers queue up; the caller
//   at the front of the queue (the leader) writes the records of everyone
//   queued at that moment (up to 32 MiB beyond its own) with one writev(2),
//   in queue order, and, if any of them asked for sync, does one fsync for
//   all of them; then it wakes them. So N concurrent sync writers cost far
//   fewer than N fsyncs, and records appear in the log in the order their
//   calls were queued.
// - All-or-nothing: if the write or the sync of a group fails, the file is
//   cut back to its length before the group (so the log never holds a
//   partial record followed by later good records, and a record whose call
//   failed is not replayed), and every caller of the group gets the
//   Error(kIOError, ..., errno). If that cut itself fails, the writer is
//   unusable: every later call throws kIOError ("reopen the database").
// - A failed sync leaves the writer usable; whether records acknowledged
//   earlier without sync reach the disk is then as unknown as after a power
//   loss.
// - The caller (the Database) decides record contents; types are 1..255.
//   A payload larger than kMaxRecordPayload is kInvalidArgument.
// - Creating a log does not sync its directory: the save() protocol
//   (manifest.h) syncs the directory before CURRENT names the log.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "herondb/storage/env.h"
#include "herondb/storage/log_format.h"

namespace herondb {

class LogWriter {
 public:
  // Creates `path` (replacing any file of that name) holding only the file
  // header for `log_number` and database `id`, and syncs it.
  static std::unique_ptr<LogWriter> Create(Env* env, const std::string& path, uint64_t log_number,
                                           const DbId& id = {});
  // Opens an existing log to append after its last valid record, as found by
  // LogReader::valid_end(): a torn tail after `valid_end` is cut off (and the
  // cut synced). `header_size` is the file's (LogReader::header_size(): a
  // version-1 log keeps its version); valid_end below it is kCorruption.
  // The caller checks that the file's log number and id are the expected
  // ones (LogReader::log_number(), db_id()).
  static std::unique_ptr<LogWriter> Open(Env* env, const std::string& path, uint64_t log_number,
                                         uint64_t valid_end, size_t header_size = kLogHeaderSize);

  ~LogWriter();  // closes without syncing
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Appends one record; see the contract above.
  void AddRecord(uint8_t type, std::string_view payload, bool sync);
  // Makes every record appended so far durable (joins the group-commit queue).
  void Sync();
  // Cuts the log back to just its file header and syncs (for a database that
  // keeps one log file across snapshots).
  void Reset();
  // Closes the file (no sync), after any write in progress. Later calls
  // throw; a second Close does nothing.
  void Close();

  uint64_t size() const;  // bytes in the file, header included
  uint64_t log_number() const { return log_number_; }
  const std::string& path() const { return path_; }

 private:
  struct Waiter;
  LogWriter(std::string path, uint64_t log_number, std::unique_ptr<WritableFile> file,
            size_t header_size);
  void Commit(Waiter* w);
  void CheckUsableLocked() const;
  // Runs fn with the file to itself (after any active leader), in queue order.
  template <typename Fn>
  void RunExclusive(bool allow_broken, Fn&& fn);

  const std::string path_;
  const uint64_t log_number_;
  const size_t header_size_;
  mutable std::mutex mu_;
  std::unique_ptr<WritableFile> file_;   // guarded by being the leader
  std::deque<Waiter*> queue_;            // guarded by mu_
  bool broken_ = false;                  // guarded by mu_
  bool closed_ = false;                  // guarded by mu_
  uint64_t size_ = 0;                    // guarded by mu_
  std::vector<Waiter*> group_;           // leader's scratch
  std::vector<std::string_view> parts_;  // leader's scratch
};

}  // namespace herondb
