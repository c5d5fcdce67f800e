// Tests of ThreadPool::ParallelFor: every item runs once; on a busy pool
// the items run on the calling thread at once instead of waiting; errors are
// rethrown on the caller.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "herondb/common/thread_pool.h"

namespace herondb {
namespace {

TEST(ThreadPool, ParallelForRunsEveryItemOnce) {
  ThreadPool pool(4);
  for (size_t n : {0, 1, 2, 7, 100}) {
    std::vector<std::atomic<int>> hits(n);
    pool.ParallelFor(n, [&](size_t i, size_t w) {
      EXPECT_LT(w, pool.size());
      hits[i].fetch_add(1);
    });
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << "n " << n << " item " << i;
  }
}

TEST(ThreadPool, ParallelForRunsOnTheCallerWhileThePoolIsBusy) {
  ThreadPool pool(2);
  std::mutex mu;
  std::condition_variable cv;
  bool inside = false, release = false;
  // Another caller holds the pool until released.
  std::thread busy([&] {
    pool.ParallelFor(1, [&](size_t, size_t) {
      std::unique_lock<std::mutex> lk(mu);
      inside = true;
      cv.notify_all();
      cv.wait(lk, [&] { return release; });
    });
  });
  {
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk, [&] { return inside; });
  }
  // Returns while the pool is still held: every item ran here, as worker 0.
  std::vector<std::thread::id> who(3);
  std::vector<size_t> worker(3, 99);
  pool.ParallelFor(3, [&](size_t i, size_t w) {
    who[i] = std::this_thread::get_id();
    worker[i] = w;
  });
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(who[i], std::this_thread::get_id());
    EXPECT_EQ(worker[i], 0u);
  }
  {
    std::lock_guard<std::mutex> lk(mu);
    release = true;
  }
  cv.notify_all();
  busy.join();
}

TEST(ThreadPool, ParallelForRethrowsAnItemsError) {
  ThreadPool pool(3);
  EXPECT_THROW(pool.ParallelFor(2,
                                   [](size_t i, size_t) {
                                     if (i == 1) throw std::runtime_error("side failed");
                                   }),
               std::runtime_error);
  // The pool still works afterwards.
  std::atomic<int> ran{0};
  pool.ParallelFor(2, [&](size_t, size_t) { ran.fetch_add(1); });
  EXPECT_EQ(ran.load(), 2);
}

}  // namespace
}  // namespace herondb
