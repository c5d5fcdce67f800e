// Database text indexes from C++: search_text and hybrid search stay exact
// (MaxScore equals the exhaustive ranking) through mutations, reopening with
// log replay, compaction and $match filters. (Python tests cover the API and
// the BM25 reference; this one runs under the sanitizers.)
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "herondb/db/database.h"
#include "herondb/meta/filter.h"
#include "storage_test_util.h"

namespace herondb {
namespace {

using testing::TempDir;

constexpr uint32_t kDim = 4;
const char* kWords[] = {"gzip", "zlib", "compress", "compression", "files", "data",   "running",
                        "run",  "the",  "fox",      "dogs",        "index", "vector", "stream"};

ValuePtr Meta(const std::string& text, int64_t n) {
  Object o;
  o.emplace_back("text", Value(text));
  o.emplace_back("n", Value(n));
  return std::make_shared<const Value>(Value(std::move(o)));
}

std::string Text(std::mt19937* rng) {
  std::string t;
  const int n = std::uniform_int_distribution<int>(1, 12)(*rng);
  for (int i = 0; i < n; ++i) {
    t += kWords[std::uniform_int_distribution<int>(0, 13)(*rng)];
    t += ' ';
  }
  return t;
}

std::unique_ptr<Database> Open(const std::string& dir, bool create) {
  DatabaseOptions o;
  if (create) o.dim = kDim;
  o.threads = 2;
  return std::make_unique<Database>(dir, o);
}

void ExpectExact(const Database& db, const Filter* filter) {
  for (const char* q : {"gzip compress", "running dogs fox", "the", "index vector stream data"}) {
    for (size_t k : {1, 5, 50}) {
      std::vector<SearchHit> fast = db.SearchText(q, k, nullptr, filter);
      std::vector<SearchHit> slow = db.SearchTextExhaustive(q, k, nullptr, filter);
      ASSERT_EQ(fast.size(), slow.size()) << q;
      for (size_t i = 0; i < fast.size(); ++i) {
        EXPECT_EQ(fast[i].id, slow[i].id) << q;
        EXPECT_EQ(fast[i].distance, slow[i].distance) << q;
      }
    }
  }
}

TEST(DatabaseText, StaysExactThroughMutationsReplayAndCompaction) {
  TempDir dir;
  std::mt19937 rng(3);
  auto db = Open(dir.path(), true);
  db->CreateTextIndex({"text", text::Language::kEnglish, 1.2, 0.75});
  EXPECT_THROW(db->CreateTextIndex({"text", text::Language::kNone, 1.2, 0.75}), Error);
  std::vector<float> v(kDim, 0.5f);
  for (int round = 0; round < 6; ++round) {
    std::vector<PutEntry> batch;
    for (int i = 0; i < 700; ++i) {
      PutEntry e;
      e.id = "r" + std::to_string(round) + "_" + std::to_string(i);
      v[0] = static_cast<float>(i);
      e.vector = v.data();
      e.metadata = Meta(Text(&rng), i % 3);
      batch.push_back(std::move(e));
    }
    std::vector<std::vector<float>> rows(batch.size(), v);
    for (size_t i = 0; i < batch.size(); ++i) batch[i].vector = rows[i].data();
    db->AddMany(std::move(batch));
    for (int i = 0; i < 100; ++i) db->Delete("r" + std::to_string(round) + "_" + std::to_string(i));
    for (int i = 100; i < 200; ++i) {
      PutEntry e;
      e.id = "r" + std::to_string(round) + "_" + std::to_string(i);
      e.metadata = Meta(Text(&rng), 1);
      db->Update(std::move(e));
    }
    ExpectExact(*db, nullptr);
  }
  Filter filter = Filter::Parse(Value(Object{{"n", Value(int64_t{1})}}));
  ExpectExact(*db, &filter);
  Filter match = Filter::Parse(
      Value(Object{{"text", Value(Object{{"$match", Value(std::string("gzip files"))}})}}));
  ExpectExact(*db, &match);
  const size_t matches = db->Count(&match);
  EXPECT_GT(matches, 0u);
  EXPECT_EQ(db->Verify(), "");
  db.reset();  // no save: the log replays everything
  db = Open(dir.path(), false);
  ASSERT_EQ(db->TextIndexes().size(), 1u);
  EXPECT_EQ(db->Count(&match), matches);
  ExpectExact(*db, &filter);
  db->Compact();
  ExpectExact(*db, nullptr);
  EXPECT_EQ(db->Verify(), "");
  HybridOptions o;
  std::vector<SearchHit> hybrid = db->HybridSearch(v.data(), "gzip", 10, nullptr, &filter, o);
  EXPECT_EQ(hybrid.size(), 10u);
  o.fusion = Fusion::kWeighted;
  std::vector<std::string> queries = {"gzip", "fox"};
  std::vector<float> two(2 * kDim, 0.25f);
  auto many = db->HybridSearchMany(two.data(), queries, 5, nullptr, nullptr, o);
  ASSERT_EQ(many.size(), 2u);
  EXPECT_EQ(many[0].size(), 5u);
  db->DropTextIndex("text");
  EXPECT_THROW(db->SearchText("gzip", 10, nullptr, nullptr), Error);
  EXPECT_THROW(db->DropTextIndex("text"), Error);
}

}  // namespace
}  // namespace herondb
