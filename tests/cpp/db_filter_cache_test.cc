// Tests of the filter cache (db/filter_cache.h) on its own and inside
// Database: a repeated filter is served from the cache (first as gathered
// rows, then packed) with identical results, every kind of mutation drops
// it, and concurrent searches beside writers never see a stale matching set.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "herondb/db/database.h"
#include "herondb/db/filter_cache.h"
#include "herondb/meta/filter.h"
#include "herondb/meta/json.h"

namespace herondb {
namespace {

std::string TempPath(const std::string& name) {
  auto path = std::filesystem::path(::testing::TempDir()) /
              ("herondb_db_filter_cache_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(path);
  return path.string();
}

Filter F(const std::string& json) { return Filter::Parse(ParseJson(json)); }
ValuePtr Meta(const std::string& json) { return std::make_shared<const Value>(ParseJson(json)); }

std::shared_ptr<const MatchSet> Set(std::vector<uint32_t> slots) {
  auto s = std::make_shared<MatchSet>();
  s->slots = std::move(slots);
  return s;
}

// ---- FilterCache on its own ---------------------------------------------------

TEST(FilterCache, MissThenHitCountsUses) {
  FilterCache cache;
  uint64_t uses = 99;
  EXPECT_EQ(cache.Find("a", &uses), nullptr);
  cache.Insert("a", cache.epoch(), Set({1, 2, 3}));
  auto hit = cache.Find("a", &uses);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->slots, (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(uses, 1u);  // the search that inserted it
  cache.Find("a", &uses);
  EXPECT_EQ(uses, 2u);
  // Replacing the set (a packed copy) keeps the count.
  cache.Insert("a", cache.epoch(), Set({1, 2, 3}));
  cache.Find("a", &uses);
  EXPECT_EQ(uses, 3u);
  FilterCacheStats st = cache.stats();
  EXPECT_EQ(st.hits, 3u);
  EXPECT_EQ(st.misses, 1u);
  EXPECT_EQ(st.entries, 1u);
}

TEST(FilterCache, EvictsTheLeastRecentlyUsedEntry) {
  FilterCache cache(/*max_entries=*/2);
  cache.Insert("a", 0, Set({1}));
  cache.Insert("b", 0, Set({2}));
  ASSERT_NE(cache.Find("a"), nullptr);  // b is now the least recently used
  cache.Insert("c", 0, Set({3}));
  EXPECT_NE(cache.Find("a"), nullptr);
  EXPECT_EQ(cache.Find("b"), nullptr);
  EXPECT_NE(cache.Find("c"), nullptr);
  EXPECT_EQ(cache.stats().entries, 2u);
}

TEST(FilterCache, BoundedByBytesAndSkipsOversizedSets) {
  const size_t one = Set(std::vector<uint32_t>(1000))->Bytes();
  FilterCache cache(/*max_entries=*/100, /*max_bytes=*/2 * one + one / 2);
  cache.Insert("a", 0, Set(std::vector<uint32_t>(1000)));
  cache.Insert("b", 0, Set(std::vector<uint32_t>(1000)));
  cache.Insert("c", 0, Set(std::vector<uint32_t>(1000)));  // evicts a
  EXPECT_EQ(cache.Find("a"), nullptr);
  EXPECT_NE(cache.Find("b"), nullptr);
  EXPECT_NE(cache.Find("c"), nullptr);
  EXPECT_LE(cache.stats().bytes, 2 * one + one / 2);
  cache.Insert("huge", 0, Set(std::vector<uint32_t>(10000)));  // larger than the bound
  EXPECT_EQ(cache.Find("huge"), nullptr);
  EXPECT_NE(cache.Find("b"), nullptr);  // nothing was evicted for it
  // Keys count too: a key longer than the bound keeps its set out.
  cache.Insert(std::string(3 * one, 'k'), 0, Set({1}));
  EXPECT_EQ(cache.Find(std::string(3 * one, 'k')), nullptr);
}

TEST(FilterCache, InvalidateDropsEverythingAndAStaleInsertIsIgnored) {
  FilterCache cache;
  const uint64_t before = cache.epoch();
  cache.Insert("a", before, Set({1}));
  cache.Invalidate();
  EXPECT_EQ(cache.epoch(), before + 1);
  EXPECT_EQ(cache.Find("a"), nullptr);
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_EQ(cache.stats().bytes, 0u);
  cache.Insert("b", before, Set({2}));  // computed before the mutation
  EXPECT_EQ(cache.Find("b"), nullptr);
  cache.Insert("b", cache.epoch(), Set({2}));
  EXPECT_NE(cache.Find("b"), nullptr);
}

TEST(FilterCache, KeyIsTheEncodedWhereValue) {
  EXPECT_EQ(F(R"({"a": 1})").cache_key(), F(R"({"a": 1})").cache_key());
  EXPECT_NE(F(R"({"a": 1})").cache_key(), F(R"({"a": 2})").cache_key());
  EXPECT_NE(F(R"({"a": 1})").cache_key(), F(R"({"a": true})").cache_key());
  EXPECT_NE(F(R"({"a": "1"})").cache_key(), F(R"({"a": 1})").cache_key());
  EXPECT_FALSE(F("{}").cache_key().empty());
  EXPECT_TRUE(Filter().cache_key().empty());
}

// ---- inside Database ------------------------------------------------------------

constexpr uint32_t kDim = 8;
constexpr size_t kN = 6000;  // "b" (90%) is large enough for the graph walk at ef 10

DatabaseOptions Options() {
  DatabaseOptions o;
  o.dim = kDim;
  o.metric = Metric::kCosine;
  o.threads = 2;
  return o;
}

// A database with `n` records whose metadata {"g": i % 4, "t": "a"|"b"} is
// kept in a mirror, for brute-force answers.
class DbFilterCache : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = TempPath(::testing::UnitTest::GetInstance()->current_test_info()->name());
    db_ = std::make_unique<Database>(path_, Options());
    Add(0, kN);
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(path_);
  }

  std::vector<float> Vec(size_t seed) {
    std::mt19937_64 rng(seed * 7919 + 1);
    std::normal_distribution<float> g;
    std::vector<float> v(kDim);
    for (float& x : v) x = g(rng);
    return v;
  }
  ValuePtr MetaFor(size_t i, const char* t) {
    return Meta(R"({"g": )" + std::to_string(i % 4) + R"(, "t": ")" + t + "\"}");
  }
  void Add(size_t from, size_t to) {
    std::vector<std::vector<float>> vecs;
    for (size_t i = from; i < to; ++i) vecs.push_back(Vec(i));
    std::vector<PutEntry> batch;
    for (size_t i = from; i < to; ++i) {
      PutEntry e;
      e.id = "id" + std::to_string(i);
      e.vector = vecs[i - from].data();
      e.metadata = MetaFor(i, i % 10 == 0 ? "a" : "b");
      live_[e.id] = {vecs[i - from], e.metadata};
      batch.push_back(std::move(e));
    }
    db_->AddMany(std::move(batch));
  }

