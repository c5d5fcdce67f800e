// LogReader: see log_reader.h for the contract and log_format.h for the
// format and the recovery rule.
#include "herondb/storage/log_reader.h"

#include <algorithm>
#include <cstring>

#include "herondb/storage/coding.h"
#include "herondb/storage/crc32c.h"

namespace herondb {

using storage::DecodeFixed32;
using storage::DecodeFixed64;

namespace {
constexpr size_t kBufferSize = 256 * 1024;
}

LogReader::LogReader(Env* env, const std::string& path)
    : path_(path), file_(env->NewRandomAccessFile(path)) {
  file_size_ = file_->Size();
  auto too_short = [&] {
    Corrupt("file shorter than its header (" + std::to_string(file_size_) +
                " bytes; the header is synced before the log is used)",
            file_size_);
  };
  char h[kLogHeaderSize];
  if (file_size_ < 12 || !Fetch(0, 12, h)) too_short();
  if (std::memcmp(h, kLogMagic, sizeof kLogMagic) != 0) Corrupt("bad log file magic", 0);
  version_ = DecodeFixed32(h + 8);
  if (version_ > kLogFormatVersion || version_ == 0) {
    Corrupt("unsupported log format version " + std::to_string(version_) +
                " (this build reads versions 1 to " + std::to_string(kLogFormatVersion) + ")",
            8);
  }
  header_size_ = version_ == 1 ? kLogHeaderSizeV1 : kLogHeaderSize;
  if (file_size_ < header_size_ || !Fetch(0, header_size_, h)) too_short();
  const size_t crc_at = header_size_ - 4;
  uint32_t stored = crc32c::Unmask(DecodeFixed32(h + crc_at));
  if (stored != crc32c::Value(h, crc_at)) Corrupt("bad log file header checksum", 0);
  log_number_ = DecodeFixed64(h + 16);
  if (version_ >= 2) id_ = DbId::FromBytes(h + 24);
  valid_end_ = header_size_;
}

void LogReader::Corrupt(const std::string& what, uint64_t offset) const {
  throw Error(ErrorCode::kCorruption, path_ + ": " + what + " at offset " + std::to_string(offset));
}

bool LogReader::Fetch(uint64_t offset, size_t n, char* dst) {
  if (offset > file_size_ || n > file_size_ - offset) return false;
  if (offset >= buf_offset_ && offset + n <= buf_offset_ + buf_.size()) {
    std::memcpy(dst, buf_.data() + (offset - buf_offset_), n);
    return true;
  }
  if (n >= kBufferSize / 2) {
    return file_->Read(offset, n, dst) == n;
  }
  buf_.resize(kBufferSize);
  size_t got = file_->Read(offset, kBufferSize, buf_.data());
  buf_.resize(got);
  buf_offset_ = offset;
  if (got < n) return false;
  std::memcpy(dst, buf_.data(), n);
  return true;
}

uint32_t LogReader::CrcOfRange(uint64_t offset, uint64_t n) {
  uint32_t crc = 0;
  char chunk[64 * 1024];
  while (n > 0) {
    size_t take = static_cast<size_t>(std::min<uint64_t>(n, sizeof chunk));
    if (!Fetch(offset, take, chunk)) return ~crc;  // cannot match (file shrank)
    crc = crc32c::Extend(crc, chunk, take);
    offset += take;
    n -= take;
  }
  return crc;
}

LogReader::Parse LogReader::ParseAt(uint64_t offset, uint32_t* length, uint8_t* type,
                                    std::string* payload) {
  char h[kRecordHeaderSize];
  if (!Fetch(offset, kRecordHeaderSize, h)) return Parse::kPastEnd;
  if (h[8] == 0 || h[9] != 0 || h[10] != 0 || h[11] != 0) return Parse::kBadHeader;
  if (crc32c::Unmask(DecodeFixed32(h)) != crc32c::Value(h + 4, kRecordHeaderSize - 4)) {
    return Parse::kBadHeader;
  }
  *length = DecodeFixed32(h + 4);
  *type = static_cast<uint8_t>(h[8]);
  uint64_t start = offset + kRecordHeaderSize;
  if (*length > file_size_ - start) return Parse::kPastEnd;
  uint32_t expected = crc32c::Unmask(DecodeFixed32(h + 12));
  if (payload != nullptr) {
    payload->resize(*length);
    if (!Fetch(start, *length, payload->data())) return Parse::kPastEnd;
    if (crc32c::Value(payload->data(), payload->size()) != expected) return Parse::kBadPayload;
  } else if (CrcOfRange(start, *length) != expected) {
    return Parse::kBadPayload;
  }
  return Parse::kOk;
}

bool LogReader::ValidRecordAfter(uint64_t from) {
  for (uint64_t q = from; q + kRecordHeaderSize <= file_size_; ++q) {
    char h[kRecordHeaderSize];
    if (!Fetch(q, kRecordHeaderSize, h)) return false;
    // Cheap filters before the header crc.
    if (h[8] == 0 || h[9] != 0 || h[10] != 0 || h[11] != 0) continue;
    uint32_t length;
    uint8_t type;
    if (ParseAt(q, &length, &type, nullptr) == Parse::kOk) return true;
  }
  return false;
}

bool LogReader::ReadRecord(uint8_t* type, std::string* payload) {
  if (eof_) return false;
  const uint64_t p = valid_end_;
  if (p == file_size_) {
    eof_ = true;
    return false;
  }
  uint32_t length = 0;
  Parse r = ParseAt(p, &length, type, payload);
  switch (r) {
    case Parse::kOk:
      valid_end_ = p + kRecordHeaderSize + length;
      return true;
    case Parse::kPastEnd:  // a record (or header) cut short by the end of the file
      break;
    case Parse::kBadHeader:
      if (ValidRecordAfter(p + 1)) Corrupt("bad record header", p);
      break;
    case Parse::kBadPayload:
      if (ValidRecordAfter(p + kRecordHeaderSize + length)) Corrupt("bad record checksum", p);
      break;
  }
  payload->clear();
  eof_ = true;
  return false;
}

}  // namespace herondb
