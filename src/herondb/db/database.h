// Database: string ids, metadata and an HNSW index tied together, stored in
// a directory (snapshots + a write-ahead log; storage/manifest.h names the
// files, docs/storage-format.md describes them).
//
// Contract:
// - Durability (api-decisions D13): every mutating call appends one record
//   to the write-ahead log before it changes memory and before it returns,
//   so a call that returned survives the process being killed. With
//   options.sync it is also fsynced (group commit: concurrent writers share
//   an fsync) and survives power loss. Save() writes snapshot N+1, switches
//   CURRENT to it atomically and starts an empty log; Compact() does the
//   same with a graph rebuilt from the live vectors. A crash at any point
//   leaves generation N or N+1, never a mix.
// - Opening replays the log of the live generation on top of its snapshot:
//   a torn last record is dropped; damage before it, a damaged snapshot or
//   CURRENT, or a missing file is Error(kCorruption) naming the file.
// - Locking: a writer holds <dir>/LOCK (storage/file_lock.h); a second
//   writer gets kLocked at once. options.read_only opens without the lock,
//   sees the state as of opening, and every mutating call is kReadOnly.
// - I/O failures are kIOError and leave memory and disk as before the call.
// - Thread safety: any number of concurrent readers (Search, SearchMany, Get,
//   Count, Ids, Contains, Stats); writers are serialized and exclusive. Batch
//   writers (AddMany, UpsertMany) insert in parallel on the process's shared
//   thread pool (common/thread_pool.h) while holding the write lock.
// - Maintenance (Save, Compact, Enable/DisableQuantizedSearch) never makes
//   readers wait for its costly part: it holds write_mu_ (so writers and
//   other maintenance wait) and only a shared lock on mu_ while it copies
//   rows, builds the new graph, trains the SQ8 codes or writes the snapshot;
//   it takes mu_ exclusively only to swap the result in. A reader waits at
//   most for one writer's exclusive section (applying one batch) or such a
//   swap. Lock order: write_mu_, then mu_, then log_mu_.
// - Every call is all-or-nothing: each input is validated before anything
//   changes (duplicate ids, unknown ids, dimension, NaN/Inf, zero vectors
//   under cosine), and a call that throws leaves the database as it was.
// - Distances follow api-decisions D2; Search returns min(k, live matches)
//   results ascending, narrowed by max_distance when given (D8).
// - Filters (D7): a MetaIndex over the live slots' metadata, kept in step by
//   every mutation, answers Count and narrows a filtered search to its
//   matching slots (kept in a FilterCache until the next mutation). The
//   search then scans those slots exactly when that is cheaper than a
//   filtered graph walk (few matches), else walks the graph with the
//   matching set as a bitmap, scoring only matching nodes and reaching them
//   through non-matching neighbours' lists (two hops), falling back to the
//   exact scan if the walk returns fewer than min(k, matches)
//   (docs/filters.md).
// - Metadata is an immutable Value shared with callers (ValuePtr; null means
//   "no metadata").
// - Text search (database_text.cc, api-decisions D22, docs/text-search.md):
//   text indexes over string metadata fields, kept in step by every
//   mutation like the metadata index; their definitions are logged and
//   saved, their postings rebuilt from the metadata at open.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "herondb/common/thread_pool.h"
#include "herondb/db/compiled_filters.h"
#include "herondb/db/db_snapshot.h"
#include "herondb/db/filter_cache.h"
#include "herondb/db/id_map.h"
#include "herondb/db/promotion_task.h"
#include "herondb/index/hnsw.h"
#include "herondb/meta/meta_index.h"
#include "herondb/meta/value.h"
#include "herondb/storage/env.h"
#include "herondb/storage/file_lock.h"
#include "herondb/text/text_index.h"
#include "herondb/text/text_index_def.h"

