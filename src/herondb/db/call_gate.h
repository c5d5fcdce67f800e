// CallGate: counts the calls running through a handle so that closing it can
// wait for them.
//
// Contract:
// - Enter() admits a call and returns true, or returns false at once when the
//   gate is closed; it never waits. Every admitted call must Exit() exactly
//   once (CallGate::Pass does both, RAII).
// - Close() shuts the gate (later Enter() calls fail) and waits until every
//   admitted call has exited; it returns true for the call that shut it and
//   false when it was already shut (that call still waits). A thread must
//   not Close() a gate it is itself inside: it would wait for itself.
// - Thread-safe; the wait happens on a condition variable, so callers that
//   hold other locks (the Python GIL) must release them first.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace herondb {

class CallGate {
 public:
  bool Enter() {
    std::lock_guard lk(mu_);
    if (closed_) return false;
    ++active_;
    return true;
  }
  void Exit() {
    std::lock_guard lk(mu_);
    if (--active_ == 0 && closed_) idle_.notify_all();
  }
  bool Close() {
    std::unique_lock lk(mu_);
    const bool first = !closed_;
    closed_ = true;
    idle_.wait(lk, [this] { return active_ == 0; });
    return first;
  }
  bool closed() const {
    std::lock_guard lk(mu_);
    return closed_;
  }

  // Enter() for the lifetime of the object; admitted() says whether it got in.
  class Pass {
   public:
    explicit Pass(CallGate& gate) : gate_(gate.Enter() ? &gate : nullptr) {}
    ~Pass() {
      if (gate_) gate_->Exit();
    }
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;
    bool admitted() const { return gate_ != nullptr; }

   private:
    CallGate* gate_;
  };

 private:
  mutable std::mutex mu_;
  std::condition_variable idle_;
  size_t active_ = 0;
  bool closed_ = false;
};

}  // namespace herondb
