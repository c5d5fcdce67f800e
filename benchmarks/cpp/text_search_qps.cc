// Text index build time and single-thread top-10 query throughput (CPU time)
// on a corpus of one document per line.
//
//   text_search_qps CORPUS.txt QUERIES.txt [k]

#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "herondb/text/text_index.h"

namespace {

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::vector<std::string> ReadLines(const char* path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace herondb::text;
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s CORPUS.txt QUERIES.txt [k]\n", argv[0]);
    return 2;
  }
  const std::vector<std::string> docs = ReadLines(argv[1]);
  const std::vector<std::string> queries = ReadLines(argv[2]);
  const size_t k = argc > 3 ? std::stoul(argv[3]) : 10;
  std::vector<const std::string*> texts;
  for (const std::string& d : docs) texts.push_back(&d);
  TextIndex index(Language::kEnglish, {});
  double t = CpuSeconds();
  index.Build(texts, nullptr);
  std::printf("build (one thread): %.3f s CPU for %zu documents, %zu terms\n", CpuSeconds() - t,
              docs.size(), index.num_terms());
  std::vector<std::vector<std::string>> qterms(queries.size());
  for (size_t i = 0; i < queries.size(); ++i) index.QueryTerms(queries[i], &qterms[i]);
  std::vector<TextHit> hits;
  size_t found = 0;
  for (int round = 0; round < 2; ++round) {
    t = CpuSeconds();
    for (const auto& q : qterms) {
      index.Search(q, k, nullptr, &hits);
      found += hits.size();
    }
    const double dt = CpuSeconds() - t;
    if (round == 1)
      std::printf("%zu queries: %.0f QPS (CPU), %.1f us each\n", queries.size(),
                  static_cast<double>(queries.size()) / dt,
                  dt * 1e6 / static_cast<double>(queries.size()));
  }
  return found == 0;
}
