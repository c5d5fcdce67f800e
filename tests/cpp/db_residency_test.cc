// Tests for the background promotion of a mapped vector block into memory
// (db/database_residency.cc): opening with residency kAuto serves from the
// mapped snapshot at once, a background task swaps a copy in, and the swap
// is safe against searches, writers, save, compaction and close.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "herondb/db/database.h"
#include "herondb/storage/manifest.h"
#include "storage_test_util.h"

namespace herondb {
namespace {

using testing::ReadAll;
using testing::TempDir;

constexpr uint32_t kDim = 16;
constexpr int kRows = 3000;  // above kBruteForceSlots: searches walk the graph

std::vector<float> Row(int seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed) * 2654435761u + 1);
  std::normal_distribution<float> g;
  std::vector<float> v(kDim);
  for (float& x : v) x = g(rng);
  return v;
}

PutEntry Put(const std::string& id, const std::vector<float>& v) {
  PutEntry e;
  e.id = id;
  e.vector = v.data();
  return e;
}

// A saved database of kRows rows "id<i>" = Row(i).
void Build(const std::string& dir, bool quantize = false) {
  DatabaseOptions o;
  o.dim = kDim;
  o.quantize = quantize;
  o.threads = 2;
  Database db(dir, o);
  std::vector<std::vector<float>> rows;
  std::vector<PutEntry> puts;
  for (int i = 0; i < kRows; ++i) rows.push_back(Row(i));
  for (int i = 0; i < kRows; ++i) puts.push_back(Put("id" + std::to_string(i), rows[i]));
  db.AddMany(std::move(puts));
  db.Save();
}

bool IsMapped(const std::string& file) {
  std::string maps = ReadAll("/proc/self/maps");
  return maps.find(std::filesystem::path(file).filename().string()) != std::string::npos;
}

std::string Residency(const Database& db) { return db.Stats().vector_residency; }

std::vector<std::pair<std::string, float>> Results(const Database& db, int seed) {
  std::vector<float> q = Row(100000 + seed);
  std::vector<std::pair<std::string, float>> out;
  for (const SearchHit& h : db.Search(q.data(), 10, 64, nullptr, std::nullopt))
    out.emplace_back(h.id, h.distance);
  return out;
}

// Holds the promotion before its chunk number `hold_at` (1: the first)
// until Open().
struct Gate {
  int hold_at = 1;
  std::promise<void> promise;
  std::shared_future<void> future = promise.get_future().share();
  std::atomic<int> calls{0};
  std::mutex mu;
  bool opened = false;
  std::function<void()> Hook() {
    return [this] {
      if (calls.fetch_add(1) + 1 == hold_at) future.wait();
    };
  }
  void Open() {
    std::lock_guard lk(mu);
    if (!opened) promise.set_value();
    opened = true;
  }
};
// Opens the gate when a test leaves early, before the database (declared
// earlier) joins its promotion.
struct OpenOnExit {
  Gate& gate;
  ~OpenOnExit() { gate.Open(); }
};

DatabaseOptions Auto(Gate* gate = nullptr, size_t chunk = 0) {
  DatabaseOptions o;
  o.residency = VectorResidency::kAuto;
  o.threads = 2;
  if (gate) o.promotion_step_hook = gate->Hook();
  o.promotion_chunk_bytes = chunk;
  return o;
}

TEST(DbResidencyTest, AutoOpensMappedThenPromotesWithIdenticalResults) {
  TempDir dir;
  Build(dir.path());
  const std::string snap = dir.File(SnapshotFileName(2));
  Gate gate;
  auto db = std::make_unique<Database>(dir.path(), Auto(&gate, 4096));
  OpenOnExit guard{gate};
  // Serving from the mapping while the copy waits.
  EXPECT_EQ(Residency(*db), "loading");
  EXPECT_TRUE(IsMapped(snap));
  std::vector<std::vector<std::pair<std::string, float>>> before;
  for (int s = 0; s < 20; ++s) before.push_back(Results(*db, s));
  gate.Open();
  db->WaitForPromotion();
  EXPECT_EQ(Residency(*db), "loaded");
  EXPECT_FALSE(IsMapped(snap));
  EXPECT_GT(gate.calls.load(), 1);
  for (int s = 0; s < 20; ++s) EXPECT_EQ(Results(*db, s), before[s]) << s;
  EXPECT_EQ(db->Verify(), "");
}

