#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <string>

#include "herondb/storage/coding.h"
#include "herondb/storage/crc32c.h"
#include "herondb/storage/fault_injection_env.h"
#include "herondb/storage/manifest.h"
#include "storage_test_util.h"

namespace herondb {
namespace {

using testing::ExpectError;
using testing::ReadAll;
using testing::TempDir;
using testing::WriteAll;

TEST(ManifestTest, NoCurrentMeansNoDatabase) {
  TempDir dir;
  EXPECT_FALSE(ReadCurrent(Env::Default(), dir.path()).has_value());
  WriteAll(dir.File(kCurrentTempFileName), "partial");
  EXPECT_FALSE(ReadCurrent(Env::Default(), dir.path()).has_value());
}

TEST(ManifestTest, RoundTripsGenerationAndExtra) {
  TempDir dir;
  WriteCurrent(Env::Default(), dir.path(), 1, "hello");
  auto c = ReadCurrent(Env::Default(), dir.path());
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->generation, 1u);
  EXPECT_EQ(c->extra, "hello");
  WriteCurrent(Env::Default(), dir.path(), 123456789012ull);
  c = ReadCurrent(Env::Default(), dir.path());
  EXPECT_EQ(c->generation, 123456789012ull);
  EXPECT_EQ(c->extra, "");
  EXPECT_FALSE(Env::Default()->FileExists(dir.File(kCurrentTempFileName)));
}

TEST(ManifestTest, WriteSyncsFileAndDirectoryAndRenames) {
  TempDir dir;
  FaultInjectionEnv env;
  WriteCurrent(&env, dir.path(), 2);
  EXPECT_EQ(env.rename_count(), 1u);
  EXPECT_EQ(env.sync_count(), 3u);  // dir before, CURRENT.tmp, dir after
}

TEST(ManifestTest, FailedRenameOrSyncKeepsTheOldCurrent) {
  TempDir dir;
  FaultInjectionEnv env;
  WriteCurrent(&env, dir.path(), 1);
  env.FailRenameAfter(0, EIO);
  ExpectError(ErrorCode::kIOError, [&] { WriteCurrent(&env, dir.path(), 2); });
  EXPECT_EQ(ReadCurrent(&env, dir.path())->generation, 1u);
  EXPECT_FALSE(env.FileExists(dir.File(kCurrentTempFileName)));
  env.FailSyncAfter(1, EIO);  // the CURRENT.tmp fsync
  ExpectError(ErrorCode::kIOError, [&] { WriteCurrent(&env, dir.path(), 2); });
  EXPECT_EQ(ReadCurrent(&env, dir.path())->generation, 1u);
  env.FailWriteAfter(0, ENOSPC);
  ExpectError(ErrorCode::kIOError, [&] { WriteCurrent(&env, dir.path(), 2); });
  EXPECT_EQ(ReadCurrent(&env, dir.path())->generation, 1u);
}

TEST(ManifestTest, DamagedCurrentIsCorruptionNamingTheFile) {
  TempDir dir;
  WriteCurrent(Env::Default(), dir.path(), 5, "xyz");
  std::string good = ReadAll(dir.File(kCurrentFileName));
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x10;
    WriteAll(dir.File(kCurrentFileName), bad);
    std::string msg =
        ExpectError(ErrorCode::kCorruption, [&] { ReadCurrent(Env::Default(), dir.path()); });
    ASSERT_NE(msg.find(dir.File(kCurrentFileName) + ": "), std::string::npos) << msg;
  }
  for (size_t cut = 0; cut < good.size(); ++cut) {
    WriteAll(dir.File(kCurrentFileName), good.substr(0, cut));
    ExpectError(ErrorCode::kCorruption, [&] { ReadCurrent(Env::Default(), dir.path()); });
  }
}

TEST(ManifestTest, FileNamesRoundTrip) {
  EXPECT_EQ(SnapshotFileName(1), "snapshot-000001.hdb");
  EXPECT_EQ(LogFileName(42), "wal-000042.log");
  EXPECT_EQ(LogFileName(12345678), "wal-12345678.log");
  auto p = ParseDbFileName("snapshot-000007.hdb");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->kind, DbFileKind::kSnapshot);
  EXPECT_EQ(p->generation, 7u);
  EXPECT_EQ(ParseDbFileName(LogFileName(99))->generation, 99u);
  EXPECT_EQ(ParseDbFileName("CURRENT")->kind, DbFileKind::kCurrent);
  EXPECT_EQ(ParseDbFileName("LOCK")->kind, DbFileKind::kLock);
  for (const char* foreign : {"wal-.log", "wal-1x.log", "snapshot-1.hdbx", "wal--1.log",
                              "wal-+1.log", "notes.txt", "snapshot-99999999999999999999999.hdb"}) {
    EXPECT_FALSE(ParseDbFileName(foreign).has_value()) << foreign;
  }
}

