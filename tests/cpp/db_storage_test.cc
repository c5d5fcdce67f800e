// Tests for the Database's persistence: create / reopen with log replay,
// save, compact, locking, read-only mode, damaged files and injected I/O
// failures (storage/fault_injection_env.h).
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>

#include "herondb/db/database.h"
#include "herondb/storage/fault_injection_env.h"
#include "herondb/storage/manifest.h"
#include "herondb/storage/snapshot_file.h"
#include "storage_test_util.h"

namespace herondb {
namespace {

using testing::ExpectError;
using testing::ReadAll;
using testing::TempDir;
using testing::WriteAll;

constexpr uint32_t kDim = 4;

// What a database should hold: id -> (vector, metadata "n" or -1 for none).
using Model = std::map<std::string, std::pair<std::vector<float>, int64_t>>;

ValuePtr MetaN(int64_t n) {
  if (n < 0) return nullptr;
  Object o;
  o.emplace_back("n", Value(n));
  return std::make_shared<const Value>(Value(std::move(o)));
}

std::vector<float> Vec(int seed) {
  std::vector<float> v(kDim);
  for (uint32_t i = 0; i < kDim; ++i) v[i] = static_cast<float>(seed * 7 + i + 1) * 0.25f;
  return v;
}

class Db {
 public:
  Db(const std::string& dir, Env* env = nullptr, bool read_only = false, bool create = true) {
    DatabaseOptions o;
    if (create) o.dim = kDim;
    o.env = env;
    o.read_only = read_only;
    o.threads = 2;
    db = std::make_unique<Database>(dir, o);
  }
  void Add(Model* model, const std::string& id, int seed, int64_t meta) {
    std::vector<float> v = Vec(seed);
    PutEntry e;
    e.id = id;
    e.vector = v.data();
    e.metadata = MetaN(meta);
    db->Add(std::move(e));
    if (model) (*model)[id] = {v, meta};
  }
  std::unique_ptr<Database> db;
};

void ExpectHolds(const Database& db, const Model& model) {
  ASSERT_EQ(db.size(), model.size());
  for (const auto& [id, want] : model) {
    std::vector<float> v;
    ValuePtr meta;
    ASSERT_NO_THROW(db.Get(id, &v, &meta)) << id;
    EXPECT_EQ(v, want.first) << id;
    if (want.second < 0) {
      EXPECT_FALSE(meta) << id;
    } else {
      ASSERT_TRUE(meta) << id;
      EXPECT_EQ(*meta, *MetaN(want.second)) << id;
    }
  }
  EXPECT_EQ(db.Verify(), "");
}

TEST(DbStorageTest, ReopenReplaysTheLogWithoutSave) {
  TempDir dir;
  Model model;
  {
    Db d(dir.path());
    for (int i = 0; i < 50; ++i) d.Add(&model, "id" + std::to_string(i), i, i % 3 ? i : -1);
    EXPECT_TRUE(d.db->Delete("id7"));
    model.erase("id7");
    PutEntry u;
    u.id = "id8";
    u.metadata = MetaN(99);
    d.db->Update(std::move(u));
    model["id8"].second = 99;
  }
  Db d(dir.path(), nullptr, false, /*create=*/false);
  ExpectHolds(*d.db, model);
  EXPECT_EQ(d.db->deleted_count(), 1u);
  EXPECT_EQ(d.db->generation(), 1u);
}

TEST(DbStorageTest, SaveSwitchesGenerationAndRemovesTheOldOne) {
  TempDir dir;
  Model model;
  Db d(dir.path());
  d.Add(&model, "a", 1, 1);
  d.db->Save();
  EXPECT_EQ(d.db->generation(), 2u);
  d.db->Save();  // unchanged: nothing written
  EXPECT_EQ(d.db->generation(), 2u);
  EXPECT_FALSE(std::filesystem::exists(dir.File("snapshot-000001.hdb")));
  EXPECT_FALSE(std::filesystem::exists(dir.File("wal-000001.log")));
  EXPECT_TRUE(std::filesystem::exists(dir.File("snapshot-000002.hdb")));
  d.Add(&model, "b", 2, -1);
  d.db.reset();
  Db again(dir.path(), nullptr, false, false);
  ExpectHolds(*again.db, model);
}

TEST(DbStorageTest, CompactDropsDeletedSlotsAndPersists) {
  TempDir dir;
  Model model;
  Db d(dir.path());
  std::vector<std::vector<float>> vecs;
  std::vector<PutEntry> batch;
  for (int i = 0; i < 1000; ++i) {
    vecs.push_back(Vec(i));
    model["id" + std::to_string(i)] = {vecs.back(), i};
  }
  for (int i = 0; i < 1000; ++i) {
    PutEntry e;
    e.id = "id" + std::to_string(i);
    e.vector = vecs[i].data();
    e.metadata = MetaN(i);
    batch.push_back(std::move(e));
  }
  d.db->AddMany(std::move(batch));
  std::vector<std::string> gone;
  for (int i = 0; i < 1000; i += 2) {
    gone.push_back("id" + std::to_string(i));
    model.erase("id" + std::to_string(i));
  }
  EXPECT_EQ(d.db->DeleteMany(gone), 500u);
  d.db->Compact();
  EXPECT_EQ(d.db->deleted_count(), 0u);
  EXPECT_EQ(d.db->total_slots(), 500u);
  ExpectHolds(*d.db, model);
  d.db.reset();
  Db again(dir.path(), nullptr, false, false);
  ExpectHolds(*again.db, model);
  EXPECT_EQ(again.db->total_slots(), 500u);
}

TEST(DbStorageTest, SecondWriterIsLockedOut) {
  TempDir dir;
  Db d(dir.path());
  ExpectError(ErrorCode::kLocked, [&] { Db other(dir.path()); });
  Db reader(dir.path(), nullptr, /*read_only=*/true, false);  // readers need no lock
  d.db.reset();
  Db now(dir.path(), nullptr, false, false);  // released on close
}

TEST(DbStorageTest, ReadOnlySeesStateAtOpenAndRejectsMutations) {
  TempDir dir;
  Model model;
  Db w(dir.path());
  w.Add(&model, "a", 1, 1);
  Db r(dir.path(), nullptr, true, false);
  w.Add(nullptr, "b", 2, 2);
  ExpectHolds(*r.db, model);
  std::string msg = ExpectError(ErrorCode::kReadOnly, [&] { r.Add(nullptr, "c", 3, 3); });
  EXPECT_NE(msg.find("read_only"), std::string::npos);
  ExpectError(ErrorCode::kReadOnly, [&] { r.db->Save(); });
  ExpectError(ErrorCode::kReadOnly, [&] { r.db->Delete("a"); });
}

TEST(DbStorageTest, OpeningWithoutDimWhereNoDatabaseIsInvalidAndCreatesNothing) {
  TempDir dir;
  const std::string path = dir.File("nothing");
  ExpectError(ErrorCode::kInvalidArgument, [&] { Db d(path, nullptr, false, false); });
  EXPECT_FALSE(std::filesystem::exists(path));
  ExpectError(ErrorCode::kInvalidArgument, [&] { Db d(path, nullptr, true, false); });
}

TEST(DbStorageTest, DimensionOrMetricMismatchOnReopenIsInvalid) {
  TempDir dir;
  {
    Db d(dir.path());
  }
  DatabaseOptions o;
  o.dim = kDim + 1;
  std::string msg = ExpectError(ErrorCode::kInvalidArgument, [&] { Database db(dir.path(), o); });
  EXPECT_NE(msg.find("dimension 4"), std::string::npos) << msg;
  o.dim = kDim;
  o.metric = Metric::kEuclidean;
  ExpectError(ErrorCode::kInvalidArgument, [&] { Database db(dir.path(), o); });
}

TEST(DbStorageTest, TornLogTailIsDroppedAndEverythingBeforeKept) {
  TempDir dir;
  Model model;
  {
    Db d(dir.path());
    for (int i = 0; i < 5; ++i) d.Add(&model, "id" + std::to_string(i), i, i);
  }
  const std::string wal = dir.File("wal-000001.log");
  std::string bytes = ReadAll(wal);
  WriteAll(wal, bytes + std::string("\x12\x34\x56", 3));  // a partial record header
  {
    Db d(dir.path(), nullptr, false, false);
    ExpectHolds(*d.db, model);
  }
  // Cut the last record in half: it is dropped, the rest kept.
  WriteAll(wal, bytes.substr(0, bytes.size() - 5));
  model.erase("id4");
  Db d(dir.path(), nullptr, false, false);
  ExpectHolds(*d.db, model);
}

TEST(DbStorageTest, DamageBeforeTheLogTailIsCorruptionNamingTheFile) {
  TempDir dir;
  {
    Db d(dir.path());
    for (int i = 0; i < 5; ++i) d.Add(nullptr, "id" + std::to_string(i), i, i);
  }
  const std::string wal = dir.File("wal-000001.log");
  std::string bytes = ReadAll(wal);
  bytes[40] ^= 0x01;  // inside the first record
  WriteAll(wal, bytes);
  std::string msg =
      ExpectError(ErrorCode::kCorruption, [&] { Db d(dir.path(), nullptr, false, false); });
  EXPECT_NE(msg.find("wal-000001.log"), std::string::npos) << msg;
}

TEST(DbStorageTest, EveryFlippedSnapshotByteIsDetectedOrHarmless) {
  TempDir dir;
  Model model;
  {
    Db d(dir.path());
    for (int i = 0; i < 20; ++i) d.Add(&model, "id" + std::to_string(i), i, i);
    d.db->Save();
  }
  const std::string snap = dir.File(SnapshotFileName(2));
  const std::string good = ReadAll(snap);
  std::mt19937 rng(3);
  for (int trial = 0; trial < 300; ++trial) {
    std::string bad = good;
    size_t at = rng() % bad.size();
    bad[at] = static_cast<char>(bad[at] ^ (1 + rng() % 255));
    WriteAll(snap, bad);
    try {
      Db d(dir.path(), nullptr, true, false);
      ExpectHolds(*d.db, model);  // only padding was hit
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kCorruption) << e.what();
      EXPECT_NE(std::string(e.what()).find("snapshot-000002.hdb"), std::string::npos);
    }
  }
  WriteAll(snap, good.substr(0, good.size() / 2));
  ExpectError(ErrorCode::kCorruption, [&] { Db d(dir.path(), nullptr, true, false); });
}

TEST(DbStorageTest, MissingLogOfTheLiveGenerationIsCorruption) {
  TempDir dir;
  {
    Db d(dir.path());
  }
  std::filesystem::remove(dir.File("wal-000001.log"));
  ExpectError(ErrorCode::kCorruption, [&] { Db d(dir.path(), nullptr, false, false); });
}

TEST(DbStorageTest, FailedLogWriteChangesNothing) {
  TempDir dir;
  FaultInjectionEnv env;
  Model model;
  {
    Db d(dir.path(), &env);
    d.Add(&model, "a", 1, 1);
    env.FailWriteAfter(0, ENOSPC);
    env.SetPartialWrite(7);
    Error err(ErrorCode::kInvalidArgument, "");
    try {
      d.Add(nullptr, "b", 2, 2);
      FAIL() << "the write should fail";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kIOError);
      EXPECT_EQ(e.sys_errno(), ENOSPC);
    }
    env.Reset();
    ExpectHolds(*d.db, model);
    d.Add(&model, "c", 3, 3);  // the log is usable again
    ExpectHolds(*d.db, model);
  }
  Db d(dir.path(), nullptr, false, false);
  ExpectHolds(*d.db, model);
}