TEST(DbResidencyTest, MapAndLoadStartNoPromotion) {
  TempDir dir;
  Build(dir.path());
  const std::string snap = dir.File(SnapshotFileName(2));
  for (VectorResidency r : {VectorResidency::kMap, VectorResidency::kLoad}) {
    Gate gate;
    DatabaseOptions o = Auto(&gate);
    o.residency = r;
    Database db(dir.path(), o);
    db.WaitForPromotion();
    EXPECT_EQ(gate.calls.load(), 0);
    EXPECT_EQ(Residency(db), r == VectorResidency::kMap ? "mapped" : "loaded");
    EXPECT_EQ(IsMapped(snap), r == VectorResidency::kMap);
  }
}

TEST(DbResidencyTest, QuantizedPromotesTheCodesAndKeepsTheVectorsMapped) {
  TempDir dir;
  Build(dir.path(), /*quantize=*/true);
  Gate gate;
  auto db = std::make_unique<Database>(dir.path(), Auto(&gate, 4096));
  OpenOnExit guard{gate};
  ASSERT_TRUE(db->quantized_search());
  std::vector<std::vector<std::pair<std::string, float>>> before;
  for (int s = 0; s < 10; ++s) before.push_back(Results(*db, s));
  gate.Open();
  db->WaitForPromotion();
  EXPECT_EQ(Residency(*db), "loaded");
  EXPECT_GT(gate.calls.load(), 1);
  // The float32 rows are only re-ranked: the policy keeps them mapped.
  EXPECT_TRUE(IsMapped(dir.File(SnapshotFileName(2))));
  for (int s = 0; s < 10; ++s) EXPECT_EQ(Results(*db, s), before[s]) << s;
}

// A write of a row already copied makes the copy stale: it must be
// discarded (swapping it in would lose the update), and the retry loads
// the current rows.
TEST(DbResidencyTest, UpdateDuringPromotionDiscardsTheStaleCopyAndRetries) {
  TempDir dir;
  Build(dir.path());
  Gate gate;
  gate.hold_at = 10;
  // One chunk per row: the gate holds the copy after rows 0-8 are copied,
  // so the update of row 0 below makes the copy stale.
  auto db = std::make_unique<Database>(dir.path(), Auto(&gate, kDim * sizeof(float)));
  OpenOnExit guard{gate};
  while (gate.calls.load() < 10) std::this_thread::yield();
  std::vector<float> fresh = Row(-7);
  db->Update(Put("id0", fresh));
  // An update changes no row count: only the version check catches it.
  gate.Open();
  db->WaitForPromotion();
  EXPECT_EQ(Residency(*db), "loaded");
  std::vector<float> got;
  ValuePtr meta;
  db->Get("id0", &got, &meta);
  EXPECT_EQ(got, fresh);
  db->Get("id1", &got, &meta);
  EXPECT_EQ(got, Row(1));
  EXPECT_EQ(db->Verify(), "");
}

TEST(DbResidencyTest, SaveDuringPromotionRemapsThenLoads) {
  TempDir dir;
  Build(dir.path());
  Gate gate;
  auto db = std::make_unique<Database>(dir.path(), Auto(&gate, 4096));
  OpenOnExit guard{gate};
  std::vector<float> v = Row(-9);
  db->Add(Put("x", v));
  db->Save();  // generation 3: the held copy (generation 2) is discarded
  const std::string snap3 = dir.File(SnapshotFileName(3));
  EXPECT_FALSE(IsMapped(dir.File(SnapshotFileName(2))));
  gate.Open();
  db->WaitForPromotion();
  EXPECT_EQ(Residency(*db), "loaded");
  EXPECT_FALSE(IsMapped(snap3));
  std::vector<float> got;
  ValuePtr meta;
  db->Get("x", &got, &meta);
  EXPECT_EQ(got, v);
  db->Get("id5", &got, &meta);
  EXPECT_EQ(got, Row(5));
}

TEST(DbResidencyTest, CompactDuringPromotionLeavesNothingToPromote) {
  TempDir dir;
  Build(dir.path());
  Gate gate;
  auto db = std::make_unique<Database>(dir.path(), Auto(&gate, 4096));
  OpenOnExit guard{gate};
  ASSERT_TRUE(db->Delete("id3"));
  db->Compact();
  gate.Open();
  db->WaitForPromotion();
  EXPECT_EQ(Residency(*db), "loaded");
  EXPECT_EQ(db->size(), static_cast<size_t>(kRows - 1));
  std::vector<float> got;
  ValuePtr meta;
  db->Get("id4", &got, &meta);
  EXPECT_EQ(got, Row(4));
  EXPECT_EQ(db->Verify(), "");
}

