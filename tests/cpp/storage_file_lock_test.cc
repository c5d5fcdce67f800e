#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "herondb/storage/file_lock.h"
#include "storage_test_util.h"

namespace herondb {
namespace {

using testing::ExpectError;
using testing::ReadAll;
using testing::TempDir;
using testing::WriteAll;

// In a forked child: 0 if Acquire fails with kLocked, 1 if it succeeds,
// 2 on any other outcome.
int TryLockInChild(const std::string& dir) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int rc = 2;
    try {
      FileLock l = FileLock::Acquire(dir);
      rc = 1;
    } catch (const Error& e) {
      rc = e.code() == ErrorCode::kLocked ? 0 : 2;
    } catch (...) {
    }
    ::_exit(rc);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
}

TEST(FileLockTest, SecondLockInTheSameProcessFailsAtOnceUntilReleased) {
  TempDir dir;
  FileLock a = FileLock::Acquire(dir.path());
  EXPECT_TRUE(a.held());
  std::string msg = ExpectError(ErrorCode::kLocked, [&] { FileLock::Acquire(dir.path()); });
  EXPECT_NE(msg.find("database " + dir.path() + " is locked"), std::string::npos) << msg;
  EXPECT_NE(msg.find("pid " + std::to_string(::getpid())), std::string::npos) << msg;
  a.Release();
  EXPECT_FALSE(a.held());
  FileLock b = FileLock::Acquire(dir.path());
  EXPECT_TRUE(b.held());
}

TEST(FileLockTest, ForkedChildIsLockedOutAndSucceedsAfterRelease) {
  TempDir dir;
  {
    FileLock a = FileLock::Acquire(dir.path());
    EXPECT_EQ(TryLockInChild(dir.path()), 0);
  }  // destructor releases
  EXPECT_EQ(TryLockInChild(dir.path()), 1);
}

TEST(FileLockTest, ChildInheritingTheDescriptorDoesNotKeepTheLockAfterRelease) {
  TempDir dir;
  FileLock a = FileLock::Acquire(dir.path());
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  pid_t pid = ::fork();
  if (pid == 0) {  // holds a copy of the lock's descriptor until the pipe closes
    ::close(pipefd[1]);
    char c;
    [[maybe_unused]] ssize_t n = ::read(pipefd[0], &c, 1);
    ::_exit(0);
  }
  ::close(pipefd[0]);
  a.Release();
  EXPECT_NO_THROW(FileLock::Acquire(dir.path()));
  ::close(pipefd[1]);
  ::waitpid(pid, nullptr, 0);
}

TEST(FileLockTest, MovedLockStaysHeld) {
  TempDir dir;
  FileLock a = FileLock::Acquire(dir.path());
  FileLock b = std::move(a);
  EXPECT_FALSE(a.held());
  EXPECT_TRUE(b.held());
  ExpectError(ErrorCode::kLocked, [&] { FileLock::Acquire(dir.path()); });
}

TEST(FileLockTest, MissingDirectoryIsIOError) {
  TempDir dir;
  ExpectError(ErrorCode::kIOError, [&] { FileLock::Acquire(dir.File("nope")); });
}

TEST(FileLockTest, SymbolicLinkAsLockIsRefusedAndItsTargetUntouched) {
  TempDir dir, elsewhere;
  const std::string target = elsewhere.File("precious");
  WriteAll(target, "keep me");
  ASSERT_EQ(::symlink(target.c_str(), dir.File("LOCK").c_str()), 0);
  std::string msg = ExpectError(ErrorCode::kCorruption, [&] { FileLock::Acquire(dir.path()); });
  EXPECT_NE(msg.find("LOCK: is a symbolic link, not a regular file"), std::string::npos) << msg;
  EXPECT_EQ(ReadAll(target), "keep me");
}

TEST(FileLockTest, FifoAsLockIsRefusedWithoutBlocking) {
  TempDir dir;
  ASSERT_EQ(::mkfifo(dir.File("LOCK").c_str(), 0644), 0);
  std::string msg = ExpectError(ErrorCode::kCorruption, [&] { FileLock::Acquire(dir.path()); });
  EXPECT_NE(msg.find("is a FIFO"), std::string::npos) << msg;
}

TEST(FileLockTest, DeletedLockDoesNotLetASecondWriterIn) {
  TempDir dir;
  FileLock first = FileLock::Acquire(dir.path());
  ASSERT_TRUE(first.directory_locked());
  std::filesystem::remove(dir.File("LOCK"));
  ExpectError(ErrorCode::kLocked, [&] { FileLock::Acquire(dir.path()); });
  EXPECT_EQ(TryLockInChild(dir.path()), 0);
  // The holder's check locks the LOCK file the failed openers left (or a new one).
  first.Check();
  EXPECT_TRUE(std::filesystem::exists(dir.File("LOCK")));
  std::filesystem::remove(dir.File("LOCK"));
  first.Check();  // creates it again
  EXPECT_TRUE(std::filesystem::exists(dir.File("LOCK")));
  EXPECT_EQ(TryLockInChild(dir.path()), 0);
  first.Release();
  EXPECT_EQ(TryLockInChild(dir.path()), 1);
}

TEST(FileLockTest, ReplacedLockHeldByAnotherOpenerFailsTheCheckLoudly) {
  TempDir dir;
  FileLock first = FileLock::Acquire(dir.path());
  std::filesystem::remove(dir.File("LOCK"));
  // An older herondb (LOCK only) takes the new LOCK file.
  int fd = ::open(dir.File("LOCK").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  std::string msg = ExpectError(ErrorCode::kLocked, [&] { first.Check(); });
  EXPECT_NE(msg.find("was replaced while this handle held it"), std::string::npos) << msg;
  ::close(fd);
  first.Check();  // free again: taken over
}

TEST(FileLockTest, MovedDirectoryFailsTheCheck) {
  TempDir dir;
  const std::string path = dir.File("db");
  std::filesystem::create_directory(path);
  FileLock lock = FileLock::Acquire(path);
  std::filesystem::rename(path, dir.File("moved"));
  std::filesystem::create_directory(path);
  std::string msg = ExpectError(ErrorCode::kLocked, [&] { lock.Check(); });
  EXPECT_NE(msg.find("moved or replaced"), std::string::npos) << msg;
}

}  // namespace
}  // namespace herondb
