#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "herondb/storage/env.h"
#include "herondb/storage/fault_injection_env.h"
#include "storage_test_util.h"

namespace herondb {
namespace {

using testing::ExpectError;
using testing::ReadAll;
using testing::TempDir;
using testing::WriteAll;

TEST(EnvTest, AppendedBytesReachTheFileBeforeSyncOrClose) {
  TempDir dir;
  Env* env = Env::Default();
  auto f = env->NewWritableFile(dir.File("a"));
  f->Append("hello", 5);
  std::string_view parts[] = {" ", "", "world"};
  f->AppendParts(parts);
  EXPECT_EQ(f->Size(), 11u);
  EXPECT_EQ(ReadAll(dir.File("a")), "hello world");  // no Sync, no Close
  f->Sync();
  f->Truncate(5);
  f->Append("!", 1);
  f->Close();
  EXPECT_EQ(env->ReadFileToString(dir.File("a")), "hello!");
  EXPECT_EQ(env->GetFileSize(dir.File("a")), 6u);
}

TEST(EnvTest, AppendableFileContinuesAtTheEnd) {
  TempDir dir;
  Env* env = Env::Default();
  env->NewWritableFile(dir.File("a"))->Append("abc", 3);
  auto f = env->NewAppendableFile(dir.File("a"));
  EXPECT_EQ(f->Size(), 3u);
  f->Append("def", 3);
  EXPECT_EQ(ReadAll(dir.File("a")), "abcdef");
}

TEST(EnvTest, ManyPartsAreWrittenInOrder) {
  TempDir dir;
  auto f = Env::Default()->NewWritableFile(dir.File("a"));
  std::vector<std::string> strs;
  std::string expect;
  for (int i = 0; i < 300; ++i) {
    strs.push_back(std::to_string(i) + ",");
    expect += strs.back();
  }
  std::vector<std::string_view> parts(strs.begin(), strs.end());
  f->AppendParts(parts);
  EXPECT_EQ(ReadAll(dir.File("a")), expect);
}

TEST(EnvTest, RandomAccessReadsAtOffsetsAndStopsAtEnd) {
  TempDir dir;
  testing::WriteAll(dir.File("r"), "0123456789");
  auto f = Env::Default()->NewRandomAccessFile(dir.File("r"));
  char buf[16];
  EXPECT_EQ(f->Read(3, 4, buf), 4u);
  EXPECT_EQ(std::string(buf, 4), "3456");
  EXPECT_EQ(f->Read(8, 10, buf), 2u);
  EXPECT_EQ(f->Size(), 10u);
  EXPECT_GE(f->fd(), 0);
}

TEST(EnvTest, DirectoryOperations) {
  TempDir dir;
  Env* env = Env::Default();
  std::string sub = dir.File("x/y/z");
  env->CreateDirs(sub);
  env->CreateDirs(sub);  // again: fine
  testing::WriteAll(JoinPath(sub, "f1"), "1");
  testing::WriteAll(JoinPath(sub, "f2"), "2");
  auto names = env->ListDir(sub);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"f1", "f2"}));
  env->RenameFile(JoinPath(sub, "f1"), JoinPath(sub, "f2"));
  EXPECT_FALSE(env->FileExists(JoinPath(sub, "f1")));
  EXPECT_EQ(env->ReadFileToString(JoinPath(sub, "f2")), "1");
  env->SyncDir(sub);
  env->RemoveFile(JoinPath(sub, "f2"));
  EXPECT_TRUE(env->ListDir(sub).empty());
}

TEST(EnvTest, ErrorsCarryOperationPathReasonAndErrno) {
  TempDir dir;
  Env* env = Env::Default();
  std::string missing = dir.File("missing");
  try {
    env->NewRandomAccessFile(missing);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIOError);
    EXPECT_EQ(e.sys_errno(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("open " + missing + ": No such file"), std::string::npos)
        << e.what();
  }
  ExpectError(ErrorCode::kIOError, [&] { env->RemoveFile(missing); });
  ExpectError(ErrorCode::kIOError, [&] { env->GetFileSize(missing); });
  ExpectError(ErrorCode::kIOError, [&] { env->ListDir(missing); });
  ExpectError(ErrorCode::kIOError, [&] { env->RenameFile(missing, dir.File("b")); });
}

