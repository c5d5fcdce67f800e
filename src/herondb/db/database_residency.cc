// Database: where the snapshot's large blocks live after opening (the
// policy is db_snapshot.h's VectorResidency; docs/storage-format.md
// "Vector residency").
//
// With kAuto, Load() maps the vector block and the SQ8 code block from the
// snapshot (opening then costs an mmap and the checksum pass), so the first
// search runs at once. The constructor then starts a PromotionTask that
// copies each mapped block the policy holds in memory into fresh anonymous
// memory on huge pages and swaps it in:
// - The copy runs in chunks (kPromotionChunkBytes), each under a shared
//   lock on mu_ (so the source block cannot move or be unmapped meanwhile),
//   never under the exclusive lock: searches run beside it and a writer
//   waits at most for one chunk.
// - Before each chunk and for the swap (under the exclusive lock, briefly:
//   a pointer swap and the unmapping of the old block) it checks that
//   nothing it copied can have changed since it started: the same
//   generation, index object, row count, quantizer object and
//   block_version_ (bumped by every write of rows or codes in place). If
//   anything differs, the copy is discarded and, up to kPromotionAttempts
//   times, started over from the current state; a database that keeps
//   changing meanwhile stays mapped (correct, only slower) until its next
//   save remaps it and tries again.
// - Save/Compact: a save remaps a still-mapped block from the new snapshot
//   (RemapVectors) and restarts the promotion if none runs; a compaction
//   installs a heap-backed index, so there is nothing left to promote.
// - The thread runs at nice +10 (Linux), below the threads that search.
// - Close: the destructor stops the task (cancel flag, checked before every
//   chunk) and joins it; no thread outlives the Database.
#include <algorithm>
#include <cstring>
#include <mutex>
#include <utility>

#if defined(__linux__)
#include <sys/resource.h>
#include <unistd.h>
#endif

#include "herondb/db/database.h"
#include "herondb/db/region_backing.h"

namespace herondb {
namespace {

bool FileMapped(RowBacking* b) {
  auto* r = dynamic_cast<RegionRowBacking*>(b);
  return r != nullptr && r->region().file_mapped_bytes() > 0;
}

// What a copy depends on; equal marks mean the copied bytes are current.
struct BlockMark {
  uint64_t generation = 0;
  const void* index = nullptr;
  size_t rows = 0;
  const void* quantizer = nullptr;
  uint64_t version = 0;
  bool operator==(const BlockMark&) const = default;
};

}  // namespace

Database::PromotionWants Database::PromotionTargetsLocked() const {
  PromotionWants w;
  if (residency_ != VectorResidency::kAuto || !index_) return w;
  const size_t vb = index_->vectors().bytes();
  w.vectors =
      vb > 0 &&
      ResolveResidency(VectorResidency::kAuto, vb, index_->quantized()) == VectorResidency::kLoad &&
      FileMapped(index_->vectors().backing());
  if (Sq8Quantizer* q = index_->quantizer()) {
    const size_t cb = q->codes().bytes();
    w.codes = cb > 0 &&
              ResolveResidency(VectorResidency::kAuto, cb, /*quantized=*/false) ==
                  VectorResidency::kLoad &&
              FileMapped(q->code_backing());
  }
  return w;
}

const char* Database::ResidencyLocked() const {
  if (promotion_.running()) return "loading";
  Sq8Quantizer* q = index_->quantizer();
  RowBacking* walked = q ? q->code_backing() : index_->vectors().backing();
  return FileMapped(walked) ? "mapped" : "loaded";
}

void Database::MaybeStartPromotion() {
  if (!PromotionTargetsLocked().any()) return;
  promotion_.Start([this](const std::atomic<bool>& cancel) { RunPromotion(cancel); });
}

void Database::RunPromotion(const std::atomic<bool>& cancel) {
#if defined(__linux__)
  // Below the threads that search: on a busy machine the copy should not
  // slow the first queries it exists to speed up (Linux nices threads one
  // by one; a hint, failures are ignored).
  (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
#endif
  // mu_ held (any mode).
  auto mark = [this] {
    const Sq8Quantizer* q = index_->quantizer();
    return BlockMark{generation_, index_.get(), index_->vectors().rows(), q, block_version_};
  };
  try {
    for (int attempt = 0; attempt < kPromotionAttempts; ++attempt) {
      PromotionWants want;
      BlockMark start;
      size_t vector_bytes = 0, code_bytes = 0;
      {
        std::shared_lock lk(mu_);
        if (cancel.load(std::memory_order_relaxed)) return;
        want = PromotionTargetsLocked();
        if (!want.any()) return;
        start = mark();
        if (want.vectors) vector_bytes = index_->vectors().bytes();
        if (want.codes) code_bytes = index_->quantizer()->codes().bytes();
      }
      // Copies `bytes` bytes of the block `source()` returns (read under the
      // shared lock) into a fresh region reserving `reserve` bytes; false
      // when cancelled or the block changed.
      auto copy = [&](GrowableRegion* dst, size_t bytes, size_t reserve, auto source) {
        *dst = GrowableRegion::Anonymous(std::max(reserve, bytes));
        dst->Resize(bytes);
        for (size_t off = 0; off < bytes; off += promotion_chunk_bytes_) {
          if (promotion_step_hook_) promotion_step_hook_();
          if (cancel.load(std::memory_order_relaxed)) return false;
          std::shared_lock lk(mu_);
          if (!(mark() == start)) return false;
          std::memcpy(dst->data() + off, source() + off,
                      std::min(promotion_chunk_bytes_, bytes - off));
        }
        return true;
      };
      // The reservations MapVectorBlock and LoadDbSnapshot make.
      GrowableRegion vectors, codes;
      if (want.vectors &&
          !copy(&vectors, vector_bytes, std::max(vector_bytes * 4, size_t{256} << 20),
                [this] { return index_->vectors().backing()->data(); }))
        continue;
      if (want.codes && !copy(&codes, code_bytes, std::max(code_bytes * 4, size_t{64} << 20),
                              [this] { return index_->quantizer()->code_backing()->data(); }))
        continue;
      std::unique_lock lk(mu_);
      if (cancel.load(std::memory_order_relaxed)) return;
      if (!(mark() == start)) continue;
      if (want.vectors)
        index_->vectors().ReplaceBacking(std::make_unique<RegionRowBacking>(std::move(vectors)));
      if (want.codes)
        index_->quantizer()->ReplaceCodeBacking(
            std::make_unique<RegionRowBacking>(std::move(codes)));
      return;
    }
  } catch (...) {
    // Out of memory or address space: the blocks stay mapped, which is
    // correct, only slower.
  }
}

}  // namespace herondb
