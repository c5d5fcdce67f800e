// BM25 as Lucene and tantivy score it:
//   score(q, d) = sum over distinct query terms t in d of
//     idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avgdl))
//   idf(t) = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))
// N: documents in the index, df(t): those holding t, len(d): the number of
// terms of d after analysis (exact, where Lucene and tantivy round it to one
// byte), avgdl: the mean len over the index.
//
// Contract: Bm25Query fixes N, avgdl and the parameters for one search; its
// TermScore is the single place that turns (weight, tf, len) into a score,
// used alike by the top-k search, the exhaustive reference and the bounds, so
// every path computes bit-identical scores. Bound(weight, max_tf, min_len)
// is >= TermScore for any tf <= max_tf and len >= min_len (the score grows
// with tf and shrinks with len), widened by a relative kBoundSlack against
// rounding.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace herondb::text {

struct Bm25Params {
  double k1 = 1.2;
  double b = 0.75;
};

inline double Bm25Idf(uint64_t n, uint64_t df) {
  return std::log(1.0 + (static_cast<double>(n) - static_cast<double>(df) + 0.5) /
                            (static_cast<double>(df) + 0.5));
}

// The corpus statistics a search scores with: N, the total length of the
// documents and the df of each query term (aligned with the query's distinct
// analyzed terms). An index scores with its own by default; a sharded search
// supplies the sums over every shard so that each shard scores exactly as one
// index holding all the documents would (docs/text-search.md).
struct Bm25Stats {
  uint64_t num_docs = 0;
  uint64_t total_len = 0;
  std::vector<uint64_t> df;
};

// The same statistics keyed by analyzed term, as a Database reports and
// accepts them (Database::TextStats / SearchText).
struct CorpusStats {
  uint64_t num_docs = 0;
  uint64_t total_len = 0;
  std::map<std::string, uint64_t> df;
};

class Bm25Query {
 public:
  static constexpr float kBoundSlack = 1e-4f;

  Bm25Query(const Bm25Params& p, uint64_t num_docs, uint64_t total_len)
      : k1_(static_cast<float>(p.k1)) {
    const double avgdl =
        num_docs ? static_cast<double>(total_len) / static_cast<double>(num_docs) : 1.0;
    c0_ = static_cast<float>(p.k1 * (1.0 - p.b));
    c1_ = avgdl > 0 ? static_cast<float>(p.k1 * p.b / avgdl) : 0.0f;
    n_ = num_docs;
    k1p1_ = static_cast<float>(p.k1 + 1.0);
  }
  // The per-term factor idf(t) * (k1 + 1).
  float Weight(uint64_t df) const { return static_cast<float>(Bm25Idf(n_, df)) * k1p1_; }
  float TermScore(float weight, uint32_t tf, uint32_t len) const {
    const float t = static_cast<float>(tf);
    return weight * t / (t + c0_ + c1_ * static_cast<float>(len));
  }
  float Bound(float weight, uint32_t max_tf, uint32_t min_len) const {
    return TermScore(weight, max_tf, min_len) * (1.0f + kBoundSlack);
  }

 private:
  float k1_, k1p1_, c0_, c1_;
  uint64_t n_;
};

}  // namespace herondb::text
