// Database: text indexes, BM25 search and hybrid (vector + text) search.
//
// Each text index (text/text_index.h) covers one metadata field; the
// Database keeps it in step with every change of a slot's metadata
// (TextOnChange, called beside MetaIndex::Insert/Erase), folds its pending
// segment when it grows (TextAfterMutation), rebuilds it from the metadata
// at open and after compaction, and logs creating and dropping it (log
// record kind 3). Searches run under the read lock with the same filter plan
// (matching set) as vector search, so a where_filter selects the same
// records for both, and never makes results go missing (D8).
#include <algorithm>
#include <cmath>
#include <iterator>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "herondb/common/error.h"
#include "herondb/db/database.h"
#include "herondb/db/log_records.h"
#include "herondb/meta/filter.h"
#include "herondb/storage/log_writer.h"

namespace herondb {
namespace {

const std::string* FieldString(const Value* meta, const std::vector<std::string>& path) {
  const Value* v = ResolvePath(meta, path);
  return v && v->is_string() ? &v->as_string() : nullptr;
}

void CheckQuery(std::string_view query, const char* what) {
  if (query.find_first_not_of(" \t\n\r\f\v") == std::string_view::npos)
    Throw(ErrorCode::kInvalidArgument, std::string(what) + " must be a non-empty string");
}

// Supplied corpus statistics aligned with the query's terms; every term
// must be there and no df may exceed N.
text::Bm25Stats AlignStats(const text::CorpusStats& stats, const std::vector<std::string>& terms) {
  text::Bm25Stats out;
  out.num_docs = stats.num_docs;
  out.total_len = stats.total_len;
  out.df.reserve(terms.size());
  for (const std::string& t : terms) {
    auto it = stats.df.find(t);
    if (it == stats.df.end())
      Throw(ErrorCode::kInvalidArgument, "stats has no df for query term '" + t + "'");
    if (it->second > stats.num_docs)
      Throw(ErrorCode::kInvalidArgument, "stats df of '" + t + "' (" + std::to_string(it->second) +
                                             ") exceeds num_docs (" +
                                             std::to_string(stats.num_docs) + ")");
    out.df.push_back(it->second);
  }
  return out;
}

void CheckK(size_t k) {
  if (k < 1) Throw(ErrorCode::kInvalidArgument, "k must be >= 1, got " + std::to_string(k));
}

void CheckHybridOptions(const HybridOptions& o) {
  if (!(o.alpha >= 0 && o.alpha <= 1))
    Throw(ErrorCode::kInvalidArgument,
          "alpha must be between 0 and 1, got " + std::to_string(o.alpha));
  if (!std::isfinite(o.rrf_k) || o.rrf_k < 0)
    Throw(ErrorCode::kInvalidArgument,
          "rrf_k must be a finite number >= 0, got " + std::to_string(o.rrf_k));
  if (o.candidates && *o.candidates < 1)
    Throw(ErrorCode::kInvalidArgument, "candidates must be >= 1");
}

// Fuses a vector list (ascending distance) and a text list (descending
// score) into the k best slots, best first; ties by ascending id.
template <typename IdOf>
void Fuse(const std::vector<Neighbor>& vec, const std::vector<text::TextHit>& txt, size_t k,
          const HybridOptions& o, IdOf id_of, std::vector<std::pair<uint32_t, double>>* out) {
  std::unordered_map<uint32_t, double> score;
  score.reserve(vec.size() + txt.size());
  if (o.fusion == Fusion::kRrf) {
    for (size_t i = 0; i < vec.size(); ++i)
      score[vec[i].slot] += 1.0 / (o.rrf_k + static_cast<double>(i + 1));
    for (size_t i = 0; i < txt.size(); ++i)
      score[txt[i].slot] += 1.0 / (o.rrf_k + static_cast<double>(i + 1));
  } else {
    // Min-max normalized per list; a list whose scores are all equal gives 1.
    if (!vec.empty()) {
      const double hi = -static_cast<double>(vec.front().distance);
      const double lo = -static_cast<double>(vec.back().distance);
      for (const Neighbor& n : vec) {
        const double s = -static_cast<double>(n.distance);
        score[n.slot] += o.alpha * (hi > lo ? (s - lo) / (hi - lo) : 1.0);
      }
    }
    if (!txt.empty()) {
      const double hi = txt.front().score, lo = txt.back().score;
      for (const text::TextHit& h : txt) {
        const double s = h.score;
        score[h.slot] += (1 - o.alpha) * (hi > lo ? (s - lo) / (hi - lo) : 1.0);
      }
    }
    for (const Neighbor& n : vec) score.try_emplace(n.slot, 0.0);
  }
  out->assign(score.begin(), score.end());
  auto better = [&](const std::pair<uint32_t, double>& a, const std::pair<uint32_t, double>& b) {
    if (a.second != b.second) return a.second > b.second;
    return id_of(a.first) < id_of(b.first);
  };
  if (out->size() > k) {
    std::partial_sort(out->begin(), out->begin() + static_cast<ptrdiff_t>(k), out->end(), better);
    out->resize(k);
  } else {
    std::sort(out->begin(), out->end(), better);
  }
}

}  // namespace

std::unique_ptr<text::TextIndex> Database::BuildTextIndex(
    const text::TextIndexDef& def, const std::vector<std::string>& path) const {
  return BuildTextIndex(def, path, *index_, slot_meta_);
}

std::unique_ptr<text::TextIndex> Database::BuildTextIndex(const text::TextIndexDef& def,
                                                          const std::vector<std::string>& path,
                                                          const HnswIndex& index,
                                                          const std::vector<ValuePtr>& metas) const {
  auto built = std::make_unique<text::TextIndex>(def.language, text::Bm25Params{def.k1, def.b});
  std::vector<const std::string*> texts(index.size(), nullptr);
  for (uint32_t s = 0; s < index.size(); ++s)
    if (!index.IsDeleted(s)) texts[s] = FieldString(metas[s].get(), path);
  built->Build(texts, pool_);
  return built;
}

void Database::InstallTextIndex(const text::TextIndexDef& def,
                                std::unique_ptr<text::TextIndex> index) {
  InvalidateFilterCache();  // $match results may depend on the index's language
  text_.push_back({def, text::SplitFieldPath(def.field), std::move(index)});
  match_languages_.emplace_back(def.field, def.language);
}

void Database::RemoveTextIndex(const std::string& field) {
  InvalidateFilterCache();
  std::erase_if(text_, [&](const TextIndexEntry& e) { return e.def.field == field; });
  std::erase_if(match_languages_, [&](const auto& m) { return m.first == field; });
}

void Database::TextOnChange(uint32_t slot, const Value* old_meta, const Value* new_meta) {
  for (TextIndexEntry& e : text_) {
    if (const std::string* old_text = FieldString(old_meta, e.path))
      e.index->Erase(slot, *old_text);
    if (const std::string* new_text = FieldString(new_meta, e.path))
      e.index->Insert(slot, *new_text);
  }
}

void Database::TextAfterMutation() {
  for (TextIndexEntry& e : text_) e.index->MaybeMerge(pool_);
}

std::vector<Database::TextIndexEntry> Database::BuildTextIndexes(
    const HnswIndex& index, const std::vector<ValuePtr>& metas) const {
  std::vector<TextIndexEntry> built;
  for (const TextIndexEntry& e : text_)
    built.push_back({e.def, e.path, BuildTextIndex(e.def, e.path, index, metas)});
  return built;
}

std::vector<text::TextIndexDef> Database::TextDefsLocked() const {
  std::vector<text::TextIndexDef> defs;
  for (const TextIndexEntry& e : text_) defs.push_back(e.def);
  return defs;
}

std::vector<text::TextIndexDef> Database::TextIndexes() const {
  std::shared_lock lk(mu_);
  return TextDefsLocked();
}

void Database::CreateTextIndex(const text::TextIndexDef& def) {
  text::ValidateTextIndexDef(def);
  std::lock_guard w(write_mu_);  // writers take write_mu_, then mu_ (database.h)
  {
    std::unique_lock lk(mu_);
    CheckWritable();
    for (const TextIndexEntry& e : text_)
      if (e.def.field == def.field)
        Throw(ErrorCode::kAlreadyExists,
              "a text index on field '" + def.field + "' already exists");
    std::unique_ptr<text::TextIndex> index = BuildTextIndex(def, text::SplitFieldPath(def.field));
    EncodeTextIndexRecord(TextIndexOp::kCreate, def, &scratch_record_);
    log_->AddRecord(static_cast<uint8_t>(LogRecordType::kTextIndex), scratch_record_, false);
    dirty_ = true;
    InstallTextIndex(def, std::move(index));
  }
  SyncIfNeeded();
}

void Database::DropTextIndex(const std::string& field) {
  std::lock_guard w(write_mu_);  // writers take write_mu_, then mu_ (database.h)
  {
    std::unique_lock lk(mu_);
    CheckWritable();
    auto it = std::find_if(text_.begin(), text_.end(),
                           [&](const TextIndexEntry& e) { return e.def.field == field; });
    if (it == text_.end())
      Throw(ErrorCode::kNotFound, "there is no text index on field '" + field + "'");
    EncodeTextIndexRecord(TextIndexOp::kDrop, it->def, &scratch_record_);
    log_->AddRecord(static_cast<uint8_t>(LogRecordType::kTextIndex), scratch_record_, false);
    dirty_ = true;
    RemoveTextIndex(field);
  }
  SyncIfNeeded();
}

const Database::TextIndexEntry& Database::ResolveTextIndex(const std::string* field) const {
  std::string names;
  for (const TextIndexEntry& e : text_) names += (names.empty() ? "'" : ", '") + e.def.field + "'";
  if (text_.empty())
    Throw(ErrorCode::kInvalidArgument,
          "this database has no text index: create one with create_text_index(field)");
  if (field) {
    for (const TextIndexEntry& e : text_)
      if (e.def.field == *field) return e;
    Throw(ErrorCode::kInvalidArgument,
          "there is no text index on field '" + *field + "' (text indexes: " + names + ")");
  }
  if (text_.size() > 1)
    Throw(ErrorCode::kInvalidArgument,
          "this database has several text indexes (" + names + "): pass field=... to choose one");
  return text_[0];
}

std::string Database::VerifyTextIndexes() const {
  for (const TextIndexEntry& e : text_) {
    std::vector<const std::string*> texts(index_->size(), nullptr);
    for (uint32_t s = 0; s < index_->size(); ++s)
      if (!index_->IsDeleted(s)) texts[s] = FieldString(slot_meta_[s].get(), e.path);
    std::string err = e.index->Verify(texts);
    if (!err.empty()) return "text index on field '" + e.def.field + "': " + err;
  }
  return "";
}

std::optional<std::vector<uint32_t>> Database::TextMatchCandidates(const Filter& filter) const {
  if (!filter.has_match() || text_.empty()) return std::nullopt;
  const FilterNode& root = filter.root();
  std::vector<const FilterNode*> leaves;
  if (root.type == FilterNode::Type::kLeaf) leaves.push_back(&root);
  if (root.type == FilterNode::Type::kAnd)
    for (const FilterNode& c : root.children)
      if (c.type == FilterNode::Type::kLeaf) leaves.push_back(&c);
  std::optional<std::vector<uint32_t>> out;
  for (const FilterNode* leaf : leaves) {
    if (leaf->op != FilterOp::kMatch) continue;
    for (const TextIndexEntry& e : text_) {
      if (e.def.field != leaf->path.dotted) continue;
      const std::vector<std::string>& terms = leaf->match_terms[static_cast<int>(e.def.language)];
      if (terms.empty()) continue;
      // The rarest term's postings hold every match (a superset).
      const std::string* rarest = &terms[0];
      for (const std::string& t : terms)
        if (e.index->DocFreq(t) < e.index->DocFreq(*rarest)) rarest = &t;
      std::vector<uint32_t> slots = e.index->SlotsWith(*rarest);
      if (out) {
        std::vector<uint32_t> both;
        std::set_intersection(out->begin(), out->end(), slots.begin(), slots.end(),
                              std::back_inserter(both));
        *out = std::move(both);
      } else {
        out = std::move(slots);
      }
    }
  }
  return out;
}

void Database::TextFilterPlan(const Filter* filter, FilterPlan* plan) const {
  // Only the matching set: the vector search strategy (and its packed rows)
  // is of no use to a text search.
  plan->all = !filter || filter->matches_all();
  if (plan->all) return;
  uint64_t uses = 0;
  plan->set = MatchingSlots(*filter, &uses);
}

void Database::TextSearchLocked(const TextIndexEntry& e, const std::vector<std::string>& terms,
                                size_t k, const FilterPlan& plan,
                                std::vector<uint64_t>* allow_scratch,
                                std::vector<text::TextHit>* out, bool exhaustive,
                                const text::Bm25Stats* stats) const {
  text::SlotAllow allow;
  const text::SlotAllow* allow_ptr = nullptr;
  if (!plan.all) {
    if (!plan.set->bits.words.empty()) {
      allow.words = plan.set->bits.words.data();
      allow.num_words = plan.set->bits.words.size();
    } else {
      allow_scratch->assign((index_->size() + 63) / 64, 0);
      for (uint32_t s : plan.set->slots) (*allow_scratch)[s >> 6] |= uint64_t{1} << (s & 63);
      allow.words = allow_scratch->data();
      allow.num_words = allow_scratch->size();
    }
    allow_ptr = &allow;
  }
  if (exhaustive)
    e.index->SearchExhaustive(terms, k, allow_ptr, out, stats);
  else
    e.index->Search(terms, k, allow_ptr, out, stats);
}

std::vector<SearchHit> Database::SearchText(std::string_view query, size_t k,
                                            const std::string* field, const Filter* filter,
                                            const text::CorpusStats* stats) const {
  CheckK(k);
  CheckQuery(query, "query");
  std::shared_lock lk(mu_);
  const TextIndexEntry& e = ResolveTextIndex(field);
  std::vector<std::string> terms;
  e.index->QueryTerms(query, &terms);
  std::optional<text::Bm25Stats> st;
  if (stats) st = AlignStats(*stats, terms);
  FilterPlan plan;
  TextFilterPlan(filter, &plan);
  std::vector<uint64_t> allow;
  std::vector<text::TextHit> hits;
  TextSearchLocked(e, terms, k, plan, &allow, &hits, false, st ? &*st : nullptr);
  std::vector<SearchHit> out;
  out.reserve(hits.size());
  for (const text::TextHit& h : hits)
    out.push_back({std::string(ids_.id(h.slot)), -h.score, slot_meta_[h.slot]});
  return out;
}

std::vector<SearchHit> Database::SearchTextExhaustive(std::string_view query, size_t k,
                                                      const std::string* field,
                                                      const Filter* filter,
                                                      const text::CorpusStats* stats) const {
  CheckK(k);
  CheckQuery(query, "query");
  std::shared_lock lk(mu_);
  const TextIndexEntry& e = ResolveTextIndex(field);
  std::vector<std::string> terms;
  e.index->QueryTerms(query, &terms);
  std::optional<text::Bm25Stats> st;
  if (stats) st = AlignStats(*stats, terms);
  FilterPlan plan;
  TextFilterPlan(filter, &plan);
  std::vector<uint64_t> allow;
  std::vector<text::TextHit> hits;
  TextSearchLocked(e, terms, k, plan, &allow, &hits, /*exhaustive=*/true, st ? &*st : nullptr);
  std::vector<SearchHit> out;
  for (const text::TextHit& h : hits)
    out.push_back({std::string(ids_.id(h.slot)), -h.score, slot_meta_[h.slot]});
  return out;
}

text::CorpusStats Database::TextStats(std::string_view query, const std::string* field) const {
  CheckQuery(query, "query");
  std::shared_lock lk(mu_);
  const TextIndexEntry& e = ResolveTextIndex(field);
  std::vector<std::string> terms;
  e.index->QueryTerms(query, &terms);
  const text::Bm25Stats own = e.index->Stats(terms);
  text::CorpusStats out;
  out.num_docs = own.num_docs;
  out.total_len = own.total_len;
  for (size_t i = 0; i < terms.size(); ++i) out.df[terms[i]] = own.df[i];
  return out;
}

std::vector<SearchHit> Database::HybridSearch(const float* vector, std::string_view query, size_t k,
                                              const std::string* field, const Filter* filter,
                                              const HybridOptions& options) const {
  std::vector<std::string> queries{std::string(query)};
  return std::move(HybridSearchMany(vector, queries, k, field, filter, options)[0]);
}

std::vector<std::vector<SearchHit>> Database::HybridSearchMany(
    const float* vectors, const std::vector<std::string>& queries, size_t k,
    const std::string* field, const Filter* filter, const HybridOptions& options) const {
  CheckK(k);
  CheckHybridOptions(options);
  const size_t n = queries.size();
  for (size_t i = 0; i < n; ++i) {
    CheckQuery(queries[i], n == 1 ? "query" : ("query " + std::to_string(i)).c_str());
    ValidateVector(vectors + i * dim_,
                   n == 1 ? "query vector" : "query vector " + std::to_string(i));
  }
  const size_t cand =
      std::max(k, options.candidates.value_or(std::max(2 * k, kDefaultHybridCandidates)));
  const size_t ef = std::max(cand, options.ef_search.value_or(kDefaultEfSearch));
  std::vector<std::vector<SearchHit>> out(n);
  std::shared_lock lk(mu_);
  const TextIndexEntry& e = ResolveTextIndex(field);
  FilterPlan plan;
  PlanFilter(filter, ef, &plan);
  auto one = [&](size_t i, size_t) {
    thread_local std::vector<Neighbor> tl_found;
    thread_local std::vector<SearchHit> tl_vhits;
    thread_local std::vector<text::TextHit> tl_thits;
    thread_local std::vector<uint64_t> tl_allow;
    thread_local std::vector<std::string> tl_terms;
    thread_local std::vector<std::pair<uint32_t, double>> tl_fused;
    // This thread's scratch, by reference: `side` may run on another thread.
    std::vector<Neighbor>& found = tl_found;
    std::vector<SearchHit>& vhits = tl_vhits;
    std::vector<text::TextHit>& thits = tl_thits;
    std::vector<uint64_t>& allow = tl_allow;
    std::vector<std::string>& terms = tl_terms;
    std::vector<std::pair<uint32_t, double>>& fused = tl_fused;
    // The two sides are independent reads: one query runs them at once on
    // two threads when the pool is free (a batch parallelizes over queries).
    auto side = [&](size_t which, size_t) {
      if (which == 0) {
        SearchLocked(vectors + i * dim_, cand, ef, plan, std::nullopt, &found, &vhits);
      } else {
        e.index->QueryTerms(queries[i], &terms);
        TextSearchLocked(e, terms, cand, plan, &allow, &thits);
      }
    };
    if (n == 1) {
      pool_->ParallelFor(2, side);
    } else {
      side(0, 0);
      side(1, 0);
    }
    Fuse(found, thits, k, options, [&](uint32_t s) { return ids_.id(s); }, &fused);
    std::vector<SearchHit>& hits = out[i];
    hits.reserve(fused.size());
    for (const auto& [slot, score] : fused)
      hits.push_back({std::string(ids_.id(slot)), -static_cast<float>(score), slot_meta_[slot]});
  };
  if (n == 1)
    one(0, 0);
  else
    pool_->ParallelFor(n, one);
  return out;
}

}  // namespace herondb
