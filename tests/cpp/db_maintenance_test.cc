// Tests that maintenance (Compact, Save, EnableQuantizedSearch) does its
// long work beside readers (database.h): a reader thread keeps completing
// calls meanwhile and sees correct results, and a writer racing maintenance
// is never lost. No timing thresholds: a Save / Compact is held inside its
// snapshot write (PausingEnv) until the reader has completed calls, so on a
// core that locks readers out for the whole maintenance the count stays 0.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "herondb/db/database.h"
#include "storage_test_util.h"

namespace herondb {
namespace {

using testing::TempDir;

constexpr uint32_t kDim = 16;
constexpr size_t kRows = 4000;  // above kBruteForceSlots: searches walk the graph

std::vector<float> Rows(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d;
  std::vector<float> v(n * kDim);
  for (float& x : v) x = d(rng);
  return v;
}

// Built with append: GCC 12 warns (falsely) on "v" + std::to_string(i).
std::string Name(const char* prefix, size_t i) {
  return std::string(prefix).append(std::to_string(i));
}
std::string Id(size_t i) { return Name("v", i); }

// Forwards to Env::Default(); while armed, creating a snapshot file first
// waits until Release() is called.
class PausingEnv final : public Env {
 public:
  void Arm() {
    std::lock_guard lk(mu_);
    armed_ = true;
    paused_ = false;
    released_ = false;
  }
  // Waits until a snapshot write is paused (or the guard expires).
  bool WaitPaused() {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, std::chrono::seconds(60), [&] { return paused_; });
  }
  void Release() {
    std::lock_guard lk(mu_);
    released_ = true;
    cv_.notify_all();
  }

  std::unique_ptr<WritableFile> NewWritableFile(const std::string& path) override {
    if (path.find("snapshot-") != std::string::npos) {
      std::unique_lock lk(mu_);
      if (armed_) {
        armed_ = false;
        paused_ = true;
        cv_.notify_all();
        cv_.wait(lk, [&] { return released_; });  // the test always releases
      }
    }
    return base_->NewWritableFile(path);
  }
  std::unique_ptr<WritableFile> NewAppendableFile(const std::string& path) override {
    return base_->NewAppendableFile(path);
  }
  std::unique_ptr<RandomAccessFile> NewRandomAccessFile(const std::string& path) override {
    return base_->NewRandomAccessFile(path);
  }
  std::string ReadFileToString(const std::string& path) override {
    return base_->ReadFileToString(path);
  }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  uint64_t GetFileSize(const std::string& path) override { return base_->GetFileSize(path); }
  void RenameFile(const std::string& from, const std::string& to) override {
    base_->RenameFile(from, to);
  }
  void RemoveFile(const std::string& path) override { base_->RemoveFile(path); }
  void CreateDirs(const std::string& path) override { base_->CreateDirs(path); }
  std::vector<std::string> ListDir(const std::string& path) override {
    return base_->ListDir(path);
  }
  void SyncDir(const std::string& path) override { base_->SyncDir(path); }

 private:
  Env* base_ = Env::Default();
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false;
  bool paused_ = false;
  bool released_ = false;
};

class MaintenanceTest : public ::testing::Test {
 protected:
  void Open() {
    DatabaseOptions o;
    o.dim = kDim;
    o.ef_construction = 60;
    o.threads = 2;
    o.env = &env_;
    db_ = std::make_unique<Database>(dir_.path(), o);
  }
  void Fill() {
    data_ = Rows(kRows, 1);
    std::vector<PutEntry> entries(kRows);
    for (size_t i = 0; i < kRows; ++i) {
      entries[i].id = Id(i);
      entries[i].vector = data_.data() + i * kDim;
    }
    db_->AddMany(std::move(entries));
  }

