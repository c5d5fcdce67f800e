#include "herondb/db/database.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <mutex>
#include <unordered_set>

#include "herondb/common/error.h"
#include "herondb/db/log_records.h"
#include "herondb/meta/filter.h"
#include "herondb/storage/log_writer.h"

namespace herondb {
namespace {

std::string Quote(std::string_view id) {
  std::string s = "'";
  s.append(id.substr(0, 200));
  if (id.size() > 200) s += "...";
  s += "'";
  return s;
}

void CheckParam(std::optional<uint32_t> v, uint32_t lo, uint32_t hi, const char* name) {
  if (v && (*v < lo || *v > hi))
    Throw(ErrorCode::kInvalidArgument, std::string(name) + " must be between " +
                                           std::to_string(lo) + " and " + std::to_string(hi) +
                                           ", got " + std::to_string(*v));
}

}  // namespace

void Database::CheckPath(const std::string& path, std::string_view what) {
  if (path.empty()) Throw(ErrorCode::kInvalidArgument, std::string(what) + " must not be empty");
  if (path.find('\0') != std::string::npos)
    Throw(ErrorCode::kInvalidArgument, std::string(what) + " contains a NUL character (after " +
                                           Quote(path.substr(0, path.find('\0'))) + ")");
}

Database::Database(std::string path, const DatabaseOptions& options)
    : path_((CheckPath(path, "database path"), std::move(path))),
      env_(options.env ? options.env : Env::Default()),
      read_only_(options.read_only),
      sync_(options.sync),
      own_pool_(options.threads ? std::make_unique<ThreadPool>(options.threads) : nullptr),
      pool_(own_pool_ ? own_pool_.get() : &ThreadPool::Shared()) {
  CheckParam(options.dim, 1, 65536, "dim");
  CheckParam(options.m, 2, 256, "m");
  CheckParam(options.ef_construction, 1, 100000, "ef_construction");
  residency_ = options.residency;
  if (residency_ == VectorResidency::kAuto) {
    const char* env = std::getenv("HERONDB_VECTOR_RESIDENCY");
    const std::string v = env ? env : "";
    if (v == "map")
      residency_ = VectorResidency::kMap;
    else if (v == "load")
      residency_ = VectorResidency::kLoad;
    else if (!v.empty() && v != "auto")
      Throw(ErrorCode::kInvalidArgument,
            "HERONDB_VECTOR_RESIDENCY must be auto, map or load, not '" + v + "'");
  }
  promotion_step_hook_ = options.promotion_step_hook;
  if (options.promotion_chunk_bytes) promotion_chunk_bytes_ = options.promotion_chunk_bytes;
  OpenOrCreate(options);
  if (residency_ == VectorResidency::kAuto) MaybeStartPromotion();
}

// The on/off state is the snapshot's PARM quantize flag: switching marks the
// database changed, so the next save records it and reopening restores it.
void Database::EnableQuantizedSearch() {
  std::lock_guard w(write_mu_);
  std::unique_ptr<Sq8Quantizer> codes;
  if (!index_->quantized()) {
    std::shared_lock rd(mu_);  // training reads the rows beside readers
    codes = index_->TrainQuantizer();
  }
  std::unique_lock lk(mu_);
  ++block_version_;
  if (codes) index_->InstallQuantizer(std::move(codes));
  quantized_search_.store(true, std::memory_order_release);
  if (!quantize_ && !read_only_) dirty_ = true;
  quantize_ = true;
}

void Database::DisableQuantizedSearch() {
  std::lock_guard w(write_mu_);
  std::unique_lock lk(mu_);
  ++block_version_;
  index_->DisableQuantized();
  quantized_search_.store(false, std::memory_order_release);
  if (quantize_ && !read_only_) dirty_ = true;
  quantize_ = false;
}

void Database::SetQuantizedRerank(float sigmas, uint32_t extra) {
  std::lock_guard w(write_mu_);
  std::unique_lock lk(mu_);
  index_->SetRerank(sigmas, extra);
}

Database::~Database() { promotion_.Stop(); }

size_t Database::size() const {
  std::shared_lock lk(mu_);
  return ids_.live();
}
size_t Database::deleted_count() const {
  std::shared_lock lk(mu_);
  return index_->deleted_count();
}
size_t Database::total_slots() const {
  std::shared_lock lk(mu_);
  return index_->size();
}
bool Database::Contains(std::string_view id) const {
  std::shared_lock lk(mu_);
  return ids_.Find(id).has_value();
}

void Database::ValidateVector(const float* v, std::string_view what) const {
  // Fast path: a finite float32 sum of squares means every element is finite
  // (an infinity or NaN would make it Inf or NaN); only then is the norm
  // checked. Anything else takes the element-by-element pass below.
  const float f2 = kernels::Best().dot(v, v, dim_);
  if (std::isfinite(f2) && (f2 > 0 || !MetricNeedsNorms(metric_))) return;
  double n2 = 0;
  for (uint32_t i = 0; i < dim_; ++i) {
    if (!std::isfinite(v[i]))
      Throw(ErrorCode::kInvalidArgument, std::string(what) + " contains " +
                                             (std::isnan(v[i]) ? "NaN" : "an infinite value") +
                                             " at position " + std::to_string(i));
    n2 += static_cast<double>(v[i]) * v[i];
  }
  if (MetricNeedsNorms(metric_) && n2 == 0)
    Throw(ErrorCode::kInvalidArgument,
          std::string(what) + " is all zeros, which has no direction under the cosine metric");
}

void Database::ValidatePuts(const std::vector<PutEntry>& entries, bool require_new,
                            bool require_existing) const {
  std::unordered_set<std::string_view> seen;
  if (require_new) seen.reserve(entries.size());
  for (const PutEntry& e : entries) {
    if (e.id.empty()) Throw(ErrorCode::kInvalidArgument, "id must be a non-empty string");
    bool exists = ids_.Find(e.id).has_value();
    if (require_new) {
      if (exists) Throw(ErrorCode::kAlreadyExists, "id " + Quote(e.id) + " already exists");
      if (!seen.insert(e.id).second)
        Throw(ErrorCode::kInvalidArgument, "id " + Quote(e.id) + " appears more than once");
    }
    if (require_existing && !exists)
      Throw(ErrorCode::kNotFound, "id " + Quote(e.id) + " not found");
    if (!e.vector && !exists)
      Throw(ErrorCode::kInvalidArgument, "id " + Quote(e.id) + " needs a vector");
    if (e.vector) ValidateVector(e.vector, "vector for id " + Quote(e.id));
  }
}

// Applies validated puts: overwrites existing ids in place, inserts the new
// ones as one parallel batch. Later entries win over earlier ones.
void Database::ApplyPuts(const std::vector<PutEntry>& entries, bool all_new) {
  InvalidateFilterCache();
  ++block_version_;
  // A batch of adds holds no id twice (ValidatePuts); otherwise the last
  // occurrence of an id wins. The map is built only when needed: at 100k
  // ids it held ~5 MiB at the build's peak.
  std::unordered_map<std::string_view, size_t> last;
  if (!all_new) {
    last.reserve(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) last[entries[i].id] = i;
  }
  std::vector<size_t> fresh;
  fresh.reserve(all_new ? entries.size() : 0);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!all_new && last[entries[i].id] != i) continue;
    const PutEntry& e = entries[i];
    if (all_new) {
      fresh.push_back(i);
      continue;
    }
    std::optional<uint32_t> found = ids_.Find(e.id);
    if (!found) {
      fresh.push_back(i);
      continue;
    }
    uint32_t slot = *found;
    if (e.vector) index_->UpdateVector(slot, e.vector);
    if (e.set_metadata) {
      meta_index_.Erase(slot, slot_meta_[slot].get());
      meta_index_.Insert(slot, e.metadata.get());
      TextOnChange(slot, slot_meta_[slot].get(), e.metadata.get());
      slot_meta_[slot] = e.metadata;
    }
  }
  if (fresh.empty()) {
    TextAfterMutation();
    return;
  }
  // The new rows as one block: the caller's own when they already are one
  // (add_many of an array), else gathered into a copy.
  const float* block = entries[fresh[0]].vector;
  for (size_t j = 1; j < fresh.size() && block; ++j)
    if (entries[fresh[j]].vector != block + j * dim_) block = nullptr;
  std::vector<float> rows;
  if (!block) {
    rows.resize(fresh.size() * dim_);
    for (size_t j = 0; j < fresh.size(); ++j)
      std::copy_n(entries[fresh[j]].vector, dim_, rows.data() + j * dim_);
    block = rows.data();
  }
  // Reserve everything first so a failed allocation changes nothing.
  size_t id_bytes = 0;
  for (size_t j : fresh) id_bytes += entries[j].id.size();
  ids_.Reserve(fresh.size(), id_bytes);
  slot_meta_.reserve(index_->size() + fresh.size());
  uint32_t first = index_->AddBatch(block, fresh.size(), pool_);
  for (size_t j = 0; j < fresh.size(); ++j) {
    const PutEntry& e = entries[fresh[j]];
    ids_.Append(e.id);
    slot_meta_.push_back(e.metadata);
    meta_index_.Insert(first + static_cast<uint32_t>(j), e.metadata.get());
    TextOnChange(first + static_cast<uint32_t>(j), nullptr, e.metadata.get());
  }
  TextAfterMutation();
}