  // Exact answer: ids of the k nearest (cosine) live records matching f.
  std::vector<std::string> Truth(const float* q, const Filter& f, size_t k) const {
    std::vector<std::pair<double, std::string>> d;
    for (const auto& [id, r] : live_) {
      if (!f.Matches(r.meta.get())) continue;
      double dot = 0, nq = 0, nx = 0;
      for (uint32_t j = 0; j < kDim; ++j) {
        dot += double(q[j]) * r.v[j];
        nq += double(q[j]) * q[j];
        nx += double(r.v[j]) * r.v[j];
      }
      d.emplace_back(1 - dot / std::sqrt(nq * nx), id);
    }
    std::sort(d.begin(), d.end());
    std::vector<std::string> out;
    for (size_t i = 0; i < std::min(k, d.size()); ++i) out.push_back(d[i].second);
    return out;
  }
  std::vector<std::string> Ids(const std::vector<SearchHit>& hits) const {
    std::vector<std::string> out;
    for (const SearchHit& h : hits) out.push_back(h.id);
    return out;
  }
  // Searches f for a few queries and checks against the mirror: exactly
  // for an exact scan; for the graph walk (ef_search 10), that every hit is
  // live, matches with its current metadata, and recall.
  void ExpectCurrent(const Filter& f, std::optional<size_t> ef, const char* stage) {
    SCOPED_TRACE(stage);
    const bool exact = db_->ExplainFilter(&f, 10, ef).exact_scan;
    size_t hit = 0;
    for (size_t qi = 0; qi < 5; ++qi) {
      std::vector<float> q = Vec(100000 + qi);
      auto hits = db_->Search(q.data(), 10, ef, &f, std::nullopt);
      std::vector<std::string> truth = Truth(q.data(), f, 10);
      ASSERT_EQ(hits.size(), truth.size());
      if (exact) {
        EXPECT_EQ(Ids(hits), truth) << "query " << qi;
      }
      for (const SearchHit& h : hits) {
        auto it = live_.find(h.id);
        ASSERT_NE(it, live_.end()) << h.id << " is not live";
        ASSERT_TRUE(h.metadata && it->second.meta && *h.metadata == *it->second.meta) << h.id;
        EXPECT_TRUE(f.Matches(h.metadata.get())) << h.id;
        hit += std::count(truth.begin(), truth.end(), h.id);
      }
    }
    EXPECT_GE(hit, 40u);  // recall@10 >= 0.8 over the 5 queries
  }

