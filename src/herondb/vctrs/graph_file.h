// Reading vctrs's graph.vctrs and vectors.bin (layout in vctrs/format.h).
//
// Contract: pure functions over bytes in memory; they never read outside the
// input, whatever it holds, and allocate no more than a small multiple of the
// input's size. Every structural problem (bad magic or version, an unknown
// metric, a count that does not fit, a neighbour or slot out of range, a
// repeated deleted slot, slot or id, an id that is not UTF-8, bytes after the
// end, a vectors.bin whose size does not match) throws Error(kCorruption)
// whose message starts with the file name. The graph's links themselves are
// checked and skipped: a migration rebuilds the graph.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "herondb/index/metric.h"

namespace herondb::vctrs {

// One live record of the snapshot: its slot, id and metadata JSON text
// (empty when the record has none).
struct GraphRecord {
  uint32_t slot = 0;
  std::string id;
  std::string metadata_json;
};

struct GraphFile {
  uint32_t dim = 0;
  Metric metric = Metric::kCosine;
  uint32_t m = 0;
  uint32_t ef_construction = 0;
  uint32_t num_slots = 0;            // live and deleted
  std::vector<uint8_t> deleted;      // num_slots flags
  std::vector<GraphRecord> records;  // in file order
};

// Parses graph.vctrs. `name` prefixes error messages.
GraphFile ParseGraphFile(std::string_view bytes, const std::string& name);

// Checks vectors.bin against the graph (num_slots x dim float32 rows,
// optionally followed by num_slots norms) and returns a view of the rows'
// bytes (num_slots * dim * 4 of them).
std::string_view VectorRows(std::string_view bytes, const GraphFile& graph,
                            const std::string& name);

// Checks vectors.sq8 against the graph (u32 dim, dim minimums, dim scales,
// num_slots x dim codes). Its content is not needed: the full-precision rows
// are in vectors.bin.
void CheckSq8File(std::string_view bytes, const GraphFile& graph, const std::string& name);

}  // namespace herondb::vctrs
