// SearchContext and SearchContextPool; see search_context.h for the contract.
#include "herondb/index/search_context.h"

#include <utility>

namespace herondb {

size_t SearchContext::Bytes() const {
  return visited.Bytes() + candidates.capacity() * sizeof(Neighbor) +
         found.capacity() * sizeof(Neighbor) + scored.capacity() * sizeof(uint32_t) +
         hops.capacity() * sizeof(uint32_t) + query.capacity() * sizeof(float) +
         sq8_query.w.capacity() * sizeof(int16_t) + sq8_query.hi.capacity() +
         sq8_query.lo.capacity() + gather.capacity() * sizeof(float);
}

SearchContextPool::SearchContextPool(size_t max_idle) : max_idle_(max_idle) {}

SearchContextPool::Lease SearchContextPool::Acquire() {
  std::unique_ptr<SearchContext> ctx;
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (!idle_.empty()) {
      ctx = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!ctx) ctx = std::make_unique<SearchContext>();
  ctx->distances = 0;
  return Lease(this, std::move(ctx));
}

void SearchContextPool::Release(std::unique_ptr<SearchContext> ctx) {
  std::lock_guard<std::mutex> lk(mu_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(ctx));
  // else: freed here, beyond the idle bound.
}

size_t SearchContextPool::idle() const {
  std::lock_guard<std::mutex> lk(mu_);
  return idle_.size();
}

size_t SearchContextPool::Bytes() const {
  std::lock_guard<std::mutex> lk(mu_);
  size_t b = 0;
  for (const auto& c : idle_) b += sizeof(SearchContext) + c->Bytes();
  return b;
}

}  // namespace herondb