TEST(ManifestTest, ObsoleteFilesAreOtherGenerationsAndTheTempFile) {
  TempDir dir;
  for (const std::string& n :
       {SnapshotFileName(1), LogFileName(1), SnapshotFileName(2), LogFileName(2),
        SnapshotFileName(3), std::string("LOCK"), std::string("user-notes.txt")}) {
    WriteAll(dir.File(n), "x");
  }
  WriteCurrent(Env::Default(), dir.path(), 2);
  WriteAll(dir.File(kCurrentTempFileName), "left over by a crash");
  auto removed = RemoveObsoleteFiles(Env::Default(), dir.path(), 2);
  EXPECT_EQ(removed, (std::vector<std::string>{"CURRENT.tmp", "snapshot-000001.hdb",
                                               "snapshot-000003.hdb", "wal-000001.log"}));
  auto left = Env::Default()->ListDir(dir.path());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"CURRENT", "LOCK", "snapshot-000002.hdb",
                                            "user-notes.txt", "wal-000002.log"}));
}

TEST(ManifestTest, CurrentRecordsTheDatabaseIdAndReadsVersionOne) {
  TempDir dir;
  const DbId id = DbId::Random();
  WriteCurrent(Env::Default(), dir.path(), 7, "x", id);
  auto c = ReadCurrent(Env::Default(), dir.path());
  EXPECT_EQ(c->id, id);
  EXPECT_EQ(c->version, kCurrentFormatVersion);
  EXPECT_EQ(c->extra, "x");
  // The version-1 layout: no id field.
  std::string v1(kCurrentMagic, sizeof kCurrentMagic);
  storage::PutFixed32(&v1, 1);
  storage::PutFixed32(&v1, 0);
  storage::PutFixed64(&v1, 9);
  storage::PutFixed32(&v1, crc32c::Mask(crc32c::Value(v1.data(), v1.size())));
  WriteAll(dir.File("CURRENT"), v1);
  c = ReadCurrent(Env::Default(), dir.path());
  EXPECT_EQ(c->generation, 9u);
  EXPECT_EQ(c->version, 1u);
  EXPECT_TRUE(c->id.empty());
}

TEST(ManifestTest, OversizedCurrentIsCorruptionWithoutReadingIt) {
  TempDir dir;
  WriteCurrent(Env::Default(), dir.path(), 1);
  std::filesystem::resize_file(dir.File("CURRENT"), uint64_t{1} << 32);  // sparse
  std::string msg =
      ExpectError(ErrorCode::kCorruption, [&] { ReadCurrent(Env::Default(), dir.path()); });
  EXPECT_NE(msg.find("too large"), std::string::npos) << msg;
}

TEST(ManifestTest, WriteCurrentSaysWhetherTheRenameHappened) {
  TempDir dir;
  FaultInjectionEnv env;
  WriteCurrent(&env, dir.path(), 1);
  bool renamed = true;
  env.FailRenameAfter(0, EIO);
  ExpectError(ErrorCode::kIOError, [&] { WriteCurrent(&env, dir.path(), 2, {}, {}, &renamed); });
  EXPECT_FALSE(renamed);
  env.FailSyncAfter(2, EIO);  // dir sync, file sync, then the final dir sync
  ExpectError(ErrorCode::kIOError, [&] { WriteCurrent(&env, dir.path(), 3, {}, {}, &renamed); });
  EXPECT_TRUE(renamed);
  EXPECT_EQ(ReadCurrent(&env, dir.path())->generation, 3u);
}

TEST(ManifestTest, DecodeNeverReadsOutOfBoundsOnAnyPrefix) {
  const std::string good = EncodeCurrent(5, DbId::Random(), "extra");
  for (size_t n = 0; n < good.size(); ++n)
    ExpectError(ErrorCode::kCorruption, [&] { DecodeCurrent(good.substr(0, n), "C"); });
  EXPECT_EQ(DecodeCurrent(good, "C").generation, 5u);
}

}  // namespace
}  // namespace herondb
