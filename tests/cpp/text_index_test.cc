// Tests of the text index: posting list coding, the term dictionary kept
// exact through inserts and erases, BM25 scores against a plain reference,
// and the MaxScore top-k against the exhaustive top-k.
#include "herondb/text/text_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "herondb/common/error.h"
#include "herondb/text/posting_list.h"
#include "herondb/text/text_index_def.h"

namespace herondb::text {
namespace {

TEST(PostingList, RoundTripsAndSkipsLikeALinearScan) {
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    const size_t n = std::uniform_int_distribution<size_t>(0, 1000)(rng);
    std::vector<uint32_t> slots, tfs, lens;
    uint32_t s = std::uniform_int_distribution<uint32_t>(0, 5)(rng);
    PostingListBuilder b;
    for (size_t i = 0; i < n; ++i) {
      s += std::uniform_int_distribution<uint32_t>(1, round % 2 ? 3 : 100000)(rng);
      slots.push_back(s);
      tfs.push_back(std::uniform_int_distribution<uint32_t>(1, 300)(rng));
      lens.push_back(std::uniform_int_distribution<uint32_t>(1, 1000)(rng));
      b.Add(slots.back(), tfs.back(), lens.back());
    }
    PostingList list = b.Finish();
    ASSERT_EQ(list.size(), n);
    std::vector<uint32_t> got_s, got_t;
    list.DecodeAll(&got_s, &got_t);
    EXPECT_EQ(got_s, slots);
    EXPECT_EQ(got_t, tfs);
    for (size_t blk = 0; blk < list.blocks().size(); ++blk) {
      const size_t lo = blk * PostingList::kBlockSize;
      const size_t hi = std::min(n, lo + PostingList::kBlockSize);
      EXPECT_EQ(list.blocks()[blk].last_slot, slots[hi - 1]);
      EXPECT_EQ(list.blocks()[blk].max_tf, *std::max_element(tfs.begin() + lo, tfs.begin() + hi));
      EXPECT_EQ(list.blocks()[blk].min_len,
                *std::min_element(lens.begin() + lo, lens.begin() + hi));
    }
    // Advance to random targets equals lower_bound.
    PostingCursor c(&list);
    uint32_t target = 0;
    while (c.slot() != kEndSlot) {
      target += std::uniform_int_distribution<uint32_t>(0, 200000)(rng);
      c.Advance(target);
      auto it = std::lower_bound(slots.begin(), slots.end(), target);
      if (it == slots.end()) {
        EXPECT_EQ(c.slot(), kEndSlot);
      } else {
        EXPECT_EQ(c.slot(), *it);
        EXPECT_EQ(c.tf(), tfs[it - slots.begin()]);
        const PostingBlock* blk = c.ShallowBlock(*it);
        ASSERT_NE(blk, nullptr);
        EXPECT_GE(blk->last_slot, *it);
        if (std::uniform_int_distribution<int>(0, 1)(rng)) c.Next();
        target = std::max(target, c.slot() == kEndSlot ? target : c.slot());
      }
    }
  }
}

// A corpus kept beside the index: the plain truth to compare with.
struct Corpus {
  std::vector<std::string> text;
  std::vector<bool> live;

