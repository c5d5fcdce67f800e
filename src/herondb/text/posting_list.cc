#include "herondb/text/posting_list.h"

#include <algorithm>

namespace herondb::text {
namespace {

void PutVarint(std::vector<uint8_t>* out, uint32_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<uint8_t>(v));
}

inline const uint8_t* GetVarint(const uint8_t* p, uint32_t* v) {
  uint32_t x = *p++;
  if (x < 0x80) {
    *v = x;
    return p;
  }
  x &= 0x7f;
  for (int shift = 7; shift < 35; shift += 7) {
    uint32_t b = *p++;
    x |= (b & 0x7f) << shift;
    if (b < 0x80) break;
  }
  *v = x;
  return p;
}

}  // namespace

uint32_t PostingList::DecodeBlock(size_t b, uint32_t* slots, uint32_t* tfs) const {
  const uint32_t n =
      b + 1 < blocks_.size() ? kBlockSize : count_ - static_cast<uint32_t>(b) * kBlockSize;
  const uint8_t* p = bytes_.data() + blocks_[b].offset;
  uint32_t prev = b == 0 ? 0 : blocks_[b - 1].last_slot;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t d;
    p = GetVarint(p, &d);
    prev += d;
    slots[i] = prev;
  }
  for (uint32_t i = 0; i < n; ++i) p = GetVarint(p, &tfs[i]);
  return n;
}

void PostingList::DecodeAll(std::vector<uint32_t>* slots, std::vector<uint32_t>* tfs) const {
  slots->resize(count_);
  tfs->resize(count_);
  for (size_t b = 0; b < blocks_.size(); ++b)
    DecodeBlock(b, slots->data() + b * kBlockSize, tfs->data() + b * kBlockSize);
}

void PostingListBuilder::Add(uint32_t slot, uint32_t tf, uint32_t doc_len) {
  slots_[n_] = slot;
  tfs_[n_] = tf;
  lens_min_ = std::min(lens_min_, doc_len);
  if (++n_ == PostingList::kBlockSize) FlushBlock();
}

void PostingListBuilder::FlushBlock() {
  if (n_ == 0) return;
  PostingBlock h;
  h.last_slot = slots_[n_ - 1];
  h.offset = static_cast<uint32_t>(list_.bytes_.size());
  h.min_len = lens_min_;
  uint32_t prev = prev_last_;
  for (uint32_t i = 0; i < n_; ++i) {
    PutVarint(&list_.bytes_, slots_[i] - prev);
    prev = slots_[i];
  }
  for (uint32_t i = 0; i < n_; ++i) {
    PutVarint(&list_.bytes_, tfs_[i]);
    h.max_tf = std::max(h.max_tf, tfs_[i]);
  }
  list_.max_tf_ = std::max(list_.max_tf_, h.max_tf);
  list_.min_len_ = list_.blocks_.empty() ? h.min_len : std::min(list_.min_len_, h.min_len);
  list_.blocks_.push_back(h);
  list_.count_ += n_;
  prev_last_ = h.last_slot;
  n_ = 0;
  lens_min_ = std::numeric_limits<uint32_t>::max();
}

PostingList PostingListBuilder::Finish() {
  FlushBlock();
  PostingList out = std::move(list_);
  out.bytes_.shrink_to_fit();
  out.blocks_.shrink_to_fit();
  list_ = PostingList();
  prev_last_ = 0;
  return out;
}

void PostingCursor::Reset(const PostingList* list) {
  list_ = list;
  block_ = 0;
  n_ = pos_ = 0;
  slot_ = kEndSlot;
  if (list_ && !list_->empty()) LoadBlock(0);
}

void PostingCursor::LoadBlock(size_t b) {
  block_ = b;
  if (b >= list_->blocks().size()) {
    slot_ = kEndSlot;
    n_ = pos_ = 0;
    return;
  }
  n_ = list_->DecodeBlock(b, slots_, tfs_);
  pos_ = 0;
  slot_ = slots_[0];
}

void PostingCursor::Next() {
  if (slot_ == kEndSlot) return;
  if (++pos_ < n_) {
    slot_ = slots_[pos_];
    return;
  }
  LoadBlock(block_ + 1);
}

void PostingCursor::Advance(uint32_t target) {
  if (slot_ >= target) return;
  const auto& blocks = list_->blocks();
  if (blocks[block_].last_slot < target) {
    size_t b = block_ + 1;
    while (b < blocks.size() && blocks[b].last_slot < target) ++b;
    LoadBlock(b);
    if (slot_ == kEndSlot) return;
  }
  while (slots_[pos_] < target) ++pos_;  // the block's last slot is >= target
  slot_ = slots_[pos_];
}

const PostingBlock* PostingCursor::ShallowBlock(uint32_t target) const {
  if (!list_) return nullptr;
  const auto& blocks = list_->blocks();
  size_t b = block_;
  while (b < blocks.size() && blocks[b].last_slot < target) ++b;
  return b < blocks.size() ? &blocks[b] : nullptr;
}

}  // namespace herondb::text