void Database::ApplyDeletes(const std::vector<uint32_t>& slots) {
  InvalidateFilterCache();
  for (uint32_t s : slots) {
    if (index_->IsDeleted(s)) continue;
    ids_.Kill(s);
    index_->MarkDeleted(s);
    meta_index_.Erase(s, slot_meta_[s].get());
    TextOnChange(s, slot_meta_[s].get(), nullptr);
    slot_meta_[s].reset();
  }
  TextAfterMutation();
}

void Database::Add(PutEntry entry) {
  std::vector<PutEntry> v;
  v.push_back(std::move(entry));
  AddMany(std::move(v));
}

void Database::AddMany(std::vector<PutEntry> entries) {
  if (entries.empty()) return;
  {
    std::lock_guard w(write_mu_);
    std::unique_lock lk(mu_);
    CheckWritable();
    ValidatePuts(entries, /*require_new=*/true, /*require_existing=*/false);
    LogPuts(PutOp::kAdd, entries);
    ApplyPuts(entries, /*all_new=*/true);
    MaybeCalibrate(false);
  }
  SyncIfNeeded();
}

void Database::UpsertMany(std::vector<PutEntry> entries) {
  for (const PutEntry& e : entries)
    if (!e.vector)
      Throw(ErrorCode::kInvalidArgument, "upsert of " + Quote(e.id) + " needs a vector");
  if (entries.empty()) return;
  {
    std::lock_guard w(write_mu_);
    std::unique_lock lk(mu_);
    CheckWritable();
    ValidatePuts(entries, false, false);
    LogPuts(PutOp::kUpsert, entries);
    ApplyPuts(entries);
    MaybeCalibrate(false);
  }
  SyncIfNeeded();
}

