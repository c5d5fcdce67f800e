// SlotLocks: one spin lock per slot, held while a neighbour list is read or
// rewritten during parallel insertion.
//
// Contract: Lock(s)/Unlock(s) for s < size(). Reserve(n) reallocates (all
// unlocked) and must not run beside any Lock/Unlock; HnswIndex calls it only
// from writers, before a batch starts. A lock is held for a few list words
// at a time, so spinning (with a pause) beats a mutex.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace herondb {

class SlotLocks {
 public:
  size_t size() const { return size_; }
  void Reserve(size_t n) {
    locks_.reset(new std::atomic<uint8_t>[n]);
    for (size_t i = 0; i < n; ++i) locks_[i].store(0, std::memory_order_relaxed);
    size_ = n;
  }
  void Lock(uint32_t s) const {
    auto& l = locks_[s];
    while (l.exchange(1, std::memory_order_acquire)) {
      while (l.load(std::memory_order_relaxed)) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      }
    }
  }
  void Unlock(uint32_t s) const { locks_[s].store(0, std::memory_order_release); }

 private:
  std::unique_ptr<std::atomic<uint8_t>[]> locks_;
  size_t size_ = 0;
};

}  // namespace herondb