// Fails the n-th write, sync or rename of a save() for every n until a save
// succeeds untouched; after each failure the database keeps working and a
// reopen holds exactly the acknowledged state.
TEST(DbStorageTest, SaveFailingAtAnyIoStepLeavesAConsistentDatabase) {
  for (int kind = 0; kind < 3; ++kind) {
    for (int n = 0; n < 40; ++n) {
      TempDir dir;
      FaultInjectionEnv env;
      Model model;
      bool failed = false;
      {
        Db d(dir.path(), &env);
        for (int i = 0; i < 10; ++i) d.Add(&model, "id" + std::to_string(i), i, i);
        if (kind == 0) env.FailWriteAfter(n, EIO);
        if (kind == 1) env.FailSyncAfter(n, EIO);
        if (kind == 2) env.FailRenameAfter(n, EIO);
        try {
          d.db->Save();
        } catch (const Error& e) {
          EXPECT_EQ(e.code(), ErrorCode::kIOError) << e.what();
          failed = true;
        }
        env.Reset();
        ExpectHolds(*d.db, model);
        try {
          d.Add(&model, "after", 100, 1);
        } catch (const Error& e) {
          // Only an unconfirmable switch may refuse further writes.
          EXPECT_EQ(e.code(), ErrorCode::kIOError) << e.what();
        }
      }
      Db again(dir.path(), nullptr, false, false);
      ExpectHolds(*again.db, model);
      if (!failed) break;  // n is past the last I/O step of a save
    }
  }
}

}  // namespace
}  // namespace herondb