void Database::Update(PutEntry entry) {
  if (!entry.vector && !entry.set_metadata)
    Throw(ErrorCode::kInvalidArgument,
          "update of " + Quote(entry.id) + " needs a vector or metadata (got neither)");
  std::vector<PutEntry> v;
  v.push_back(std::move(entry));
  {
    std::lock_guard w(write_mu_);
    std::unique_lock lk(mu_);
    CheckWritable();
    ValidatePuts(v, false, /*require_existing=*/true);
    LogPuts(PutOp::kUpdate, v);
    ApplyPuts(v);
  }
  SyncIfNeeded();
}

bool Database::Delete(const std::string& id) { return DeleteMany({id}) == 1; }

size_t Database::DeleteMany(const std::vector<std::string>& ids) {
  std::vector<uint32_t> slots;
  {
    std::lock_guard w(write_mu_);
    std::unique_lock lk(mu_);
    CheckWritable();
    std::unordered_set<uint32_t> seen;
    for (const std::string& id : ids) {
      std::optional<uint32_t> slot = ids_.Find(id);
      if (slot && seen.insert(*slot).second) slots.push_back(*slot);
    }
    if (slots.empty()) return 0;
    LogDeletes(slots);
    ApplyDeletes(slots);
  }
  SyncIfNeeded();
  return slots.size();
}

void Database::Get(std::string_view id, std::vector<float>* vector, ValuePtr* metadata) const {
  std::shared_lock lk(mu_);
  std::optional<uint32_t> slot = ids_.Find(id);
  if (!slot) Throw(ErrorCode::kNotFound, "id " + Quote(id) + " not found");
  const float* v = index_->vector(*slot);
  vector->assign(v, v + dim_);
  *metadata = slot_meta_[*slot];
}

std::vector<std::string> Database::Ids() const {
  std::shared_lock lk(mu_);
  std::vector<std::string> out;
  out.reserve(ids_.live());
  for (uint32_t s = 0; s < ids_.slots(); ++s)
    if (!index_->IsDeleted(s)) out.emplace_back(ids_.id(s));
  return out;
}