  struct Rec {
    std::vector<float> v;
    ValuePtr meta;
  };
  std::string path_;
  std::unique_ptr<Database> db_;
  std::map<std::string, Rec> live_;
};

TEST_F(DbFilterCache, RepeatedFilterIsCachedAndGivesIdenticalResults) {
  Filter f = F(R"({"t": "a"})");  // 600 matches: exact scan
  ASSERT_TRUE(db_->ExplainFilter(&f, 10, std::nullopt).exact_scan);
  std::vector<float> q = Vec(424242);
  const FilterCacheStats before = db_->filter_cache_stats();
  // 1st: evaluated (gathered rows); 2nd: packs the rows; 3rd: packed.
  auto first = db_->Search(q.data(), 10, std::nullopt, &f, std::nullopt);
  auto second = db_->Search(q.data(), 10, std::nullopt, &f, std::nullopt);
  auto third = db_->Search(q.data(), 10, std::nullopt, &f, std::nullopt);
  const FilterCacheStats after = db_->filter_cache_stats();
  EXPECT_GE(after.hits, before.hits + 2);
  EXPECT_EQ(after.entries, 1u);
  ASSERT_EQ(first.size(), 10u);
  for (const auto* other : {&second, &third}) {
    ASSERT_EQ(other->size(), first.size());
    for (size_t i = 0; i < first.size(); ++i) {
      EXPECT_EQ((*other)[i].id, first[i].id);
      EXPECT_EQ((*other)[i].distance, first[i].distance);  // bit for bit
    }
  }
  EXPECT_EQ(Ids(first), Truth(q.data(), f, 10));
  // An equal filter parsed again shares the entry; another filter has its own.
  Filter same = F(R"({"t": "a"})");
  db_->Search(q.data(), 10, std::nullopt, &same, std::nullopt);
  EXPECT_EQ(db_->filter_cache_stats().entries, 1u);
  Filter other = F(R"({"g": 1})");
  db_->Search(q.data(), 10, std::nullopt, &other, std::nullopt);
  EXPECT_EQ(db_->filter_cache_stats().entries, 2u);
  // SearchMany and Count agree with the cached path.
  auto many = db_->SearchMany(q.data(), 1, 10, std::nullopt, &f, std::nullopt);
  EXPECT_EQ(Ids(many[0]), Ids(first));
  EXPECT_EQ(db_->Count(&f), kN / 10);
}

TEST_F(DbFilterCache, EveryMutationDropsTheCachedSets) {
  Filter fa = F(R"({"t": "a"})");                        // exact scan
  Filter fb = F(R"({"t": "b"})");                        // graph walk at ef_search 10
  Filter fg = F(R"({"g": {"$in": [1, 2]}, "t": "b"})");  // exact scan, two postings
  ASSERT_TRUE(db_->ExplainFilter(&fa, 10, std::nullopt).exact_scan);
  ASSERT_FALSE(db_->ExplainFilter(&fb, 10, 10).exact_scan);
  auto warm = [&] {
    for (int i = 0; i < 3; ++i) {  // evaluate, pack, packed
      std::vector<float> q = Vec(7);
      for (const Filter* f : {&fa, &fg}) db_->Search(q.data(), 10, std::nullopt, f, std::nullopt);
      db_->Search(q.data(), 10, 10, &fb, std::nullopt);
    }
    EXPECT_EQ(db_->filter_cache_stats().entries, 3u);
  };
  auto check = [&](const char* stage) {
    EXPECT_EQ(db_->filter_cache_stats().entries, 0u) << stage;
    ExpectCurrent(fa, std::nullopt, stage);
    ExpectCurrent(fg, std::nullopt, stage);
    ExpectCurrent(fb, 10, stage);
    EXPECT_EQ(db_->Verify(), "");
  };
  // Near every query: a new record in "a" must show up at once.
  std::vector<float> close = Vec(100000);

  warm();
  {  // Add
    PutEntry e;
    e.id = "new-a";
    e.vector = close.data();
    e.metadata = Meta(R"({"g": 1, "t": "a"})");
    live_[e.id] = {close, e.metadata};
    db_->Add(std::move(e));
  }
  check("add");

  warm();
  Add(kN, kN + 50);  // AddMany
  check("add_many");

  warm();
  {  // Update of metadata only: id0 leaves "a", id1 joins it.
    for (const char* id : {"id0", "id1"}) {
      PutEntry e;
      e.id = id;
      e.set_metadata = true;
      e.metadata = Meta(std::string(R"({"g": 3, "t": ")") + (id[2] == '0' ? "b" : "a") + "\"}");
      live_[id].meta = e.metadata;
      db_->Update(std::move(e));
    }
  }
  check("update metadata");

  warm();
  {  // Update of a vector only: id10 ("a") moves next to the queries.
    std::vector<float> v = Vec(100001);
    PutEntry e;
    e.id = "id10";
    e.vector = v.data();
    e.set_metadata = false;
    live_["id10"].v = v;
    db_->Update(std::move(e));
  }
  check("update vector");

  warm();
  {  // Upsert: one new, one overwritten (metadata and vector).
    std::vector<float> v1 = Vec(100002), v2 = Vec(100003);
    std::vector<PutEntry> batch(2);
    batch[0].id = "up-new";
    batch[0].vector = v1.data();
    batch[0].metadata = Meta(R"({"g": 2, "t": "a"})");
    batch[1].id = "id20";
    batch[1].vector = v2.data();
    batch[1].metadata = Meta(R"({"g": 2, "t": "b"})");
    live_["up-new"] = {v1, batch[0].metadata};
    live_["id20"] = {v2, batch[1].metadata};
    db_->UpsertMany(std::move(batch));
  }
  check("upsert");

  warm();
  EXPECT_TRUE(db_->Delete("new-a"));
  live_.erase("new-a");
  check("delete");

  warm();
  {
    std::vector<std::string> gone;
    for (int i = 30; i < 400; i += 10) gone.push_back("id" + std::to_string(i));
    for (const auto& id : gone) live_.erase(id);
    EXPECT_EQ(db_->DeleteMany(gone), gone.size());
  }
  check("delete_many");

  warm();
  db_->Compact();  // renumbers every slot
  EXPECT_EQ(db_->deleted_count(), 0u);
  check("compact");

  warm();
  {  // Import: an export edited to move every "b" record with g == 3 to "a".
    const std::string file = path_ + "-export.json";
    db_->ExportJson(file, false);
    std::string text;
    {
      std::FILE* fp = std::fopen(file.c_str(), "rb");
      ASSERT_NE(fp, nullptr);
      char buf[65536];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, fp)) > 0) text.append(buf, n);
      std::fclose(fp);
    }
    const std::string from = R"({"g":3,"t":"b"})", to = R"({"g":3,"t":"a"})";
    size_t replaced = 0;
    for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos)) {
      text.replace(pos, from.size(), to);
      ++replaced;
    }
    ASSERT_GT(replaced, 0u) << text.substr(0, 300);
    {
      std::FILE* fp = std::fopen(file.c_str(), "wb");
      ASSERT_NE(fp, nullptr);
      std::fwrite(text.data(), 1, text.size(), fp);
      std::fclose(fp);
    }
    for (auto& [id, r] : live_)
      if (r.meta && ParseJson(R"({"g": 3, "t": "b"})") == *r.meta)
        r.meta = Meta(R"({"g": 3, "t": "a"})");
    db_->ImportJson(file);
    std::filesystem::remove(file);
  }
  check("import");

  db_.reset();  // reopen: replay of the log into a fresh cache
  db_ = std::make_unique<Database>(path_, DatabaseOptions{});
  check("reopen");
}

