// ThreadPool: a fixed set of worker threads created once and reused.
//
// Contract: ParallelFor(n, fn) runs fn(i, worker) for every i in [0, n) on the
// calling thread plus the pool's workers, and returns when all are done.
// `worker` is in [0, size()] and is unique among concurrently running calls of
// one ParallelFor, so callers can index per-worker scratch space with it.
// Work is handed out in small chunks from an atomic counter. The first
// exception thrown by fn is rethrown on the calling thread after every worker
// has stopped; remaining items are skipped. One ParallelFor runs at a time per
// pool (a mutex serializes callers); fn must not call ParallelFor on the same
// pool. TryParallelFor runs the items serially instead of waiting for a busy
// pool.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace herondb {

class ThreadPool {
 public:
  // threads == 0 means one per hardware thread (the caller counts as one).
  explicit ThreadPool(size_t threads = 0) {
    size_t total = threads ? threads : std::max<size_t>(1, std::thread::hardware_concurrency());
    for (size_t w = 1; w < total; ++w) workers_.emplace_back([this, w] { WorkerLoop(w); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Number of threads that run work, the caller included.
  size_t size() const { return workers_.size() + 1; }

  void ParallelFor(size_t n, const std::function<void(size_t, size_t)>& fn, size_t chunk = 1) {
    if (n == 0) return;
    std::unique_lock<std::mutex> call_lock(call_mu_);
    RunLocked(n, fn, chunk);
  }

  // As ParallelFor, but when another ParallelFor holds the pool it runs every
  // item on the calling thread (worker 0) instead of waiting for the pool:
  // for small jobs where waiting would cost more than running serially.
  void TryParallelFor(size_t n, const std::function<void(size_t, size_t)>& fn) {
    if (n == 0) return;
    std::unique_lock<std::mutex> call_lock(call_mu_, std::try_to_lock);
    if (!call_lock.owns_lock()) {
      for (size_t i = 0; i < n; ++i) fn(i, 0);
      return;
    }
    RunLocked(n, fn, 1);
  }

 private:
  // ParallelFor's body; call_mu_ is held.
  void RunLocked(size_t n, const std::function<void(size_t, size_t)>& fn, size_t chunk) {
    if (workers_.empty() || n <= chunk) {
      for (size_t i = 0; i < n; ++i) fn(i, 0);
      return;
    }
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = &fn;
      n_ = n;
      chunk_ = std::max<size_t>(1, chunk);
      next_.store(0, std::memory_order_relaxed);
      failed_.store(false, std::memory_order_relaxed);
      error_ = nullptr;
      active_ = workers_.size();
      ++generation_;
    }
    cv_.notify_all();
    RunItems(0);
    std::unique_lock<std::mutex> lk(mu_);
    done_cv_.wait(lk, [this] { return active_ == 0; });
    job_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

  void RunItems(size_t worker) {
    const auto& fn = *job_;
    for (;;) {
      if (failed_.load(std::memory_order_relaxed)) return;
      size_t begin = next_.fetch_add(chunk_, std::memory_order_relaxed);
      if (begin >= n_) return;
      size_t end = std::min(n_, begin + chunk_);
      try {
        for (size_t i = begin; i < end; ++i) fn(i, worker);
      } catch (...) {
        std::lock_guard<std::mutex> lk(mu_);
        if (!error_) error_ = std::current_exception();
        failed_.store(true, std::memory_order_relaxed);
        return;
      }
    }
  }

  void WorkerLoop(size_t worker) {
    size_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
      }
      RunItems(worker);
      std::lock_guard<std::mutex> lk(mu_);
      if (--active_ == 0) done_cv_.notify_one();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex call_mu_;
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(size_t, size_t)>* job_ = nullptr;
  size_t n_ = 0, chunk_ = 1, active_ = 0, generation_ = 0;
  std::atomic<size_t> next_{0};
  std::atomic<bool> failed_{false};
  std::exception_ptr error_;
  bool stop_ = false;
};

}  // namespace herondb
