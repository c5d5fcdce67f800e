// Tests of searching a text index with supplied corpus statistics (what a
// sharded search does): with the index's own statistics the results are
// identical to a plain search; with other statistics MaxScore equals the
// exhaustive top k, and both equal BM25 computed from the definition with
// those statistics; and indexes over disjoint parts of a corpus, searched
// with the summed statistics and merged, equal one index over all of it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "herondb/text/analyzer.h"
#include "herondb/text/text_index.h"

namespace herondb::text {
namespace {

std::string RandomDoc(std::mt19937* rng, int vocab) {
  std::string t;
  const int words = std::uniform_int_distribution<int>(0, 25)(*rng);
  for (int i = 0; i < words; ++i) {
    const double u = std::uniform_real_distribution<double>(0, 1)(*rng);
    t += 't';
    t += std::to_string(static_cast<int>(std::pow(static_cast<double>(vocab), u)) - 1);
    t += ' ';
  }
  return t;
}

std::vector<std::string> RandomTerms(std::mt19937* rng, int vocab) {
  std::vector<std::string> q;
  const int n = std::uniform_int_distribution<int>(1, 4)(*rng);
  for (int i = 0; i < n; ++i) {
    std::string t(1, 't');
    t += std::to_string(std::uniform_int_distribution<int>(0, vocab / 4)(*rng));
    if (std::find(q.begin(), q.end(), t) == q.end()) q.push_back(t);
  }
  return q;
}

// BM25 of every live document holding a query term, in double, under `st`.
std::map<uint32_t, double> Reference(const std::vector<std::string>& docs,
                                     const std::vector<bool>& live,
                                     const std::vector<std::string>& q, const Bm25Stats& st,
                                     Bm25Params p) {
  std::map<uint32_t, double> out;
  const double n = static_cast<double>(st.num_docs);
  const double avgdl = st.num_docs ? static_cast<double>(st.total_len) / n : 1.0;
  std::vector<std::string> toks;
  for (size_t s = 0; s < docs.size(); ++s) {
    if (!live[s]) continue;
    toks.clear();
    Analyze(docs[s], Language::kNone, &toks);
    double score = 0;
    bool any = false;
    for (size_t i = 0; i < q.size(); ++i) {
      const double tf = static_cast<double>(std::count(toks.begin(), toks.end(), q[i]));
      if (tf == 0) continue;
      any = true;
      const double df = static_cast<double>(st.df[i]);
      const double idf = std::log(1 + (n - df + 0.5) / (df + 0.5));
      score += idf * tf * (p.k1 + 1) /
               (tf + p.k1 * (1 - p.b + p.b * static_cast<double>(toks.size()) / avgdl));
    }
    if (any) out[static_cast<uint32_t>(s)] = score;
  }
  return out;
}

struct Fixture {
  std::vector<std::string> docs;
  std::vector<bool> live;
  std::vector<const std::string*> Texts() const {
    std::vector<const std::string*> out(docs.size(), nullptr);
    for (size_t s = 0; s < docs.size(); ++s)
      if (live[s]) out[s] = &docs[s];
    return out;
  }
};

// A corpus with base documents, erased ones and pending (inserted) ones.
void Fill(TextIndex* index, Fixture* f, std::mt19937* rng, int vocab) {
  for (int i = 0; i < 2500; ++i) {
    f->docs.push_back(RandomDoc(rng, vocab));
    f->live.push_back(std::uniform_int_distribution<int>(0, 9)(*rng) > 0);
  }
  index->Build(f->Texts(), nullptr);
  for (int m = 0; m < 300; ++m) {
    const uint32_t s = std::uniform_int_distribution<uint32_t>(0, f->docs.size() - 1)(*rng);
    if (f->live[s]) index->Erase(s, f->docs[s]);
    f->docs[s] = RandomDoc(rng, vocab);
    f->live[s] = true;
    index->Insert(s, f->docs[s]);
  }
}

TEST(TextStats, OwnStatisticsGiveIdenticalResults) {
  std::mt19937 rng(11);
  const Bm25Params p;
  TextIndex index(Language::kNone, p);
  Fixture f;
  Fill(&index, &f, &rng, 400);
  ASSERT_GT(index.pending_docs(), 0u);
  for (int qi = 0; qi < 30; ++qi) {
    const std::vector<std::string> q = RandomTerms(&rng, 400);
    const Bm25Stats st = index.Stats(q);
    EXPECT_EQ(st.num_docs, index.num_docs());
    EXPECT_EQ(st.total_len, index.total_len());
    for (size_t i = 0; i < q.size(); ++i) EXPECT_EQ(st.df[i], index.DocFreq(q[i]));
    const size_t k = std::uniform_int_distribution<size_t>(1, 30)(rng);
    std::vector<TextHit> plain, with;
    index.Search(q, k, nullptr, &plain);
    index.Search(q, k, nullptr, &with, &st);
    ASSERT_EQ(plain.size(), with.size());
    for (size_t i = 0; i < plain.size(); ++i) {
      EXPECT_EQ(plain[i].slot, with[i].slot);
      EXPECT_EQ(plain[i].score, with[i].score);
    }
  }
}

TEST(TextStats, OtherStatisticsEqualTheExhaustiveReference) {
  std::mt19937 rng(12);
  const Bm25Params p{1.5, 0.6};
  TextIndex index(Language::kNone, p);
  Fixture f;
  Fill(&index, &f, &rng, 400);
  for (int qi = 0; qi < 40; ++qi) {
    const std::vector<std::string> q = RandomTerms(&rng, 400);
    // Statistics of a larger corpus: more documents, other lengths and dfs
    // (a rare term locally may be common globally and the other way round).
    Bm25Stats st = index.Stats(q);
    st.num_docs = st.num_docs * std::uniform_int_distribution<uint64_t>(1, 8)(rng) + 5;
    st.total_len = st.total_len * std::uniform_int_distribution<uint64_t>(1, 12)(rng) + 7;
    for (uint64_t& df : st.df) df = std::uniform_int_distribution<uint64_t>(0, st.num_docs)(rng);
    const size_t k = std::uniform_int_distribution<size_t>(1, 30)(rng);
    std::vector<uint64_t> words((f.docs.size() + 63) / 64, 0);
    for (size_t s = 0; s < f.docs.size(); ++s)
      if (rng() % 3) words[s >> 6] |= uint64_t{1} << (s & 63);
    const SlotAllow allow{words.data(), words.size()};
    const SlotAllow* a = qi % 2 ? &allow : nullptr;
    std::vector<TextHit> fast, slow;
    index.Search(q, k, a, &fast, &st);
    index.SearchExhaustive(q, k, a, &slow, &st);
    ASSERT_EQ(fast.size(), slow.size()) << "query " << qi;
    for (size_t i = 0; i < fast.size(); ++i) {
      EXPECT_EQ(fast[i].slot, slow[i].slot) << "query " << qi << " rank " << i;
      EXPECT_EQ(fast[i].score, slow[i].score);
    }
    std::map<uint32_t, double> ref = Reference(f.docs, f.live, q, st, p);
    size_t matches = 0;
    for (const auto& [slot, score] : ref) matches += !a || a->Has(slot);
    EXPECT_EQ(slow.size(), std::min(k, matches));
    for (const TextHit& h : slow) {
      ASSERT_TRUE(ref.count(h.slot));
      EXPECT_NEAR(h.score, ref[h.slot], 1e-5 * std::max(1.0, ref[h.slot]));
    }
    for (const auto& [slot, score] : ref) {
      if ((a && !a->Has(slot)) || slow.empty()) continue;
      const bool kept =
          std::any_of(slow.begin(), slow.end(), [&](const TextHit& h) { return h.slot == slot; });
      if (!kept) {
        EXPECT_LE(score, slow.back().score * (1 + 1e-5));
      }
    }
  }
}

TEST(TextStats, PartsSearchedWithSummedStatisticsEqualOneIndex) {
  std::mt19937 rng(13);
  const Bm25Params p;
  TextIndex whole(Language::kNone, p);
  Fixture f;
  Fill(&whole, &f, &rng, 300);
  for (int parts = 2; parts <= 4; ++parts) {
    // Part j holds the slots s with s % parts == j (same slot numbers, so the
    // merged order's ties by slot are those of the whole index).
    std::vector<TextIndex> idx;
    for (int j = 0; j < parts; ++j) {
      idx.emplace_back(Language::kNone, p);
      std::vector<const std::string*> texts = f.Texts();
      for (size_t s = 0; s < texts.size(); ++s)
        if (static_cast<int>(s % parts) != j) texts[s] = nullptr;
      idx.back().Build(texts, nullptr);
    }
    for (int qi = 0; qi < 20; ++qi) {
      const std::vector<std::string> q = RandomTerms(&rng, 300);
      Bm25Stats sum;
      sum.df.assign(q.size(), 0);
      for (const TextIndex& t : idx) {
        const Bm25Stats st = t.Stats(q);
        sum.num_docs += st.num_docs;
        sum.total_len += st.total_len;
        for (size_t i = 0; i < q.size(); ++i) sum.df[i] += st.df[i];
      }
      const size_t k = std::uniform_int_distribution<size_t>(1, 30)(rng);
      std::vector<TextHit> merged, one, expect;
      for (const TextIndex& t : idx) {
        t.Search(q, k, nullptr, &one, &sum);
        merged.insert(merged.end(), one.begin(), one.end());
      }
      std::sort(merged.begin(), merged.end(), TextHitBetter);
      if (merged.size() > k) merged.resize(k);
      whole.Search(q, k, nullptr, &expect);
      ASSERT_EQ(merged.size(), expect.size()) << parts << " parts, query " << qi;
      for (size_t i = 0; i < expect.size(); ++i) {
        EXPECT_EQ(merged[i].slot, expect[i].slot) << parts << " parts, rank " << i;
        EXPECT_EQ(merged[i].score, expect[i].score) << parts << " parts, rank " << i;
      }
    }
  }
}

}  // namespace
}  // namespace herondb::text
