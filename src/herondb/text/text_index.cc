// TextIndex: mutations, bulk building, merging and verification (the search
// is in text_search.cc).
#include "herondb/text/text_index.h"

#include <algorithm>
#include <map>
#include <mutex>

namespace herondb::text {
namespace {

constexpr size_t kBuildChunk = 1024;  // slots analyzed per parallel work item

}  // namespace

size_t TextIndex::MemoryBytes() const {
  size_t bytes =
      where_.capacity() + doc_len_.capacity() * sizeof(uint32_t) + terms_.capacity() * sizeof(Term);
  for (const auto& [s, id] : dict_) bytes += s.capacity() + sizeof(s) + 16;
  for (const Term& t : terms_)
    bytes += t.base.MemoryBytes() + t.pending.capacity() * sizeof(t.pending[0]);
  return bytes;
}

void TextIndex::CountTerms(std::string_view text, std::vector<std::string>* scratch,
                           std::vector<std::pair<std::string, uint32_t>>* out) const {
  scratch->clear();
  Analyze(text, language_, scratch);
  std::sort(scratch->begin(), scratch->end());
  out->clear();
  for (size_t i = 0; i < scratch->size();) {
    size_t j = i + 1;
    while (j < scratch->size() && (*scratch)[j] == (*scratch)[i]) ++j;
    out->emplace_back(std::move((*scratch)[i]), static_cast<uint32_t>(j - i));
    i = j;
  }
}

uint32_t TextIndex::Intern(const std::string& term) {
  auto [it, fresh] = dict_.try_emplace(term, static_cast<uint32_t>(terms_.size()));
  if (fresh) terms_.emplace_back();
  return it->second;
}

void TextIndex::EnsureSlot(uint32_t slot) {
  if (slot >= where_.size()) {
    where_.resize(size_t{slot} + 1, kAbsent);
    doc_len_.resize(size_t{slot} + 1, 0);
  }
}

void TextIndex::Insert(uint32_t slot, std::string_view text) {
  thread_local std::vector<std::string> scratch;
  thread_local std::vector<std::pair<std::string, uint32_t>> counts;
  CountTerms(text, &scratch, &counts);
  EnsureSlot(slot);
  uint32_t len = 0;
  for (const auto& [term, tf] : counts) {
    Term& t = terms_[Intern(term)];
    t.df++;
    t.pending.emplace_back(slot, tf);
    len += tf;
  }
  where_[slot] = kInPending;
  doc_len_[slot] = len;
  num_docs_++;
  total_len_ += len;
  pending_docs_++;
}

void TextIndex::Erase(uint32_t slot, std::string_view text) {
  if (slot >= where_.size() || where_[slot] == kAbsent) return;
  thread_local std::vector<std::string> scratch;
  thread_local std::vector<std::pair<std::string, uint32_t>> counts;
  CountTerms(text, &scratch, &counts);
  const bool pending = where_[slot] == kInPending;
  for (const auto& [term, tf] : counts) {
    auto it = dict_.find(term);
    if (it == dict_.end()) continue;  // cannot happen for the inserted text
    Term& t = terms_[it->second];
    if (t.df > 0) t.df--;
    if (pending) {
      auto& p = t.pending;
      for (size_t i = 0; i < p.size(); ++i) {
        if (p[i].first == slot) {
          p[i] = p.back();
          p.pop_back();
          break;
        }
      }
    }
  }
  if (pending) {
    pending_docs_--;
  } else {
    base_docs_--;
    stale_docs_++;
  }
  num_docs_--;
  total_len_ -= doc_len_[slot];
  where_[slot] = kAbsent;
  doc_len_[slot] = 0;
}

void TextIndex::Build(const std::vector<const std::string*>& texts, ThreadPool* pool) {
  dict_.clear();
  terms_.clear();
  where_.assign(texts.size(), kAbsent);
  doc_len_.assign(texts.size(), 0);
  num_docs_ = base_docs_ = base_postings_ = stale_docs_ = pending_docs_ = 0;
  total_len_ = 0;
  // Each chunk of slots is analyzed into its own small dictionary; the
  // chunks are then appended in slot order, so every pending list comes out
  // sorted.
  struct Chunk {
    std::unordered_map<std::string, uint32_t> dict;
    std::vector<std::vector<std::pair<uint32_t, uint32_t>>> lists;
  };
  const size_t n_chunks = (texts.size() + kBuildChunk - 1) / kBuildChunk;
  std::vector<Chunk> chunks(n_chunks);
  auto analyze = [&](size_t c, size_t) {
    std::vector<std::string> scratch;
    std::vector<std::pair<std::string, uint32_t>> counts;
    Chunk& ch = chunks[c];
    const size_t end = std::min(texts.size(), (c + 1) * kBuildChunk);
    for (size_t s = c * kBuildChunk; s < end; ++s) {
      if (!texts[s]) continue;
      CountTerms(*texts[s], &scratch, &counts);
      uint32_t len = 0;
      for (auto& [term, tf] : counts) {
        auto [it, fresh] = ch.dict.try_emplace(std::move(term), ch.lists.size());
        if (fresh) ch.lists.emplace_back();
        ch.lists[it->second].emplace_back(static_cast<uint32_t>(s), tf);
        len += tf;
      }
      where_[s] = kInPending;
      doc_len_[s] = len;
    }
  };
  if (pool)
    pool->ParallelFor(n_chunks, analyze);
  else
    for (size_t c = 0; c < n_chunks; ++c) analyze(c, 0);
  for (Chunk& ch : chunks) {
    for (auto& [term, local] : ch.dict) {
      Term& t = terms_[Intern(term)];
      auto& src = ch.lists[local];
      t.df += src.size();
      t.pending.insert(t.pending.end(), src.begin(), src.end());
    }
    ch = Chunk();
  }
  for (size_t s = 0; s < texts.size(); ++s) {
    if (where_[s] == kAbsent) continue;
    num_docs_++;
    pending_docs_++;
    total_len_ += doc_len_[s];
  }
  Merge(pool);
}

void TextIndex::Merge(ThreadPool* pool) {
  auto merge_term = [&](size_t i, size_t) {
    Term& t = terms_[i];
    if (t.pending.empty() && stale_docs_ == 0) return;
    thread_local std::vector<uint32_t> slots, tfs;
    auto& pend = t.pending;
    if (!std::is_sorted(pend.begin(), pend.end())) std::sort(pend.begin(), pend.end());
    t.base.DecodeAll(&slots, &tfs);
    PostingListBuilder b;
    size_t i_base = 0, i_pend = 0;
    while (i_base < slots.size() || i_pend < pend.size()) {
      const uint32_t sb = i_base < slots.size() ? slots[i_base] : kEndSlot;
      const uint32_t sp = i_pend < pend.size() ? pend[i_pend].first : kEndSlot;
      if (sb < sp) {
        if (where_[sb] == kInBase) b.Add(sb, tfs[i_base], doc_len_[sb]);
        ++i_base;
      } else {
        b.Add(sp, pend[i_pend].second, doc_len_[sp]);
        ++i_pend;
        // A slot erased from the base and inserted again: its old posting
        // (same slot) is stale.
        if (sb == sp) ++i_base;
      }
    }
    t.base = b.Finish();
    std::vector<std::pair<uint32_t, uint32_t>>().swap(pend);
  };
  if (pool)
    pool->ParallelFor(terms_.size(), merge_term, 64);
  else
    for (size_t i = 0; i < terms_.size(); ++i) merge_term(i, 0);
  base_docs_ = 0;
  base_postings_ = 0;
  for (uint8_t& w : where_) {
    if (w == kInPending) w = kInBase;
    base_docs_ += w == kInBase;
  }
  pending_docs_ = 0;
  stale_docs_ = 0;
  // Drop terms no live document holds any more.
  size_t dead = 0;
  for (const Term& t : terms_) dead += t.df == 0;
  if (dead > 0) {
    std::vector<uint32_t> remap(terms_.size());
    std::vector<Term> kept;
    kept.reserve(terms_.size() - dead);
    for (size_t i = 0; i < terms_.size(); ++i) {
      remap[i] = static_cast<uint32_t>(kept.size());
      if (terms_[i].df > 0) kept.push_back(std::move(terms_[i]));
    }
    for (auto it = dict_.begin(); it != dict_.end();) {
      if (terms_[it->second].df == 0) {
        it = dict_.erase(it);
      } else {
        it->second = remap[it->second];
        ++it;
      }
    }
    terms_ = std::move(kept);
  }
  for (const Term& t : terms_) base_postings_ += t.base.size();
}

void TextIndex::MaybeMerge(ThreadPool* pool) {
  if (pending_docs_ > std::max(kMinPending, base_docs_ / kPendingRatio) ||
      stale_docs_ > std::max(kMinPending, base_docs_ / kStaleRatio))
    Merge(pool);
}

void TextIndex::QueryTerms(std::string_view query, std::vector<std::string>* terms) const {
  terms->clear();
  std::vector<std::string> all;
  Analyze(query, language_, &all);
  for (std::string& t : all)
    if (std::find(terms->begin(), terms->end(), t) == terms->end()) terms->push_back(std::move(t));
}

uint64_t TextIndex::DocFreq(std::string_view term) const {
  auto it = dict_.find(std::string(term));
  return it == dict_.end() ? 0 : terms_[it->second].df;
}

std::vector<uint32_t> TextIndex::SlotsWith(std::string_view term) const {
  std::vector<uint32_t> out;
  auto it = dict_.find(std::string(term));
  if (it == dict_.end()) return out;
  const Term& t = terms_[it->second];
  out.reserve(t.df);
  for (PostingCursor c(&t.base); c.slot() != kEndSlot; c.Next())
    if (where_[c.slot()] == kInBase) out.push_back(c.slot());
  const size_t base_end = out.size();
  for (const auto& [slot, tf] : t.pending) out.push_back(slot);
  std::sort(out.begin() + static_cast<ptrdiff_t>(base_end), out.end());
  std::inplace_merge(out.begin(), out.begin() + static_cast<ptrdiff_t>(base_end), out.end());
  return out;
}

std::string TextIndex::Verify(const std::vector<const std::string*>& texts) const {
  std::map<std::string, std::vector<std::pair<uint32_t, uint32_t>>> expected;
  std::vector<std::string> scratch;
  std::vector<std::pair<std::string, uint32_t>> counts;
  size_t docs = 0;
  uint64_t total = 0;
  for (size_t s = 0; s < texts.size(); ++s) {
    const bool indexed = s < where_.size() && where_[s] != kAbsent;
    if (!texts[s]) {
      if (indexed) return "slot " + std::to_string(s) + " is indexed but has no text";
      continue;
    }
    if (!indexed) return "slot " + std::to_string(s) + " has text but is not indexed";
    CountTerms(*texts[s], &scratch, &counts);
    uint32_t len = 0;
    for (auto& [term, tf] : counts) {
      expected[term].emplace_back(static_cast<uint32_t>(s), tf);
      len += tf;
    }
    if (doc_len_[s] != len)
      return "slot " + std::to_string(s) + " has length " + std::to_string(doc_len_[s]) +
             ", expected " + std::to_string(len);
    docs++;
    total += len;
  }
  for (size_t s = texts.size(); s < where_.size(); ++s)
    if (where_[s] != kAbsent) return "slot " + std::to_string(s) + " is indexed past the end";
  if (docs != num_docs_ || total != total_len_)
    return "document count or total length differs from the metadata";
  size_t live_terms = 0;
  for (const auto& [term, id] : dict_) {
    const Term& t = terms_[id];
    std::vector<std::pair<uint32_t, uint32_t>> actual;
    for (PostingCursor c(&t.base); c.slot() != kEndSlot; c.Next())
      if (where_[c.slot()] == kInBase) actual.emplace_back(c.slot(), c.tf());
    for (const auto& p : t.pending)
      if (where_[p.first] != kInPending) return "term '" + term + "' has a stale pending posting";
    actual.insert(actual.end(), t.pending.begin(), t.pending.end());
    std::sort(actual.begin(), actual.end());
    if (t.df != actual.size()) return "term '" + term + "' has a wrong document frequency";
    auto it = expected.find(term);
    if (actual.empty()) {
      if (it != expected.end()) return "term '" + term + "' lost its postings";
      continue;
    }
    live_terms++;
    if (it == expected.end() || it->second != actual)
      return "term '" + term + "' has postings that differ from the metadata";
  }
  if (live_terms != expected.size()) return "terms of the metadata are missing from the index";
  return "";
}

}  // namespace herondb::text