namespace herondb {

class Filter;
class LogWriter;
enum class PutOp : uint8_t;

struct DatabaseOptions {
  std::optional<uint32_t> dim;
  std::optional<Metric> metric;
  std::optional<uint32_t> m;
  std::optional<uint32_t> ef_construction;
  bool quantize = false;
  // 0: the process's shared pool (ThreadPool::Shared, sized by
  // HERONDB_THREADS / herondb.set_threads); n: a pool of its own of n.
  size_t threads = 0;
  bool read_only = false;
  bool sync = false;   // fsync every write before returning
  Env* env = nullptr;  // null: Env::Default() (tests inject faults)
  // How an opened snapshot's vectors are held (db_snapshot.h). kAuto also
  // honours the environment variable HERONDB_VECTOR_RESIDENCY (auto, map or
  // load); any other value of it is kInvalidArgument at open.
  VectorResidency residency = VectorResidency::kAuto;
  // Tests only: called by the background promotion (database_residency.cc)
  // before each chunk it copies, holding no lock; and that chunk's size
  // (0: the default, kPromotionChunkBytes).
  std::function<void()> promotion_step_hook;
  size_t promotion_chunk_bytes = 0;
  // Read-only opens only: open this generation's files instead of the one
  // CURRENT names (for `herondb recover`, db/recover.h); the database id is
  // taken from the snapshot.
  std::optional<uint64_t> generation;
};

struct SearchHit {
  std::string id;
  float distance;
  ValuePtr metadata;
};

// One entry of a put (add / upsert / update). `vector` null keeps the stored
// vector (only for existing ids); `set_metadata` false keeps the metadata.
struct PutEntry {
  std::string id;
  const float* vector = nullptr;
  bool set_metadata = true;
  ValuePtr metadata;
};

// How HybridSearch fuses its two lists (docs/text-search.md).
enum class Fusion : uint8_t { kRrf, kWeighted };

struct HybridOptions {
  std::optional<size_t> ef_search;  // the vector side's beam (as Search)
  Fusion fusion = Fusion::kRrf;
  double rrf_k = 60;                 // RRF: sum of 1 / (rrf_k + rank)
  double alpha = 0.5;                // weighted: alpha * vector + (1 - alpha) * text
  std::optional<size_t> candidates;  // per side; default max(2k, kDefaultHybridCandidates)
};

struct DatabaseStats {
  size_t num_vectors = 0;
  size_t num_deleted = 0;
  GraphStats graph;
  size_t memory_quantized_bytes = 0;
  size_t memory_filter_cache_bytes = 0;  // matching sets and packed rows kept
  bool uses_brute_force = false;         // a search without ef_search scans exactly
  bool uses_quantized_search = false;
  // The ef of a search without ef_search (k <= 10), and the recall@10 that
  // calibration measured there (-1: not calibrated; see
  // db/search_calibration.h).
  size_t ef_search_default = 0;
  double ef_search_default_recall = -1;
  double calibration_seconds = 0;  // time the last calibration in this process took
  // Where the block the graph walk reads (the float32 vectors, or the SQ8
  // codes while quantized search is on) lives: "mapped" from the snapshot
  // file, "loading" while the background promotion copies it, "loaded" in
  // memory (database_residency.cc).
  const char* vector_residency = "loaded";
};

class Database {
 public:
  static constexpr uint32_t kDefaultM = 16;
  static constexpr uint32_t kDefaultEfConstruction = 200;
  // ef_search when the caller gives none and no calibration exists yet
  // (D9; see db/search_calibration.h and docs/tuning.md): a collection
  // above kBruteForceSlots calibrates its own default ef on its vectors
  // after a batch write, save or compaction that finds the last
  // calibration stale (CalibrationStale), and scans exactly when that is
  // cheaper than the calibrated walk (ScanIsCheaper).
  static constexpr size_t kDefaultEfSearch = 64;
  // At or below this many slots, searches scan exactly instead of walking
  // the graph (whatever ef_search).
  static constexpr size_t kBruteForceSlots = 2048;
  // A filtered search scans its matching set exactly when it holds at most
  // this many slots, or at most 1/kExactScanFraction of the live slots.
  static constexpr size_t kExactScanMatches = 4096;
  static constexpr size_t kExactScanFraction = 50;
  // Above those, the exact scan is still chosen while the set holds at most
  // kWalkCostPerEf * ef slots: the two-hop filtered walk with beam ef costs
  // about as much as an exact scan of that many rows (calibrated on 100k x
  // 384 MiniLM embeddings, ef 64: walk ~0.35 ms, scan ~57 us per 1000 rows;
  // see docs/filters.md).
  static constexpr size_t kWalkCostPerEf = 96;
  // The walk's beam for a query away from the matches: ef * sqrt(live /
  // matches), rounded up, at most ef * kMaxEfWiden.
  static constexpr size_t kMaxEfWiden = 4;