bool Database::UseBruteForce(bool default_search) const {
  if (index_->size() <= kBruteForceSlots) return true;
  return default_search && ScanIsCheaper(calibration_, index_->size());
}

size_t Database::SearchEf(size_t k, std::optional<size_t> ef_search) const {
  if (ef_search) return std::max(k, *ef_search);
  if (calibration_.ef == 0) return std::max(k, kDefaultEfSearch);
  // Calibrated for recall@10; a larger k needs a proportionally wider beam.
  const size_t ef = calibration_.ef;
  return k <= kCalibrationK ? std::max(k, ef) : std::max(k, ef * k / kCalibrationK);
}

void Database::MaybeCalibrate(bool force) {
  if (index_->size() <= kBruteForceSlots) {
    calibration_ = SearchCalibration{};
    return;
  }
  if (!force && !CalibrationStale(calibration_, index_->live_count())) return;
  calibration_ = CalibrateSearch(*index_, pool_);
}

void Database::RebuildMetaIndex() {
  InvalidateFilterCache();
  meta_index_.Clear();
  for (uint32_t s = 0; s < slot_meta_.size(); ++s)
    if (!index_->IsDeleted(s)) meta_index_.Insert(s, slot_meta_[s].get());
}

std::shared_ptr<const MatchSet> Database::MatchingSlots(const Filter& filter,
                                                        uint64_t* uses) const {
  *uses = 0;
  const std::string& key = filter.cache_key();
  if (!key.empty())
    if (std::shared_ptr<const MatchSet> hit = filter_cache_.Find(key, uses)) return hit;
  const uint64_t epoch = filter_cache_.epoch();
  auto set = std::make_shared<MatchSet>();
  std::vector<uint32_t>& slots = set->slots;
  // From the metadata index when it answers exactly, else its candidates
  // (or every live slot) checked one by one.
  // A $match on a text-indexed field narrows by its postings.
  std::optional<MetaIndex::Candidates> cands = meta_index_.Plan(filter);
  if (std::optional<std::vector<uint32_t>> text = TextMatchCandidates(filter)) {
    if (cands) {
      std::vector<uint32_t> both;
      std::set_intersection(cands->slots.begin(), cands->slots.end(), text->begin(), text->end(),
                            std::back_inserter(both));
      cands->slots = std::move(both);
    } else {
      cands.emplace();
      cands->slots = std::move(*text);
    }
    cands->exact = false;
  }
  if (cands && cands->exact) {
    slots = std::move(cands->slots);
  } else if (cands) {
    for (uint32_t s : cands->slots)
      if (filter.Matches(slot_meta_[s].get(), &match_languages_)) slots.push_back(s);
  } else {
    for (uint32_t s = 0; s < index_->size(); ++s)
      if (!index_->IsDeleted(s) && filter.Matches(slot_meta_[s].get(), &match_languages_))
        slots.push_back(s);
  }
  slots.shrink_to_fit();
  // The bitmap only where PlanFilter may choose the graph walk.
  const size_t live = index_->live_count();
  if (!UseBruteForce() && slots.size() > kExactScanMatches &&
      slots.size() * kExactScanFraction > live) {
    set->bits.words.assign((index_->size() + 63) / 64, 0);
    for (uint32_t s : slots) set->bits.Set(s);
  }
  if (!key.empty()) filter_cache_.Insert(key, epoch, set);
  return set;
}

