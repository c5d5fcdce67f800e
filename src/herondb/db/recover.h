// RecoverDatabase: `herondb recover PATH`. Rewrites CURRENT to name the
// newest generation whose files verify, for a directory whose CURRENT is
// missing or damaged (which opening refuses as CorruptionError, deleting
// nothing).
//
// Contract:
// - Takes the writer lock (FileLock) for the whole run: kLocked if a writer
//   has the database open.
// - If CURRENT is readable and its generation opens and verifies (every
//   checksum, identity, log replay), nothing is changed (changed = false).
// - Otherwise tries every generation that has a snapshot file, newest
//   first: a read-only open of that generation (snapshot checksums and
//   structure, its log replayed, snapshot and log of the same database id)
//   plus VerifyFiles(). The first that passes becomes live: CURRENT is
//   rewritten (WriteCurrent: fsynced, atomic rename) with its generation and
//   the id its files record. No file is deleted: the next writable open
//   removes other generations' files as usual.
// - When no generation passes, throws Error(kCorruption) listing every
//   candidate and why it failed; nothing is written. A path that is not a
//   directory is kInvalidArgument.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "herondb/storage/db_id.h"
#include "herondb/storage/env.h"

namespace herondb {

struct RecoverResult {
  bool changed = false;              // CURRENT was rewritten
  uint64_t generation = 0;           // the live generation afterwards
  std::optional<uint64_t> previous;  // what CURRENT named before, when readable
  std::string current_problem;       // why CURRENT was not kept ("" when it was)
  std::vector<std::pair<std::string, std::string>> skipped;  // snapshot name, why
  uint64_t vectors = 0;  // live vectors in the chosen generation
  DbId id;               // the database id of its files
};

RecoverResult RecoverDatabase(const std::string& path, Env* env = nullptr);

}  // namespace herondb
