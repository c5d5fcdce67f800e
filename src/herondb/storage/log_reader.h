// LogReader: reads the records of a write-ahead log back, in order, applying
// the recovery rule of log_format.h (torn tail dropped, damage before the
// tail is corruption).
//
// Contract:
// - The constructor opens the file and checks its header: kIOError if it
//   cannot be read, kCorruption ("<path>: <what> at offset N") if the file
//   is not a regular file, is shorter than its header, or the header is
//   damaged or of a newer version. Versions 1 and 2 are read.
// - ReadRecord returns the records one by one exactly as they were passed to
//   LogWriter::AddRecord, then false. It throws Error(kCorruption,
//   "<path>: bad record <header|checksum> at offset N") when damage at N is
//   followed by a valid record. Reading is single-threaded; memory use is one
//   record plus a 256 KiB buffer.
// - valid_end(): the offset just past the last record returned (the file
//   header's end before the first). After ReadRecord returned false, it is
//   where the log's valid content ends: pass it to LogWriter::Open, which
//   cuts off the torn tail [valid_end(), file_size()).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "herondb/storage/env.h"
#include "herondb/storage/log_format.h"

namespace herondb {

class LogReader {
 public:
  LogReader(Env* env, const std::string& path);
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;

  // The next record: fills *type and *payload and returns true, or returns
  // false at the end of the valid records.
  bool ReadRecord(uint8_t* type, std::string* payload);

  uint64_t log_number() const { return log_number_; }
  uint64_t valid_end() const { return valid_end_; }
  uint64_t file_size() const { return file_size_; }
  // After ReadRecord returned false: bytes dropped as a torn tail.
  uint64_t dropped_bytes() const { return eof_ ? file_size_ - valid_end_ : 0; }
  // Size of the file header (by version) and the database id it records
  // (zero for version 1).
  size_t header_size() const { return header_size_; }
  uint32_t format_version() const { return version_; }
  const DbId& db_id() const { return id_; }
  const std::string& path() const { return path_; }

 private:
  enum class Parse { kOk, kBadHeader, kPastEnd, kBadPayload };
  // Checks the record starting at `offset`; on kOk/kBadPayload sets *length
  // and *type; on kOk with `payload` given, fills it.
  Parse ParseAt(uint64_t offset, uint32_t* length, uint8_t* type, std::string* payload);
  // Whether a valid record starts at some offset in [from, file_size_).
  bool ValidRecordAfter(uint64_t from);
  // Copies file bytes [offset, offset + n) into dst (buffered); false if
  // the file ends before.
  bool Fetch(uint64_t offset, size_t n, char* dst);
  // crc32c of file bytes [offset, offset + n).
  uint32_t CrcOfRange(uint64_t offset, uint64_t n);
  [[noreturn]] void Corrupt(const std::string& what, uint64_t offset) const;

  std::string path_;
  std::unique_ptr<RandomAccessFile> file_;
  uint64_t file_size_ = 0;
  uint64_t log_number_ = 0;
  uint64_t valid_end_ = 0;
  size_t header_size_ = kLogHeaderSize;
  uint32_t version_ = kLogFormatVersion;
  DbId id_;
  bool eof_ = false;
  std::string buf_;  // file bytes [buf_offset_, buf_offset_ + buf_.size())
  uint64_t buf_offset_ = 0;
};

}  // namespace herondb
