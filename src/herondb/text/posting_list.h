// PostingList: one term's postings (slot, term frequency), in ascending slot
// order, compressed in blocks for block-max top-k search.
//
// Layout: postings are cut into blocks of kBlockSize (the last may be
// shorter). Each block is stored as varint (LEB128) slot deltas (the first
// from the previous block's last slot, or from 0), then varint term
// frequencies. A header per block keeps its last slot, the byte offset of its
// data, its largest term frequency and its smallest document length, so a
// search can bound the block's best BM25 score without decoding it (see
// bm25.h) and skip whole blocks.
//
// Contract: a PostingList is immutable once built (PostingListBuilder::
// Finish) and may be read by any number of PostingCursors concurrently.
// Builders must be given strictly ascending slots and tf >= 1; they do not
// check (the caller, TextIndex, guarantees it). Cursors never read outside
// the list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace herondb::text {

inline constexpr uint32_t kEndSlot = std::numeric_limits<uint32_t>::max();

struct PostingBlock {
  uint32_t last_slot = 0;
  uint32_t offset = 0;   // into PostingList::bytes
  uint32_t max_tf = 0;   // largest tf in the block
  uint32_t min_len = 0;  // smallest document length in the block
};

class PostingList {
 public:
  static constexpr uint32_t kBlockSize = 128;

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  const std::vector<PostingBlock>& blocks() const { return blocks_; }
  uint32_t max_tf() const { return max_tf_; }
  uint32_t min_len() const { return min_len_; }
  size_t MemoryBytes() const {
    return bytes_.capacity() + blocks_.capacity() * sizeof(PostingBlock);
  }
  // Decodes block `b` into slots[] and tfs[] (each kBlockSize long); returns
  // the number of postings in it.
  uint32_t DecodeBlock(size_t b, uint32_t* slots, uint32_t* tfs) const;
  // Every posting, in order (tests, merging, verification).
  void DecodeAll(std::vector<uint32_t>* slots, std::vector<uint32_t>* tfs) const;

 private:
  friend class PostingListBuilder;
  std::vector<uint8_t> bytes_;
  std::vector<PostingBlock> blocks_;
  uint32_t count_ = 0;
  uint32_t max_tf_ = 0;
  uint32_t min_len_ = 0;
};

class PostingListBuilder {
 public:
  // Appends a posting: slot (ascending), its tf and its document's length.
  void Add(uint32_t slot, uint32_t tf, uint32_t doc_len);
  // The finished list; the builder is empty again afterwards.
  PostingList Finish();

 private:
  void FlushBlock();
  PostingList list_;
  uint32_t slots_[PostingList::kBlockSize];
  uint32_t tfs_[PostingList::kBlockSize];
  uint32_t lens_min_ = std::numeric_limits<uint32_t>::max();
  uint32_t n_ = 0;
  uint32_t prev_last_ = 0;
};

// Iterates a PostingList in slot order, skipping by block headers.
class PostingCursor {
 public:
  PostingCursor() = default;
  explicit PostingCursor(const PostingList* list) { Reset(list); }
  void Reset(const PostingList* list);

  uint32_t slot() const { return slot_; }  // kEndSlot when exhausted
  uint32_t tf() const { return tfs_[pos_]; }
  void Next();
  // Moves to the first posting with slot >= target (never backwards).
  void Advance(uint32_t target);
  // The header of the block that would hold `target` (the first block,
  // from the current one on, whose last slot >= target), or null past the
  // end. Decodes nothing.
  const PostingBlock* ShallowBlock(uint32_t target) const;

 private:
  void LoadBlock(size_t b);
  const PostingList* list_ = nullptr;
  size_t block_ = 0;
  uint32_t n_ = 0, pos_ = 0;
  uint32_t slot_ = kEndSlot;
  uint32_t slots_[PostingList::kBlockSize];
  uint32_t tfs_[PostingList::kBlockSize];
};

}  // namespace herondb::text
