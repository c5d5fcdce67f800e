// The write-ahead log format (version 1). Shared by LogWriter and LogReader.
//
// A log file is a file header followed by records, back to back, with no
// block structure (a record may be many MB). All integers little-endian.
//
// File header (kLogHeaderSize = 32 bytes):
//   0   char[8]  magic "HRNDBWAL"
//   8   u32      format version (kLogFormatVersion = 1)
//   12  u32      reserved, 0
//   16  u64      log number (the generation this log belongs to, manifest.h)
//   24  u32      reserved, 0
//   28  u32      masked crc32c of bytes [0, 28)
//
// Record (kRecordHeaderSize = 16 bytes, then the payload):
//   0   u32      header crc: masked crc32c of record bytes [4, 16)
//   4   u32      payload length in bytes
//   8   u8       type, 1..255, chosen by the caller; 0 is never valid, so
//                zero-filled space never parses as a record
//   9   u8[3]    reserved, 0
//   12  u32      payload crc: masked crc32c of the payload
//   16  ...      payload
// The header has its own checksum so that the length can be trusted before
// the payload is read: a damaged length is detected as damage, not mistaken
// for a record running past the end of the file.
//
// Recovery rule (LogReader). Reading stops at the first offset p where no
// valid record starts: fewer than 16 bytes left, a header whose crc fails
// or whose type or reserved bytes are invalid, a record that runs past the
// end of the file, or a payload whose crc fails. Then:
//   - if a valid record starts anywhere after p (searching byte by byte from
//     p + 1, or from the damaged record's end when its header was valid), the
//     log is corrupt: Error(kCorruption, "<path>: bad record <what> at
//     offset p");
//   - otherwise [p, end of file) is a torn tail: a write(2) cut short by a
//     crash leaves a prefix of the last record; a power loss may leave zeros
//     or stale bytes there. It is dropped: the reader reports valid_end() = p
//     and LogWriter::Open truncates the file to p before appending.
// So damage anywhere in the last record (including a flipped byte) is a torn
// tail, and damage followed by a later good record is corruption.
// A file shorter than the file header is a log whose creation was cut short:
// it holds no records (valid_end() = 0). A complete file header with a bad
// magic or crc, or a newer version, is corruption at offset 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace herondb {

inline constexpr char kLogMagic[8] = {'H', 'R', 'N', 'D', 'B', 'W', 'A', 'L'};
inline constexpr uint32_t kLogFormatVersion = 1;
inline constexpr size_t kLogHeaderSize = 32;
inline constexpr size_t kRecordHeaderSize = 16;
// Largest payload of one record.
inline constexpr uint64_t kMaxRecordPayload = 0xffffffffu;

// The 32-byte file header for `log_number`.
std::string EncodeLogFileHeader(uint64_t log_number);

}  // namespace herondb
