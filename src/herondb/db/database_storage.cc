// Database: the storage half. Opening (create / load + log replay), the
// write-ahead logging of mutations, save(), compact() and verification.
// The protocol is the one of storage/manifest.h; see database.h.
#include <algorithm>
#include <mutex>

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

size_t VectorReserve(size_t bytes) { return std::max(bytes * 4, size_t{256} << 20); }

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
  for (uint32_t s : slots) ids.push_back(slot_ids_[s]);
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
  if (log) log->Sync();
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
  SwitchGeneration({&p, index_.get(), &slot_ids_, &slot_meta_});
}

void Database::Load(uint64_t generation, const DatabaseOptions& options) {
  const std::string snap = JoinPath(path_, SnapshotFileName(generation));
  if (!env_->FileExists(snap))
    Throw(ErrorCode::kCorruption,
          snap + ": missing (CURRENT names generation " + std::to_string(generation) + ")");
  LoadedDbState st;
  {
    SnapshotReader reader = SnapshotReader::Open(env_, snap, /*verify_checksums=*/true);
    st = LoadDbSnapshot(reader);
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
  id_to_slot_.clear();
  dirty_ = false;
  dim_ = st.params.dim;
  metric_ = st.params.metric;
  params_ = st.params.hnsw;
  quantize_ = st.params.quantize;
  index_ = std::move(st.index);
  quantized_search_.store(index_->quantized(), std::memory_order_release);
  slot_ids_ = std::move(st.ids);
  slot_meta_ = std::move(st.metadata);
  id_to_slot_.reserve(index_->live_count());
  for (uint32_t s = 0; s < slot_ids_.size(); ++s) {
    if (index_->IsDeleted(s)) {
      slot_meta_[s].reset();
      continue;
    }
    if (!id_to_slot_.emplace(slot_ids_[s], s).second)
      Throw(ErrorCode::kCorruption, snap + ": id '" + slot_ids_[s] + "' is live in two slots");
  }
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
  if (!env_->FileExists(log_path))
    Throw(ErrorCode::kCorruption,
          log_path + ": missing (CURRENT names generation " + std::to_string(generation) + ")");
  LogReader reader(env_, log_path);
  if (!reader.header_torn() && reader.log_number() != generation)
    Throw(ErrorCode::kCorruption, log_path + ": belongs to generation " +
                                      std::to_string(reader.log_number()) + ", not " +
                                      std::to_string(generation) + " at offset 16");
  uint8_t type = 0;
  std::string payload;
  std::vector<LoggedPut> puts;
  std::vector<std::string> ids;
  uint64_t offset = reader.valid_end();
  while (reader.ReadRecord(&type, &payload)) {
    try {
      if (type == static_cast<uint8_t>(LogRecordType::kPut)) {
        PutOp op;
        DecodePutRecord(payload, dim_, &op, &puts);
        std::vector<PutEntry> entries(puts.size());
        for (size_t i = 0; i < puts.size(); ++i) {
          entries[i].id = puts[i].id;
          entries[i].vector = puts[i].vector.empty() ? nullptr : puts[i].vector.data();
          entries[i].set_metadata = puts[i].set_metadata;
          entries[i].metadata = puts[i].metadata;
        }
        ValidatePuts(entries, op == PutOp::kAdd, op == PutOp::kUpdate);
        ApplyPuts(entries);
      } else if (type == static_cast<uint8_t>(LogRecordType::kDelete)) {
        DecodeDeleteRecord(payload, &ids);
        std::vector<uint32_t> slots;
        for (const std::string& id : ids) {
          auto it = id_to_slot_.find(id);
          if (it == id_to_slot_.end())
            Throw(ErrorCode::kCorruption, "deletes unknown id '" + id + "'");
          slots.push_back(it->second);
        }
        ApplyDeletes(slots);
      } else {
        Throw(ErrorCode::kCorruption, "unknown record type " + std::to_string(type));
      }
    } catch (const Error& e) {
      Throw(ErrorCode::kCorruption, log_path + ": record at offset " + std::to_string(offset) +
                                        " does not apply: " + e.what());
    }
    dirty_ = true;
    offset = reader.valid_end();
  }
  *valid_end = reader.valid_end();
}

void Database::SwitchGeneration(const DbStateView& state) {
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
  {
    std::lock_guard lk(log_mu_);
    log_ = std::move(log);
  }
  generation_ = next;
  dirty_ = false;
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
  try {
    const std::string snap = JoinPath(path_, SnapshotFileName(generation_));
    SnapshotReader reader = SnapshotReader::Open(env_, snap, /*verify_checksums=*/false);
    auto vecs = reader.Find(0x53434556u);  // "VECS"
    if (!vecs || vecs->length != index_->vectors().bytes() || vecs->length == 0) return;
    GrowableRegion region = GrowableRegion::FromFd(reader.fd(), snap, vecs->offset, vecs->length,
                                                   VectorReserve(vecs->length));
    index_->vectors().ReplaceBacking(std::make_unique<RegionRowBacking>(std::move(region)));
  } catch (const Error&) {
  }
}

void Database::Save() {
  std::unique_lock lk(mu_);
  CheckWritable();
  if (!dirty_) return;
  DbParams p{dim_, metric_, params_, quantize_};
  SwitchGeneration({&p, index_.get(), &slot_ids_, &slot_meta_});
  RemapVectors();
}

void Database::Compact() {
  std::unique_lock lk(mu_);
  CheckWritable();
  if (index_->deleted_count() == 0) {
    if (!dirty_) return;
    DbParams p{dim_, metric_, params_, quantize_};
    SwitchGeneration({&p, index_.get(), &slot_ids_, &slot_meta_});
    RemapVectors();
    return;
  }
  const size_t n = index_->live_count();
  std::vector<float> rows(n * dim_);
  std::vector<std::string> ids;
  std::vector<ValuePtr> metas;
  ids.reserve(n);
  metas.reserve(n);
  for (uint32_t s = 0; s < index_->size(); ++s) {
    if (index_->IsDeleted(s)) continue;
    std::copy_n(index_->vector(s), dim_, rows.data() + ids.size() * dim_);
    ids.push_back(slot_ids_[s]);
    metas.push_back(slot_meta_[s]);
  }
  auto fresh = std::make_unique<HnswIndex>(dim_, metric_, params_);
  if (n) fresh->AddBatch(rows.data(), n, &pool_);
  // Quantized search stays as it was, with ranges retrained on live data.
  if (index_->quantized()) fresh->EnableQuantized();
  std::vector<float>().swap(rows);
  DbParams p{dim_, metric_, params_, quantize_};
  SwitchGeneration({&p, fresh.get(), &ids, &metas});
  std::unordered_map<std::string, uint32_t> map;
  map.reserve(n);
  for (uint32_t s = 0; s < ids.size(); ++s) map.emplace(ids[s], s);
  index_ = std::move(fresh);
  slot_ids_ = std::move(ids);
  slot_meta_ = std::move(metas);
  id_to_slot_ = std::move(map);
  RemapVectors();
}

void Database::VerifyFiles() const {
  std::shared_lock lk(mu_);
  const std::string snap = JoinPath(path_, SnapshotFileName(generation_));
  {
    SnapshotReader reader = SnapshotReader::Open(env_, snap, /*verify_checksums=*/true);
    LoadedDbState st = LoadDbSnapshot(reader);
  }
  const std::string log_path = JoinPath(path_, LogFileName(generation_));
  LogReader reader(env_, log_path);
  uint8_t type = 0;
  std::string payload;
  std::vector<LoggedPut> puts;
  std::vector<std::string> ids;
  uint64_t offset = reader.valid_end();
  while (reader.ReadRecord(&type, &payload)) {
    try {
      PutOp op;
      if (type == static_cast<uint8_t>(LogRecordType::kPut))
        DecodePutRecord(payload, dim_, &op, &puts);
      else if (type == static_cast<uint8_t>(LogRecordType::kDelete))
        DecodeDeleteRecord(payload, &ids);
      else
        Throw(ErrorCode::kCorruption, "unknown record type " + std::to_string(type));
    } catch (const Error& e) {
      Throw(ErrorCode::kCorruption,
            log_path + ": record at offset " + std::to_string(offset) + ": " + e.what());
    }
    offset = reader.valid_end();
  }
  lk.unlock();
  std::string err = Verify();
  if (!err.empty()) Throw(ErrorCode::kCorruption, path_ + " (in memory): " + err);
}

}  // namespace herondb
