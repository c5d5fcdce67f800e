// Reading graph.vctrs, vectors.bin and vectors.sq8 (contract in graph_file.h).
#include "herondb/vctrs/graph_file.h"

#include <unordered_set>

#include "herondb/common/error.h"
#include "herondb/meta/utf8.h"
#include "herondb/vctrs/byte_reader.h"
#include "herondb/vctrs/format.h"

namespace herondb::vctrs {

GraphFile ParseGraphFile(std::string_view bytes, const std::string& name) {
  ByteReader r(bytes, name);
  GraphFile g;
  if (r.U32("the magic number") != kGraphMagic) {
    r.Fail("not a vctrs graph file (bad magic number)");
  }
  const uint32_t version = r.U32("the version");
  if (version != kGraphVersion) {
    r.Fail("unsupported graph version " + std::to_string(version) + " (vctrs 0.3.0 writes 2)");
  }
  g.dim = r.U32("the dimension");
  if (g.dim < 1 || g.dim > kMaxDim) r.Fail("dimension " + std::to_string(g.dim) + " out of range");
  const uint8_t metric = r.U8("the metric");
  switch (metric) {
    case 0:
      g.metric = Metric::kCosine;
      break;
    case 1:
      g.metric = Metric::kEuclidean;
      break;
    case 2:
      g.metric = Metric::kDot;
      break;
    default:
      r.Fail("unknown metric code " + std::to_string(metric));
  }
  g.m = r.U32("m");
  g.ef_construction = r.U32("ef_construction");
  const uint32_t entry = r.U32("the entry point");
  const uint32_t top = r.U32("the top layer");
  g.num_slots = r.U32("the slot count");
  const uint32_t n = g.num_slots;
  // Every slot takes at least 8 bytes (layer count and one list length).
  if (uint64_t{n} * 8 > r.remaining())
    r.Fail("slot count " + std::to_string(n) + " exceeds the file");
  if (n > 0 && entry >= n) r.Fail("entry point " + std::to_string(entry) + " out of range");
  if (top >= kMaxLayers) r.Fail("top layer " + std::to_string(top) + " out of range");

  g.deleted.assign(n, 0);
  const uint32_t num_deleted = r.U32("the deleted count");
  if (num_deleted > n)
    r.Fail("deleted count " + std::to_string(num_deleted) + " exceeds the slots");
  for (uint32_t i = 0; i < num_deleted; ++i) {
    const uint32_t s = r.U32("a deleted slot");
    if (s >= n) r.Fail("deleted slot " + std::to_string(s) + " out of range");
    if (g.deleted[s]) r.Fail("deleted slot " + std::to_string(s) + " listed twice");
    g.deleted[s] = 1;
  }

  for (uint32_t s = 0; s < n; ++s) {
    const uint32_t layers = r.U32("a layer count");
    if (layers < 1 || layers > kMaxLayers) {
      r.Fail("slot " + std::to_string(s) + " has " + std::to_string(layers) + " layers");
    }
    for (uint32_t l = 0; l < layers; ++l) {
      const uint32_t count = r.U32("a neighbour count");
      if (count > n) r.Fail("neighbour count " + std::to_string(count) + " exceeds the slots");
      if (uint64_t{count} * 4 > r.remaining()) r.Fail("neighbour list runs past the end");
      for (uint32_t k = 0; k < count; ++k) {
        const uint32_t nb = r.U32("a neighbour");
        if (nb >= n) r.Fail("neighbour " + std::to_string(nb) + " out of range");
      }
    }
  }

  if (r.U32("the metadata section's magic number") != kMetaMagic) {
    r.Fail("bad metadata section magic number");
  }
  const uint32_t count = r.U32("the record count");
  if (count > n - num_deleted) {
    r.Fail("record count " + std::to_string(count) + " exceeds the live slots");
  }
  std::vector<uint8_t> slot_used(n, 0);
  std::unordered_set<std::string_view> seen_ids;
  g.records.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    GraphRecord rec;
    rec.slot = r.U32("a record's slot");
    if (rec.slot >= n) r.Fail("record slot " + std::to_string(rec.slot) + " out of range");
    if (g.deleted[rec.slot]) r.Fail("record slot " + std::to_string(rec.slot) + " is deleted");
    if (slot_used[rec.slot]) r.Fail("record slot " + std::to_string(rec.slot) + " used twice");
    slot_used[rec.slot] = 1;
    const uint32_t id_len = r.U32("an id length");
    std::string_view id = r.Bytes(id_len, "an id");
    if (!IsValidUtf8(id)) r.Fail("an id is not valid UTF-8");
    const uint32_t meta_len = r.U32("a metadata length");
    std::string_view meta = r.Bytes(meta_len, "metadata");
    rec.id.assign(id);
    rec.metadata_json.assign(meta);
    g.records.push_back(std::move(rec));
  }
  for (const GraphRecord& rec : g.records) {
    if (!seen_ids.insert(rec.id).second) {
      Throw(ErrorCode::kCorruption, name + ": id '" + rec.id + "' appears twice");
    }
  }
  if (!r.at_end()) r.Fail(std::to_string(r.remaining()) + " unexpected bytes after the records");
  return g;
}

std::string_view VectorRows(std::string_view bytes, const GraphFile& graph,
                            const std::string& name) {
  const uint64_t rows = uint64_t{graph.num_slots} * graph.dim * 4;
  const uint64_t norms = uint64_t{graph.num_slots} * 4;
  if (bytes.size() != rows && bytes.size() != rows + norms) {
    Throw(ErrorCode::kCorruption, name + ": " + std::to_string(bytes.size()) + " bytes, expected " +
                                      std::to_string(rows) + " or " + std::to_string(rows + norms) +
                                      " for the " + std::to_string(graph.num_slots) +
                                      " vectors of dimension " + std::to_string(graph.dim) +
                                      " that " + kGraphFileName + " describes");
  }
  return bytes.substr(0, rows);
}

void CheckSq8File(std::string_view bytes, const GraphFile& graph, const std::string& name) {
  ByteReader r(bytes, name);
  const uint32_t dim = r.U32("the dimension");
  if (dim != graph.dim) {
    r.Fail("dimension " + std::to_string(dim) + " differs from graph.vctrs's " +
           std::to_string(graph.dim));
  }
  const uint64_t expected = 4 + uint64_t{dim} * 8 + uint64_t{graph.num_slots} * dim;
  if (bytes.size() != expected) {
    Throw(ErrorCode::kCorruption, name + ": " + std::to_string(bytes.size()) + " bytes, expected " +
                                      std::to_string(expected) + " for the " +
                                      std::to_string(graph.num_slots) + " slots that " +
                                      kGraphFileName + " describes");
  }
}

}  // namespace herondb::vctrs
