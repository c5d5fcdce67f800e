// One process, one open database, many handles (api-decisions D14).
//
// OpenDatabase() is how handles (the Python Database objects) open a
// database. Contract:
// - A writable open of a directory that this process already has open for
//   writing returns the same SharedDatabase: one core Database, one write
//   lock, one log. Directories are identified by (st_dev, st_ino) of the
//   directory, not by the path string, so "db", "./db/" and a symlink to it
//   are the same database. dim and metric given to a second open must match
//   the open database (kInvalidArgument otherwise, as for a stored one);
//   m, ef_construction and quantize are ignored like on any reopen; sync=true
//   turns on fsync-per-write for the shared database from then on.
// - Reference counting: a SharedDatabase lives while any handle holds its
//   shared_ptr. When the last one goes, the Database is closed (its lock
//   released) in that thread before the destructor returns, and only then
//   may the directory be opened anew: a writable open that finds a database
//   being closed waits for it to finish instead of failing with kLocked.
// - Another process still gets kLocked at once (storage/file_lock.h).
// - Read-only opens are never shared: each is its own Database, registered
//   only so that CloseDatabasesAt() reaches it.
// - Opens of writable databases are serialized within the process (the
//   registry's mutex is held while one opens); closes are not.
// - Calls go through SharedDatabase::Use, which fails with kInvalidArgument
//   "... is closed" once Close() has run. Close() (used when a collection is
//   deleted) waits for the calls already inside, then closes the Database;
//   every handle on it then sees it closed.
// - Caveat: a directory deleted and recreated by someone else while a
//   handle is open may get the same inode; opening it then shares the old
//   (now fileless) database. Client.delete_collection closes the database
//   first (CloseDatabasesAt), so it never hits this.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "herondb/db/call_gate.h"
#include "herondb/db/database.h"

namespace herondb {

class SharedDatabase {
 public:
  ~SharedDatabase();
  SharedDatabase(const SharedDatabase&) = delete;
  SharedDatabase& operator=(const SharedDatabase&) = delete;

  // Access to the Database for the duration of one call.
  class Use {
   public:
    explicit Use(SharedDatabase& shared);  // kInvalidArgument when closed
    Database& operator*() const { return *db_; }
    Database* operator->() const { return db_; }

   private:
    CallGate::Pass pass_;
    Database* db_ = nullptr;
  };

  // Shuts every handle out: waits for the calls already inside, then closes
  // the Database (releasing the write lock). Later calls through any handle
  // fail with "<path> was closed (<why>)". Idempotent; safe from any thread
  // that is not itself inside a call on this database.
  void Close(const std::string& why);
  bool closed() const { return gate_.closed(); }
  bool read_only() const { return read_only_; }
  const std::string& path() const { return path_; }

  // Live, deleted and allocated slots as of the last RefreshCounts(): read
  // without waiting for the database's lock (for callers that must not
  // block, such as an asyncio event loop). Handles refresh them after every
  // call that changes the database.
  struct Counts {
    uint64_t live = 0, deleted = 0, slots = 0;
  };
  Counts counts() const;
  void RefreshCounts(Database& db);

 private:
  friend std::shared_ptr<SharedDatabase> OpenDatabase(const std::string&, const DatabaseOptions&);
  SharedDatabase(std::unique_ptr<Database> db, std::string path);

  std::string path_;
  bool read_only_;
  CallGate gate_;
  std::mutex close_mu_;  // one Close() at a time
  std::string why_;      // written once, before gate_ closes
  std::unique_ptr<Database> db_;
  std::atomic<uint64_t> live_{0}, deleted_{0}, slots_{0};
};

// Opens (or shares) the database at `path`; see the contract above.
std::shared_ptr<SharedDatabase> OpenDatabase(const std::string& path,
                                             const DatabaseOptions& options);

// Closes (SharedDatabase::Close) every database of this process open at the
// directory `path`, writable or read-only; returns how many. 0 when the
// directory does not exist or nothing is open there.
size_t CloseDatabasesAt(const std::string& path, const std::string& why);

// Databases currently registered (for tests).
size_t OpenDatabaseCount();

}  // namespace herondb
