// Database identity and damage refused at open (issue 11): the id in
// CURRENT, snapshot and log; databases of the version-1 layout (no id);
// a missing CURRENT beside database files; save() failing at any I/O step,
// file opens included (EMFILE), before the switch to the new generation.
#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <map>

#include "herondb/db/database.h"
#include "herondb/db/recover.h"
#include "herondb/storage/coding.h"
#include "herondb/storage/crc32c.h"
#include "herondb/storage/fault_injection_env.h"
#include "herondb/storage/log_format.h"
#include "herondb/storage/manifest.h"
#include "herondb/storage/snapshot_file.h"
#include "storage_test_util.h"

namespace herondb {
namespace {

using storage::EncodeFixed32;
using storage::PutFixed32;
using storage::PutFixed64;
using testing::ExpectError;
using testing::ReadAll;
using testing::TempDir;
using testing::WriteAll;

constexpr uint32_t kDim = 4;

std::unique_ptr<Database> Open(const std::string& dir, bool create = false, Env* env = nullptr,
                               bool read_only = false) {
  DatabaseOptions o;
  if (create) o.dim = kDim;
  o.env = env;
  o.read_only = read_only;
  o.threads = 1;
  return std::make_unique<Database>(dir, o);
}

void Add(Database& db, const std::string& id, float x) {
  std::vector<float> v{x, 1, 2, 3};
  db.Add(PutEntry{id, v.data(), true, nullptr});
}

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string Only(const std::string& dir, const std::string& prefix) {
  for (const std::string& f : Files(dir))
    if (f.rfind(prefix, 0) == 0) return f;
  return "";
}

// Rewrites a database's files into the version-1 layout that herondb wrote
// before database ids (CURRENT v1, snapshot v1, log v1), as the main branch
// of 2026-12-03 left them.
void DowngradeToVersion1(const std::string& dir) {
  const uint64_t gen = ReadCurrent(Env::Default(), dir)->generation;
  {
    std::string c(kCurrentMagic, sizeof kCurrentMagic);
    PutFixed32(&c, 1);
    PutFixed32(&c, 0);
    PutFixed64(&c, gen);
    PutFixed32(&c, crc32c::Mask(crc32c::Value(c.data(), c.size())));
    WriteAll(dir + "/CURRENT", c);
  }
  {
    const std::string path = dir + "/" + SnapshotFileName(gen);
    std::string s = ReadAll(path);
    EncodeFixed32(s.data() + 8, 1);
    EncodeFixed32(s.data() + 28, crc32c::Mask(crc32c::Value(s.data(), 28)));
    std::fill(s.begin() + 32, s.begin() + 52, '\0');
    char* f = s.data() + s.size() - kSnapshotFooterSize;
    EncodeFixed32(f + 16, 1);
    EncodeFixed32(f + 20, crc32c::Mask(crc32c::Value(f, 20)));
    WriteAll(path, s);
  }
  {
    const std::string path = dir + "/" + LogFileName(gen);
    std::string body = ReadAll(path).substr(kLogHeaderSize);
    std::string h(kLogMagic, sizeof kLogMagic);
    PutFixed32(&h, 1);
    PutFixed32(&h, 0);
    PutFixed64(&h, gen);
    PutFixed32(&h, 0);
    PutFixed32(&h, crc32c::Mask(crc32c::Value(h.data(), h.size())));
    WriteAll(path, h + body);
  }
}

TEST(DbIdentityTest, EveryFileOfAGenerationCarriesTheSameId) {
  TempDir dir;
  auto db = Open(dir.path(), true);
  Add(*db, "a", 1);
  db->Save();
  const DbId id = db->files_id();
  EXPECT_FALSE(id.empty());
  const uint64_t gen = db->generation();
  db.reset();
  EXPECT_EQ(ReadCurrent(Env::Default(), dir.path())->id, id);
  EXPECT_EQ(SnapshotReader::Open(Env::Default(), dir.File(SnapshotFileName(gen))).db_id(), id);
  // A second database gets another id.
  TempDir other;
  auto db2 = Open(other.path(), true);
  EXPECT_NE(db2->files_id(), id);
}

TEST(DbIdentityTest, VersionOneDatabaseOpensAndGetsAnIdAtItsNextSave) {
  TempDir dir;
  {
    auto db = Open(dir.path(), true);
    Add(*db, "saved", 1);
    db->Save();
    Add(*db, "logged", 2);
  }
  DowngradeToVersion1(dir.path());
  ASSERT_EQ(ReadCurrent(Env::Default(), dir.path())->version, 1u);
  {
    auto ro = Open(dir.path(), false, nullptr, true);
    EXPECT_TRUE(ro->files_id().empty());
    EXPECT_TRUE(ro->Contains("saved") && ro->Contains("logged"));
    ro->VerifyFiles();
  }
  DbId id;
  {
    auto db = Open(dir.path());
    EXPECT_TRUE(db->files_id().empty());
    Add(*db, "appended-to-v1-log", 3);  // the v1 log takes appends
    db->Save();
    id = db->files_id();
    EXPECT_FALSE(id.empty());
  }
  auto cur = ReadCurrent(Env::Default(), dir.path());
  EXPECT_EQ(cur->version, kCurrentFormatVersion);
  EXPECT_EQ(cur->id, id);
  auto db = Open(dir.path());
  EXPECT_EQ(db->files_id(), id);
  EXPECT_EQ(db->size(), 3u);
  db->VerifyFiles();
}

TEST(DbIdentityTest, VersionOneDatabaseWithoutChangesIsRecordedAtTheNextSave) {
  TempDir dir;
  {
    auto db = Open(dir.path(), true);
    Add(*db, "a", 1);
    db->Save();
  }
  DowngradeToVersion1(dir.path());
  {
    auto db = Open(dir.path());
    db->Save();  // not a no-op: the id is due
  }
  EXPECT_FALSE(ReadCurrent(Env::Default(), dir.path())->id.empty());
}

TEST(DbIdentityTest, ForeignLogOrSnapshotOfTheSameGenerationIsCorruption) {
  TempDir a, b;
  for (const TempDir* d : {&a, &b}) {
    auto db = Open(d->path(), true);
    Add(*db, "x" + d->path(), 1);
  }
  const std::string wal = Only(a.path(), "wal-");
  ASSERT_EQ(wal, Only(b.path(), "wal-"));
  const std::string good = ReadAll(a.File(wal));
  WriteAll(a.File(wal), ReadAll(b.File(wal)));
  std::string msg = ExpectError(ErrorCode::kCorruption, [&] { Open(a.path()); });
  EXPECT_NE(msg.find(wal + ": belongs to another database"), std::string::npos) << msg;
  ExpectError(ErrorCode::kCorruption, [&] { Open(a.path(), false, nullptr, true); });
  WriteAll(a.File(wal), good);

  const std::string snap = Only(a.path(), "snapshot-");
  WriteAll(a.File(snap), ReadAll(b.File(snap)));
  msg = ExpectError(ErrorCode::kCorruption, [&] { Open(a.path()); });
  EXPECT_NE(msg.find(snap + ": belongs to another database"), std::string::npos) << msg;
}

TEST(DbIdentityTest, SnapshotOfAnotherGenerationIsCorruption) {
  TempDir dir;
  {
    auto db = Open(dir.path(), true);
    Add(*db, "a", 1);
    db->Save();
  }
  const uint64_t gen = ReadCurrent(Env::Default(), dir.path())->generation;
  const DbId id = ReadCurrent(Env::Default(), dir.path())->id;
  WriteCurrent(Env::Default(), dir.path(), gen + 1, {}, id);
  std::filesystem::rename(dir.File(SnapshotFileName(gen)), dir.File(SnapshotFileName(gen + 1)));
  std::filesystem::rename(dir.File(LogFileName(gen)), dir.File(LogFileName(gen + 1)));
  std::string msg = ExpectError(ErrorCode::kCorruption, [&] { Open(dir.path()); });
  EXPECT_NE(msg.find("holds generation"), std::string::npos) << msg;
}

TEST(DbIdentityTest, MissingCurrentBesideDatabaseFilesIsCorruptionAndChangesNothing) {
  TempDir dir;
  {
    auto db = Open(dir.path(), true);
    Add(*db, "a", 1);
  }
  std::filesystem::remove(dir.File("CURRENT"));
  const auto before = Files(dir.path());
  std::map<std::string, std::string> content;
  for (const auto& f : before) content[f] = ReadAll(dir.File(f));
  for (bool create : {true, false}) {
    std::string msg = ExpectError(ErrorCode::kCorruption, [&] { Open(dir.path(), create); });
    EXPECT_NE(msg.find("CURRENT: missing"), std::string::npos) << msg;
    EXPECT_NE(msg.find(Only(dir.path(), "wal-")), std::string::npos) << msg;
  }
  ExpectError(ErrorCode::kCorruption, [&] { Open(dir.path(), false, nullptr, true); });
  EXPECT_EQ(Files(dir.path()), before);
  for (const auto& f : before) EXPECT_EQ(ReadAll(dir.File(f)), content[f]) << f;

  // recover rewrites CURRENT; the records come back.
  RecoverResult r = RecoverDatabase(dir.path());
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.vectors, 1u);
  auto db = Open(dir.path());
  EXPECT_TRUE(db->Contains("a"));
}

TEST(DbIdentityTest, LeftoversOfACreationThatNeverReachedCurrentAreReplaced) {
  TempDir dir;
  { auto db = Open(dir.path(), true); }  // generation 1, nothing logged
  std::filesystem::remove(dir.File("CURRENT"));
  auto db = Open(dir.path(), true);  // an interrupted creation holds no data
  EXPECT_EQ(db->size(), 0u);
}

TEST(DbIdentityTest, RecoverOfAMissingDirectoryIsInvalidAndCreatesNothing) {
  TempDir dir;
  ExpectError(ErrorCode::kInvalidArgument, [&] { RecoverDatabase(dir.File("none")); });
  EXPECT_FALSE(std::filesystem::exists(dir.File("none")));
}

TEST(DbIdentityTest, RecoverRefusesWhileAWriterIsOpen) {
  TempDir dir;
  auto db = Open(dir.path(), true);
  ExpectError(ErrorCode::kLocked, [&] { RecoverDatabase(dir.path()); });
}

// save() and compact() failing at any I/O step before CURRENT switches:
// the handle stays fully usable on the old generation, the new
// generation's files are gone, and the error carries the OS's errno.
TEST(DbIdentityTest, SaveFailingBeforeTheSwitchKeepsTheHandleUsableAndRemovesItsFiles) {
  struct Kind {
    const char* name;
    int err;
  };
  const Kind kinds[] = {{"open", EMFILE}, {"write", ENOSPC}, {"sync", EIO}, {"rename", EIO}};
  int failures = 0;
  for (bool compact : {false, true}) {
    for (const Kind& kind : kinds) {
      for (int n = 0; n < 60; ++n) {
        TempDir dir;
        FaultInjectionEnv env;
        auto db = Open(dir.path(), true, &env);
        for (int i = 0; i < 5; ++i) Add(*db, "id" + std::to_string(i), static_cast<float>(i));
        db->Save();
        db->Delete("id0");
        const uint64_t gen = db->generation();
        const std::string s = kind.name;
        if (s == "open") env.FailOpenAfter(n, kind.err);
        if (s == "write") env.FailWriteAfter(n, kind.err);
        if (s == "sync") env.FailSyncAfter(n, kind.err);
        if (s == "rename") env.FailRenameAfter(n, kind.err);
        bool failed = false;
        try {
          compact ? db->Compact() : db->Save();
        } catch (const Error& e) {
          failed = true;
          ++failures;
          EXPECT_EQ(e.code(), ErrorCode::kIOError) << e.what();
          EXPECT_EQ(e.sys_errno(), kind.err) << e.what();
          EXPECT_NE(std::string(e.what()).find(ErrnoText(kind.err)), std::string::npos) << e.what();
        }
        env.Reset();
        if (!failed) break;             // n is past the last step of a save
        if (db->generation() == gen) {  // failed before the switch
          EXPECT_FALSE(std::filesystem::exists(dir.File(SnapshotFileName(gen + 1)))) << s << n;
          EXPECT_FALSE(std::filesystem::exists(dir.File(LogFileName(gen + 1)))) << s << n;
          EXPECT_FALSE(std::filesystem::exists(dir.File("CURRENT.tmp"))) << s << n;
        }
        // Fully usable: writes, and a save that now succeeds.
        Add(*db, "after", 9);
        compact ? db->Compact() : db->Save();
        db.reset();
        auto again = Open(dir.path());
        EXPECT_EQ(again->size(), 5u) << s << " " << n;
        EXPECT_TRUE(again->Contains("after") && !again->Contains("id0"));
        again->VerifyFiles();
      }
    }
  }
  EXPECT_GT(failures, 20);
}

}  // namespace
}  // namespace herondb
