// libFuzzer entry point for the vctrs reader (src/herondb/vctrs/).
//
// The input is split into up to three files by two leading u16 lengths:
// graph.vctrs (first length), vectors.bin (second length), wal.vctrs (the
// rest). Each part goes through its parser and, when they parse, through the
// replay, exactly as a migration reads a directory. The only acceptable
// outcome of bad input is a herondb::Error; anything else (a crash, an
// out-of-bounds read under ASan, another exception) is a finding.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "herondb/common/error.h"
#include "herondb/vctrs/graph_file.h"
#include "herondb/vctrs/replay.h"
#include "herondb/vctrs/wal_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace herondb::vctrs;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (in.size() < 4) return 0;
  const size_t g_len =
      static_cast<uint8_t>(in[0]) | (static_cast<size_t>(static_cast<uint8_t>(in[1])) << 8);
  const size_t v_len =
      static_cast<uint8_t>(in[2]) | (static_cast<size_t>(static_cast<uint8_t>(in[3])) << 8);
  in.remove_prefix(4);
  const std::string_view graph_bytes = in.substr(0, g_len);
  in.remove_prefix(graph_bytes.size());
  const std::string_view vector_bytes = in.substr(0, v_len);
  in.remove_prefix(vector_bytes.size());
  const std::string_view wal_bytes = in;

  std::optional<GraphFile> graph;
  std::string_view rows;
  try {
    graph = ParseGraphFile(graph_bytes, "graph.vctrs");
    rows = VectorRows(vector_bytes, *graph, "vectors.bin");
    CheckSq8File(vector_bytes, *graph, "vectors.sq8");
  } catch (const herondb::Error&) {
    if (graph && rows.size() != uint64_t{graph->num_slots} * graph->dim * 4) graph.reset();
  }
  std::optional<WalFile> wal;
  try {
    wal = ParseWalFile(wal_bytes, "wal.vctrs");
  } catch (const herondb::Error&) {
  }
  try {
    Replay(graph ? &*graph : nullptr, rows, wal ? &*wal : nullptr, "graph.vctrs", "wal.vctrs");
  } catch (const herondb::Error&) {
  }
  return 0;
}