  // Opens the database at `path`, or creates it when there is none and
  // options.dim is given (kInvalidArgument when not).
  Database(std::string path, const DatabaseOptions& options);
  ~Database();  // closes the log (no sync) and releases the lock
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::string& path() const { return path_; }
  uint32_t dim() const { return dim_; }
  Metric metric() const { return metric_; }
  uint32_t m() const { return params_.m; }
  uint32_t ef_construction() const { return params_.ef_construction; }

  size_t size() const;
  size_t deleted_count() const;
  size_t total_slots() const;
  bool Contains(std::string_view id) const;

  // Insert one new id; kAlreadyExists if it is live.
  void Add(PutEntry entry);
  // Insert new ids; kAlreadyExists if any is live or repeated in the batch.
  // `vectors` holds entries.size() rows.
  void AddMany(std::vector<PutEntry> entries);
  // Insert or overwrite (vector and metadata); in a batch the last
  // occurrence of an id wins.
  void UpsertMany(std::vector<PutEntry> entries);
  // Change the vector and/or metadata of a live id; kNotFound otherwise.
  void Update(PutEntry entry);
  bool Delete(const std::string& id);
  size_t DeleteMany(const std::vector<std::string>& ids);

  // kNotFound when the id is not live.
  void Get(std::string_view id, std::vector<float>* vector, ValuePtr* metadata) const;
  std::vector<std::string> Ids() const;

  std::vector<SearchHit> Search(const float* query, size_t k, std::optional<size_t> ef_search,
                                const Filter* filter, std::optional<float> max_distance) const;
  std::vector<std::vector<SearchHit>> SearchMany(const float* queries, size_t n, size_t k,
                                                 std::optional<size_t> ef_search,
                                                 const Filter* filter,
                                                 std::optional<float> max_distance) const;
  size_t Count(const Filter* filter) const;

  // How Search would run `filter` (for tests, benchmarks and docs).
  struct FilterExplain {
    size_t matches = 0;       // live slots matching the filter
    bool exact_scan = false;  // true: exact scan of the matches; false: graph walk
    size_t ef = 0;            // the walk's beam
    size_t far_ef = 0;        // its beam for a query away from the matches
  };
  FilterExplain ExplainFilter(const Filter* filter, size_t k,
                              std::optional<size_t> ef_search) const;

  DatabaseStats Stats() const;
  // Hits, misses and size of the cache of filter matching sets (tests,
  // benchmarks); invalidations counts the mutations that emptied it.
  FilterCacheStats filter_cache_stats() const { return filter_cache_.stats(); }
  // Parsed filters of recent filter documents (for the bindings).
  CompiledFilters& compiled_filters() const { return compiled_filters_; }
  // Checks the graph's invariants and the id map; empty string when sound.
  std::string Verify() const;

  bool read_only() const { return read_only_; }
  // Makes every later mutating call fsync the log, as options.sync does
  // (used when a handle asking for sync shares an open database).
  void EnableSync() { sync_.store(true, std::memory_order_release); }
  uint64_t generation() const;
  // The id recorded in the live generation's files (zero for a database
  // written before ids existed; it gets one at its next save).
  DbId files_id() const;

  // Writes a snapshot and truncates the log (a no-op when nothing changed
  // since the last one). Maintenance: readers run while it writes.
  void Save();
  // Rebuilds the graph from the live vectors only and saves the result:
  // afterwards deleted_count() == 0 and total_slots() == size().
  // Maintenance: readers keep the old state while it rebuilds and writes.
  void Compact();
  // Checks every checksum of the live snapshot and log, and the in-memory
  // graph and id map; throws kCorruption naming the damage.
  void VerifyFiles() const;

  // JSON export (api-decisions D19), streamed record by record.
  void ExportJson(const std::string& file, bool pretty) const;
  // Upserts every record of an export as one atomic batch; the file is
  // parsed incrementally (only the decoded vectors are held).
  void ImportJson(const std::string& file);

