// Snapshot files: a checksummed container of tagged sections, each aligned
// so that it can be mmapped directly (format version 2; version 1 still
// reads).
//
// Layout (integers little-endian):
//   [0, 4096)     header: magic "HRNDBSNP" (8) | u32 format version |
//                 u32 flags (caller's) | u64 generation (caller's) |
//                 u32 reserved 0 | u32 masked crc32c of bytes [0, 28) |
//                 (version 2:) 16 bytes database id (db_id.h, the caller's;
//                 zero: none) | u32 masked crc32c of bytes [32, 48);
//                 zeros up to 4096. A version-1 header ends at 32 and
//                 reads back with the zero id.
//   sections      each section's data starts at a multiple of
//                 kSnapshotAlignment (4096) and is followed by zero padding
//                 up to the next section
//   table         at the end of the last section (8-aligned): u32 count |
//                 u32 reserved 0 | count entries of 32 bytes:
//                 u32 tag | u32 reserved 0 | u64 offset | u64 length |
//                 u32 masked crc32c of the section data | u32 reserved 0
//                 (entries in file order)
//   footer        the last 32 bytes: u64 table offset | u32 table length |
//                 u32 masked crc32c of the table | u32 format version |
//                 u32 masked crc32c of footer bytes [0, 20) | magic "HRNDBEND"
//
// Contract (SnapshotWriter):
// - Writes a new file (replacing any file of that name) front to back;
//   sections are streamed (AddSection, or BeginSection / Append... /
//   EndSection for data produced in pieces), buffered in 1 MiB. Tags are
//   the caller's; a tag may occur once. Finish() writes the table and the
//   footer, fsyncs and closes: only then is the file complete. A writer
//   destroyed before Finish() (or after a failure) removes its file. Errors
//   are kIOError from the Env; misuse is kInvalidArgument.
// - Crash safety comes from the save() protocol (manifest.h): a snapshot is
//   used only once CURRENT names its generation, after Finish().
//
// Contract (SnapshotReader):
// - Open() maps the whole file read-only once, checks header, footer, table
//   (bounds, alignment, order, no overlap, unique tags, reserved fields
//   zero) and, with verify_checksums, every section's crc32c (hardware CRC,
//   GB/s). Any inconsistency is Error(kCorruption, "<path>: <what> at offset
//   N"), including a version newer than this build reads. It never reads
//   outside the file, whatever the input. Bytes in padding are not checked.
// - Section(tag) returns the section's bytes inside the mapping (valid while
//   the reader lives), or nullopt. Find(tag) gives its offset and length in
//   the file, so that it can be mapped separately (e.g. GrowableRegion::FromFd
//   with fd(), MAP_PRIVATE); offsets are multiples of 4096, which is a page
//   multiple on x86-64 Linux (on larger-page systems GrowableRegion copies).
// - The file must not be modified while a reader has it open.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herondb/storage/db_id.h"
#include "herondb/storage/env.h"
#include "herondb/storage/mmap_region.h"

namespace herondb {

inline constexpr char kSnapshotMagic[8] = {'H', 'R', 'N', 'D', 'B', 'S', 'N', 'P'};
inline constexpr char kSnapshotFooterMagic[8] = {'H', 'R', 'N', 'D', 'B', 'E', 'N', 'D'};
inline constexpr uint32_t kSnapshotFormatVersion = 2;
inline constexpr uint64_t kSnapshotAlignment = 4096;
inline constexpr size_t kSnapshotHeaderSize = 52;  // meaningful bytes of the header page (v2)
inline constexpr size_t kSnapshotFooterSize = 32;
inline constexpr size_t kSnapshotTableEntrySize = 32;

struct SnapshotSection {
  uint32_t tag = 0;
  uint64_t offset = 0;  // in the file, a multiple of kSnapshotAlignment
  uint64_t length = 0;
  uint32_t crc = 0;  // crc32c of the data (unmasked)
};

class SnapshotWriter {
 public:
  SnapshotWriter(Env* env, const std::string& path, uint64_t generation = 0, uint32_t flags = 0,
                 const DbId& id = {});
  ~SnapshotWriter();
  SnapshotWriter(const SnapshotWriter&) = delete;
  SnapshotWriter& operator=(const SnapshotWriter&) = delete;

  void AddSection(uint32_t tag, const void* data, size_t n);
  void BeginSection(uint32_t tag);
  void Append(const void* data, size_t n);
  void EndSection();
  // Table + footer, fsync, close.
  void Finish();

  // Bytes written so far (the file size after Finish()).
  uint64_t bytes_written() const { return offset_; }
  const std::string& path() const { return path_; }

 private:
  void Write(const void* data, size_t n);
  void WriteZeros(uint64_t n);
  void Flush();
  void CheckUsable() const;

  Env* env_;
  std::string path_;
  std::unique_ptr<WritableFile> file_;
  std::string buffer_;
  uint64_t offset_ = 0;  // logical bytes written (buffer included)
  std::vector<SnapshotSection> sections_;
  bool in_section_ = false;
  bool finished_ = false;
  bool failed_ = false;
};

class SnapshotReader {
 public:
  static SnapshotReader Open(Env* env, const std::string& path, bool verify_checksums = true);

  SnapshotReader(SnapshotReader&&) noexcept = default;
  SnapshotReader& operator=(SnapshotReader&&) noexcept = default;

  // The bytes of section `tag`, or nullopt if the file has none.
  std::optional<std::span<const char>> Section(uint32_t tag) const;
  // Where section `tag` lies in the file, or nullopt.
  std::optional<SnapshotSection> Find(uint32_t tag) const;
  // All sections, in file order.
  const std::vector<SnapshotSection>& sections() const { return sections_; }
  // Checks every section's crc (what Open does with verify_checksums), but
  // those whose tags are in `skip` (e.g. sections CopySection verifies).
  void VerifyChecksums(std::span<const uint32_t> skip = {}) const;
  // Checks the crc of section `s` (one of sections()).
  void VerifySection(const SnapshotSection& s) const;
  // Reads section `s` (one of sections()) into `dst` (s.length bytes) with
  // pread, checking its crc on the way (each piece while it is still in
  // cache): one pass over the data where mapping then copying takes two.
  // A mismatch is Error(kCorruption) naming the section; `dst` then holds
  // unverified bytes.
  void CopySection(const SnapshotSection& s, char* dst) const;

  uint64_t generation() const { return generation_; }
  // The database id of the header (zero for version 1 or none given).
  const DbId& db_id() const { return id_; }
  uint32_t flags() const { return flags_; }
  uint32_t format_version() const { return version_; }
  uint64_t file_size() const { return map_.size(); }
  // Open descriptor of the file, valid for the reader's lifetime.
  int fd() const { return file_->fd(); }
  const std::string& path() const { return path_; }

 private:
  SnapshotReader() = default;
  [[noreturn]] void Corrupt(const std::string& what, uint64_t offset) const;
  void Parse();

  std::string path_;
  std::unique_ptr<RandomAccessFile> file_;
  MmapRegion map_;
  std::vector<SnapshotSection> sections_;
  uint64_t generation_ = 0;
  DbId id_;
  uint32_t flags_ = 0;
  uint32_t version_ = 0;
};

}  // namespace herondb
