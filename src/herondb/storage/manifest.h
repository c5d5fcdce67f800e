// The CURRENT file (which generation of the database is live) and the names
// of the files of a database directory.
//
// Files of a database directory:
//   CURRENT               names the live generation N (format below)
//   CURRENT.tmp           a CURRENT being written; never read
//   snapshot-<N>.hdb      the snapshot of generation N (snapshot_file.h)
//   wal-<N>.log           the write-ahead log of generation N: the mutations
//                         made after snapshot N (log_format.h, log number N)
//   LOCK                  the writer's process lock (file_lock.h)
// <N> is the decimal generation, zero-padded to at least 6 digits. The state
// of generation N is snapshot N with log N replayed on top. Files of any
// other generation are leftovers of an interrupted save() (N+1) or of one
// that finished but was interrupted before its cleanup (N-1); the writer
// removes them at open (RemoveObsoleteFiles). Read-only openers ignore them.
//
// Recommended save() protocol (the Database's; no mutation may be logged
// between capturing the snapshot's content and step 2):
//   1. write snapshot N+1 (SnapshotWriter::Finish fsyncs it);
//   2. LogWriter::Create(wal N+1): an empty log, its header fsynced; new
//      mutations go there from now on (the files of both steps carry the
//      database id, db_id.h, and the id goes into CURRENT too);
//   3. WriteCurrent(dir, N+1): fsyncs the directory (so both new files are
//      durable in it), writes + fsyncs CURRENT.tmp, renames it over CURRENT,
//      fsyncs the directory again;
//   4. remove snapshot N and wal N (RemoveObsoleteFiles), best effort.
// A crash before the rename in 3 leaves generation N live (N+1 files are
// removed at next open); after it, generation N+1 is live. The two states
// never mix because a log only ever applies to the snapshot of its own
// generation (the log header repeats N; check it).
// If WriteCurrent throws, *renamed tells whether CURRENT was replaced: if
// not, generation N is live (remove the N+1 files); if so, only the final
// directory fsync failed: N+1 is live but maybe not durably, so keep both
// generations' files and let the next open decide from CURRENT.
//
// CURRENT format (integers little-endian), version 2: magic "HRNDBCUR" (8) |
// u32 format version (2) | u32 extra length L | u64 generation | 16 bytes
// database id (db_id.h) | L bytes extra (the caller's) | u32 masked crc32c
// of all before. Version 1 (written before database ids existed) has no id
// field; it reads back with the zero id ("legacy"). CURRENT is at most
// kMaxCurrentSize bytes; a larger file is damage, refused before reading.
//
// Contract: ReadCurrent returns nullopt when there is no CURRENT (no
// database; a lone CURRENT.tmp means the first save never completed), the
// content otherwise, or throws Error(kCorruption, "<dir>/CURRENT: <what> at
// offset N") if it is damaged, too large, or not a regular file. I/O
// failures are kIOError. WriteCurrent sets *renamed (when given) to true
// once CURRENT has been replaced: if it throws with *renamed false, CURRENT
// is unchanged; with *renamed true only the final directory fsync failed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herondb/storage/db_id.h"
#include "herondb/storage/env.h"

namespace herondb {

inline constexpr char kCurrentFileName[] = "CURRENT";
inline constexpr char kCurrentTempFileName[] = "CURRENT.tmp";
inline constexpr char kCurrentMagic[8] = {'H', 'R', 'N', 'D', 'B', 'C', 'U', 'R'};
inline constexpr uint32_t kCurrentFormatVersion = 2;
inline constexpr uint64_t kMaxCurrentSize = 64 * 1024;

struct CurrentInfo {
  uint64_t generation = 0;
  DbId id;  // zero for a version-1 (legacy) CURRENT
  uint32_t version = kCurrentFormatVersion;
  std::string extra;
};

void WriteCurrent(Env* env, const std::string& dir, uint64_t generation,
                  std::string_view extra = {}, const DbId& id = {}, bool* renamed = nullptr);
std::optional<CurrentInfo> ReadCurrent(Env* env, const std::string& dir);
// Decodes the bytes of a CURRENT file; `path` names it in errors
// (kCorruption). ReadCurrent's parser, exposed for tests and fuzzing.
CurrentInfo DecodeCurrent(std::string_view content, const std::string& path);
// Encodes a CURRENT file (the current format version).
std::string EncodeCurrent(uint64_t generation, const DbId& id, std::string_view extra = {});

std::string SnapshotFileName(uint64_t generation);  // "snapshot-000001.hdb"
std::string LogFileName(uint64_t generation);       // "wal-000001.log"

enum class DbFileKind { kCurrent, kCurrentTemp, kSnapshot, kLog, kLock };
struct DbFileName {
  DbFileKind kind;
  uint64_t generation = 0;  // for kSnapshot and kLog
};
// Parses a file name of a database directory; nullopt for foreign names.
std::optional<DbFileName> ParseDbFileName(std::string_view name);

// Names (not paths) of the snapshot and log files of generations other than
// `live_generation`, plus CURRENT.tmp if present. Sorted.
std::vector<std::string> ObsoleteFiles(Env* env, const std::string& dir, uint64_t live_generation);
// Removes ObsoleteFiles and fsyncs the directory. Returns the names removed.
std::vector<std::string> RemoveObsoleteFiles(Env* env, const std::string& dir,
                                             uint64_t live_generation);

}  // namespace herondb
