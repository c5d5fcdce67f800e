// RegionRowBacking: a VectorStore backing over a GrowableRegion, so that the
// vector block of a snapshot is memory-mapped (copy-on-write) rather than
// read and copied, and new rows grow in place behind the file's bytes.
//
// Contract: data()/size() are the region's; EnsureSize grows it (zero bytes
// added); SetAccessHint is madvise over the region (see vector_store.h).
// Nothing written through it reaches the file (MAP_PRIVATE).
#pragma once

#include <utility>

#include "herondb/index/vector_store.h"
#include "herondb/storage/mmap_region.h"

namespace herondb {

class RegionRowBacking final : public RowBacking {
 public:
  explicit RegionRowBacking(GrowableRegion region) : region_(std::move(region)) {}
  char* data() override { return region_.data(); }
  size_t size() const override { return region_.size(); }
  void EnsureSize(size_t bytes) override { region_.EnsureSize(bytes); }
  // MADV_RANDOM (no read-around on a fault) or back to MADV_NORMAL.
  void SetAccessHint(bool random) override {
    region_.Advise(random ? Advice::kRandom : Advice::kNormal);
  }
  const GrowableRegion& region() const { return region_; }

 private:
  GrowableRegion region_;
};

}  // namespace herondb