namespace herondb {
namespace {

TEST(DbStorageTest, FailedFsyncInSyncModeSaysTheChangeIsAppliedButNotDurable) {
  TempDir dir;
  FaultInjectionEnv env;
  DatabaseOptions o;
  o.dim = kDim;
  o.env = &env;
  o.sync = true;
  Database db(dir.path(), o);
  std::vector<float> v = Vec(1);
  env.FailSyncAfter(0, EIO);
  PutEntry e;
  e.id = "a";
  e.vector = v.data();
  std::string msg = ExpectError(ErrorCode::kIOError, [&] { db.Add(std::move(e)); });
  EXPECT_NE(msg.find("applied and logged, but could not be made durable"), std::string::npos)
      << msg;
  env.Reset();
  EXPECT_TRUE(db.Contains("a"));  // written to the log before the failed fsync
  PutEntry f;
  f.id = "b";
  f.vector = v.data();
  db.Add(std::move(f));  // syncs again once the device recovers
  EXPECT_EQ(db.size(), 2u);
}

// Whether this process has `file` mapped (Linux: /proc/self/maps).
bool IsMapped(const std::string& file) {
  std::string maps = ReadAll("/proc/self/maps");
  return maps.find(std::filesystem::path(file).filename().string()) != std::string::npos;
}

std::vector<std::string> TopIds(const Database& db, int seed) {
  std::vector<float> q = Vec(seed);
  std::vector<std::string> ids;
  for (const SearchHit& h : db.Search(q.data(), 5, std::nullopt, nullptr, std::nullopt))
    ids.push_back(h.id);
  return ids;
}

TEST(DbStorageTest, LoadedAndMappedVectorsHoldTheSameDataAndOnlyMapKeepsTheFileMapped) {
  TempDir dir;
  Model model;
  {
    Db d(dir.path());
    for (int i = 0; i < 300; ++i) d.Add(&model, "id" + std::to_string(i), i, i % 5 ? i : -1);
    d.db->Save();
  }
  const std::string snap = dir.File(SnapshotFileName(2));
  std::vector<std::string> want;
  for (VectorResidency r : {VectorResidency::kMap, VectorResidency::kLoad}) {
    DatabaseOptions o;
    o.residency = r;
    Database db(dir.path(), o);
    ExpectHolds(db, model);
    EXPECT_EQ(IsMapped(snap), r == VectorResidency::kMap);
    if (want.empty()) want = TopIds(db, 42);
    EXPECT_EQ(TopIds(db, 42), want);
    // Rows added after opening grow the block either way, and a save of a
    // loaded block leaves it in memory (nothing of the new file is mapped).
    std::vector<float> v = Vec(-1000 - static_cast<int>(r));  // far from the query
    const std::string id = "new" + std::to_string(static_cast<int>(r));
    PutEntry e;
    e.id = id;
    e.vector = v.data();
    db.Add(std::move(e));
    model[id] = {v, -1};
    db.Save();
    ExpectHolds(db, model);
    EXPECT_EQ(IsMapped(dir.File(SnapshotFileName(db.generation()))), r == VectorResidency::kMap);
  }
}

// Flips one byte in the middle of section `name` of a snapshot file.
void FlipByteInSection(const std::string& file, const char (&name)[5]) {
  uint64_t offset = 0;
  {
    SnapshotReader r = SnapshotReader::Open(Env::Default(), file, /*verify_checksums=*/false);
    for (const SnapshotSection& sec : r.sections())
      if (std::memcmp(&sec.tag, name, 4) == 0) offset = sec.offset + sec.length / 2;
  }
  ASSERT_GT(offset, 0u) << name;
  std::string bytes = ReadAll(file);
  bytes[offset] = static_cast<char>(bytes[offset] ^ 0x10);
  WriteAll(file, bytes);
}

TEST(DbStorageTest, DamagedVectorOrCodeBlockIsCorruptionWhetherLoadedOrMapped) {
  for (const char* section : {"VECS", "SQCD"}) {
    for (VectorResidency r : {VectorResidency::kMap, VectorResidency::kLoad}) {
      TempDir dir;
      {
        DatabaseOptions o;
        o.dim = kDim;
        o.quantize = true;
        Database db(dir.path(), o);
        for (int i = 0; i < 64; ++i) {
          std::vector<float> v = Vec(i);
          PutEntry e;
          e.id = "id" + std::to_string(i);
          e.vector = v.data();
          db.Add(std::move(e));
        }
        db.Save();
      }
      const std::string snap = dir.File(SnapshotFileName(2));
      if (std::string(section) == "VECS")
        FlipByteInSection(snap, "VECS");
      else
        FlipByteInSection(snap, "SQCD");
      DatabaseOptions o;
      o.residency = r;
      std::string msg = ExpectError(ErrorCode::kCorruption, [&] { Database db(dir.path(), o); });
      EXPECT_NE(msg.find(std::string("checksum of section ") + section), std::string::npos) << msg;
      EXPECT_NE(msg.find(snap), std::string::npos) << msg;
    }
  }
}

TEST(DbStorageTest, ResidencyAutoLoadsUnlessQuantizedOrLarge) {
  EXPECT_EQ(ResolveResidency(VectorResidency::kAuto, 1 << 20, false), VectorResidency::kLoad);
  EXPECT_EQ(ResolveResidency(VectorResidency::kAuto, 1 << 20, true), VectorResidency::kMap);
  EXPECT_EQ(ResolveResidency(VectorResidency::kAuto, uint64_t{1} << 62, false),
            VectorResidency::kMap);
  EXPECT_EQ(ResolveResidency(VectorResidency::kAuto, kAutoLoadMaxBytes, false),
            VectorResidency::kLoad);
  EXPECT_EQ(ResolveResidency(VectorResidency::kAuto, kAutoLoadMaxBytes + 1, false),
            VectorResidency::kMap);
  EXPECT_EQ(ResolveResidency(VectorResidency::kLoad, uint64_t{1} << 40, false),
            VectorResidency::kLoad);
  EXPECT_EQ(ResolveResidency(VectorResidency::kLoad, 1 << 20, true), VectorResidency::kLoad);
  EXPECT_EQ(ResolveResidency(VectorResidency::kMap, 1 << 20, false), VectorResidency::kMap);
}

TEST(DbStorageTest, UnknownResidencyInTheEnvironmentIsInvalidAndCreatesNothing) {
  TempDir dir;
  ::setenv("HERONDB_VECTOR_RESIDENCY", "ram", 1);
  std::string msg = ExpectError(ErrorCode::kInvalidArgument, [&] { Db d(dir.path()); });
  ::unsetenv("HERONDB_VECTOR_RESIDENCY");
  EXPECT_NE(msg.find("HERONDB_VECTOR_RESIDENCY"), std::string::npos) << msg;
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace herondb
