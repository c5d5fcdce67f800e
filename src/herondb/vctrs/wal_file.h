// Reading vctrs's write-ahead log, wal.vctrs (layout in vctrs/format.h).
//
// Contract: a pure function over bytes in memory that never reads outside
// them. It returns every entry in file order. An entry cut short by the end
// of the file (what a process killed while appending leaves) ends the log,
// as it does for vctrs; its bytes are counted in torn_tail_bytes. Anything
// else wrong (a checksum mismatch, an unknown operation, a payload whose
// fields do not add up to its length, an id that is not UTF-8) throws
// Error(kCorruption) naming the file and the entry's offset: vctrs would
// silently stop replaying there, and a migration must not drop the rest
// without saying so. Metadata stays JSON text (parsed by the replay).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace herondb::vctrs {

struct WalEntry {
  uint8_t op = 0;       // kWalAdd, kWalDelete or kWalUpdate
  uint64_t offset = 0;  // of the entry in the file
  std::string id;
  bool has_vector = false;  // add: always; update: if it sets one
  std::vector<float> vector;
  bool has_metadata = false;  // add: always; update: if it sets it
  std::string metadata_json;  // empty: no metadata
};

struct WalFile {
  std::vector<WalEntry> entries;
  uint64_t torn_tail_bytes = 0;
};

// Parses wal.vctrs. `name` prefixes error messages.
WalFile ParseWalFile(std::string_view bytes, const std::string& name);

}  // namespace herondb::vctrs
