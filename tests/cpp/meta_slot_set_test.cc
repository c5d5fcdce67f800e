// Tests for slot_set.h: SlotSet behaves as a std::set<uint32_t> through
// every layout (small vector, array chunks, bitmap chunks) and its
// conversions, and OrInto/AndNotInto agree with per-member bit operations.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

#include "herondb/meta/slot_set.h"

namespace herondb {
namespace {

std::vector<uint32_t> Members(const SlotSet& s) {
  std::vector<uint32_t> out;
  s.AppendTo(&out);
  return out;
}

std::vector<uint64_t> Bitmap(const std::set<uint32_t>& s, size_t words) {
  std::vector<uint64_t> out(words, 0);
  for (uint32_t v : s)
    if ((v >> 6) < words) out[v >> 6] |= uint64_t{1} << (v & 63);
  return out;
}

TEST(SlotSet, InsertEraseContainsMatchStdSetAcrossLayouts) {
  std::mt19937_64 rng(1);
  SlotSet s;
  std::set<uint32_t> ref;
  // Dense runs (bitmap chunks), sparse members (array chunks) over 4 chunks,
  // then erase back down to the small layout.
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 20000; ++i) {
      uint32_t v = (i % 3 == 0) ? static_cast<uint32_t>(rng() % 8000)
                                : static_cast<uint32_t>(rng() % (4u << 16));
      EXPECT_EQ(s.Insert(v), ref.insert(v).second);
    }
    EXPECT_EQ(s.size(), ref.size());
    EXPECT_EQ(Members(s), std::vector<uint32_t>(ref.begin(), ref.end()));
    for (int i = 0; i < 2000; ++i) {
      uint32_t v = static_cast<uint32_t>(rng() % (4u << 16));
      EXPECT_EQ(s.Contains(v), ref.count(v) == 1);
    }
    std::vector<uint32_t> all(ref.begin(), ref.end());
    std::shuffle(all.begin(), all.end(), rng);
    for (size_t i = 0; i + 20 < all.size(); ++i) {
      EXPECT_TRUE(s.Erase(all[i]));
      ref.erase(all[i]);
      EXPECT_FALSE(s.Erase(all[i]));
    }
    EXPECT_EQ(s.size(), ref.size());
    EXPECT_EQ(Members(s), std::vector<uint32_t>(ref.begin(), ref.end()));
  }
  s.Clear();
  EXPECT_TRUE(s.empty());
  EXPECT_TRUE(Members(s).empty());
}

TEST(SlotSet, OrIntoAndAndNotIntoMatchPerMemberBits) {
  std::mt19937_64 rng(2);
  for (int layout = 0; layout < 3; ++layout) {
    SlotSet s;
    std::set<uint32_t> ref;
    const size_t n = layout == 0 ? 40 : (layout == 1 ? 3000 : 60000);
    const uint32_t range = layout == 2 ? (3u << 16) : (1u << 20);
    while (ref.size() < n) {
      uint32_t v = static_cast<uint32_t>(rng() % range);
      ref.insert(v);
      s.Insert(v);
    }
    uint32_t max = *ref.rbegin();
    // OrInto grows an empty bitmap to hold every member.
    std::vector<uint64_t> words;
    s.OrInto(&words);
    ASSERT_GE(words.size(), (max >> 6) + 1u);
    EXPECT_EQ(words, Bitmap(ref, words.size()));
    // OrInto keeps bits already set; AndNotInto clears exactly the members.
    std::set<uint32_t> other;
    for (int i = 0; i < 5000; ++i) other.insert(static_cast<uint32_t>(rng() % range));
    std::vector<uint64_t> both = Bitmap(other, (range >> 6) + 1);
    s.OrInto(&both);
    std::set<uint32_t> uni = other;
    uni.insert(ref.begin(), ref.end());
    EXPECT_EQ(both, Bitmap(uni, both.size()));
    s.AndNotInto(&both);
    std::set<uint32_t> diff;
    for (uint32_t v : uni)
      if (!ref.count(v)) diff.insert(v);
    EXPECT_EQ(both, Bitmap(diff, both.size()));
    // A bitmap shorter than the set: members beyond it are ignored.
    std::vector<uint64_t> short_words(3, ~uint64_t{0});
    s.AndNotInto(&short_words);
    EXPECT_EQ(short_words.size(), 3u);
    std::set<uint32_t> low;
    for (uint32_t v = 0; v < 192; ++v)
      if (!ref.count(v)) low.insert(v);
    EXPECT_EQ(short_words, Bitmap(low, 3));
  }
}

}  // namespace
}  // namespace herondb