void Database::PlanFilter(const Filter* filter, size_t ef, FilterPlan* plan) const {
  plan->all = !filter || filter->matches_all();
  plan->exact_scan = UseBruteForce();
  plan->ef = ef;
  plan->far_ef = ef;
  plan->set.reset();
  if (plan->all) return;
  // The calibration measures the unfiltered walk; a filtered walk without
  // ef_search keeps at least the beam it was tuned with (docs/filters.md).
  if (plan->default_search && ef < kDefaultEfSearch) {
    ef = kDefaultEfSearch;
    plan->ef = plan->far_ef = ef;
  }
  uint64_t uses = 0;
  plan->set = MatchingSlots(*filter, &uses);
  // Exact scan: `matches` distances, streamed. Filtered walk (two-hop, see
  // HnswIndex::SearchTwoHop): it scores only matching slots, and costs about as
  // much as an exact scan of kWalkCostPerEf * ef rows whatever the
  // selectivity. Below kExactScanFraction the matches' two-hop links thin
  // out, so the exact scan is kept there for recall.
  const size_t matches = plan->set->slots.size();
  const size_t live = std::max<size_t>(index_->live_count(), 1);
  // A query away from the matches (see HnswIndex::SearchTwoHop) gets the
  // beam widened as selectivity drops: ef * sqrt(live / matches), rounded
  // up, at most ef * kMaxEfWiden.
  const double inv_selectivity =
      static_cast<double>(live) / static_cast<double>(std::max<size_t>(matches, 1));
  plan->far_ef = ef * std::clamp<size_t>(static_cast<size_t>(std::ceil(std::sqrt(inv_selectivity))),
                                         1, kMaxEfWiden);
  plan->exact_scan = plan->exact_scan || plan->set->bits.words.empty() ||
                     matches <= kExactScanMatches || matches * kExactScanFraction <= live ||
                     matches <= kWalkCostPerEf * ef;
  // A filter scanned exactly again: keep a packed copy of its rows in the
  // cache (the first search of a filter does not pay for the copy).
  if (plan->exact_scan && uses > 0 && !plan->set->has_packed() && matches > 0 &&
      matches * index_->dim() * sizeof(float) <= filter_cache_.max_packed_bytes()) {
    auto packed = std::make_shared<MatchSet>();
    packed->slots = plan->set->slots;
    packed->bits = plan->set->bits;
    index_->PackRows(packed->slots, &packed->packed);
    filter_cache_.Insert(filter->cache_key(), filter_cache_.epoch(), packed);
    plan->set = std::move(packed);
  }
}

void Database::SearchLocked(const float* query, size_t k, size_t ef, const FilterPlan& plan,
                            std::optional<float> max_distance, std::vector<Neighbor>* found,
                            std::vector<SearchHit>* out) const {
  if (plan.all) {
    if (UseBruteForce(plan.default_search))
      index_->ExactSearch(query, k, nullptr, nullptr, found);
    else
      index_->Search(query, k, ef, nullptr, found);
  } else if (plan.exact_scan && plan.set->has_packed()) {
    index_->ExactSearchPacked(query, k, plan.set->packed, found);
  } else if (plan.exact_scan) {
    index_->ExactSearch(query, k, nullptr, &plan.set->slots, found);
  } else {
    index_->SearchTwoHop(query, k, plan.ef, plan.far_ef, plan.set->bits, found);
    // D8: never fewer than min(k, matches) results.
    if (found->size() < std::min(k, plan.set->slots.size()))
      index_->ExactSearch(query, k, nullptr, &plan.set->slots, found);
  }
  // The winners' ids and metadata lie anywhere in memory, and taking a
  // reference to the metadata is a locked instruction that waits for its
  // line: fetch them all first so the misses overlap.
  for (const Neighbor& n : *found) {
    __builtin_prefetch(&slot_meta_[n.slot]);
    __builtin_prefetch(&ids_.offsets()[n.slot]);
  }
  for (const Neighbor& n : *found) {
    if (const Value* v = slot_meta_[n.slot].get()) {
      // make_shared puts the reference counts just before the value.
      __builtin_prefetch(reinterpret_cast<const char*>(v) - 16);
    }
    __builtin_prefetch(ids_.bytes().data() + ids_.offsets()[n.slot]);
  }
  out->clear();
  out->reserve(found->size());
  for (const Neighbor& n : *found) {
    if (max_distance && !(n.distance <= *max_distance)) break;
    out->push_back({std::string(ids_.id(n.slot)), n.distance, slot_meta_[n.slot]});
  }
}

std::vector<SearchHit> Database::Search(const float* query, size_t k,
                                        std::optional<size_t> ef_search, const Filter* filter,
                                        std::optional<float> max_distance) const {
  if (k < 1) Throw(ErrorCode::kInvalidArgument, "k must be >= 1, got " + std::to_string(k));
  ValidateVector(query, "query vector");
  std::vector<SearchHit> out;
  std::vector<Neighbor> found;
  FilterPlan plan;
  std::shared_lock lk(mu_);
  const size_t ef = SearchEf(k, ef_search);
  plan.default_search = !ef_search;
  PlanFilter(filter, ef, &plan);
  SearchLocked(query, k, ef, plan, max_distance, &found, &out);
  return out;
}

