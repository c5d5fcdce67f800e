// TextIndex: a BM25 inverted index over one text per slot, kept exact through
// every insert and erase.
//
// Structure (two segments over one term dictionary):
// - base: per term a compressed PostingList (posting_list.h) in slot order,
//   built in bulk (Build, Merge) and immutable in between;
// - pending: per term an unordered vector of (slot, tf) for the documents
//   inserted since the last merge, scored exhaustively at query time.
// Each slot records where its live document is (nowhere, base or pending)
// and its length. Erasing a base document only changes that mark (its stale
// postings are skipped until the next merge); erasing a pending one removes
// its postings. Document frequencies, N and the total length are kept per
// live document, so scores are always those of the live set alone, as if the
// index had been built from scratch. Merge() folds pending documents into the
// base and drops stale postings; MaybeMerge() does it when the pending
// segment or the stale postings grow past a fraction of the base.
//
// Scoring: bm25.h. Search returns the k best documents holding at least one
// query term (scores > 0), best first, ties by ascending slot; only slots
// set in `allow` when it is given. It runs MaxScore over the base after
// scoring the pending documents into the same top-k heap: terms whose score
// bounds sum below the k-th score so far are non-essential, candidates come
// from the essential terms only, and a candidate is dropped as soon as its
// partial score plus the remaining bounds cannot reach the k-th score.
// SearchExhaustive scores every document (the reference the tests compare
// against). Query terms must be distinct (the caller dedupes).
//
// Contract: Insert(slot, text) for a slot not in the index; Erase(slot,
// text) with the same text that was inserted (unchecked: analysis is
// deterministic, so its terms are found again). Build replaces the contents.
// Thread safety: const methods may run concurrently; the others need
// exclusive access (the Database's write lock).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "herondb/common/thread_pool.h"
#include "herondb/text/analyzer.h"
#include "herondb/text/bm25.h"
#include "herondb/text/posting_list.h"

namespace herondb::text {

struct TextHit {
  uint32_t slot;
  float score;
};

// A set of allowed slots as a bitmap (bit s of words[s / 64]); slots past
// the end are not allowed.
struct SlotAllow {
  const uint64_t* words = nullptr;
  size_t num_words = 0;
  bool Has(uint32_t s) const { return (s >> 6) < num_words && ((words[s >> 6] >> (s & 63)) & 1); }
};

class TextIndex {
 public:
  // Merge when pending documents exceed max(kMinPending, base / kPendingRatio)
  // or stale base postings exceed max(kMinPending, base / kStaleRatio).
  static constexpr size_t kMinPending = 2048;
  static constexpr size_t kPendingRatio = 8;
  static constexpr size_t kStaleRatio = 4;

  TextIndex(Language language, Bm25Params params) : language_(language), params_(params) {}

  Language language() const { return language_; }
  const Bm25Params& params() const { return params_; }
  size_t num_docs() const { return num_docs_; }
  uint64_t total_len() const { return total_len_; }
  size_t pending_docs() const { return pending_docs_; }
  size_t num_terms() const { return terms_.size(); }
  size_t MemoryBytes() const;

  // Replaces the contents: texts[s] is slot s's text, or null when slot s is
  // not indexed. Analysis runs in parallel on `pool` (may be null).
  void Build(const std::vector<const std::string*>& texts, ThreadPool* pool);
  void Insert(uint32_t slot, std::string_view text);
  void Erase(uint32_t slot, std::string_view text);
  void Merge(ThreadPool* pool);
  void MaybeMerge(ThreadPool* pool);

  // `terms` analyzed and deduplicated (order kept).
  void QueryTerms(std::string_view query, std::vector<std::string>* terms) const;
  // `stats` null: score with this index's own statistics (Stats(terms));
  // else with those (stats->df aligned with `terms`, each df <= num_docs),
  // the MaxScore bounds included, so the top k stays exact under them.
  void Search(const std::vector<std::string>& terms, size_t k, const SlotAllow* allow,
              std::vector<TextHit>* out, const Bm25Stats* stats = nullptr) const;
  void SearchExhaustive(const std::vector<std::string>& terms, size_t k, const SlotAllow* allow,
                        std::vector<TextHit>* out, const Bm25Stats* stats = nullptr) const;
  // This index's statistics for `terms` over its live documents: exactly
  // what Search scores with when given no stats.
  Bm25Stats Stats(const std::vector<std::string>& terms) const;
  // Ascending live slots holding `term` (for $match candidates).
  std::vector<uint32_t> SlotsWith(std::string_view term) const;
  // Document frequency of `term` among live documents.
  uint64_t DocFreq(std::string_view term) const;

  // Compares the index with a fresh analysis of `texts` (as for Build);
  // empty when they agree, else what differs.
  std::string Verify(const std::vector<const std::string*>& texts) const;

 private:
  enum : uint8_t { kAbsent = 0, kInBase = 1, kInPending = 2 };
  struct Term {
    uint64_t df = 0;
    PostingList base;
    std::vector<std::pair<uint32_t, uint32_t>> pending;  // (slot, tf)
  };
  struct QueryTerm {
    const Term* term;
    float weight;
    float max_score;  // bound over the term's base postings
  };
  // Term frequencies of one document: (term, tf) sorted by term.
  void CountTerms(std::string_view text, std::vector<std::string>* scratch,
                  std::vector<std::pair<std::string, uint32_t>>* out) const;
  uint32_t Intern(const std::string& term);
  void EnsureSlot(uint32_t slot);
  void Prepare(const std::vector<std::string>& terms, const Bm25Stats* stats,
               std::vector<QueryTerm>* q, Bm25Query* bm) const;
  void ScorePending(const std::vector<QueryTerm>& q, const Bm25Query& bm, const SlotAllow* allow,
                    size_t k, std::vector<TextHit>* heap) const;
  // Top-k over the base segment into *heap (which may hold pending hits).
  void SearchMaxScore(const std::vector<QueryTerm>& q, const Bm25Query& bm, const SlotAllow* allow,
                      size_t k, std::vector<TextHit>* heap) const;

  Language language_;
  Bm25Params params_;
  std::unordered_map<std::string, uint32_t> dict_;
  std::vector<Term> terms_;
  std::vector<uint8_t> where_;     // per slot
  std::vector<uint32_t> doc_len_;  // per slot (valid where != kAbsent)
  size_t num_docs_ = 0;
  uint64_t total_len_ = 0;
  size_t base_docs_ = 0;      // live documents in the base
  size_t base_postings_ = 0;  // postings in the base (live or stale)
  size_t stale_docs_ = 0;     // base documents erased since the last merge
  size_t pending_docs_ = 0;
};

// Top-k order: a before b when it scores higher, or equal and has the lower
// slot.
inline bool TextHitBetter(const TextHit& a, const TextHit& b) {
  return a.score > b.score || (a.score == b.score && a.slot < b.slot);
}

}  // namespace herondb::text
