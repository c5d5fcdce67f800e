// SnapshotWriter and SnapshotReader: see snapshot_file.h for the format and
// the contract.
#include "herondb/storage/snapshot_file.h"

#include <algorithm>
#include <cstring>

#include "herondb/storage/coding.h"
#include "herondb/storage/crc32c.h"

namespace herondb {

// A tag as its four ASCII letters ("VECS"), or its number when it has
// other bytes.
static std::string TagName(uint32_t tag) {
  std::string name;
  for (int i = 0; i < 4; ++i) {
    char c = static_cast<char>((tag >> (8 * i)) & 0xff);
    if (c < 0x20 || c > 0x7e) return std::to_string(tag);
    name.push_back(c);
  }
  return name;
}

using storage::DecodeFixed32;
using storage::DecodeFixed64;
using storage::EncodeFixed32;
using storage::EncodeFixed64;
using storage::PutFixed32;
using storage::PutFixed64;

namespace {
constexpr size_t kBufferSize = size_t{1} << 20;
constexpr char kZeros[4096] = {};
}  // namespace

// ---- SnapshotWriter -----------------------------------------------------------

SnapshotWriter::SnapshotWriter(Env* env, const std::string& path, uint64_t generation,
                               uint32_t flags, const DbId& id)
    : env_(env), path_(path), file_(env->NewWritableFile(path)) {
  buffer_.reserve(kBufferSize);
  std::string h(kSnapshotMagic, sizeof kSnapshotMagic);
  PutFixed32(&h, kSnapshotFormatVersion);
  PutFixed32(&h, flags);
  PutFixed64(&h, generation);
  PutFixed32(&h, 0);
  PutFixed32(&h, crc32c::Mask(crc32c::Value(h.data(), h.size())));
  id.AppendTo(&h);
  PutFixed32(&h, crc32c::Mask(crc32c::Value(h.data() + 32, DbId::kSize)));
  Write(h.data(), h.size());
  WriteZeros(kSnapshotAlignment - h.size());
}

SnapshotWriter::~SnapshotWriter() {
  if (finished_) return;
  try {
    file_->Close();
  } catch (...) {
  }
  try {
    env_->RemoveFile(path_);
  } catch (...) {
  }
}

void SnapshotWriter::CheckUsable() const {
  if (finished_) throw Error(ErrorCode::kInvalidArgument, path_ + ": snapshot already finished");
  if (failed_) {
    throw Error(ErrorCode::kIOError, "write " + path_ + ": snapshot writer failed earlier", EIO);
  }
}

void SnapshotWriter::Flush() {
  if (buffer_.empty()) return;
  try {
    file_->Append(buffer_.data(), buffer_.size());
  } catch (...) {
    failed_ = true;
    throw;
  }
  buffer_.clear();
}

void SnapshotWriter::Write(const void* data, size_t n) {
  if (n >= kBufferSize) {
    Flush();
    try {
      file_->Append(data, n);
    } catch (...) {
      failed_ = true;
      throw;
    }
  } else {
    if (buffer_.size() + n > kBufferSize) Flush();
    buffer_.append(static_cast<const char*>(data), n);
  }
  offset_ += n;
}

void SnapshotWriter::WriteZeros(uint64_t n) {
  while (n > 0) {
    size_t take = static_cast<size_t>(std::min<uint64_t>(n, sizeof kZeros));
    Write(kZeros, take);
    n -= take;
  }
}

void SnapshotWriter::BeginSection(uint32_t tag) {
  CheckUsable();
  if (in_section_) {
    throw Error(ErrorCode::kInvalidArgument, path_ + ": BeginSection inside a section");
  }
  for (const auto& s : sections_) {
    if (s.tag == tag) {
      throw Error(ErrorCode::kInvalidArgument,
                  path_ + ": duplicate snapshot section tag " + TagName(tag));
    }
  }
  WriteZeros((kSnapshotAlignment - offset_ % kSnapshotAlignment) % kSnapshotAlignment);
  sections_.push_back(SnapshotSection{tag, offset_, 0, 0});
  in_section_ = true;
}

void SnapshotWriter::Append(const void* data, size_t n) {
  CheckUsable();
  if (!in_section_) throw Error(ErrorCode::kInvalidArgument, path_ + ": Append outside a section");
  SnapshotSection& s = sections_.back();
  s.crc = crc32c::Extend(s.crc, data, n);
  s.length += n;
  Write(data, n);
}

void SnapshotWriter::EndSection() {
  CheckUsable();
  if (!in_section_) throw Error(ErrorCode::kInvalidArgument, path_ + ": EndSection without Begin");
  in_section_ = false;
}

void SnapshotWriter::AddSection(uint32_t tag, const void* data, size_t n) {
  BeginSection(tag);
  Append(data, n);
  EndSection();
}

void SnapshotWriter::Finish() {
  CheckUsable();
  if (in_section_) throw Error(ErrorCode::kInvalidArgument, path_ + ": Finish inside a section");
  WriteZeros((8 - offset_ % 8) % 8);
  const uint64_t table_offset = offset_;
  std::string table;
  PutFixed32(&table, static_cast<uint32_t>(sections_.size()));
  PutFixed32(&table, 0);
  for (const auto& s : sections_) {
    PutFixed32(&table, s.tag);
    PutFixed32(&table, 0);
    PutFixed64(&table, s.offset);
    PutFixed64(&table, s.length);
    PutFixed32(&table, crc32c::Mask(s.crc));
    PutFixed32(&table, 0);
  }
  std::string footer;
  PutFixed64(&footer, table_offset);
  PutFixed32(&footer, static_cast<uint32_t>(table.size()));
  PutFixed32(&footer, crc32c::Mask(crc32c::Value(table.data(), table.size())));
  PutFixed32(&footer, kSnapshotFormatVersion);
  PutFixed32(&footer, crc32c::Mask(crc32c::Value(footer.data(), footer.size())));
  footer.append(kSnapshotFooterMagic, sizeof kSnapshotFooterMagic);
  Write(table.data(), table.size());
  Write(footer.data(), footer.size());
  Flush();
  try {
    file_->Sync();
    file_->Close();
  } catch (...) {
    failed_ = true;
    throw;
  }
  finished_ = true;
}

// ---- SnapshotReader -----------------------------------------------------------

void SnapshotReader::Corrupt(const std::string& what, uint64_t offset) const {
  throw Error(ErrorCode::kCorruption, path_ + ": " + what + " at offset " + std::to_string(offset));
}

SnapshotReader SnapshotReader::Open(Env* env, const std::string& path, bool verify_checksums) {
  SnapshotReader r;
  r.path_ = path;
  r.file_ = env->NewRandomAccessFile(path);
  uint64_t size = r.file_->Size();
  if (size < kSnapshotAlignment + kSnapshotFooterSize) {
    r.Corrupt("file too short for a snapshot (" + std::to_string(size) + " bytes)", size);
  }
  r.map_ = MmapRegion::MapFd(r.file_->fd(), path, 0, static_cast<size_t>(size), MapMode::kReadOnly);
  r.Parse();
  if (verify_checksums) r.VerifyChecksums();
  return r;
}

void SnapshotReader::Parse() {
  const char* base = map_.data();
  const uint64_t size = map_.size();

  // Header.
  if (std::memcmp(base, kSnapshotMagic, sizeof kSnapshotMagic) != 0) {
    Corrupt("bad snapshot magic", 0);
  }
  if (crc32c::Unmask(DecodeFixed32(base + 28)) != crc32c::Value(base, 28)) {
    Corrupt("bad snapshot header checksum", 0);
  }
  version_ = DecodeFixed32(base + 8);
  if (version_ == 0 || version_ > kSnapshotFormatVersion) {
    Corrupt("unsupported snapshot format version " + std::to_string(version_) +
                " (this build reads version " + std::to_string(kSnapshotFormatVersion) + ")",
            8);
  }
  flags_ = DecodeFixed32(base + 12);
  generation_ = DecodeFixed64(base + 16);
  if (DecodeFixed32(base + 24) != 0) Corrupt("nonzero reserved header field", 24);
  if (version_ >= 2) {
    if (crc32c::Unmask(DecodeFixed32(base + 48)) != crc32c::Value(base + 32, DbId::kSize)) {
      Corrupt("bad snapshot database id checksum", 32);
    }
    id_ = DbId::FromBytes(base + 32);
  }

  // Footer.
  const uint64_t foot = size - kSnapshotFooterSize;
  const char* f = base + foot;
  if (std::memcmp(f + 24, kSnapshotFooterMagic, sizeof kSnapshotFooterMagic) != 0) {
    Corrupt("bad snapshot footer magic (file truncated or extended?)", foot + 24);
  }
  if (crc32c::Unmask(DecodeFixed32(f + 20)) != crc32c::Value(f, 20)) {
    Corrupt("bad snapshot footer checksum", foot);
  }
  if (DecodeFixed32(f + 16) != version_) Corrupt("footer version differs from header", foot + 16);
  const uint64_t table_offset = DecodeFixed64(f);
  const uint64_t table_length = DecodeFixed32(f + 8);
  if (table_offset < kSnapshotAlignment || table_offset % 8 != 0 || table_offset > foot ||
      table_length != foot - table_offset) {
    Corrupt("section table out of bounds", foot);
  }
  const char* t = base + table_offset;
  if (crc32c::Unmask(DecodeFixed32(f + 12)) != crc32c::Value(t, table_length)) {
    Corrupt("bad section table checksum", table_offset);
  }

  // Table.
  if (table_length < 8) Corrupt("section table too short", table_offset);
  const uint64_t count = DecodeFixed32(t);
  if (DecodeFixed32(t + 4) != 0) Corrupt("nonzero reserved table field", table_offset + 4);
  if ((table_length - 8) / kSnapshotTableEntrySize != count ||
      (table_length - 8) % kSnapshotTableEntrySize != 0) {
    Corrupt("section count does not match the table length", table_offset);
  }
  sections_.clear();
  sections_.reserve(static_cast<size_t>(count));
  uint64_t prev_end = kSnapshotAlignment;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t at = table_offset + 8 + i * kSnapshotTableEntrySize;
    const char* e = base + at;
    SnapshotSection s;
    s.tag = DecodeFixed32(e);
    s.offset = DecodeFixed64(e + 8);
    s.length = DecodeFixed64(e + 16);
    s.crc = crc32c::Unmask(DecodeFixed32(e + 24));
    if (DecodeFixed32(e + 4) != 0 || DecodeFixed32(e + 28) != 0) {
      Corrupt("nonzero reserved field in section table entry", at);
    }
    if (s.offset % kSnapshotAlignment != 0) Corrupt("misaligned section", at);
    if (s.offset < prev_end) Corrupt("sections overlap or are out of order", at);
    if (s.offset > table_offset || s.length > table_offset - s.offset) {
      Corrupt("section out of bounds", at);
    }
    for (const auto& other : sections_) {
      if (other.tag == s.tag) Corrupt("duplicate section tag " + TagName(s.tag), at);
    }
    prev_end = s.offset + s.length;
    sections_.push_back(s);
  }
}

