// TextIndex: top-k search. Pending documents are scored exhaustively into
// the heap first; then block-max WAND walks the base postings in slot order
// (docs/text-search.md explains the pruning).
#include <algorithm>
#include <unordered_map>

#include "herondb/text/text_index.h"

namespace herondb::text {
namespace {

// Pushes `h` into a top-k heap whose front is the worst hit kept.
inline void Offer(std::vector<TextHit>* heap, size_t k, TextHit h) {
  if (heap->size() < k) {
    heap->push_back(h);
    std::push_heap(heap->begin(), heap->end(), TextHitBetter);
  } else if (TextHitBetter(h, heap->front())) {
    std::pop_heap(heap->begin(), heap->end(), TextHitBetter);
    heap->back() = h;
    std::push_heap(heap->begin(), heap->end(), TextHitBetter);
  }
}

// The heap's hits best first.
void Finish(std::vector<TextHit>* heap, std::vector<TextHit>* out) {
  std::sort_heap(heap->begin(), heap->end(), TextHitBetter);
  out->swap(*heap);
}

}  // namespace

void TextIndex::Prepare(const std::vector<std::string>& terms, std::vector<QueryTerm>* q,
                        Bm25Query* bm) const {
  *bm = Bm25Query(params_, num_docs_, total_len_);
  q->clear();
  for (const std::string& s : terms) {
    auto it = dict_.find(s);
    if (it == dict_.end()) continue;
    const Term& t = terms_[it->second];
    if (t.df == 0) continue;
    const float w = bm->Weight(t.df);
    const float max_score = t.base.empty() ? 0.0f : bm->Bound(w, t.base.max_tf(), t.base.min_len());
    q->push_back({&t, w, max_score});
  }
}

void TextIndex::ScorePending(const std::vector<QueryTerm>& q, const Bm25Query& bm,
                             const SlotAllow* allow, size_t k, std::vector<TextHit>* heap) const {
  if (pending_docs_ == 0) return;
  thread_local std::unordered_map<uint32_t, float> acc;
  acc.clear();
  for (const QueryTerm& qt : q) {
    for (const auto& [slot, tf] : qt.term->pending) {
      if (allow && !allow->Has(slot)) continue;
      acc[slot] += bm.TermScore(qt.weight, tf, doc_len_[slot]);
    }
  }
  for (const auto& [slot, score] : acc) Offer(heap, k, {slot, score});
}

void TextIndex::Search(const std::vector<std::string>& terms, size_t k, const SlotAllow* allow,
                       std::vector<TextHit>* out) const {
  out->clear();
  if (k == 0 || num_docs_ == 0) return;
  std::vector<QueryTerm> q;
  Bm25Query bm(params_, 0, 0);
  Prepare(terms, &q, &bm);
  std::vector<TextHit> heap;
  heap.reserve(k + 1);
  ScorePending(q, bm, allow, k, &heap);

  struct Cur {
    PostingCursor c;
    uint32_t qi;
    float max_score;
  };
  std::vector<Cur> curs;
  curs.reserve(q.size());
  for (uint32_t i = 0; i < q.size(); ++i)
    if (!q[i].term->base.empty()) curs.push_back({PostingCursor(&q[i].term->base), i, q[i].max_score});
  std::vector<Cur*> order;
  for (Cur& c : curs) order.push_back(&c);
  const size_t m = order.size();
  std::vector<float> contrib(q.size());
  std::vector<uint8_t> has(q.size());
  auto by_slot = [](const Cur* a, const Cur* b) { return a->c.slot() < b->c.slot(); };

  for (;;) {
    // Cursors in slot order (few terms: insertion sort on nearly sorted data).
    for (size_t i = 1; i < m; ++i)
      for (size_t j = i; j > 0 && by_slot(order[j], order[j - 1]); --j)
        std::swap(order[j], order[j - 1]);
    const float thr = heap.size() < k ? -1.0f : heap.front().score;
    // Pivot: the first cursor at which the summed term bounds reach thr.
    float acc = 0;
    size_t p = 0;
    bool found = false;
    for (; p < m; ++p) {
      if (order[p]->c.slot() == kEndSlot) break;
      acc += order[p]->max_score;
      if (acc >= thr) {
        found = true;
        break;
      }
    }
    if (!found) break;
    const uint32_t d = order[p]->c.slot();
    while (p + 1 < m && order[p + 1]->c.slot() == d) ++p;
    // Block-max check over the blocks that would hold d.
    float bound = 0;
    uint32_t block_end = kEndSlot;
    for (size_t i = 0; i <= p; ++i) {
      const PostingBlock* blk = order[i]->c.ShallowBlock(d);
      if (!blk) continue;  // the list ends before d: contributes nothing
      bound += bm.Bound(q[order[i]->qi].weight, blk->max_tf, blk->min_len);
      block_end = std::min(block_end, blk->last_slot);
    }
    if (bound < thr) {
      // No document before the end of these blocks (or before the next
      // cursor's slot) can make the top k.
      uint32_t next = block_end + 1;
      if (p + 1 < m) next = std::min(next, order[p + 1]->c.slot());
      for (size_t i = 0; i <= p; ++i) order[i]->c.Advance(next);
      continue;
    }
    if (order[0]->c.slot() == d) {
      if (where_[d] == kInBase && (!allow || allow->Has(d))) {
        const uint32_t len = doc_len_[d];
        for (size_t i = 0; i <= p; ++i) {
          contrib[order[i]->qi] = bm.TermScore(q[order[i]->qi].weight, order[i]->c.tf(), len);
          has[order[i]->qi] = 1;
        }
        // Summed in query-term order, as every other path does.
        float score = 0;
        for (size_t i = 0; i < q.size(); ++i) {
          if (has[i]) score += contrib[i];
          has[i] = 0;
        }
        Offer(&heap, k, {d, score});
      }
      for (size_t i = 0; i <= p; ++i) order[i]->c.Next();
    } else {
      for (size_t i = 0; i < p && order[i]->c.slot() < d; ++i) order[i]->c.Advance(d);
    }
  }
  Finish(&heap, out);
}

void TextIndex::SearchExhaustive(const std::vector<std::string>& terms, size_t k,
                                 const SlotAllow* allow, std::vector<TextHit>* out) const {
  out->clear();
  if (k == 0 || num_docs_ == 0) return;
  std::vector<QueryTerm> q;
  Bm25Query bm(params_, 0, 0);
  Prepare(terms, &q, &bm);
  std::unordered_map<uint32_t, float> acc;
  for (const QueryTerm& qt : q) {
    for (PostingCursor c(&qt.term->base); c.slot() != kEndSlot; c.Next()) {
      const uint32_t s = c.slot();
      if (where_[s] != kInBase || (allow && !allow->Has(s))) continue;
      acc[s] += bm.TermScore(qt.weight, c.tf(), doc_len_[s]);
    }
    for (const auto& [s, tf] : qt.term->pending) {
      if (allow && !allow->Has(s)) continue;
      acc[s] += bm.TermScore(qt.weight, tf, doc_len_[s]);
    }
  }
  std::vector<TextHit> all;
  for (const auto& [s, score] : acc) all.push_back({s, score});
  std::sort(all.begin(), all.end(), TextHitBetter);
  if (all.size() > k) all.resize(k);
  out->swap(all);
}

}  // namespace herondb::text