std::vector<std::vector<SearchHit>> Database::SearchMany(const float* queries, size_t n, size_t k,
                                                         std::optional<size_t> ef_search,
                                                         const Filter* filter,
                                                         std::optional<float> max_distance) const {
  if (k < 1) Throw(ErrorCode::kInvalidArgument, "k must be >= 1, got " + std::to_string(k));
  for (size_t i = 0; i < n; ++i)
    ValidateVector(queries + i * dim_, "query vector " + std::to_string(i));
  std::vector<std::vector<SearchHit>> out(n);
  FilterPlan plan;
  std::shared_lock lk(mu_);
  const size_t ef = SearchEf(k, ef_search);
  plan.default_search = !ef_search;
  PlanFilter(filter, ef, &plan);  // once per call, shared by every query
  pool_->ParallelFor(n, [&](size_t i, size_t) {
    thread_local std::vector<Neighbor> found;
    SearchLocked(queries + i * dim_, k, ef, plan, max_distance, &found, &out[i]);
  });
  return out;
}

Database::FilterExplain Database::ExplainFilter(const Filter* filter, size_t k,
                                                std::optional<size_t> ef_search) const {
  FilterPlan plan;
  std::shared_lock lk(mu_);
  plan.default_search = !ef_search;
  PlanFilter(filter, SearchEf(k, ef_search), &plan);
  FilterExplain e;
  e.matches = plan.all ? index_->live_count() : plan.set->slots.size();
  e.exact_scan = plan.exact_scan;
  e.ef = plan.ef;
  e.far_ef = plan.far_ef;
  return e;
}

size_t Database::Count(const Filter* filter) const {
  std::shared_lock lk(mu_);
  if (!filter || filter->matches_all()) return ids_.live();
  if (std::optional<size_t> n = meta_index_.Count(*filter)) return *n;
  if (filter->has_match()) {
    uint64_t uses = 0;
    return MatchingSlots(*filter, &uses)->slots.size();
  }
  size_t count = 0;
  if (std::optional<MetaIndex::Candidates> cands = meta_index_.Plan(*filter)) {
    for (uint32_t s : cands->slots) count += filter->Matches(slot_meta_[s].get());
    return count;
  }
  for (uint32_t s = 0; s < index_->size(); ++s)
    if (!index_->IsDeleted(s) && filter->Matches(slot_meta_[s].get())) ++count;
  return count;
}

DatabaseStats Database::Stats() const {
  std::shared_lock lk(mu_);
  DatabaseStats st;
  st.num_vectors = ids_.live();
  st.num_deleted = index_->deleted_count();
  st.graph = index_->Stats();
  st.uses_brute_force = UseBruteForce(/*default_search=*/true);
  st.ef_search_default = SearchEf(kCalibrationK, std::nullopt);
  // The sample's recall, to the precision 200 queries give it.
  st.calibration_seconds = calibration_.seconds;
  st.ef_search_default_recall =
      calibration_.ef ? std::round(static_cast<double>(calibration_.recall) * 1e4) / 1e4 : -1.0;
  st.memory_quantized_bytes = st.graph.memory_quantized_bytes;
  st.memory_filter_cache_bytes = filter_cache_.stats().bytes;
  // True only when searches actually walk the graph with codes (the exact
  // scan of small collections uses float32).
  // True whenever quantized search is on (vctrs's meaning), also while the
  // collection is small enough that searches scan exactly.
  st.uses_quantized_search = index_->quantized();
  st.vector_residency = ResidencyLocked();
  return st;
}

std::string Database::Verify() const {
  std::shared_lock lk(mu_);
  std::string err = index_->Verify();
  if (!err.empty()) return err;
  if (ids_.slots() != index_->size() || slot_meta_.size() != index_->size())
    return "id map and index disagree on the slot count";
  if (ids_.live() != index_->live_count()) return "id map and index disagree on live count";
  if (meta_index_.size() != index_->live_count())
    return "metadata index and index disagree on live count";
  for (uint32_t s = 0; s < ids_.slots(); ++s) {
    std::optional<uint32_t> found = ids_.Find(ids_.id(s));
    if (index_->IsDeleted(s) ? found == s : found != s)
      return "id " + Quote(ids_.id(s)) + " maps to a wrong slot";
  }
  return VerifyTextIndexes();
}

}  // namespace herondb