  // SQ8 quantized graph traversal (HnswIndex): enabling trains the ranges on
  // the stored vectors and encodes them; results keep exact float32
  // distances (candidates are re-ranked). Exact scans (small collections,
  // selective filters) never use the codes. Maintenance: enabling trains
  // beside readers and takes the exclusive lock only to install the codes.
  void EnableQuantizedSearch();
  void DisableQuantizedSearch();
  // How many code-distance candidates quantized search re-ranks exactly
  // (HnswIndex::SetRerank; not persisted, for tuning and benchmarks).
  void SetQuantizedRerank(float sigmas, uint32_t extra);
  bool quantized_search() const { return quantized_search_.load(std::memory_order_acquire); }

  // ---- vector residency (database_residency.cc) ----
  // With residency kAuto, opening maps the snapshot's vector block (and the
  // SQ8 code block) and serves from the mapping at once; a background task
  // then copies the blocks that the policy (ResolveResidency) holds in
  // memory into huge pages and swaps them in, unless the database changed
  // meanwhile (docs/storage-format.md "Vector residency").
  static constexpr size_t kPromotionChunkBytes = size_t{4} << 20;
  // Tries before the promotion gives up on a database that keeps changing.
  static constexpr int kPromotionAttempts = 4;
  // Blocks until the background promotion (if one runs) has finished.
  void WaitForPromotion() { promotion_.Wait(); }

  // kInvalidArgument unless `path` is usable as a file or directory name:
  // not empty and without NUL characters (which the OS would cut at).
  // `what` names it in the message ("database path", "export path", ...).
  static void CheckPath(const std::string& path, std::string_view what);

  // Validates one vector for this database; `what` names it in messages.
  void ValidateVector(const float* v, std::string_view what) const;

  // ---- text search (database_text.cc) ----
  static constexpr size_t kDefaultHybridCandidates = 50;
  // Indexes def.field of every record (now and later); kAlreadyExists when
  // the field has one, kInvalidArgument for a bad definition. Logged.
  void CreateTextIndex(const text::TextIndexDef& def);
  // kNotFound when the field has no text index. Logged.
  void DropTextIndex(const std::string& field);
  std::vector<text::TextIndexDef> TextIndexes() const;
  // BM25 top k (distance = -score) of the records matching `filter` that
  // hold at least one query term. `field` null: the only text index.
  // `stats` (advanced, what ShardedDatabase uses): score with these corpus
  // statistics instead of the index's own; kInvalidArgument when they lack a
  // query term or a df exceeds num_docs.
  std::vector<SearchHit> SearchText(std::string_view query, size_t k, const std::string* field,
                                    const Filter* filter,
                                    const text::CorpusStats* stats = nullptr) const;
  // The corpus statistics SearchText scores `query` with: live documents,
  // their total length and the df of each distinct analyzed query term.
  text::CorpusStats TextStats(std::string_view query, const std::string* field) const;
  std::vector<SearchHit> HybridSearch(const float* vector, std::string_view query, size_t k,
                                      const std::string* field, const Filter* filter,
                                      const HybridOptions& options) const;
  std::vector<std::vector<SearchHit>> HybridSearchMany(const float* vectors,
                                                       const std::vector<std::string>& queries,
                                                       size_t k, const std::string* field,
                                                       const Filter* filter,
                                                       const HybridOptions& options) const;
  // The exhaustive BM25 top k (tests compare SearchText's MaxScore to it).
  std::vector<SearchHit> SearchTextExhaustive(std::string_view query, size_t k,
                                              const std::string* field, const Filter* filter,
                                              const text::CorpusStats* stats = nullptr) const;

