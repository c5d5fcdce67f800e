// LogWriter: see log_writer.h for the contract and log_format.h for the format.
#include "herondb/storage/log_writer.h"

#include <cerrno>
#include <cstring>
#include <optional>

#include "herondb/storage/coding.h"
#include "herondb/storage/crc32c.h"

namespace herondb {

using storage::EncodeFixed32;
using storage::PutFixed32;
using storage::PutFixed64;

std::string EncodeLogFileHeader(uint64_t log_number, const DbId& id) {
  std::string h(kLogMagic, sizeof kLogMagic);
  PutFixed32(&h, kLogFormatVersion);
  PutFixed32(&h, 0);
  PutFixed64(&h, log_number);
  id.AppendTo(&h);
  PutFixed32(&h, 0);
  PutFixed32(&h, crc32c::Mask(crc32c::Value(h.data(), h.size())));
  return h;
}

namespace {
constexpr size_t kMaxGroupBytes = size_t{32} << 20;
}

struct LogWriter::Waiter {
  std::string_view payload;
  bool has_record = false;  // false: a Sync() request
  bool sync = false;
  bool exclusive = false;  // a RunExclusive request
  bool done = false;
  std::optional<Error> error;
  char header[kRecordHeaderSize];
  std::condition_variable cv;
};

LogWriter::LogWriter(std::string path, uint64_t log_number, std::unique_ptr<WritableFile> file,
                     size_t header_size)
    : path_(std::move(path)),
      log_number_(log_number),
      header_size_(header_size),
      file_(std::move(file)) {
  size_ = file_->Size();
}

LogWriter::~LogWriter() {
  try {
    Close();
  } catch (...) {
  }
}

std::unique_ptr<LogWriter> LogWriter::Create(Env* env, const std::string& path, uint64_t log_number,
                                             const DbId& id) {
  auto file = env->NewWritableFile(path);
  std::string header = EncodeLogFileHeader(log_number, id);
  file->Append(header.data(), header.size());
  file->Sync();
  return std::unique_ptr<LogWriter>(
      new LogWriter(path, log_number, std::move(file), kLogHeaderSize));
}

std::unique_ptr<LogWriter> LogWriter::Open(Env* env, const std::string& path, uint64_t log_number,
                                           uint64_t valid_end, size_t header_size) {
  if (valid_end < header_size) {
    throw Error(ErrorCode::kCorruption, path + ": valid end " + std::to_string(valid_end) +
                                            " lies inside the file header at offset 0");
  }
  auto file = env->NewAppendableFile(path);
  if (file->Size() != valid_end) {
    if (file->Size() < valid_end) {
      throw Error(ErrorCode::kCorruption,
                  path + ": log is shorter (" + std::to_string(file->Size()) +
                      " bytes) than its valid end at offset " + std::to_string(valid_end));
    }
    file->Truncate(valid_end);
    file->Sync();
  }
  return std::unique_ptr<LogWriter>(new LogWriter(path, log_number, std::move(file), header_size));
}

void LogWriter::CheckUsableLocked() const {
  if (closed_) throw Error(ErrorCode::kIOError, "write " + path_ + ": log is closed", EBADF);
  if (broken_) {
    throw Error(ErrorCode::kIOError,
                "write " + path_ +
                    ": log is unusable after a failed write that could not be undone; "
                    "reopen the database",
                EIO);
  }
}

void LogWriter::AddRecord(uint8_t type, std::string_view payload, bool sync) {
  if (type == 0) throw Error(ErrorCode::kInvalidArgument, "log record type 0 is reserved");
  if (payload.size() > kMaxRecordPayload) {
    throw Error(ErrorCode::kInvalidArgument, "log record of " + std::to_string(payload.size()) +
                                                 " bytes exceeds the limit of " +
                                                 std::to_string(kMaxRecordPayload));
  }
  Waiter w;
  w.payload = payload;
  w.has_record = true;
  w.sync = sync;
  char* h = w.header;
  EncodeFixed32(h + 4, static_cast<uint32_t>(payload.size()));
  h[8] = static_cast<char>(type);
  h[9] = h[10] = h[11] = 0;
  EncodeFixed32(h + 12, crc32c::Mask(crc32c::Value(payload.data(), payload.size())));
  EncodeFixed32(h, crc32c::Mask(crc32c::Value(h + 4, kRecordHeaderSize - 4)));
  Commit(&w);
}

void LogWriter::Sync() {
  Waiter w;
  w.sync = true;
  Commit(&w);
}

void LogWriter::Commit(Waiter* w) {
  std::unique_lock<std::mutex> lock(mu_);
  CheckUsableLocked();
  queue_.push_back(w);
  while (!w->done && queue_.front() != w) w->cv.wait(lock);
  if (w->done) {
    if (w->error) throw *w->error;
    return;
  }
  // This thread leads: take everyone queued now.
  if (closed_ || broken_) {  // closed (or broken) while this call waited
    queue_.pop_front();
    if (!queue_.empty()) queue_.front()->cv.notify_one();
    CheckUsableLocked();
  }
  group_.clear();
  parts_.clear();
  size_t bytes = 0;
  bool need_sync = false;
  for (Waiter* x : queue_) {
    if (x->exclusive) break;
    size_t rec = x->has_record ? kRecordHeaderSize + x->payload.size() : 0;
    if (!group_.empty() && bytes + rec > kMaxGroupBytes) break;
    group_.push_back(x);
    bytes += rec;
    need_sync |= x->sync;
    if (x->has_record) {
      parts_.emplace_back(x->header, kRecordHeaderSize);
      if (!x->payload.empty()) parts_.push_back(x->payload);
    }
  }
  const uint64_t before = size_;
  lock.unlock();

  std::optional<Error> error;
  bool undo_failed = false;
  try {
    if (!parts_.empty()) file_->AppendParts(parts_);
    if (need_sync) file_->Sync();
  } catch (const Error& e) {
    error = e;
  } catch (const std::exception& e) {
    error = Error(ErrorCode::kIOError, std::string("write ") + path_ + ": " + e.what(), EIO);
  }
  if (error) {
    try {
      file_->Truncate(before);
      if (need_sync) {
        try {
          file_->Sync();  // best effort: make the cut durable too
        } catch (const Error&) {
        }
      }
    } catch (...) {
      undo_failed = true;
    }
  }

  lock.lock();
  if (undo_failed) broken_ = true;
  if (!error) size_ = before + bytes;
  for (Waiter* x : group_) {
    queue_.pop_front();
    if (x == w) continue;
    x->error = error;
    x->done = true;
    x->cv.notify_one();
  }
  if (broken_) {
    // Nobody may write after an undo failed: fail everyone still queued.
    Error broken(ErrorCode::kIOError, "", 0);
    try {
      CheckUsableLocked();
    } catch (const Error& e) {
      broken = e;
    }
    std::deque<Waiter*> keep;  // Close/Reset requests stay queued
    for (Waiter* x : queue_) {
      if (x->exclusive) {
        keep.push_back(x);
        continue;
      }
      x->error = broken;
      x->done = true;
      x->cv.notify_one();
    }
    queue_.swap(keep);
  }
  if (!queue_.empty()) queue_.front()->cv.notify_one();
  lock.unlock();
  if (error) throw *error;
}

template <typename Fn>
void LogWriter::RunExclusive(bool allow_broken, Fn&& fn) {
  std::unique_lock<std::mutex> lock(mu_);
  if (closed_) return;
  if (!allow_broken) CheckUsableLocked();
  Waiter w;
  w.exclusive = true;
  queue_.push_back(&w);
  while (queue_.front() != &w) w.cv.wait(lock);
  lock.unlock();
  std::optional<Error> error;
  try {
    fn();
  } catch (const Error& e) {
    error = e;
  }
  lock.lock();
  queue_.pop_front();
  if (!queue_.empty()) queue_.front()->cv.notify_one();
  lock.unlock();
  if (error) throw *error;
}

void LogWriter::Reset() {
  RunExclusive(false, [&] {
    file_->Truncate(header_size_);
    file_->Sync();
    std::lock_guard<std::mutex> l(mu_);
    size_ = header_size_;
  });
}

void LogWriter::Close() {
  RunExclusive(true, [&] {
    {
      std::lock_guard<std::mutex> l(mu_);
      closed_ = true;
    }
    file_->Close();
  });
}

uint64_t LogWriter::size() const {
  std::lock_guard<std::mutex> l(mu_);
  return size_;
}

}  // namespace herondb