// Everything at once, on tiny chunks so that the copy interleaves with the
// others (run under ASan/UBSan and TSan-style stress by CI's sanitizer build).
TEST(DbResidencyTest, PromotionRacesSearchesWritersSaveCompactAndClose) {
  TempDir dir;
  Build(dir.path());
  std::map<std::string, std::vector<float>> model;
  for (int i = 0; i < kRows; ++i) model["id" + std::to_string(i)] = Row(i);
  for (int round = 0; round < 4; ++round) {
    DatabaseOptions o = Auto(nullptr, 256);
    o.promotion_step_hook = [] { std::this_thread::yield(); };
    auto db = std::make_unique<Database>(dir.path(), o);
    std::atomic<bool> stop{false};
    std::vector<std::thread> readers;
    for (int t = 0; t < 2; ++t)
      readers.emplace_back([&, t] {
        for (int s = 0; !stop.load(); ++s) {
          auto r = Results(*db, s * 2 + t);
          EXPECT_EQ(r.size(), 10u);
          std::vector<float> q = Row(s);
          db->SearchMany(q.data(), 1, 5, std::nullopt, nullptr, std::nullopt);
          (void)db->Stats();
        }
      });
    for (int i = 0; i < 30; ++i) {
      const std::string id = "r" + std::to_string(round) + "-" + std::to_string(i);
      model[id] = Row(50000 + round * 100 + i);
      db->Add(Put(id, model[id]));
      if (i % 5 == 0) {
        const std::string upd = "id" + std::to_string(i * 7 + round);
        model[upd] = Row(60000 + round * 100 + i);
        db->Update(Put(upd, model[upd]));
      }
      if (i == 10) db->Save();
      if (i == 20) {
        db->Delete("id" + std::to_string(round + 2000));
        model.erase("id" + std::to_string(round + 2000));
        if (round % 2) db->Compact();
      }
    }
    if (round == 3) db->Save();
    stop = true;
    for (auto& t : readers) t.join();
    if (round % 2 == 0) db->WaitForPromotion();
    EXPECT_EQ(db->Verify(), "");
    std::vector<float> got;
    ValuePtr meta;
    for (const auto& [id, v] : model) {
      db->Get(id, &got, &meta);
      ASSERT_EQ(got, v) << id;
    }
    db.reset();  // close, possibly mid-promotion (odd rounds)
    // The next round reopens what this one saved or logged.
    DatabaseOptions keep;
    keep.residency = VectorResidency::kMap;
    Database check(dir.path(), keep);
    for (const auto& [id, v] : model) {
      check.Get(id, &got, &meta);
      ASSERT_EQ(got, v) << id;
    }
  }
}

TEST(DbResidencyTest, CloseDuringPromotionCancelsIt) {
  TempDir dir;
  Build(dir.path());
  std::atomic<int> calls{0};
  const size_t chunks = size_t{kRows} * kDim * sizeof(float) / 64;
  {
    DatabaseOptions o = Auto(nullptr, 64);
    o.promotion_step_hook = [&] {
      calls.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    };
    Database db(dir.path(), o);
    while (calls.load() < 5) std::this_thread::yield();
    EXPECT_EQ(Residency(db), "loading");
  }  // the destructor stops the copy and joins the thread
  // It stopped long before copying every chunk (which takes ~3 s here).
  EXPECT_LT(static_cast<size_t>(calls.load()), chunks / 2);
}

}  // namespace
}  // namespace herondb

namespace herondb {
namespace {

size_t ThreadCount() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

TEST(DbResidencyTest, PromotionsOfManyDatabasesShareOneBackgroundThread) {
  constexpr int kDbs = 4;
  std::vector<TempDir> dirs(kDbs);
  for (auto& d : dirs) Build(d.path());
  Gate gate;  // holds the first copy, so every other job stays queued
  std::vector<std::unique_ptr<Database>> dbs;
  auto open = [&](int i) {
    DatabaseOptions o = Auto(&gate, 4096);
    o.threads = 0;  // the process's shared pool
    dbs.push_back(std::make_unique<Database>(dirs[i].path(), o));
  };
  OpenOnExit guard{gate};
  open(0);
  while (gate.calls.load() == 0) std::this_thread::yield();
  const size_t after_first = ThreadCount();
  for (int i = 1; i < kDbs; ++i) open(i);
  // A thread per database would have added kDbs - 1 copying threads here.
  EXPECT_EQ(ThreadCount(), after_first);
  for (auto& db : dbs) EXPECT_EQ(Residency(*db), "loading");
  // Closing a database whose job is still queued drops the job at once.
  dbs.back().reset();
  gate.Open();
  for (int i = 0; i + 1 < kDbs; ++i) {
    dbs[i]->WaitForPromotion();
    EXPECT_EQ(Residency(*dbs[i]), "loaded") << i;
  }
}

}  // namespace
}  // namespace herondb
