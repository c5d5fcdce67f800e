// CURRENT and database file names: see manifest.h for the contract.
#include "herondb/storage/manifest.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "herondb/storage/coding.h"
#include "herondb/storage/crc32c.h"
#include "herondb/storage/file_lock.h"

namespace herondb {

using storage::DecodeFixed32;
using storage::DecodeFixed64;
using storage::PutFixed32;
using storage::PutFixed64;

namespace {

// magic, version, extra length, generation (+ id from version 2)
constexpr size_t kFixedPartV1 = 24;
constexpr size_t kFixedPartV2 = kFixedPartV1 + DbId::kSize;

std::string NumberedName(const char* prefix, uint64_t generation, const char* suffix) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%06llu%s", prefix, static_cast<unsigned long long>(generation),
                suffix);
  return buf;
}

std::optional<uint64_t> ParseNumber(std::string_view name, std::string_view prefix,
                                    std::string_view suffix) {
  if (name.size() <= prefix.size() + suffix.size()) return std::nullopt;
  if (name.substr(0, prefix.size()) != prefix) return std::nullopt;
  if (name.substr(name.size() - suffix.size()) != suffix) return std::nullopt;
  std::string_view digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  if (digits.front() == '+' || digits.front() == '-') return std::nullopt;
  return v;
}

}  // namespace

std::string SnapshotFileName(uint64_t generation) {
  return NumberedName("snapshot-", generation, ".hdb");
}
std::string LogFileName(uint64_t generation) { return NumberedName("wal-", generation, ".log"); }

std::optional<DbFileName> ParseDbFileName(std::string_view name) {
  if (name == kCurrentFileName) return DbFileName{DbFileKind::kCurrent};
  if (name == kCurrentTempFileName) return DbFileName{DbFileKind::kCurrentTemp};
  if (name == kLockFileName) return DbFileName{DbFileKind::kLock};
  if (auto g = ParseNumber(name, "snapshot-", ".hdb")) return DbFileName{DbFileKind::kSnapshot, *g};
  if (auto g = ParseNumber(name, "wal-", ".log")) return DbFileName{DbFileKind::kLog, *g};
  return std::nullopt;
}

std::string EncodeCurrent(uint64_t generation, const DbId& id, std::string_view extra) {
  std::string content(kCurrentMagic, sizeof kCurrentMagic);
  PutFixed32(&content, kCurrentFormatVersion);
  PutFixed32(&content, static_cast<uint32_t>(extra.size()));
  PutFixed64(&content, generation);
  id.AppendTo(&content);
  content.append(extra);
  PutFixed32(&content, crc32c::Mask(crc32c::Value(content.data(), content.size())));
  return content;
}

void WriteCurrent(Env* env, const std::string& dir, uint64_t generation, std::string_view extra,
                  const DbId& id, bool* renamed) {
  if (renamed != nullptr) *renamed = false;
  const std::string content = EncodeCurrent(generation, id, extra);
  const std::string tmp = JoinPath(dir, kCurrentTempFileName);
  env->SyncDir(dir);  // files created before (snapshot, log) are in the directory for good
  try {
    auto f = env->NewWritableFile(tmp);
    f->Append(content.data(), content.size());
    f->Sync();
    f->Close();
    env->RenameFile(tmp, JoinPath(dir, kCurrentFileName));
  } catch (...) {
    try {
      env->RemoveFile(tmp);
    } catch (...) {
    }
    throw;
  }
  if (renamed != nullptr) *renamed = true;
  env->SyncDir(dir);
}

CurrentInfo DecodeCurrent(std::string_view s, const std::string& path) {
  auto corrupt = [&](const std::string& what, uint64_t offset) {
    return Error(ErrorCode::kCorruption,
                 path + ": " + what + " at offset " + std::to_string(offset));
  };
  if (s.size() < kFixedPartV1 + 4) {
    throw corrupt("file too short (" + std::to_string(s.size()) + " bytes)", s.size());
  }
  if (std::memcmp(s.data(), kCurrentMagic, sizeof kCurrentMagic) != 0) {
    throw corrupt("bad magic", 0);
  }
  const size_t crc_at = s.size() - 4;
  if (crc32c::Unmask(DecodeFixed32(s.data() + crc_at)) != crc32c::Value(s.data(), crc_at)) {
    throw corrupt("bad checksum", crc_at);
  }
  const uint32_t version = DecodeFixed32(s.data() + 8);
  if (version == 0 || version > kCurrentFormatVersion) {
    throw corrupt("unsupported format version " + std::to_string(version), 8);
  }
  const size_t fixed = version == 1 ? kFixedPartV1 : kFixedPartV2;
  const uint64_t extra_len = DecodeFixed32(s.data() + 12);
  if (s.size() < fixed + 4 || extra_len != s.size() - fixed - 4) throw corrupt("bad length", 12);
  CurrentInfo info;
  info.version = version;
  info.generation = DecodeFixed64(s.data() + 16);
  if (version >= 2) {
    info.id = DbId::FromBytes(s.data() + kFixedPartV1);
  }
  info.extra = std::string(s.substr(fixed, static_cast<size_t>(extra_len)));
  return info;
}

std::optional<CurrentInfo> ReadCurrent(Env* env, const std::string& dir) {
  const std::string path = JoinPath(dir, kCurrentFileName);
  if (!env->FileExists(path)) return std::nullopt;
  auto file = env->NewRandomAccessFile(path);  // kCorruption if not a regular file
  const uint64_t size = file->Size();
  if (size > kMaxCurrentSize) {
    throw Error(ErrorCode::kCorruption, path + ": file too large for a CURRENT file (" +
                                            std::to_string(size) + " bytes) at offset 0");
  }
  std::string s(static_cast<size_t>(size) + 1, '\0');
  s.resize(file->Read(0, s.size(), s.data()));
  if (s.size() > size) {
    throw Error(ErrorCode::kCorruption,
                path + ": file grew while it was read at offset " + std::to_string(size));
  }
  return DecodeCurrent(s, path);
}

std::vector<std::string> ObsoleteFiles(Env* env, const std::string& dir, uint64_t live_generation) {
  std::vector<std::string> out;
  for (const std::string& name : env->ListDir(dir)) {
    auto parsed = ParseDbFileName(name);
    if (!parsed) continue;
    bool obsolete = false;
    switch (parsed->kind) {
      case DbFileKind::kSnapshot:
      case DbFileKind::kLog:
        obsolete = parsed->generation != live_generation;
        break;
      case DbFileKind::kCurrentTemp:
        obsolete = true;
        break;
      default:
        break;
    }
    if (obsolete) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> RemoveObsoleteFiles(Env* env, const std::string& dir,
                                             uint64_t live_generation) {
  std::vector<std::string> names = ObsoleteFiles(env, dir, live_generation);
  for (const std::string& name : names) env->RemoveFile(JoinPath(dir, name));
  if (!names.empty()) env->SyncDir(dir);
  return names;
}

}  // namespace herondb