  std::vector<const std::string*> Texts() const {
    std::vector<const std::string*> out(text.size(), nullptr);
    for (size_t s = 0; s < text.size(); ++s)
      if (live[s]) out[s] = &text[s];
    return out;
  }
};

std::string RandomText(std::mt19937* rng, int vocab) {
  // Zipf-like: low word numbers are frequent.
  std::string t;
  const int words = std::uniform_int_distribution<int>(0, 30)(*rng);
  for (int i = 0; i < words; ++i) {
    const double u = std::uniform_real_distribution<double>(0, 1)(*rng);
    const int w = static_cast<int>(std::pow(static_cast<double>(vocab), u)) - 1;
    t += 'w';
    t += std::to_string(w);
    t += ' ';
  }
  return t;
}

// The live corpus analyzed: tokens per slot, N, total length, df.
struct Analyzed {
  std::vector<std::vector<std::string>> toks;
  double n = 0, total = 0;
  std::map<std::string, double> df;
};

Analyzed AnalyzeCorpus(const Corpus& c) {
  Analyzed a;
  a.toks.resize(c.text.size());
  for (size_t s = 0; s < c.text.size(); ++s) {
    if (!c.live[s]) continue;
    Analyze(c.text[s], Language::kNone, &a.toks[s]);
    a.n += 1;
    a.total += static_cast<double>(a.toks[s].size());
    std::set<std::string> uniq(a.toks[s].begin(), a.toks[s].end());
    for (const std::string& t : uniq) a.df[t] += 1;
  }
  return a;
}

// BM25 over the live corpus, in double, straight from the definition.
std::map<uint32_t, double> ReferenceScores(const Corpus& c, Analyzed& a,
                                           const std::vector<std::string>& query, Bm25Params p) {
  const auto& toks = a.toks;
  const double n = a.n, total = a.total;
  auto& df = a.df;
  std::map<uint32_t, double> out;
  const double avgdl = n > 0 ? total / n : 1;
  for (size_t s = 0; s < c.text.size(); ++s) {
    if (!c.live[s]) continue;
    double score = 0;
    bool any = false;
    for (const std::string& q : query) {
      const double tf = static_cast<double>(std::count(toks[s].begin(), toks[s].end(), q));
      if (tf == 0) continue;
      any = true;
      const double idf = std::log(1 + (n - df[q] + 0.5) / (df[q] + 0.5));
      score += idf * tf * (p.k1 + 1) /
               (tf + p.k1 * (1 - p.b + p.b * static_cast<double>(toks[s].size()) / avgdl));
    }
    if (any) out[static_cast<uint32_t>(s)] = score;
  }
  return out;
}

std::vector<std::string> RandomQuery(std::mt19937* rng, int vocab) {
  std::vector<std::string> q;
  const int n = std::uniform_int_distribution<int>(1, 5)(*rng);
  for (int i = 0; i < n; ++i) {
    std::string t(1, 'w');
    t += std::to_string(std::uniform_int_distribution<int>(0, vocab)(*rng));
    if (std::find(q.begin(), q.end(), t) == q.end()) q.push_back(t);
  }
  return q;
}

void CheckSearches(const TextIndex& index, const Corpus& corpus, std::mt19937* rng, int vocab,
                   Bm25Params p) {
  Analyzed analyzed = AnalyzeCorpus(corpus);
  for (int qi = 0; qi < 20; ++qi) {
    const std::vector<std::string> q = RandomQuery(rng, vocab);
    const size_t k = std::uniform_int_distribution<size_t>(1, 40)(*rng);
    // Half of the searches under a random filter.
    std::vector<uint64_t> words((corpus.text.size() + 63) / 64 + 1, 0);
    SlotAllow allow{words.data(), words.size()};
    const bool filtered = qi % 2 == 1;
    const int keep = std::uniform_int_distribution<int>(1, 10)(*rng);
    for (size_t s = 0; s < corpus.text.size(); ++s)
      if (std::uniform_int_distribution<int>(0, 9)(*rng) < keep) words[s >> 6] |= 1ull << (s & 63);
    std::vector<TextHit> fast, slow;
    index.Search(q, k, filtered ? &allow : nullptr, &fast);
    index.SearchExhaustive(q, k, filtered ? &allow : nullptr, &slow);
    ASSERT_EQ(fast.size(), slow.size());
    for (size_t i = 0; i < fast.size(); ++i) {
      EXPECT_EQ(fast[i].slot, slow[i].slot) << "rank " << i;
      EXPECT_EQ(fast[i].score, slow[i].score) << "rank " << i;
    }
    // The exhaustive list against the reference: every matching live slot
    // scores as the definition says, and D8: min(k, matches) results.
    std::map<uint32_t, double> ref = ReferenceScores(corpus, analyzed, q, p);
    size_t matches = 0;
    for (const auto& [slot, score] : ref) matches += !filtered || allow.Has(slot);
    EXPECT_EQ(slow.size(), std::min(k, matches));
    for (const TextHit& h : slow) {
      ASSERT_TRUE(ref.count(h.slot));
      EXPECT_NEAR(h.score, ref[h.slot], 1e-5 * std::max(1.0, ref[h.slot]));
    }
    // Nothing better left out.
    if (!slow.empty()) {
      for (const auto& [slot, score] : ref) {
        if (filtered && !allow.Has(slot)) continue;
        const bool kept = std::find_if(slow.begin(), slow.end(), [&](const TextHit& h) {
                            return h.slot == slot;
                          }) != slow.end();
        if (!kept) {
          EXPECT_LE(score, slow.back().score * (1 + 1e-5));
        }
      }
    }
  }
}

TEST(TextIndex, StaysExactThroughInsertsErasesAndMerges) {
  for (int seed = 1; seed <= 3; ++seed) {
    std::mt19937 rng(seed);
    const int vocab = seed == 1 ? 30 : 3000;
    Bm25Params p{seed == 3 ? 2.0 : 1.2, seed == 3 ? 0.3 : 0.75};
    TextIndex index(Language::kNone, p);
    Corpus corpus;
    for (int i = 0; i < 3000; ++i) {
      corpus.text.push_back(RandomText(&rng, vocab));
      corpus.live.push_back(std::uniform_int_distribution<int>(0, 9)(rng) > 0);
    }
    index.Build(corpus.Texts(), nullptr);
    ASSERT_EQ(index.Verify(corpus.Texts()), "");
    CheckSearches(index, corpus, &rng, vocab, p);
    for (int step = 0; step < 8; ++step) {
      // A batch of mutations: new slots, erased slots, changed texts.
      for (int m = 0; m < 400; ++m) {
        const int op = std::uniform_int_distribution<int>(0, 2)(rng);
        if (op == 0) {
          corpus.text.push_back(RandomText(&rng, vocab));
          corpus.live.push_back(true);
          index.Insert(static_cast<uint32_t>(corpus.text.size() - 1), corpus.text.back());
        } else {
          const uint32_t s =
              std::uniform_int_distribution<uint32_t>(0, corpus.text.size() - 1)(rng);
          if (corpus.live[s]) {
            index.Erase(s, corpus.text[s]);
            corpus.live[s] = false;
          }
          if (op == 2) {
            corpus.text[s] = RandomText(&rng, vocab);
            corpus.live[s] = true;
            index.Insert(s, corpus.text[s]);
          }
        }
      }
      ASSERT_EQ(index.Verify(corpus.Texts()), "") << "step " << step;
      CheckSearches(index, corpus, &rng, vocab, p);
      if (step % 3 == 2)
        index.Merge(nullptr);
      else
        index.MaybeMerge(nullptr);
      ASSERT_EQ(index.Verify(corpus.Texts()), "") << "after merge, step " << step;
      CheckSearches(index, corpus, &rng, vocab, p);
    }
  }
}

TEST(TextIndex, ParallelBuildEqualsSerialBuild) {
  std::mt19937 rng(11);
  Corpus corpus;
  for (int i = 0; i < 5000; ++i) {
    corpus.text.push_back(RandomText(&rng, 500));
    corpus.live.push_back(i % 7 != 0);
  }
  TextIndex a(Language::kNone, {}), b(Language::kNone, {});
  ThreadPool pool(4);
  a.Build(corpus.Texts(), nullptr);
  b.Build(corpus.Texts(), &pool);
  EXPECT_EQ(b.Verify(corpus.Texts()), "");
  for (int i = 0; i < 20; ++i) {
    std::vector<std::string> q = RandomQuery(&rng, 500);
    std::vector<TextHit> x, y;
    a.Search(q, 10, nullptr, &x);
    b.Search(q, 10, nullptr, &y);
    ASSERT_EQ(x.size(), y.size());
    for (size_t j = 0; j < x.size(); ++j) EXPECT_EQ(x[j].slot, y[j].slot);
  }
}

TEST(TextIndex, VerifyNamesADifference) {
  Corpus corpus;
  corpus.text = {"alpha beta", "beta gamma"};
  corpus.live = {true, true};
  TextIndex index(Language::kNone, {});
  index.Build(corpus.Texts(), nullptr);
  EXPECT_EQ(index.Verify(corpus.Texts()), "");
  corpus.text[1] = "beta delta";
  EXPECT_NE(index.Verify(corpus.Texts()), "");
  corpus.live[1] = false;
  EXPECT_NE(index.Verify(corpus.Texts()), "");
}

TEST(TextIndexDef, RoundTripsAndRejectsDamage) {
  std::vector<TextIndexDef> defs = {{"text", Language::kEnglish, 1.2, 0.75},
                                    {"a.b", Language::kNone, 0.0, 1.0}};
  std::string enc;
  EncodeTextIndexDefs(defs, &enc);
  std::vector<TextIndexDef> got = DecodeTextIndexDefs(enc);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].field, "a.b");
  EXPECT_EQ(got[1].language, Language::kNone);
  EXPECT_EQ(got[0].k1, 1.2);
  EXPECT_EQ(got[1].b, 1.0);
  for (size_t cut = 0; cut < enc.size(); ++cut)
    EXPECT_THROW(DecodeTextIndexDefs(std::string_view(enc).substr(0, cut)), Error);
  std::string bad = enc;
  bad[1 + 1 + 4] = 9;  // the first definition's language byte
  EXPECT_THROW(DecodeTextIndexDefs(bad), Error);
  EXPECT_THROW(ValidateTextIndexDef({"", Language::kEnglish, 1.2, 0.75}), Error);
  EXPECT_THROW(ValidateTextIndexDef({"f", Language::kEnglish, -1, 0.75}), Error);
  EXPECT_THROW(ValidateTextIndexDef({"f", Language::kEnglish, 1.2, 1.5}), Error);
  EXPECT_EQ(SplitFieldPath("a.b.c"), (std::vector<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace herondb::text
