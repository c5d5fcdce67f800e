// Reading a vctrs database directory: the files of vctrs/format.h, checked
// and replayed (vctrs/replay.h) into the records a migration stores.
//
// Contract: reads only; never writes, renames or locks anything in `dir`.
// graph.vctrs and vectors.bin go together (one without the other is
// Error(kCorruption) naming the missing file); vectors.sq8 is checked when
// present; wal.vctrs is replayed when present. A file that is not a regular
// file is Error(kCorruption) naming it; a read failure is Error(kIOError).
// A directory with neither graph.vctrs nor wal.vctrs is
// Error(kInvalidArgument).
#pragma once

#include <string>

#include "herondb/vctrs/replay.h"

namespace herondb::vctrs {

struct VctrsDirectory {
  VctrsRecords records;
  bool quantized = false;          // vectors.sq8 is present
  std::vector<std::string> files;  // the vctrs files read, by name
};

VctrsDirectory ReadVctrsDirectory(const std::string& dir);

}  // namespace herondb::vctrs
