#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

#include "herondb/common/thread_pool.h"
#include "herondb/db/compiled_filters.h"
#include "herondb/meta/value.h"

namespace herondb {
namespace {

std::shared_ptr<const Filter> AnyFilter() {
  return std::make_shared<const Filter>(Filter::Parse(Value(Object{})));
}

TEST(CompiledFiltersTest, FindsWhatWasInsertedUnderItsKey) {
  CompiledFilters c;
  auto f = AnyFilter();
  EXPECT_EQ(c.Find("k"), nullptr);
  c.Insert("k", f);
  EXPECT_EQ(c.Find("k"), f);
  EXPECT_EQ(c.Find("other"), nullptr);
}

TEST(CompiledFiltersTest, IsBoundedAndSkipsLongKeys) {
  CompiledFilters c;
  auto f = AnyFilter();
  for (size_t i = 0; i < CompiledFilters::kMaxFilters; ++i) c.Insert(std::to_string(i), f);
  EXPECT_EQ(c.size(), CompiledFilters::kMaxFilters);
  c.Insert("one more", f);  // full: emptied first
  EXPECT_EQ(c.size(), 1u);
  c.Insert(std::string(CompiledFilters::kMaxKeyBytes + 1, 'x'), f);
  EXPECT_EQ(c.size(), 1u);
}

TEST(SharedThreadPoolTest, IsOnePoolAndACallDuringAnotherRunsOnItsCaller) {
  ThreadPool& a = ThreadPool::Shared();
  EXPECT_EQ(&a, &ThreadPool::Shared());
  EXPECT_EQ(a.size(), ThreadPool::SharedThreads());
  EXPECT_FALSE(ThreadPool::SetSharedThreads(3));  // exists already
  // A nested call (the pool busy) runs inline instead of deadlocking.
  std::atomic<size_t> inner{0};
  a.ParallelFor(4, [&](size_t, size_t) { a.ParallelFor(8, [&](size_t, size_t) { ++inner; }); });
  EXPECT_EQ(inner.load(), 32u);
}

}  // namespace
}  // namespace herondb