 private:
  struct Slot;
  // The live slots a filter selects (null filter or {}: all).
  struct FilterPlan {
    bool all = true;
    bool exact_scan = false;              // scan the set exactly instead of the graph
    size_t ef = 0;                        // beam of the filtered graph walk
    size_t far_ef = 0;                    // its beam for a query away from the matches
    std::shared_ptr<const MatchSet> set;  // the matching slots (!all); bits when walking
    bool default_search = false;          // no ef_search given (set by the caller)
  };
  void ValidatePuts(const std::vector<PutEntry>& entries, bool require_new,
                    bool require_existing) const;
  // all_new: every entry is a new id, none repeated (validated adds).
  void ApplyPuts(const std::vector<PutEntry>& entries, bool all_new = false);
  // Storage: see database_storage.cc.
  void CheckWritable() const;
  void LogPuts(PutOp op, const std::vector<PutEntry>& entries);
  void LogDeletes(const std::vector<uint32_t>& slots);
  void SyncIfNeeded();
  void OpenOrCreate(const DatabaseOptions& options);
  void Create(const DatabaseOptions& options);
  void Load(uint64_t generation, const std::optional<DbId>& expected_id,
            const DatabaseOptions& options);
  // Throws kCorruption when the directory holds snapshot or log files but
  // no CURRENT, unless they are the leftovers of a creation that never
  // reached CURRENT (generation 1, no logged record). See database_storage.cc.
  void RefuseOrphanFiles() const;
  void Adopt(LoadedDbState state);
  void Replay(const std::string& log_path, uint64_t generation, uint64_t* valid_end,
              size_t* header_size);
  // Writes `state` as generation_ + 1 and makes it live (save protocol).
  // Called with write_mu_ held and `reading` a shared lock on mu_; once
  // CURRENT names the new generation it trades `reading` for an exclusive
  // lock on mu_, installs the new log and generation and calls `install`
  // (the caller's swap of its state) there. On failure nothing is swapped.
  void SwitchGeneration(const DbStateView& state, std::shared_lock<std::shared_mutex>* reading,
                        const std::function<void()>& install);
  void RemapVectors();
  // Residency (database_residency.cc). Which mapped blocks the policy wants
  // in memory (mu_ held, or no other thread yet).
  struct PromotionWants {
    bool vectors = false;
    bool codes = false;
    bool any() const { return vectors || codes; }
  };
  PromotionWants PromotionTargetsLocked() const;
  // Starts the background promotion when it has work and none runs (mu_
  // held, or from the constructor).
  void MaybeStartPromotion();
  void RunPromotion(const std::atomic<bool>& cancel);
  const char* ResidencyLocked() const;
  void ApplyDeletes(const std::vector<uint32_t>& slots);
  void SearchLocked(const float* query, size_t k, size_t ef, const FilterPlan& plan,
                    std::optional<float> max_distance, std::vector<Neighbor>* scratch,
                    std::vector<SearchHit>* out) const;
  // Whether a search scans exactly: always at or below kBruteForceSlots;
  // for a search without ef_search also when the scan is cheaper than the
  // calibrated walk.
  bool UseBruteForce(bool default_search = false) const;
  // The beam of a search for k results (ef_search null: the default).
  size_t SearchEf(size_t k, std::optional<size_t> ef_search) const;
  // Recalibrates the default search when the calibration is stale (or
  // always with `force`); drops it at or below kBruteForceSlots. Writers.
  void MaybeCalibrate(bool force);
  // Selects the matching live slots and picks the search strategy for beam
  // `ef` (shared by every query of a call).
  void PlanFilter(const Filter* filter, size_t ef, FilterPlan* plan) const;
  // The live slots matching `filter` (not {}), from filter_cache_ when it
  // holds them, else evaluated (and cached when the filter has a key). The
  // set carries its bitmap when a graph walk may use it.
  // *uses gets how often the cache returned it before (0 when evaluated).
  std::shared_ptr<const MatchSet> MatchingSlots(const Filter& filter, uint64_t* uses) const;
  // Drops cached filter results; every change of slots or metadata calls it
  // (under the write lock).
  void InvalidateFilterCache() { filter_cache_.Invalidate(); }
  // Rebuilds meta_index_ from slot_meta_ and the index's deleted set (for
  // state loaded wholesale, e.g. from a snapshot).
  void RebuildMetaIndex();

