// Tests for IdMap (db/id_map.h): the slot ids and the live-id lookup.
#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

#include "herondb/db/id_map.h"

namespace herondb {
namespace {

TEST(IdMapTest, AppendFindKillRevive) {
  IdMap m;
  m.Append("a");
  m.Append("bb");
  m.Append("");  // allowed by the map; the database rejects empty ids earlier
  EXPECT_EQ(m.slots(), 3u);
  EXPECT_EQ(m.live(), 3u);
  EXPECT_EQ(m.Find("bb"), 1u);
  EXPECT_EQ(m.id(1), "bb");
  m.Kill(1);
  EXPECT_FALSE(m.Find("bb"));
  EXPECT_EQ(m.id(1), "bb");  // the id stays at its slot
  m.Append("bb");            // re-added in a new slot
  EXPECT_EQ(m.Find("bb"), 3u);
  EXPECT_FALSE(m.Revive(1));  // "bb" is live elsewhere
  EXPECT_EQ(m.live(), 3u);
}

TEST(IdMapTest, MatchesAHashMapUnderRandomOperations) {
  std::mt19937 rng(17);
  IdMap m;
  std::unordered_map<std::string, uint32_t> model;
  std::vector<std::string> slot_ids;
  for (int step = 0; step < 200000; ++step) {
    std::string id = "id" + std::to_string(rng() % 5000);
    int op = rng() % 3;
    if (op == 0 && !model.count(id)) {
      m.Append(id);
      model[id] = static_cast<uint32_t>(slot_ids.size());
      slot_ids.push_back(id);
    } else if (op == 1 && model.count(id)) {
      m.Kill(model[id]);
      model.erase(id);
    } else {
      auto it = model.find(id);
      std::optional<uint32_t> got = m.Find(id);
      ASSERT_EQ(got.has_value(), it != model.end()) << id << " at step " << step;
      if (got) {
        ASSERT_EQ(*got, it->second);
      }
    }
    ASSERT_EQ(m.live(), model.size());
  }
  for (uint32_t s = 0; s < slot_ids.size(); ++s) EXPECT_EQ(m.id(s), slot_ids[s]);
}

TEST(IdMapTest, LoadedArraysHaveNoLiveSlotsUntilRevived) {
  IdMap m(std::vector<uint64_t>{0, 1, 3, 6}, "xyyzzz");
  EXPECT_EQ(m.slots(), 3u);
  EXPECT_EQ(m.live(), 0u);
  EXPECT_FALSE(m.Find("yy"));
  EXPECT_TRUE(m.Revive(1));
  EXPECT_TRUE(m.Revive(2));
  EXPECT_EQ(m.Find("yy"), 1u);
  EXPECT_EQ(m.Find("zzz"), 2u);
  EXPECT_FALSE(m.Find("x"));
}

TEST(IdMapTest, DuplicateLiveIdsInLoadedArraysAreRefused) {
  IdMap m(std::vector<uint64_t>{0, 2, 4}, "abab");
  EXPECT_TRUE(m.Revive(0));
  EXPECT_FALSE(m.Revive(1));
  EXPECT_EQ(m.live(), 1u);
}

}  // namespace
}  // namespace herondb
