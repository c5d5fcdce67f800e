// The records of a vctrs database: its snapshot with its write-ahead log
// replayed on top, the way vctrs itself replays it when it opens.
//
// Contract: a pure function. Starting from the snapshot's live records (in
// slot order; none without a snapshot), it applies the log's entries in
// order: an add inserts the id or replaces its vector and metadata (vctrs
// logs upserts as adds); a delete removes the id if present; an update of a
// present id sets the vector and/or metadata it carries and is skipped for an
// absent id. Ids keep their first position; one deleted and added again goes
// to the end. Without a snapshot the dimension is the first logged vector's
// and the metric is unknown. A vector whose length is not the dimension, or
// metadata that is not a JSON object, throws Error(kCorruption) naming the
// file and the id (vctrs's writers check both, so only damage produces them).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "herondb/index/metric.h"
#include "herondb/meta/value.h"
#include "herondb/vctrs/graph_file.h"
#include "herondb/vctrs/wal_file.h"

namespace herondb::vctrs {

struct VctrsRecords {
  uint32_t dim = 0;           // 0: unknown (no snapshot and no logged vector)
  bool has_snapshot = false;  // metric, m and ef_construction are known
  Metric metric = Metric::kCosine;
  uint32_t m = 0;
  uint32_t ef_construction = 0;
  std::vector<std::string> ids;  // the live records, in order
  std::vector<float> rows;       // ids.size() x dim
  std::vector<ValuePtr> metadata;
  // What was read.
  uint64_t snapshot_records = 0;
  uint64_t orphan_slots = 0;  // live slots without an id (vctrs's add_many
                              // of a repeated id leaves one); not migrated
  uint64_t wal_entries = 0;
  uint64_t torn_tail_bytes = 0;
};

// `graph`/`rows` (vectors.bin's rows, see VectorRows) may be null/empty when
// the database was never saved; `wal` may be null when there is no log.
VctrsRecords Replay(const GraphFile* graph, std::string_view rows, const WalFile* wal,
                    const std::string& graph_name, const std::string& wal_name);

}  // namespace herondb::vctrs
