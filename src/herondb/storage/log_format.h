// The write-ahead log format (version 2; version 1 still reads). Shared by
// LogWriter and LogReader.
//
// A log file is a file header followed by records, back to back, with no
// block structure (a record may be many MB). All integers little-endian.
//
// File header, version 2 (kLogHeaderSize = 48 bytes):
//   0   char[8]  magic "HRNDBWAL"
//   8   u32      format version (kLogFormatVersion = 2)
//   12  u32      reserved, 0
//   16  u64      log number (the generation this log belongs to, manifest.h)
//   24  u8[16]   database id (db_id.h; zero: none)
//   40  u32      reserved, 0
//   44  u32      masked crc32c of bytes [0, 44)
// Version 1 (kLogHeaderSizeV1 = 32 bytes, written before database ids):
//   0 magic | 8 u32 version 1 | 12 u32 reserved | 16 u64 log number |
//   24 u32 reserved | 28 u32 masked crc32c of bytes [0, 28); its id reads
//   back as zero. Records are the same in both versions.
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
// A file shorter than its header is corruption (Error(kCorruption, "<path>:
// file shorter than its header ...")): the header is written and fsynced
// before CURRENT names the log (manifest.h), so no crash can cut it short.
// A file header with a bad magic or crc, or a newer version, is corruption.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "herondb/storage/db_id.h"

namespace herondb {

inline constexpr char kLogMagic[8] = {'H', 'R', 'N', 'D', 'B', 'W', 'A', 'L'};
inline constexpr uint32_t kLogFormatVersion = 2;
inline constexpr size_t kLogHeaderSize = 48;
inline constexpr size_t kLogHeaderSizeV1 = 32;
inline constexpr size_t kRecordHeaderSize = 16;
// Largest payload of one record.
inline constexpr uint64_t kMaxRecordPayload = 0xffffffffu;

// The file header (current version) for `log_number` of database `id`.
std::string EncodeLogFileHeader(uint64_t log_number, const DbId& id = {});

}  // namespace herondb
