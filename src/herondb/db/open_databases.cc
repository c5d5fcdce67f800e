// The process-wide registry of open databases (open_databases.h).
#include "herondb/db/open_databases.h"

#include <sys/stat.h>

#include <algorithm>
#include <condition_variable>
#include <optional>
#include <vector>

#include "herondb/common/error.h"

namespace herondb {
namespace {

struct DirId {
  dev_t dev;
  ino_t ino;
  bool operator==(const DirId& o) const { return dev == o.dev && ino == o.ino; }
};

std::optional<DirId> IdentifyDir(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::nullopt;
  return DirId{st.st_dev, st.st_ino};
}

struct Entry {
  DirId dir;
  SharedDatabase* raw;  // identifies the entry; never dereferenced here
  std::weak_ptr<SharedDatabase> weak;
  bool writable;
  bool closing;  // Close() is under way: opens of dir wait for it
};

struct Registry {
  std::mutex mu;
  std::condition_variable changed;  // an entry left or started closing
  std::vector<Entry> entries;

  Entry* Find(SharedDatabase* raw) {
    for (Entry& e : entries)
      if (e.raw == raw) return &e;
    return nullptr;
  }
  void Erase(SharedDatabase* raw) {
    std::lock_guard lk(mu);
    entries.erase(std::remove_if(entries.begin(), entries.end(),
                                 [raw](const Entry& e) { return e.raw == raw; }),
                  entries.end());
    changed.notify_all();
  }
};

Registry& TheRegistry() {
  static Registry* r = new Registry();  // never destroyed: handles may close at exit
  return *r;
}

void CheckSameShape(const Database& db, const DatabaseOptions& o, const std::string& path) {
  if (o.dim && *o.dim != db.dim())
    Throw(ErrorCode::kInvalidArgument, "database " + path + " has dimension " +
                                           std::to_string(db.dim()) + ", not " +
                                           std::to_string(*o.dim));
  if (o.metric && *o.metric != db.metric())
    Throw(ErrorCode::kInvalidArgument, "database " + path + " uses the metric '" +
                                           MetricName(db.metric()) + "', not '" +
                                           MetricName(*o.metric) + "'");
}

}  // namespace

SharedDatabase::SharedDatabase(std::unique_ptr<Database> db, std::string path)
    : path_(std::move(path)), read_only_(db->read_only()), db_(std::move(db)) {
  RefreshCounts(*db_);
}

SharedDatabase::~SharedDatabase() {
  // No handle is left, so no call is inside; close the database (and its
  // lock) before an open waiting for this directory may proceed.
  db_.reset();
  TheRegistry().Erase(this);
}

SharedDatabase::Use::Use(SharedDatabase& shared) : pass_(shared.gate_) {
  if (!pass_.admitted())
    Throw(ErrorCode::kInvalidArgument, "database " + shared.path_ + " was closed (" + shared.why_ +
                                           "); open it again to use it");
  db_ = shared.db_.get();
}

void SharedDatabase::Close(const std::string& why) {
  std::lock_guard one(close_mu_);
  if (gate_.closed()) return;
  Registry& r = TheRegistry();
  {
    std::lock_guard lk(r.mu);
    if (Entry* e = r.Find(this)) e->closing = true;
  }
  why_ = why;
  gate_.Close();
  db_.reset();
  r.Erase(this);
}

SharedDatabase::Counts SharedDatabase::counts() const {
  return {live_.load(std::memory_order_relaxed), deleted_.load(std::memory_order_relaxed),
          slots_.load(std::memory_order_relaxed)};
}

void SharedDatabase::RefreshCounts(Database& db) {
  live_.store(db.size(), std::memory_order_relaxed);
  deleted_.store(db.deleted_count(), std::memory_order_relaxed);
  slots_.store(db.total_slots(), std::memory_order_relaxed);
}

std::shared_ptr<SharedDatabase> OpenDatabase(const std::string& path,
                                             const DatabaseOptions& options) {
  Database::CheckPath(path, "database path");  // before stat() sees a cut-off name
  Registry& r = TheRegistry();
  if (options.read_only) {
    auto shared = std::shared_ptr<SharedDatabase>(
        new SharedDatabase(std::make_unique<Database>(path, options), path));
    if (std::optional<DirId> dir = IdentifyDir(path)) {
      std::lock_guard lk(r.mu);
      r.entries.push_back({*dir, shared.get(), shared, false, false});
    }
    return shared;
  }
  std::unique_lock lk(r.mu);
  for (;;) {
    std::optional<DirId> dir = IdentifyDir(path);
    if (!dir) break;
    auto it = std::find_if(r.entries.begin(), r.entries.end(),
                           [&](const Entry& e) { return e.writable && e.dir == *dir; });
    if (it == r.entries.end()) break;
    if (!it->closing) {
      if (std::shared_ptr<SharedDatabase> shared = it->weak.lock()) {
        lk.unlock();  // `shared` may be the last reference if we throw
        SharedDatabase::Use use(*shared);
        CheckSameShape(*use, options, path);
        if (options.sync) use->EnableSync();
        return shared;
      }
    }
    // Being closed by another thread: wait until its lock is released.
    r.changed.wait(lk);
  }
  auto shared = std::shared_ptr<SharedDatabase>(
      new SharedDatabase(std::make_unique<Database>(path, options), path));
  if (std::optional<DirId> dir = IdentifyDir(path))
    r.entries.push_back({*dir, shared.get(), shared, true, false});
  return shared;
}

size_t CloseDatabasesAt(const std::string& path, const std::string& why) {
  std::optional<DirId> dir = IdentifyDir(path);
  if (!dir) return 0;
  std::vector<std::shared_ptr<SharedDatabase>> victims;
  {
    Registry& r = TheRegistry();
    std::lock_guard lk(r.mu);
    for (const Entry& e : r.entries)
      if (e.dir == *dir)
        if (std::shared_ptr<SharedDatabase> s = e.weak.lock()) victims.push_back(std::move(s));
  }
  for (const auto& s : victims) s->Close(why);
  return victims.size();
}

size_t OpenDatabaseCount() {
  Registry& r = TheRegistry();
  std::lock_guard lk(r.mu);
  return r.entries.size();
}

}  // namespace herondb
