// PromotionTask: the one background job a Database may have queued or
// running, to copy the blocks it opened mapped from a snapshot into memory
// (huge pages) while it already serves searches from the mapping (database_residency.cc,
// docs/storage-format.md "Vector residency").
//
// Why not the shared pool (common/thread_pool.h): the pool runs one
// blocking ParallelFor at a time and has no queue; a copy of up to 256 MiB
// there would hold a worker that every other database's ParallelFor waits
// for. Why not a thread per database either: reopening 20 collections would
// start 20 copying threads at once (issue 16: opening collections adds no
// threads beyond the pool). So every database's promotion is a job for one
// process-wide background thread (BackgroundQueue), which runs the jobs one
// after another, lives only while there are jobs (about a tenth of a second
// per 150 MiB), and is joined, never detached.
//
// Contract:
// - Start(fn) queues fn(cancel) unless a job of this task is queued or
//   running (then it returns false and changes nothing). fn must return
//   soon after `cancel` becomes true (it checks it between chunks) and must
//   not throw.
// - Stop() sets the cancel flag and waits until the job is done (a queued
//   job is dropped without running); the destructor calls it, so no job
//   outlives the owner. Wait() blocks until the job (if any) returns by
//   itself. running() is true from Start() until the job is done.
// - Start, Wait and running may be called from any thread, also while the
//   caller holds the owner's locks (they take only this object's, the job's
//   and the queue's mutexes, which fn never takes while it holds the
//   owner's locks); Stop only by the owner's destructor.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

namespace herondb {

// The jobs of every PromotionTask of the process, run in order on one
// thread that starts when a job arrives and ends when none is left.
class BackgroundQueue {
 public:
  static BackgroundQueue& Shared() {
    static BackgroundQueue queue;
    return queue;
  }
  ~BackgroundQueue() {
    std::thread t;
    {
      std::lock_guard lk(mu_);
      stopping_ = true;
      t = std::move(thread_);
    }
    if (t.joinable()) t.join();
  }
  void Post(std::function<void()> job) {
    std::thread finished;
    {
      std::lock_guard lk(mu_);
      jobs_.push_back(std::move(job));
      if (active_) return;
      active_ = true;
      finished = std::move(thread_);  // ended (active_ was false): joins at once
      thread_ = std::thread([this] { Run(); });
    }
    if (finished.joinable()) finished.join();
  }
  // Whether the queue's thread is running now (tests).
  bool active() const {
    std::lock_guard lk(mu_);
    return active_;
  }

 private:
  void Run() {
    for (;;) {
      std::function<void()> job;
      {
        std::lock_guard lk(mu_);
        if (jobs_.empty() || stopping_) {
          jobs_.clear();  // at exit: their owners are gone or never wait
          active_ = false;
          return;
        }
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }
  mutable std::mutex mu_;
  std::deque<std::function<void()>> jobs_;
  std::thread thread_;
  bool active_ = false;
  bool stopping_ = false;
};

class PromotionTask {
 public:
  using Fn = std::function<void(const std::atomic<bool>& cancel)>;

  PromotionTask() = default;
  ~PromotionTask() { Stop(); }
  PromotionTask(const PromotionTask&) = delete;
  PromotionTask& operator=(const PromotionTask&) = delete;

  bool Start(Fn fn) {
    std::lock_guard lk(mu_);
    if (job_ && !job_->Done()) return false;
    auto job = std::make_shared<Job>();
    job_ = job;
    // The queued job holds only its own state, never this task: a job that
    // Stop() dropped may still sit in the queue after the task is gone.
    BackgroundQueue::Shared().Post([job, fn = std::move(fn)] {
      {
        std::lock_guard jl(job->mu);
        if (job->done) return;  // dropped while queued
        job->started = true;
      }
      fn(job->cancel);
      {
        std::lock_guard jl(job->mu);
        job->done = true;
      }
      job->cv.notify_all();
    });
    return true;
  }

  void Wait() {
    if (auto job = Current()) {
      std::unique_lock jl(job->mu);
      job->cv.wait(jl, [&] { return job->done; });
    }
  }

  void Stop() {
    auto job = Current();
    if (!job) return;
    std::unique_lock jl(job->mu);
    job->cancel.store(true, std::memory_order_relaxed);
    if (!job->started) {
      job->done = true;  // still queued: dropped, never runs
      return;
    }
    job->cv.wait(jl, [&] { return job->done; });
  }

  bool running() const {
    auto job = Current();
    return job && !job->Done();
  }

 private:
  struct Job {
    std::mutex mu;
    std::condition_variable cv;
    std::atomic<bool> cancel{false};
    bool started = false;  // guarded by mu
    bool done = false;     // guarded by mu
    bool Done() {
      std::lock_guard jl(mu);
      return done;
    }
  };
  std::shared_ptr<Job> Current() const {
    std::lock_guard lk(mu_);
    return job_;
  }
  mutable std::mutex mu_;  // guards job_
  std::shared_ptr<Job> job_;
};

}  // namespace herondb
