// Replaying vctrs's log over its snapshot (contract in replay.h).
#include "herondb/vctrs/replay.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <unordered_map>

#include "herondb/common/error.h"
#include "herondb/meta/json.h"
#include "herondb/vctrs/format.h"

namespace herondb::vctrs {
namespace {

ValuePtr ParseMetadata(const std::string& text, const std::string& file, const std::string& id) {
  if (text.empty()) return nullptr;
  Value v;
  try {
    v = ParseJson(text);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kInvalidArgument) throw;
    Throw(ErrorCode::kCorruption,
          file + ": the metadata of id '" + id + "' is not valid JSON (" + e.what() + ")");
  }
  if (!v.is_object()) {
    Throw(ErrorCode::kCorruption, file + ": the metadata of id '" + id + "' is not a JSON object");
  }
  return std::make_shared<const Value>(std::move(v));
}

// The live records while the log is replayed: slots that may be vacated.
class Table {
 public:
  explicit Table(uint32_t dim) : dim_(dim) {}
  uint32_t dim() const { return dim_; }
  void set_dim(uint32_t dim) { dim_ = dim; }

  bool Has(const std::string& id) const { return pos_.count(id) != 0; }

  void Put(const std::string& id, const float* v, ValuePtr meta) {
    auto it = pos_.find(id);
    size_t p;
    if (it == pos_.end()) {
      p = ids_.size();
      pos_.emplace(id, p);
      ids_.push_back(id);
      live_.push_back(1);
      rows_.resize(rows_.size() + dim_);
      metas_.push_back(nullptr);
    } else {
      p = it->second;
    }
    std::memcpy(&rows_[p * dim_], v, sizeof(float) * dim_);
    metas_[p] = std::move(meta);
  }
  void SetVector(const std::string& id, const float* v) {
    std::memcpy(&rows_[pos_.at(id) * dim_], v, sizeof(float) * dim_);
  }
  void SetMetadata(const std::string& id, ValuePtr meta) { metas_[pos_.at(id)] = std::move(meta); }
  void Remove(const std::string& id) {
    auto it = pos_.find(id);
    if (it == pos_.end()) return;
    live_[it->second] = 0;
    metas_[it->second] = nullptr;
    pos_.erase(it);
  }

  void MoveInto(VctrsRecords* out) {
    size_t kept = 0;
    for (size_t p = 0; p < ids_.size(); ++p) {
      if (!live_[p]) continue;
      if (kept != p) {
        ids_[kept] = std::move(ids_[p]);
        std::memmove(&rows_[kept * dim_], &rows_[p * dim_], sizeof(float) * dim_);
        metas_[kept] = std::move(metas_[p]);
      }
      ++kept;
    }
    ids_.resize(kept);
    rows_.resize(kept * dim_);
    metas_.resize(kept);
    out->ids = std::move(ids_);
    out->rows = std::move(rows_);
    out->metadata = std::move(metas_);
  }

 private:
  uint32_t dim_;
  std::unordered_map<std::string, size_t> pos_;
  std::vector<std::string> ids_;
  std::vector<uint8_t> live_;
  std::vector<float> rows_;
  std::vector<ValuePtr> metas_;
};

void CheckLength(const WalEntry& e, uint32_t dim, const std::string& wal_name) {
  if (e.vector.size() != dim) {
    Throw(ErrorCode::kCorruption, wal_name + " entry at offset " + std::to_string(e.offset) +
                                      ": id '" + e.id + "' has a vector of length " +
                                      std::to_string(e.vector.size()) + ", the database " +
                                      std::to_string(dim));
  }
}

}  // namespace

VctrsRecords Replay(const GraphFile* graph, std::string_view rows, const WalFile* wal,
                    const std::string& graph_name, const std::string& wal_name) {
  VctrsRecords out;
  Table table(graph ? graph->dim : 0);
  if (graph) {
    out.has_snapshot = true;
    out.dim = graph->dim;
    out.metric = graph->metric;
    out.m = graph->m;
    out.ef_construction = graph->ef_construction;
    std::vector<const GraphRecord*> by_slot;
    by_slot.reserve(graph->records.size());
    for (const GraphRecord& rec : graph->records) by_slot.push_back(&rec);
    std::sort(by_slot.begin(), by_slot.end(),
              [](const GraphRecord* a, const GraphRecord* b) { return a->slot < b->slot; });
    std::vector<float> v(graph->dim);
    for (const GraphRecord* rec : by_slot) {
      std::memcpy(v.data(), rows.data() + uint64_t{rec->slot} * graph->dim * 4,
                  sizeof(float) * graph->dim);
      table.Put(rec->id, v.data(), ParseMetadata(rec->metadata_json, graph_name, rec->id));
    }
    out.snapshot_records = graph->records.size();
    uint64_t live = 0;
    for (uint8_t d : graph->deleted) live += d ? 0 : 1;
    out.orphan_slots = live - graph->records.size();
  }
  if (wal) {
    out.wal_entries = wal->entries.size();
    out.torn_tail_bytes = wal->torn_tail_bytes;
    for (const WalEntry& e : wal->entries) {
      if (e.has_vector && table.dim() == 0) {
        if (e.vector.empty() || e.vector.size() > kMaxDim) {
          Throw(ErrorCode::kCorruption, wal_name + " entry at offset " + std::to_string(e.offset) +
                                            ": id '" + e.id + "' has a vector of length " +
                                            std::to_string(e.vector.size()));
        }
        table.set_dim(static_cast<uint32_t>(e.vector.size()));
      }
      switch (e.op) {
        case kWalAdd:
          CheckLength(e, table.dim(), wal_name);
          table.Put(e.id, e.vector.data(), ParseMetadata(e.metadata_json, wal_name, e.id));
          break;
        case kWalDelete:
          table.Remove(e.id);
          break;
        case kWalUpdate: {
          if (e.has_vector) CheckLength(e, table.dim(), wal_name);
          ValuePtr meta;
          if (e.has_metadata) meta = ParseMetadata(e.metadata_json, wal_name, e.id);
          if (!table.Has(e.id)) break;
          if (e.has_vector) table.SetVector(e.id, e.vector.data());
          if (e.has_metadata) table.SetMetadata(e.id, std::move(meta));
          break;
        }
        default:
          break;
      }
    }
  }
  out.dim = table.dim();
  table.MoveInto(&out);
  return out;
}

}  // namespace herondb::vctrs