TEST(EnvTest, ReadOnlyDirectoryRaisesPermissionDenied) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  TempDir dir;
  std::string ro = dir.File("ro");
  Env::Default()->CreateDirs(ro);
  ::chmod(ro.c_str(), 0555);
  try {
    Env::Default()->NewWritableFile(JoinPath(ro, "f"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIOError);
    EXPECT_EQ(e.sys_errno(), EACCES);
  }
  ::chmod(ro.c_str(), 0755);
}

TEST(EnvTest, DevicesAreRefusedAsNotRegularFiles) {
  // /dev/full used to be written to (ENOSPC): devices are no database files.
  for (const char* dev : {"/dev/full", "/dev/zero", "/dev/null"}) {
    if (::access(dev, R_OK | W_OK) != 0) continue;
    std::string msg =
        ExpectError(ErrorCode::kCorruption, [&] { Env::Default()->NewRandomAccessFile(dev); });
    EXPECT_NE(msg.find("character device, not a regular file"), std::string::npos) << msg;
    ExpectError(ErrorCode::kCorruption, [&] { Env::Default()->NewAppendableFile(dev); });
    ExpectError(ErrorCode::kCorruption, [&] { Env::Default()->ReadFileToString(dev); });
  }
}

TEST(EnvTest, FifoIsRefusedWithoutBlocking) {
  TempDir dir;
  const std::string fifo = dir.File("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  // Without O_NONBLOCK each of these would wait for a peer forever.
  std::string msg =
      ExpectError(ErrorCode::kCorruption, [&] { Env::Default()->NewRandomAccessFile(fifo); });
  EXPECT_NE(msg.find(fifo + ": is a FIFO, not a regular file"), std::string::npos) << msg;
  ExpectError(ErrorCode::kCorruption, [&] { Env::Default()->NewAppendableFile(fifo); });
  ExpectError(ErrorCode::kCorruption, [&] { Env::Default()->NewWritableFile(fifo); });
}

TEST(EnvTest, WritableFilesDoNotFollowSymbolicLinks) {
  TempDir dir;
  const std::string target = dir.File("target");
  WriteAll(target, "keep");
  const std::string link = dir.File("link");
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  std::string msg =
      ExpectError(ErrorCode::kCorruption, [&] { Env::Default()->NewWritableFile(link); });
  EXPECT_NE(msg.find("symbolic link"), std::string::npos) << msg;
  ExpectError(ErrorCode::kCorruption, [&] { Env::Default()->NewAppendableFile(link); });
  EXPECT_EQ(ReadAll(target), "keep");
  // Reading through a link to a regular file works.
  EXPECT_EQ(Env::Default()->ReadFileToString(link), "keep");
}

TEST(FaultInjectionEnvTest, FailsTheNthWriteAcrossFilesThenRecovers) {
  TempDir dir;
  FaultInjectionEnv env;
  auto a = env.NewWritableFile(dir.File("a"));
  auto b = env.NewWritableFile(dir.File("b"));
  env.FailWriteAfter(2, ENOSPC);
  a->Append("1", 1);
  b->Append("2", 1);
  try {
    a->Append("3", 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIOError);
    EXPECT_EQ(e.sys_errno(), ENOSPC);
    EXPECT_NE(std::string(e.what()).find("injected"), std::string::npos);
  }
  a->Append("4", 1);  // one-shot: later writes succeed
  EXPECT_EQ(ReadAll(dir.File("a")), "14");
  EXPECT_EQ(env.write_count(), 3u);
  EXPECT_EQ(env.failed_count(), 1u);
}

TEST(FaultInjectionEnvTest, FailAllWritesKeepsFailingUntilReset) {
  TempDir dir;
  FaultInjectionEnv env;
  auto a = env.NewWritableFile(dir.File("a"));
  env.FailAllWritesAfter(1, EIO);
  a->Append("1", 1);
  for (int i = 0; i < 3; ++i) {
    ExpectError(ErrorCode::kIOError, [&] { a->Append("x", 1); });
  }
  env.Reset();
  a->Append("2", 1);
  EXPECT_EQ(ReadAll(dir.File("a")), "12");
  EXPECT_EQ(env.failed_count(), 3u);
}

TEST(FaultInjectionEnvTest, PartialWriteLeavesAPrefixThatTruncateRemoves) {
  TempDir dir;
  FaultInjectionEnv env;
  auto a = env.NewWritableFile(dir.File("a"));
  a->Append("ok", 2);
  env.SetPartialWrite(3);
  env.FailWriteAfter(0, ENOSPC);
  ExpectError(ErrorCode::kIOError, [&] { a->Append("abcdef", 6); });
  EXPECT_EQ(ReadAll(dir.File("a")), "okabc");
  EXPECT_EQ(a->Size(), 2u);
  a->Truncate(a->Size());
  EXPECT_EQ(ReadAll(dir.File("a")), "ok");
}

TEST(FaultInjectionEnvTest, SyncsAndRenamesCanFail) {
  TempDir dir;
  FaultInjectionEnv env;
  auto a = env.NewWritableFile(dir.File("a"));
  env.FailSyncAfter(1, EIO);
  a->Sync();
  ExpectError(ErrorCode::kIOError, [&] { env.SyncDir(dir.path()); });
  a->Sync();
  EXPECT_EQ(env.sync_count(), 2u);
  env.FailRenameAfter(0, EACCES);
  ExpectError(ErrorCode::kIOError, [&] { env.RenameFile(dir.File("a"), dir.File("b")); });
  env.RenameFile(dir.File("a"), dir.File("b"));
  EXPECT_EQ(env.rename_count(), 1u);
  env.ResetCounters();
  EXPECT_EQ(env.sync_count() + env.rename_count() + env.failed_count(), 0u);
}

TEST(FaultInjectionEnvTest, PowerLossDropsUnsyncedDataAndUndoesUnsyncedDirectoryOps) {
  TempDir dir;
  WriteAll(dir.File("old"), "old-content");
  WriteAll(dir.File("doomed"), "doomed-content");
  FaultInjectionEnv env;
  env.SimulatePowerLoss(true);
  env.SyncDir(dir.path());
  {
    auto f = env.NewWritableFile(dir.File("durable"));
    f->Append("abc", 3);
    f->Sync();
    f->Append("def", 3);  // never synced
  }
  env.SyncDir(dir.path());  // "durable" exists for good, with 3 synced bytes
  {
    auto f = env.NewWritableFile(dir.File("fresh"));  // created, never dir-synced
    f->Append("x", 1);
    f->Sync();
  }
  {
    auto t = env.NewWritableFile(dir.File("tmp"));
    t->Append("new-content", 11);
    t->Sync();
  }
  env.RenameFile(dir.File("tmp"), dir.File("old"));  // not dir-synced
  env.RemoveFile(dir.File("doomed"));                // not dir-synced
  EXPECT_EQ(ReadAll(dir.File("old")), "new-content");
  env.CutPowerAfter(0);
  ExpectError(ErrorCode::kIOError, [&] { env.RemoveFile(dir.File("durable")); });
  EXPECT_TRUE(env.power_cut());
  env.DropUnsyncedData();
  EXPECT_EQ(ReadAll(dir.File("durable")), "abc");
  EXPECT_FALSE(env.FileExists(dir.File("fresh")));
  EXPECT_FALSE(env.FileExists(dir.File("tmp")));
  EXPECT_EQ(ReadAll(dir.File("old")), "old-content");
  EXPECT_EQ(ReadAll(dir.File("doomed")), "doomed-content");
  EXPECT_FALSE(env.power_cut());
}

TEST(FaultInjectionEnvTest, FailsTheNthOpenWithTheGivenErrno) {
  TempDir dir;
  FaultInjectionEnv env;
  env.FailOpenAfter(1, EMFILE);
  env.NewWritableFile(dir.File("a"));
  try {
    env.NewRandomAccessFile(dir.File("a"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.sys_errno(), EMFILE);
    EXPECT_NE(std::string(e.what()).find("Too many open files"), std::string::npos);
  }
  env.NewRandomAccessFile(dir.File("a"));  // a one-shot plan
}

}  // namespace
}  // namespace herondb
