// Database: the storage half. Opening (create / load + log replay), the
// write-ahead logging of mutations, save(), compact() and verification.
// The protocol is the one of storage/manifest.h; see database.h.
#include <algorithm>
#include <mutex>
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
};

// Reads the log of `generation` record by record, decodes each and calls
// fn(record); returns the offset where its valid records end. Any damage,
// or an error thrown by fn, becomes kCorruption naming the file and the
// record's offset.
template <typename Fn>
uint64_t ForEachLogRecord(Env* env, const std::string& log_path, uint64_t generation, uint32_t dim,
                          Fn&& fn) {
  if (!env->FileExists(log_path))
    Throw(ErrorCode::kCorruption,
          log_path + ": missing (CURRENT names generation " + std::to_string(generation) + ")");
  LogReader reader(env, log_path);
  if (!reader.header_torn() && reader.log_number() != generation)
    Throw(ErrorCode::kCorruption, log_path + ": belongs to generation " +
                                      std::to_string(reader.log_number()) + ", not " +
                                      std::to_string(generation) + " at offset 16");
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

void Database::CheckWritable() const {
  if (read_only_)
    Throw(ErrorCode::kReadOnly,
          "database " + path_ + " was opened with read_only=True; it cannot be changed");
  if (broken_)
    Throw(ErrorCode::kIOError, "database " + path_ +
                                   " could not confirm its last save after an I/O error; "
                                   "close and reopen it");
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
    for (int attempt = 1;; ++attempt) {
      std::optional<CurrentInfo> cur = ReadCurrent(env_, path_);
      if (!cur) Throw(ErrorCode::kInvalidArgument, "no database at " + path_);
      try {
        Load(cur->generation, options);
        return;
      } catch (const Error& e) {
        // A writer's save() may have replaced the generation meanwhile.
        std::optional<CurrentInfo> now = ReadCurrent(env_, path_);
        if (attempt >= kReadOnlyOpenAttempts || !now || now->generation == cur->generation) throw;
      }
    }
  }
  if (!options.dim && !ReadCurrent(env_, path_))
    Throw(ErrorCode::kInvalidArgument, "no database at " + path_ + ": pass dim=... to create one");
  env_->CreateDirs(path_);
  lock_ = FileLock::Acquire(path_);
  std::optional<CurrentInfo> cur = ReadCurrent(env_, path_);
  if (!cur) {
    if (!options.dim)
      Throw(ErrorCode::kInvalidArgument,
            "no database at " + path_ + ": pass dim=... to create one");
    Create(options);
  } else {
    Load(cur->generation, options);
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
  // Leftovers of a creation that never reached CURRENT.
  RemoveObsoleteFiles(env_, path_, 0);
  generation_ = 0;
  DbParams p{dim_, metric_, params_, quantize_};
  std::shared_lock rd(mu_);
  SwitchGeneration({&p, index_.get(), &ids_, &slot_meta_}, &rd, {});
}

void Database::Load(uint64_t generation, const DatabaseOptions& options) {
  const std::string snap = JoinPath(path_, SnapshotFileName(generation));
  if (!env_->FileExists(snap))
    Throw(ErrorCode::kCorruption,
          snap + ": missing (CURRENT names generation " + std::to_string(generation) + ")");
  LoadedDbState st;
  {
    // LoadDbSnapshot verifies every checksum (the large blocks while it
    // copies or maps them).
    SnapshotReader reader = SnapshotReader::Open(env_, snap, /*verify_checksums=*/false);
    st = LoadDbSnapshot(reader, residency_);
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
  generation_ = generation;
  const std::string log_path = JoinPath(path_, LogFileName(generation));
  uint64_t valid_end = 0;
  Replay(log_path, generation, &valid_end);
  if (!read_only_) {
    log_ = LogWriter::Open(env_, log_path, generation, valid_end);
    try {
      RemoveObsoleteFiles(env_, path_, generation);
    } catch (const Error&) {
      // Leftovers are harmless: the next open removes them.
    }
  }
}

void Database::Replay(const std::string& log_path, uint64_t generation, uint64_t* valid_end) {
  *valid_end = ForEachLogRecord(env_, log_path, generation, dim_, [&](const DecodedRecord& rec) {
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
      ApplyPuts(entries);
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
  const uint64_t next = generation_ + 1;
  const std::string snap = JoinPath(path_, SnapshotFileName(next));
  const std::string log_path = JoinPath(path_, LogFileName(next));
  WriteDbSnapshot(env_, snap, next, state);  // a failed writer removes its file
  std::shared_ptr<LogWriter> log;
  try {
    log = LogWriter::Create(env_, log_path, next);
  } catch (const Error&) {
    RemoveQuietly(env_, snap);
    throw;
  }
  bool certain = true;
  try {
    WriteCurrent(env_, path_, next);
  } catch (const Error&) {
    // The rename may or may not have happened: CURRENT decides.
    std::optional<CurrentInfo> cur;
    try {
      cur = ReadCurrent(env_, path_);
    } catch (const Error&) {
      broken_ = true;
      throw;
    }
    if (!cur || cur->generation != next) {
      log.reset();
      RemoveQuietly(env_, log_path);
      RemoveQuietly(env_, snap);
      throw;
    }
    certain = false;  // switched, but maybe not durably: keep the old files
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
    dirty_ = false;
    if (install) install();
  }
  if (!certain)
    Throw(ErrorCode::kIOError, "save of " + path_ +
                                   " switched to the new snapshot but could not sync the "
                                   "directory; the previous generation is kept as well");
  try {
    RemoveObsoleteFiles(env_, path_, next);
  } catch (const Error&) {
    // Leftovers are harmless: the next open removes them.
  }
}

void Database::RemapVectors() {
  // Best effort: map the vector block from the live snapshot, so that the
  // old generation's disk space is freed and clean pages can be dropped.
  // Vectors held in memory by policy (kLoad) stay where they are.
  if (ResolveResidency(residency_, index_->vectors().bytes(), index_->quantized()) ==
      VectorResidency::kLoad)
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
}

void Database::Save() {
  std::lock_guard w(write_mu_);
  CheckWritable();
  if (!dirty_) return;
  std::shared_lock rd(mu_);  // the snapshot is written beside readers
  DbParams p{dim_, metric_, params_, quantize_};
  SwitchGeneration({&p, index_.get(), &ids_, &slot_meta_}, &rd, [this] { RemapVectors(); });
}

void Database::Compact() {
  std::lock_guard w(write_mu_);
  CheckWritable();
  if (index_->deleted_count() == 0) {
    if (!dirty_) return;
    std::shared_lock rd(mu_);
    DbParams p{dim_, metric_, params_, quantize_};
    SwitchGeneration({&p, index_.get(), &ids_, &slot_meta_}, &rd, [this] { RemapVectors(); });
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
  if (n) {
    // Its own workers: pool_ runs one ParallelFor at a time, and readers'
    // SearchMany must not queue behind the build.
    ThreadPool build_pool(pool_.size());
    fresh->AddBatch(rows.data(), n, &build_pool);
  }
  // Quantized search stays as it was, with ranges retrained on live data.
  if (index_->quantized()) fresh->EnableQuantized();
  std::vector<float>().swap(rows);
  MetaIndex meta;
  for (uint32_t s = 0; s < metas.size(); ++s) meta.Insert(s, metas[s].get());
  DbParams p{dim_, metric_, params_, quantize_};
  // Swapped, not assigned: the old state is freed after the exclusive lock.
  SwitchGeneration({&p, fresh.get(), &ids, &metas}, &rd, [&] {
    index_.swap(fresh);
    std::swap(ids_, ids);
    slot_meta_.swap(metas);
    std::swap(meta_index_, meta);
    InvalidateFilterCache();  // slots are renumbered
    RemapVectors();
  });
}

void Database::VerifyFiles() const {
  std::shared_lock lk(mu_);
  const std::string snap = JoinPath(path_, SnapshotFileName(generation_));
  {
    SnapshotReader reader = SnapshotReader::Open(env_, snap, /*verify_checksums=*/false);
    LoadedDbState st = LoadDbSnapshot(reader, VectorResidency::kMap);  // verifies every checksum
  }
  ForEachLogRecord(env_, JoinPath(path_, LogFileName(generation_)), generation_, dim_,
                   [](const DecodedRecord&) {});
  lk.unlock();
  std::string err = Verify();
  if (!err.empty()) Throw(ErrorCode::kCorruption, path_ + " (in memory): " + err);
}

}  // namespace herondb
