// PromotionTask: the one background thread a Database may run, to copy the
// blocks it opened mapped from a snapshot into memory (huge pages) while it
// already serves searches from the mapping (database_residency.cc,
// docs/storage-format.md "Vector residency").
//
// Why a thread of its own and not the shared pool (common/thread_pool.h):
// the pool runs one blocking ParallelFor at a time and has no queue; a copy
// of up to 256 MiB there would hold a worker that every other database's
// ParallelFor waits for. This thread lives only while it copies (about a
// tenth of a second per 150 MiB) and is joined, never detached.
//
// Contract:
// - Start(fn) runs fn(cancel) on a new thread unless a task is running
//   (then it returns false and changes nothing); a finished thread is
//   joined first. fn must return soon after `cancel` becomes true (it checks
//   it between chunks) and must not throw.
// - Stop() sets the cancel flag and joins; the destructor calls it, so no
//   thread outlives the owner. Wait() blocks until the running task (if
//   any) returns by itself. running() is true from Start() until fn returns.
// - Start, Wait and running may be called from any thread, also while the
//   caller holds the owner's locks (they take only this object's mutex,
//   which fn never takes while it holds the owner's locks); Stop only by
//   the owner's destructor.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace herondb {

class PromotionTask {
 public:
  using Fn = std::function<void(const std::atomic<bool>& cancel)>;

  PromotionTask() = default;
  ~PromotionTask() { Stop(); }
  PromotionTask(const PromotionTask&) = delete;
  PromotionTask& operator=(const PromotionTask&) = delete;

  bool Start(Fn fn) {
    std::lock_guard lk(mu_);
    if (running_) return false;
    if (thread_.joinable()) thread_.join();  // finished: returns at once
    cancel_.store(false, std::memory_order_relaxed);
    running_ = true;
    thread_ = std::thread([this, fn = std::move(fn)] {
      fn(cancel_);
      {
        std::lock_guard done(mu_);
        running_ = false;
      }
      cv_.notify_all();
    });
    return true;
  }

  void Wait() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [this] { return !running_; });
  }

  void Stop() {
    cancel_.store(true, std::memory_order_relaxed);
    std::thread t;
    {
      std::lock_guard lk(mu_);
      t = std::move(thread_);
    }
    if (t.joinable()) t.join();
  }

  bool running() const {
    std::lock_guard lk(mu_);
    return running_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
  std::atomic<bool> cancel_{false};
  bool running_ = false;
};

}  // namespace herondb
