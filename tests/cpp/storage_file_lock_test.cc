#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "herondb/storage/file_lock.h"
#include "storage_test_util.h"

namespace herondb {
namespace {

using testing::ExpectError;
using testing::TempDir;

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

}  // namespace
}  // namespace herondb