  // Text indexes (database_text.cc).
  struct TextIndexEntry {
    text::TextIndexDef def;
    std::vector<std::string> path;  // def.field split at its dots
    std::unique_ptr<text::TextIndex> index;
  };
  // The index of `def` over the live slots of `index` with metadata `metas`
  // (default: this database's).
  std::unique_ptr<text::TextIndex> BuildTextIndex(const text::TextIndexDef& def,
                                                  const std::vector<std::string>& path) const;
  std::unique_ptr<text::TextIndex> BuildTextIndex(const text::TextIndexDef& def,
                                                  const std::vector<std::string>& path,
                                                  const HnswIndex& index,
                                                  const std::vector<ValuePtr>& metas) const;
  void InstallTextIndex(const text::TextIndexDef& def, std::unique_ptr<text::TextIndex> index);
  void RemoveTextIndex(const std::string& field);
  // Keep the text indexes in step with a slot's metadata change (null: none).
  void TextOnChange(uint32_t slot, const Value* old_meta, const Value* new_meta);
  void TextAfterMutation();
  // Every text index of text_ built afresh over `index` and `metas` (a
  // compaction builds them beside readers, then swaps them in).
  std::vector<TextIndexEntry> BuildTextIndexes(const HnswIndex& index,
                                               const std::vector<ValuePtr>& metas) const;
  std::vector<text::TextIndexDef> TextDefsLocked() const;
  const TextIndexEntry& ResolveTextIndex(const std::string* field) const;
  std::string VerifyTextIndexes() const;
  // Slots that may match a filter with $match, narrowed by text indexes
  // (ascending), or nullopt when no text index applies.
  std::optional<std::vector<uint32_t>> TextMatchCandidates(const Filter& filter) const;
  // The matching set of `filter` for a text search (plan.all when none).
  void TextFilterPlan(const Filter* filter, FilterPlan* plan) const;
  void TextSearchLocked(const TextIndexEntry& e, const std::vector<std::string>& terms, size_t k,
                        const FilterPlan& plan, std::vector<uint64_t>* allow_scratch,
                        std::vector<text::TextHit>* out, bool exhaustive = false,
                        const text::Bm25Stats* stats = nullptr) const;

  std::string path_;
  uint32_t dim_ = 0;
  Metric metric_ = Metric::kCosine;
  HnswParams params_;
  std::atomic<bool> quantized_search_{false};
  bool quantize_ = false;

  Env* env_;
  bool read_only_ = false;
  std::atomic<bool> sync_{false};
  VectorResidency residency_ = VectorResidency::kAuto;  // as asked (may be kAuto)
  FileLock lock_;
  uint64_t generation_ = 0;
  DbId db_id_;     // written into the next generation's files
  DbId files_id_;  // recorded in the live generation's files (zero: legacy)
  // The live log; null when read-only. Replaced (under mu_ and log_mu_) by
  // a save; SyncIfNeeded takes a reference under log_mu_ alone, so that
  // concurrent writers share one fsync (group commit) outside mu_.
  std::shared_ptr<LogWriter> log_;
  mutable std::mutex log_mu_;
  bool dirty_ = false;  // changes since the live snapshot
  std::string scratch_record_;

  // Serializes writers and maintenance; taken before mu_ (see the contract).
  // Writers wait here, not on mu_, while maintenance works under a shared
  // lock, so readers never queue behind them.
  std::mutex write_mu_;
  mutable std::shared_mutex mu_;
  std::unique_ptr<HnswIndex> index_;
  IdMap ids_;                         // every slot's id (kept after delete); lookup of live ids
  std::vector<ValuePtr> slot_meta_;   // per slot; null when none
  MetaIndex meta_index_;              // metadata of the live slots
  mutable FilterCache filter_cache_;  // matching sets of recent filters
  std::vector<TextIndexEntry> text_;  // in creation order
  MatchLanguages match_languages_;    // each text index's field and language
  SearchCalibration calibration_;     // default search (ef 0: none yet)
  mutable CompiledFilters compiled_filters_;
  std::unique_ptr<ThreadPool> own_pool_;  // only when options.threads asks for one
  ThreadPool* pool_;                      // own_pool_ or ThreadPool::Shared()

  // Bumped (under mu_ held exclusively) by every change of the rows or codes
  // in place: a background copy made before it is discarded.
  uint64_t block_version_ = 0;
  std::function<void()> promotion_step_hook_;
  size_t promotion_chunk_bytes_ = kPromotionChunkBytes;
  // Last, so that it is stopped (joined) before any other member goes.
  PromotionTask promotion_;
};

}  // namespace herondb
