// One process, one open database, many handles (db/open_databases.h).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "herondb/common/error.h"
#include "herondb/db/open_databases.h"
#include "storage_test_util.h"

namespace herondb {
namespace {

using testing::TempDir;

DatabaseOptions Dim(uint32_t dim) {
  DatabaseOptions o;
  o.dim = dim;
  o.threads = 1;
  return o;
}

void AddOne(Database& db, const std::string& id) {
  std::vector<float> v(db.dim(), 1.0f);
  v[0] = static_cast<float>(id.size());
  PutEntry e;
  e.id = id;
  e.vector = v.data();
  db.Add(std::move(e));
}

TEST(OpenDatabasesTest, SecondWritableOpenSharesTheDatabase) {
  TempDir dir;
  auto a = OpenDatabase(dir.path() + "/db", Dim(4));
  auto b = OpenDatabase(dir.path() + "/db/", DatabaseOptions{});
  EXPECT_EQ(a.get(), b.get());
  AddOne(*SharedDatabase::Use(*a), "x");
  EXPECT_TRUE(SharedDatabase::Use(*b)->Contains("x"));
  EXPECT_EQ(b->counts().live, 0u);  // counts move only when refreshed
  b->RefreshCounts(*SharedDatabase::Use(*b));
  EXPECT_EQ(a->counts().live, 1u);
}

TEST(OpenDatabasesTest, MismatchingDimOrMetricIsInvalidArgument) {
  TempDir dir;
  auto a = OpenDatabase(dir.path() + "/db", Dim(4));
  try {
    OpenDatabase(dir.path() + "/db", Dim(8));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("dimension 4, not 8"), std::string::npos);
  }
  DatabaseOptions other = Dim(4);
  other.metric = Metric::kEuclidean;
  EXPECT_THROW(OpenDatabase(dir.path() + "/db", other), Error);
}

TEST(OpenDatabasesTest, LastReferenceReleasesTheLockBeforeReturning) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  auto a = OpenDatabase(path, Dim(4));
  auto b = OpenDatabase(path, DatabaseOptions{});
  a.reset();
  EXPECT_THROW(FileLock::Acquire(path), Error);  // b still holds it
  b.reset();
  FileLock lock = FileLock::Acquire(path);  // free now
  EXPECT_TRUE(lock.held());
}

TEST(OpenDatabasesTest, ReadOnlyOpensAreNotShared) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  auto w = OpenDatabase(path, Dim(4));
  SharedDatabase::Use(*w)->Save();
  DatabaseOptions ro;
  ro.read_only = true;
  auto r = OpenDatabase(path, ro);
  EXPECT_NE(r.get(), w.get());
  EXPECT_TRUE(r->read_only());
}

TEST(OpenDatabasesTest, CloseWaitsForRunningCallsAndShutsEveryHandleOut) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  auto a = OpenDatabase(path, Dim(4));
  auto b = OpenDatabase(path, DatabaseOptions{});
  std::atomic<bool> inside{false}, finished{false};
  std::thread t([&] {
    SharedDatabase::Use use(*a);
    inside = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    AddOne(*use, "late");
    finished = true;
  });
  while (!inside) std::this_thread::yield();
  EXPECT_EQ(CloseDatabasesAt(path, "test"), 1u);
  EXPECT_TRUE(finished);  // Close waited for the call inside
  t.join();
  EXPECT_TRUE(b->closed());
  try {
    SharedDatabase::Use use(*b);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("was closed (test)"), std::string::npos);
  }
  // The directory is free for a new open while the old handles linger.
  auto c = OpenDatabase(path, DatabaseOptions{});
  EXPECT_NE(c.get(), a.get());
  EXPECT_TRUE(SharedDatabase::Use(*c)->Contains("late"));
}

TEST(OpenDatabasesTest, EmptyOrNulPathIsInvalidArgument) {
  const size_t before = OpenDatabaseCount();
  EXPECT_THROW(OpenDatabase("", Dim(4)), Error);
  EXPECT_THROW(OpenDatabase(std::string("x\0y", 3), Dim(4)), Error);
  EXPECT_EQ(::access("x", F_OK), -1);
  EXPECT_EQ(OpenDatabaseCount(), before);
}

}  // namespace
}  // namespace herondb
