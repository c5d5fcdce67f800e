// Database: the storage half. Opening (create / load + log replay), the
// write-ahead logging of mutations, save(), compact() and verification.
// The protocol is the one of storage/manifest.h; see database.h.
#include <algorithm>
#include <mutex>
#include <optional>
#include <utility>

#include "herondb/common/error.h"
#include "herondb/db/database.h"
#include "herondb/db/log_records.h"
#include "herondb/db/region_backing.h"
#include "herondb/storage/log_reader.h"
#include "herondb/storage/log_writer.h"
#include "herondb/storage/manifest.h"

namespace herondb {
namespace {

// How often a read-only opener retries when a concurrent save() removed the
// generation it was about to read.
constexpr int kReadOnlyOpenAttempts = 8;
// Records larger than this do not keep their encoding buffer.
constexpr size_t kKeepRecordBuffer = size_t{16} << 20;

void RemoveQuietly(Env* env, const std::string& path) {
  try {
    if (env->FileExists(path)) env->RemoveFile(path);
  } catch (const Error&) {
  }
}

// One decoded log record.
struct DecodedRecord {
  LogRecordType type = LogRecordType::kPut;
  PutOp op = PutOp::kAdd;
  std::vector<LoggedPut> puts;   // kPut
  std::vector<std::string> ids;  // kDelete
  TextIndexOp text_op = TextIndexOp::kCreate;  // kTextIndex
  text::TextIndexDef text_def;                 // kTextIndex
};

// "belongs to another database" for a file whose id differs from `expected`.
std::string ForeignIdMessage(const std::string& file, const DbId& found, const DbId& expected,
                             const char* expected_from) {
  return file + ": belongs to another database (its database id is " + found.ToString() + ", " +
         expected_from + " records " + expected.ToString() + ")";
}

// Reads the log of `generation` record by record, decodes each and calls
// fn(record); returns the offset where its valid records end (and the
// file's header size). Any damage, a log of another generation or database
// (`expected_id`), or an error thrown by fn, becomes kCorruption naming the
// file and the record's offset.
template <typename Fn>
uint64_t ForEachLogRecord(Env* env, const std::string& log_path, uint64_t generation, uint32_t dim,
                          const DbId& expected_id, const char* id_from, size_t* header_size,
                          Fn&& fn) {
  if (!env->FileExists(log_path))
    Throw(ErrorCode::kCorruption,
          log_path + ": missing (CURRENT names generation " + std::to_string(generation) + ")");
  LogReader reader(env, log_path);
  if (reader.log_number() != generation)
    Throw(ErrorCode::kCorruption, log_path + ": belongs to generation " +
                                      std::to_string(reader.log_number()) + ", not " +
                                      std::to_string(generation) + " at offset 16");
  if (reader.db_id() != expected_id)
    Throw(ErrorCode::kCorruption,
          ForeignIdMessage(log_path, reader.db_id(), expected_id, id_from) + " at offset 24");
  if (header_size != nullptr) *header_size = reader.header_size();
  uint8_t type = 0;
  std::string payload;
  DecodedRecord rec;
  uint64_t offset = reader.valid_end();
  while (reader.ReadRecord(&type, &payload)) {
    try {
      if (type == static_cast<uint8_t>(LogRecordType::kPut)) {
        rec.type = LogRecordType::kPut;
        DecodePutRecord(payload, dim, &rec.op, &rec.puts);
      } else if (type == static_cast<uint8_t>(LogRecordType::kDelete)) {
        rec.type = LogRecordType::kDelete;
        DecodeDeleteRecord(payload, &rec.ids);
      } else if (type == static_cast<uint8_t>(LogRecordType::kTextIndex)) {
        rec.type = LogRecordType::kTextIndex;
        DecodeTextIndexRecord(payload, &rec.text_op, &rec.text_def);
      } else {
        Throw(ErrorCode::kCorruption, "unknown record type " + std::to_string(type));
      }
      fn(rec);
    } catch (const Error& e) {
      Throw(ErrorCode::kCorruption,
            log_path + ": record at offset " + std::to_string(offset) + ": " + e.what());
    }
    offset = reader.valid_end();
  }
  return reader.valid_end();
}

}  // namespace

uint64_t Database::generation() const {
  std::shared_lock lk(mu_);
  return generation_;
}

DbId Database::files_id() const {
  std::shared_lock lk(mu_);
  return files_id_;
}

void Database::RefuseOrphanFiles() const {
  if (!env_->FileExists(path_)) return;
  std::vector<std::string> found;
  bool creation_leftover = true;
  for (const std::string& name : env_->ListDir(path_)) {
    auto parsed = ParseDbFileName(name);
    if (!parsed) continue;
    if (parsed->kind != DbFileKind::kSnapshot && parsed->kind != DbFileKind::kLog) continue;
    found.push_back(name);
    // Create() writes generation 1 (an empty snapshot and a log holding just
    // its header) before CURRENT: those alone hold no data.
    if (parsed->generation != 1) creation_leftover = false;
    if (parsed->kind == DbFileKind::kLog) {
      try {
        if (env_->GetFileSize(JoinPath(path_, name)) > kLogHeaderSize) creation_leftover = false;
      } catch (const Error&) {
        creation_leftover = false;
      }
    }
  }
  if (found.empty() || creation_leftover) return;
  std::sort(found.begin(), found.end());
  std::string names;
  for (const std::string& n : found) names += (names.empty() ? "" : ", ") + n;
  Throw(ErrorCode::kCorruption,
        JoinPath(path_, kCurrentFileName) + ": missing, but the directory holds database files (" +
            names + "); nothing was changed. `herondb recover " + path_ +
            "` can rewrite CURRENT from the newest generation that verifies");
}

void Database::CheckWritable() const {
  if (read_only_)
    Throw(ErrorCode::kReadOnly,
          "database " + path_ + " was opened with read_only=True; it cannot be changed");
}

void Database::LogPuts(PutOp op, const std::vector<PutEntry>& entries) {
  std::vector<PutRecordView> views;
  views.reserve(entries.size());
  for (const PutEntry& e : entries)
    views.push_back({e.id, e.vector, e.set_metadata, e.metadata.get()});
  EncodePutRecord(op, views, dim_, &scratch_record_);
  log_->AddRecord(static_cast<uint8_t>(LogRecordType::kPut), scratch_record_, false);
  if (scratch_record_.capacity() > kKeepRecordBuffer) std::string().swap(scratch_record_);
  dirty_ = true;
}

void Database::LogDeletes(const std::vector<uint32_t>& slots) {
  std::vector<std::string_view> ids;
  ids.reserve(slots.size());
  for (uint32_t s : slots) ids.push_back(ids_.id(s));
  EncodeDeleteRecord(ids, &scratch_record_);
  log_->AddRecord(static_cast<uint8_t>(LogRecordType::kDelete), scratch_record_, false);
  dirty_ = true;
}

void Database::SyncIfNeeded() {
  if (!sync_) return;
  std::shared_ptr<LogWriter> log;
  {
    std::lock_guard lk(log_mu_);
    log = log_;
  }
  if (!log) return;
  try {
    log->Sync();
  } catch (const Error& e) {
    // The record is written and applied; only its durability is unknown
    // (as after a power loss), so say so rather than pretend to roll back.
    throw Error(ErrorCode::kIOError,
                "the change was applied and logged, but could not be made durable: " +
                    std::string(e.what()),
                e.sys_errno());
  }
}

void Database::OpenOrCreate(const DatabaseOptions& options) {
  if (read_only_) {
    if (options.generation) {
      Load(*options.generation, std::nullopt, options);
      return;
    }
    for (int attempt = 1;; ++attempt) {
      std::optional<CurrentInfo> cur = ReadCurrent(env_, path_);
      if (!cur) {
        RefuseOrphanFiles();
        Throw(ErrorCode::kInvalidArgument, "no database at " + path_);
      }
      try {
        Load(cur->generation, cur->id, options);
        return;
      } catch (const Error& e) {
        // A writer's save() may have replaced the generation meanwhile.
        std::optional<CurrentInfo> now = ReadCurrent(env_, path_);
        if (attempt >= kReadOnlyOpenAttempts || !now || now->generation == cur->generation) throw;
      }
    }
  }
  if (options.generation)
    Throw(ErrorCode::kInvalidArgument, "opening a given generation needs read_only");
  // Nothing is created, locked or removed before this check: a directory
  // with database files but no valid CURRENT is damage, left as found.
  std::optional<CurrentInfo> cur = ReadCurrent(env_, path_);
  if (!cur) {
    RefuseOrphanFiles();
    if (!options.dim)
      Throw(ErrorCode::kInvalidArgument,
            "no database at " + path_ + ": pass dim=... to create one");
  }
  env_->CreateDirs(path_);
  lock_ = FileLock::Acquire(path_);
  cur = ReadCurrent(env_, path_);
  if (!cur) {
    RefuseOrphanFiles();  // another process may have changed it meanwhile
    if (!options.dim)
      Throw(ErrorCode::kInvalidArgument,
            "no database at " + path_ + ": pass dim=... to create one");
    Create(options);
  } else {
    Load(cur->generation, cur->id, options);
  }
}

void Database::Create(const DatabaseOptions& options) {
  dim_ = *options.dim;
  metric_ = options.metric.value_or(Metric::kCosine);
  params_.m = options.m.value_or(kDefaultM);
  params_.ef_construction = options.ef_construction.value_or(kDefaultEfConstruction);
  quantize_ = options.quantize;
  index_ = std::make_unique<HnswIndex>(dim_, metric_, params_);
  if (quantize_) index_->EnableQuantized();
  quantized_search_.store(quantize_, std::memory_order_release);
  // Leftovers of a creation that never reached CURRENT (RefuseOrphanFiles
  // let only those through).
  RemoveObsoleteFiles(env_, path_, 0);
  generation_ = 0;
  db_id_ = DbId::Random();
  DbParams p{dim_, metric_, params_, quantize_};
  std::shared_lock rd(mu_);
  const std::vector<text::TextIndexDef> defs = TextDefsLocked();
  SwitchGeneration({&p, index_.get(), &ids_, &slot_meta_, &defs}, &rd, {});
}

void Database::Load(uint64_t generation, const std::optional<DbId>& expected_id,
                    const DatabaseOptions& options) {
  const std::string snap = JoinPath(path_, SnapshotFileName(generation));
  if (!env_->FileExists(snap))
    Throw(ErrorCode::kCorruption,
          snap + ": missing (CURRENT names generation " + std::to_string(generation) + ")");
  LoadedDbState st;
  DbId files_id;
  {
    // LoadDbSnapshot verifies every checksum (the large blocks while it
    // copies or maps them).
    SnapshotReader reader = SnapshotReader::Open(env_, snap, /*verify_checksums=*/false);
    if (reader.generation() != generation)
      Throw(ErrorCode::kCorruption, snap + ": holds generation " +
                                        std::to_string(reader.generation()) + ", not " +
                                        std::to_string(generation) + " at offset 16");
    files_id = expected_id.value_or(reader.db_id());
    if (reader.db_id() != files_id)
      Throw(ErrorCode::kCorruption,
            ForeignIdMessage(snap, reader.db_id(), files_id, "CURRENT") + " at offset 32");
    // kAuto opens mapped; the constructor then starts the background
    // promotion (database_residency.cc).
    st = LoadDbSnapshot(reader,
                        residency_ == VectorResidency::kAuto ? VectorResidency::kMap : residency_);
  }
  if (options.dim && *options.dim != st.params.dim)
    Throw(ErrorCode::kInvalidArgument, "database " + path_ + " has dimension " +
                                           std::to_string(st.params.dim) + ", not " +
                                           std::to_string(*options.dim));
  if (options.metric && *options.metric != st.params.metric)
    Throw(ErrorCode::kInvalidArgument, "database " + path_ + " uses the metric '" +
                                           MetricName(st.params.metric) + "', not '" +
                                           MetricName(*options.metric) + "'");
  // Fresh state (a read-only retry may come here twice).
  dirty_ = false;
  dim_ = st.params.dim;
  metric_ = st.params.metric;
  params_ = st.params.hnsw;
  quantize_ = st.params.quantize;
  index_ = std::move(st.index);
  calibration_ = st.calibration;
  quantized_search_.store(index_->quantized(), std::memory_order_release);
  ids_ = std::move(st.ids);
  slot_meta_ = std::move(st.metadata);
  ids_.ReserveLive(index_->live_count());
  for (uint32_t s = 0; s < ids_.slots(); ++s) {
    if (index_->IsDeleted(s)) {
      slot_meta_[s].reset();
      continue;
    }
    if (!ids_.Revive(s))
      Throw(ErrorCode::kCorruption,
            snap + ": id '" + std::string(ids_.id(s)) + "' is live in two slots");
  }
  RebuildMetaIndex();
  text_.clear();
  match_languages_.clear();
  for (const text::TextIndexDef& def : st.text_indexes)
    InstallTextIndex(def, BuildTextIndex(def, text::SplitFieldPath(def.field)));
  generation_ = generation;
  files_id_ = files_id;
  // A database written before ids existed gets one, recorded at its next
  // save (which this makes due).
  db_id_ = files_id.empty() ? DbId::Random() : files_id;
  if (files_id.empty() && !read_only_) dirty_ = true;
  const std::string log_path = JoinPath(path_, LogFileName(generation));
  uint64_t valid_end = 0;
  size_t header_size = kLogHeaderSize;
  Replay(log_path, generation, &valid_end, &header_size);
  if (!read_only_) {
    log_ = LogWriter::Open(env_, log_path, generation, valid_end, header_size);
    try {
      RemoveObsoleteFiles(env_, path_, generation);
    } catch (const Error&) {
      // Leftovers are harmless: the next open removes them.
    }
  }
}

void Database::Replay(const std::string& log_path, uint64_t generation, uint64_t* valid_end,
                      size_t* header_size) {
  *valid_end = ForEachLogRecord(env_, log_path, generation, dim_, files_id_, "its snapshot",
                                header_size, [&](const DecodedRecord& rec) {
    if (rec.type == LogRecordType::kPut) {
      std::vector<PutEntry> entries(rec.puts.size());
      for (size_t i = 0; i < rec.puts.size(); ++i) {
        const LoggedPut& put = rec.puts[i];
        entries[i].id = put.id;
        entries[i].vector = put.vector.empty() ? nullptr : put.vector.data();
        entries[i].set_metadata = put.set_metadata;
        entries[i].metadata = put.metadata;
      }
      ValidatePuts(entries, rec.op == PutOp::kAdd, rec.op == PutOp::kUpdate);
      ApplyPuts(entries, rec.op == PutOp::kAdd);
    } else if (rec.type == LogRecordType::kTextIndex) {
      const bool exists = std::any_of(text_.begin(), text_.end(), [&](const TextIndexEntry& e) {
        return e.def.field == rec.text_def.field;
      });
      if (rec.text_op == TextIndexOp::kCreate) {
        if (exists)
          Throw(ErrorCode::kCorruption, "creates text index '" + rec.text_def.field + "' twice");
        InstallTextIndex(rec.text_def,
                         BuildTextIndex(rec.text_def, text::SplitFieldPath(rec.text_def.field)));
      } else {
        if (!exists)
          Throw(ErrorCode::kCorruption, "drops unknown text index '" + rec.text_def.field + "'");
        RemoveTextIndex(rec.text_def.field);
      }
    } else {
      std::vector<uint32_t> slots;
      for (const std::string& id : rec.ids) {
        std::optional<uint32_t> slot = ids_.Find(id);
        if (!slot) Throw(ErrorCode::kCorruption, "deletes unknown id '" + id + "'");
        slots.push_back(*slot);
      }
      ApplyDeletes(slots);
    }
    dirty_ = true;
  });
}

void Database::SwitchGeneration(const DbStateView& state,
                                std::shared_lock<std::shared_mutex>* reading,
                                const std::function<void()>& install) {
  // Refuse to save (loudly) when the lock is no longer certainly ours.
  if (lock_.held()) lock_.Check();
  const uint64_t next = generation_ + 1;
  const std::string snap = JoinPath(path_, SnapshotFileName(next));
  const std::string log_path = JoinPath(path_, LogFileName(next));
  // Any failure before CURRENT is replaced leaves generation N live and this
  // handle usable: the files of N+1 made so far are removed, and the error
  // (with the OS's errno) goes to the caller.
  WriteDbSnapshot(env_, snap, next, state, db_id_);  // a failed writer removes its file
  std::shared_ptr<LogWriter> log;
  try {
    log = LogWriter::Create(env_, log_path, next, db_id_);
  } catch (const Error&) {
    RemoveQuietly(env_, log_path);
    RemoveQuietly(env_, snap);
    throw;
  }
  std::optional<Error> unsynced;  // switched, but the directory sync failed
  bool renamed = false;
  try {
    WriteCurrent(env_, path_, next, {}, db_id_, &renamed);
  } catch (const Error& e) {
    if (!renamed) {  // CURRENT still names generation N
      log.reset();
      RemoveQuietly(env_, log_path);
      RemoveQuietly(env_, snap);
      throw;
    }
    unsynced = e;  // switched, but maybe not durably: keep the old files
  }
  // The swap: write_mu_ keeps writers out between the two locks.
  reading->unlock();
  {
    std::unique_lock ex(mu_);
    {
      std::lock_guard lk(log_mu_);
      log_ = std::move(log);
    }
    generation_ = next;
    files_id_ = db_id_;
    dirty_ = false;
    if (install) install();
  }
  if (unsynced)
    throw Error(ErrorCode::kIOError,
                "save of " + path_ +
                    " switched to the new snapshot but could not sync the directory (" +
                    unsynced->what() + "); the previous generation is kept as well",
                unsynced->sys_errno());
  try {
    RemoveObsoleteFiles(env_, path_, next);
  } catch (const Error&) {
    // Leftovers are harmless: the next open removes them.
  }
}

void Database::RemapVectors() {
  // Best effort: map the vector block from the live snapshot, so that the
  // old generation's disk space is freed and clean pages can be dropped.
  // Vectors held in memory by policy (kLoad) stay where they are; under
  // kAuto a block still mapped (its promotion has not swapped yet) is
  // remapped from the new file and promoted again.
  if (ResolveResidency(residency_, index_->vectors().bytes(), index_->quantized()) ==
          VectorResidency::kLoad &&
      !PromotionTargetsLocked().vectors)
    return;
  try {
    const std::string snap = JoinPath(path_, SnapshotFileName(generation_));
    SnapshotReader reader = SnapshotReader::Open(env_, snap, /*verify_checksums=*/false);
    if (index_->vectors().bytes() == 0) return;
    GrowableRegion region =
        MapVectorBlock(reader, index_->vectors().bytes(), VectorResidency::kMap, /*verify=*/false);
    index_->vectors().ReplaceBacking(std::make_unique<RegionRowBacking>(std::move(region)));
  } catch (const Error&) {
  }
  if (residency_ == VectorResidency::kAuto) MaybeStartPromotion();
}

void Database::Save() {
  std::lock_guard w(write_mu_);
  CheckWritable();
  if (!dirty_) return;
  {
    // Changes the snapshot records (graph repairs, a due calibration) are
    // made first, under the exclusive lock.
    std::unique_lock ex(mu_);
    index_->EnsureReachable();
    MaybeCalibrate(false);
  }
  std::shared_lock rd(mu_);  // the snapshot is written beside readers
  DbParams p{dim_, metric_, params_, quantize_};
  const std::vector<text::TextIndexDef> defs = TextDefsLocked();
  SwitchGeneration({&p, index_.get(), &ids_, &slot_meta_, &defs, &calibration_}, &rd,
                   [this] { RemapVectors(); });
}

void Database::Compact() {
  std::lock_guard w(write_mu_);
  CheckWritable();
  if (index_->deleted_count() == 0) {
    if (!dirty_) return;
    {
      // Changes the snapshot records (graph repairs, a due calibration) are
      // made first, under the exclusive lock.
      std::unique_lock ex(mu_);
      index_->EnsureReachable();
      MaybeCalibrate(false);
    }
    std::shared_lock rd(mu_);  // the snapshot is written beside readers
    DbParams p{dim_, metric_, params_, quantize_};
    const std::vector<text::TextIndexDef> defs = TextDefsLocked();
    SwitchGeneration({&p, index_.get(), &ids_, &slot_meta_, &defs, &calibration_}, &rd,
                     [this] { RemapVectors(); });
    return;
  }
  // Copying the live rows, building the fresh graph and writing it run
  // beside readers (shared lock); writers wait on write_mu_.
  std::shared_lock rd(mu_);
  const size_t n = index_->live_count();
  std::vector<float> rows(n * dim_);
  IdMap ids;
  std::vector<ValuePtr> metas;
  ids.Reserve(n, ids_.bytes().size());
  metas.reserve(n);
  for (uint32_t s = 0; s < index_->size(); ++s) {
    if (index_->IsDeleted(s)) continue;
    std::copy_n(index_->vector(s), dim_, rows.data() + metas.size() * dim_);
    ids.Append(ids_.id(s));
    metas.push_back(slot_meta_[s]);
  }
  auto fresh = std::make_unique<HnswIndex>(dim_, metric_, params_);
  // Its workers come from the shared pool; a reader's SearchMany that finds
  // it busy runs on its own thread (common/thread_pool.h), so it does not
  // queue behind the build.
  if (n) fresh->AddBatch(rows.data(), n, pool_);
  // Quantized search stays as it was, with ranges retrained on live data.
  if (index_->quantized()) fresh->EnableQuantized();
  std::vector<float>().swap(rows);
  // The rebuilt graph calibrates afresh; metadata and text indexes are
  // rebuilt for the new slot numbers, all beside readers.
  SearchCalibration cal;
  if (fresh->size() > kBruteForceSlots) cal = CalibrateSearch(*fresh, pool_);
  MetaIndex meta;
  for (uint32_t s = 0; s < metas.size(); ++s) meta.Insert(s, metas[s].get());
  std::vector<TextIndexEntry> texts = BuildTextIndexes(*fresh, metas);
  DbParams p{dim_, metric_, params_, quantize_};
  const std::vector<text::TextIndexDef> defs = TextDefsLocked();
  // Swapped, not assigned: the old state is freed after the exclusive lock.
  SwitchGeneration({&p, fresh.get(), &ids, &metas, &defs, &cal}, &rd, [&] {
    index_.swap(fresh);
    std::swap(ids_, ids);
    slot_meta_.swap(metas);
    std::swap(meta_index_, meta);
    text_.swap(texts);
    calibration_ = cal;
    InvalidateFilterCache();  // slots are renumbered
    RemapVectors();
  });
}

void Database::VerifyFiles() const {
  std::shared_lock lk(mu_);
  const std::string snap = JoinPath(path_, SnapshotFileName(generation_));
  {
    SnapshotReader reader = SnapshotReader::Open(env_, snap, /*verify_checksums=*/false);
    if (reader.generation() != generation_)
      Throw(ErrorCode::kCorruption, snap + ": holds generation " +
                                        std::to_string(reader.generation()) + ", not " +
                                        std::to_string(generation_) + " at offset 16");
    if (reader.db_id() != files_id_)
      Throw(
          ErrorCode::kCorruption,
          ForeignIdMessage(snap, reader.db_id(), files_id_, "the open database") + " at offset 32");
    LoadedDbState st = LoadDbSnapshot(reader, VectorResidency::kMap);  // verifies every checksum
  }
  ForEachLogRecord(env_, JoinPath(path_, LogFileName(generation_)), generation_, dim_, files_id_,
                   "the open database", nullptr, [](const DecodedRecord&) {});
  lk.unlock();
  std::string err = Verify();
  if (!err.empty()) Throw(ErrorCode::kCorruption, path_ + " (in memory): " + err);
}

}  // namespace herondb
