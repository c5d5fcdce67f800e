// TextIndex: top-k search. Pending documents are scored exhaustively into
// the heap first; then MaxScore walks the base postings in slot order
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

Bm25Stats TextIndex::Stats(const std::vector<std::string>& terms) const {
  Bm25Stats st;
  st.num_docs = num_docs_;
  st.total_len = total_len_;
  st.df.reserve(terms.size());
  for (const std::string& s : terms) {
    auto it = dict_.find(s);
    st.df.push_back(it == dict_.end() ? 0 : terms_[it->second].df);
  }
  return st;
}

void TextIndex::Prepare(const std::vector<std::string>& terms, const Bm25Stats* stats,
                        std::vector<QueryTerm>* q, Bm25Query* bm) const {
  *bm = stats ? Bm25Query(params_, stats->num_docs, stats->total_len)
              : Bm25Query(params_, num_docs_, total_len_);
  q->clear();
  for (size_t i = 0; i < terms.size(); ++i) {
    auto it = dict_.find(terms[i]);
    if (it == dict_.end()) continue;
    const Term& t = terms_[it->second];
    if (t.df == 0) continue;  // no live document here holds it
    const float w = bm->Weight(stats ? stats->df[i] : t.df);
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
                       std::vector<TextHit>* out, const Bm25Stats* stats) const {
  out->clear();
  if (k == 0 || num_docs_ == 0) return;
  std::vector<QueryTerm> q;
  Bm25Query bm(params_, 0, 0);
  Prepare(terms, stats, &q, &bm);
  std::vector<TextHit> heap;
  heap.reserve(k + 1);
  ScorePending(q, bm, allow, k, &heap);
  SearchMaxScore(q, bm, allow, k, &heap);
  Finish(&heap, out);
}

void TextIndex::SearchMaxScore(const std::vector<QueryTerm>& q, const Bm25Query& bm,
                               const SlotAllow* allow, size_t k,
                               std::vector<TextHit>* heap_ptr) const {
  std::vector<TextHit>& heap = *heap_ptr;
  struct Cur {
    PostingCursor c;
    uint32_t qi;
    float max_score;
  };
  std::vector<Cur> curs;
  curs.reserve(q.size());
  for (uint32_t i = 0; i < q.size(); ++i)
    if (!q[i].term->base.empty())
      curs.push_back({PostingCursor(&q[i].term->base), i, q[i].max_score});
  // Ascending bounds: a prefix of terms whose bounds sum below the k-th
  // score cannot make a document compete on their own (non-essential).
  std::sort(curs.begin(), curs.end(),
            [](const Cur& a, const Cur& b) { return a.max_score < b.max_score; });
  const size_t m = curs.size();
  std::vector<float> prefix(m + 1, 0.0f);  // prefix[i]: sum of bounds of curs[0, i)
  for (size_t i = 0; i < m; ++i) prefix[i + 1] = prefix[i] + curs[i].max_score;
  std::vector<float> contrib(q.size());
  std::vector<uint8_t> has(q.size());
  auto threshold = [&] { return heap.size() < k ? -1.0f : heap.front().score; };
  size_t ess = 0;  // curs[ess, m) are essential
  float thr = threshold();
  while (ess < m && prefix[ess + 1] < thr) ++ess;
  for (;;) {
    uint32_t d = kEndSlot;
    for (size_t i = ess; i < m; ++i) d = std::min(d, curs[i].c.slot());
    if (d == kEndSlot) break;
    const bool wanted = where_[d] == kInBase && (!allow || allow->Has(d));
    if (!wanted) {
      for (size_t i = ess; i < m; ++i)
        if (curs[i].c.slot() == d) curs[i].c.Next();
      continue;
    }
    const uint32_t len = doc_len_[d];
    float partial = 0;
    for (size_t i = ess; i < m; ++i) {
      if (curs[i].c.slot() != d) continue;
      const float s = bm.TermScore(q[curs[i].qi].weight, curs[i].c.tf(), len);
      contrib[curs[i].qi] = s;
      has[curs[i].qi] = 1;
      partial += s;
      curs[i].c.Next();
    }
    // Non-essential terms, largest bound first, while they can still lift
    // the document to the k-th score.
    bool pruned = false;
    for (size_t i = ess; i-- > 0;) {
      if (partial + prefix[i + 1] < thr) {
        pruned = true;
        break;
      }
      // The block that would hold d bounds this term more tightly, without
      // decoding it.
      const PostingBlock* blk = curs[i].c.ShallowBlock(d);
      if (!blk) continue;  // the list ends before d
      if (partial + bm.Bound(q[curs[i].qi].weight, blk->max_tf, blk->min_len) + prefix[i] < thr) {
        pruned = true;
        break;
      }
      curs[i].c.Advance(d);
      if (curs[i].c.slot() == d) {
        const float s = bm.TermScore(q[curs[i].qi].weight, curs[i].c.tf(), len);
        contrib[curs[i].qi] = s;
        has[curs[i].qi] = 1;
        partial += s;
      }
    }
    if (!pruned) {
      float score = 0;  // in query-term order, as every other path
      for (size_t i = 0; i < q.size(); ++i)
        if (has[i]) score += contrib[i];
      Offer(&heap, k, {d, score});
      thr = threshold();
      while (ess < m && prefix[ess + 1] < thr) ++ess;
    }
    std::fill(has.begin(), has.end(), 0);
  }
}

void TextIndex::SearchExhaustive(const std::vector<std::string>& terms, size_t k,
                                 const SlotAllow* allow, std::vector<TextHit>* out,
                                 const Bm25Stats* stats) const {
  out->clear();
  if (k == 0 || num_docs_ == 0) return;
  std::vector<QueryTerm> q;
  Bm25Query bm(params_, 0, 0);
  Prepare(terms, stats, &q, &bm);
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
