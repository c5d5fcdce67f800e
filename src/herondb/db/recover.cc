// RecoverDatabase: see recover.h for the contract.
#include "herondb/db/recover.h"

#include <algorithm>
#include <functional>

#include "herondb/common/error.h"
#include "herondb/db/database.h"
#include "herondb/storage/file_lock.h"
#include "herondb/storage/manifest.h"

namespace herondb {
namespace {

// Opens generation `generation` read-only (nullopt: the one CURRENT names)
// and verifies it; returns the handle.
std::unique_ptr<Database> OpenVerified(const std::string& path, Env* env,
                                       std::optional<uint64_t> generation) {
  DatabaseOptions o;
  o.read_only = true;
  o.env = env;
  o.threads = 1;
  o.residency = VectorResidency::kMap;
  o.generation = generation;
  auto db = std::make_unique<Database>(path, o);
  db->VerifyFiles();
  return db;
}

}  // namespace

RecoverResult RecoverDatabase(const std::string& path, Env* env) {
  if (env == nullptr) env = Env::Default();
  if (!env->FileExists(path))
    Throw(ErrorCode::kInvalidArgument, "no database directory at " + path);
  std::vector<std::string> names = env->ListDir(path);  // kIOError if not a directory
  FileLock lock = FileLock::Acquire(path);
  RecoverResult result;
  try {
    std::optional<CurrentInfo> cur = ReadCurrent(env, path);
    if (!cur) {
      result.current_problem = JoinPath(path, kCurrentFileName) + ": missing";
    } else {
      result.previous = cur->generation;
      auto db = OpenVerified(path, env, std::nullopt);
      result.generation = db->generation();
      result.vectors = db->size();
      result.id = db->files_id();
      return result;  // healthy: nothing to do
    }
  } catch (const Error& e) {
    result.current_problem = e.what();
  }
  std::vector<uint64_t> generations;
  for (const std::string& name : names) {
    auto parsed = ParseDbFileName(name);
    if (parsed && parsed->kind == DbFileKind::kSnapshot) generations.push_back(parsed->generation);
  }
  std::sort(generations.begin(), generations.end(), std::greater<>());
  for (uint64_t g : generations) {
    try {
      auto db = OpenVerified(path, env, g);
      result.generation = g;
      result.vectors = db->size();
      result.id = db->files_id();
      db.reset();
      WriteCurrent(env, path, g, {}, result.id);
      result.changed = true;
      return result;
    } catch (const Error& e) {
      result.skipped.emplace_back(SnapshotFileName(g), e.what());
    }
  }
  std::string msg = "no generation of " + path + " verifies; nothing was changed (" +
                    result.current_problem + ")";
  for (const auto& [name, why] : result.skipped) msg += "; " + name + ": " + why;
  if (generations.empty()) msg += "; no snapshot file found";
  Throw(ErrorCode::kCorruption, msg);
}

}  // namespace herondb