TEST_F(DbFilterCache, ConcurrentSearchesNeverSeeAStaleMatchingSet) {
  // A writer flips records between "a" and "b" while readers search "a" (and
  // "b") repeatedly: each hit's metadata, read under the same lock as the
  // search, must match the filter, and there must be min(k, matches) hits.
  std::atomic<bool> stop{false};
  std::atomic<size_t> searches{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      Filter f = F(r == 2 ? R"({"t": "b"})" : R"({"t": "a"})");
      std::vector<float> q = Vec(5000 + r);
      while (!stop.load()) {
        auto hits = db_->Search(q.data(), 10, std::nullopt, &f, std::nullopt);
        EXPECT_EQ(hits.size(), 10u);
        for (const SearchHit& h : hits) ASSERT_TRUE(f.Matches(h.metadata.get())) << h.id;
        searches.fetch_add(1);
        // Let the writer in (the lock may prefer readers).
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    });
  }
  std::mt19937_64 rng(11);
  for (int round = 0; round < 30; ++round) {
    for (int j = 0; j < 10; ++j) {
      size_t i = rng() % kN;
      PutEntry e;
      e.id = "id" + std::to_string(i);
      e.set_metadata = true;
      e.metadata = MetaFor(i, rng() % 2 ? "a" : "b");
      db_->Update(std::move(e));
    }
    std::this_thread::yield();
  }
  // Let the readers run a little after the last write.
  const size_t seen = searches.load();
  while (searches.load() < seen + 20) std::this_thread::yield();
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_GE(db_->filter_cache_stats().invalidations, 300u);
}

}  // namespace
}  // namespace herondb