void SnapshotReader::VerifyChecksums(std::span<const uint32_t> skip) const {
  map_.Advise(Advice::kSequential);
  for (const auto& s : sections_) {
    if (std::find(skip.begin(), skip.end(), s.tag) == skip.end()) VerifySection(s);
  }
  map_.Advise(Advice::kNormal);
}

void SnapshotReader::VerifySection(const SnapshotSection& s) const {
  uint32_t crc = crc32c::Value(map_.data() + s.offset, static_cast<size_t>(s.length));
  if (crc != s.crc) Corrupt("bad checksum of section " + TagName(s.tag), s.offset);
}

void SnapshotReader::CopySection(const SnapshotSection& s, char* dst) const {
  constexpr size_t kPiece = size_t{4} << 20;  // fits in L2/L3: crc reads it hot
  uint32_t crc = 0;
  for (uint64_t done = 0; done < s.length;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kPiece, s.length - done));
    if (file_->Read(s.offset + done, n, dst + done) != n)
      Corrupt("section " + TagName(s.tag) + " ends early", s.offset + done);
    crc = crc32c::Extend(crc, dst + done, n);
    done += n;
  }
  if (crc != s.crc) Corrupt("bad checksum of section " + TagName(s.tag), s.offset);
}

std::optional<SnapshotSection> SnapshotReader::Find(uint32_t tag) const {
  for (const auto& s : sections_) {
    if (s.tag == tag) return s;
  }
  return std::nullopt;
}

std::optional<std::span<const char>> SnapshotReader::Section(uint32_t tag) const {
  auto s = Find(tag);
  if (!s) return std::nullopt;
  return std::span<const char>(map_.data() + s->offset, static_cast<size_t>(s->length));
}

}  // namespace herondb