  // Runs `maintenance` in a thread while a reader thread searches, counts and
  // asks size(); returns how many reader calls completed while the
  // maintenance was paused inside its snapshot write, after checking every
  // reader result against `live` (the live count during the maintenance).
  size_t ReaderCallsDuringSnapshotWrite(const std::function<void()>& maintenance, size_t live) {
    std::atomic<bool> stop{false};
    std::atomic<bool> paused{false};
    std::atomic<size_t> during{0};
    std::atomic<size_t> wrong{0};
    std::thread reader([&] {
      const std::vector<float> q = Rows(1, 99);
      while (!stop.load()) {
        const bool before = paused.load();
        std::vector<SearchHit> hits = db_->Search(q.data(), 5, std::nullopt, nullptr, std::nullopt);
        if (hits.size() != 5 || db_->Count(nullptr) != live || db_->size() != live) ++wrong;
        for (const SearchHit& h : hits)
          if (!db_->Contains(h.id)) ++wrong;
        if (before && paused.load()) ++during;
      }
    });
    env_.Arm();
    std::thread worker(maintenance);
    EXPECT_TRUE(env_.WaitPaused());
    paused = true;
    // Give the reader the chance to complete calls (the guard ends the wait
    // when the core locks it out). Calls end before `paused` clears and the
    // maintenance goes on, so only calls made inside the pause count.
    for (int i = 0; i < 2000 && during.load() < 3; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    paused = false;
    env_.Release();
    worker.join();
    stop = true;
    reader.join();
    EXPECT_EQ(wrong.load(), 0u);
    return during.load();
  }

  TempDir dir_;
  PausingEnv env_;
  std::unique_ptr<Database> db_;
  std::vector<float> data_;
};

TEST_F(MaintenanceTest, ReadersCompleteCallsWhileCompactWritesItsSnapshot) {
  Open();
  Fill();
  std::vector<std::string> gone;
  for (size_t i = 0; i < kRows; i += 10) gone.push_back(Id(i));
  ASSERT_EQ(db_->DeleteMany(gone), gone.size());
  const size_t live = kRows - gone.size();
  const uint64_t gen = db_->generation();
  EXPECT_GT(ReaderCallsDuringSnapshotWrite([&] { db_->Compact(); }, live), 0u);
  EXPECT_EQ(db_->generation(), gen + 1);
  EXPECT_EQ(db_->deleted_count(), 0u);
  EXPECT_EQ(db_->total_slots(), live);
  EXPECT_EQ(db_->Verify(), "");
  // The compacted state is the one found: a live row finds itself first.
  std::vector<SearchHit> hits =
      db_->Search(data_.data() + 1 * kDim, 1, std::nullopt, nullptr, std::nullopt);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].id, Id(1));
  db_.reset();
  Open();
  EXPECT_EQ(db_->size(), live);
  EXPECT_FALSE(db_->Contains(Id(0)));
  EXPECT_TRUE(db_->Contains(Id(1)));
}

TEST_F(MaintenanceTest, ReadersCompleteCallsWhileSaveWritesItsSnapshot) {
  Open();
  Fill();
  const uint64_t gen = db_->generation();
  EXPECT_GT(ReaderCallsDuringSnapshotWrite([&] { db_->Save(); }, kRows), 0u);
  EXPECT_EQ(db_->generation(), gen + 1);
  db_.reset();
  Open();
  EXPECT_EQ(db_->size(), kRows);
}

TEST_F(MaintenanceTest, ReadersCompleteCallsWhileQuantizedSearchIsEnabled) {
  Open();
  Fill();
  std::atomic<bool> stop{false};
  std::atomic<bool> enabling{false};
  std::atomic<size_t> during{0};
  std::atomic<size_t> wrong{0};
  std::thread reader([&] {
    const std::vector<float> q = Rows(1, 98);
    while (!stop.load()) {
      const bool before = enabling.load();
      std::vector<SearchHit> hits = db_->Search(q.data(), 5, std::nullopt, nullptr, std::nullopt);
      if (hits.size() != 5 || db_->Count(nullptr) != kRows || db_->size() != kRows) ++wrong;
      if (before && enabling.load()) ++during;
    }
  });
  // Training is short on this index: repeat until the reader has completed
  // calls inside an enable (bounded).
  for (int round = 0; round < 500 && during.load() == 0; ++round) {
    enabling = true;
    db_->EnableQuantizedSearch();
    enabling = false;
    EXPECT_TRUE(db_->quantized_search());
    db_->DisableQuantizedSearch();
  }
  stop = true;
  reader.join();
  EXPECT_GT(during.load(), 0u);
  EXPECT_EQ(wrong.load(), 0u);
  db_->EnableQuantizedSearch();
  std::vector<SearchHit> hits =
      db_->Search(data_.data() + 7 * kDim, 1, std::nullopt, nullptr, std::nullopt);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].id, Id(7));
}

TEST_F(MaintenanceTest, WritesRacingCompactsAreNeverLost) {
  Open();
  Fill();
  std::atomic<bool> stop{false};
  std::set<std::string> added;
  std::set<std::string> deleted;
  std::thread writer([&] {
    const std::vector<float> v = Rows(1, 5);
    for (size_t i = 0; !stop.load() || i < 50; ++i) {
      PutEntry e;
      e.id = Name("w", i);
      e.vector = v.data();
      db_->Add(std::move(e));
      added.insert(Name("w", i));
      if (db_->Delete(Id(i))) deleted.insert(Id(i));
    }
  });
  for (int round = 0; round < 3; ++round) {
    db_->Compact();
    db_->Save();
  }
  stop = true;
  writer.join();
  auto check = [&] {
    EXPECT_EQ(db_->size(), kRows + added.size() - deleted.size());
    for (const std::string& id : added) EXPECT_TRUE(db_->Contains(id)) << id;
    for (const std::string& id : deleted) EXPECT_FALSE(db_->Contains(id)) << id;
    EXPECT_EQ(db_->Verify(), "");
  };
  check();
  db_.reset();
  Open();
  check();
}

}  // namespace
}  // namespace herondb
