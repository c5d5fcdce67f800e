// Text analysis throughput (issue 15): MB/s of UTF-8 text turned into index
// terms by herondb::text::Analyzer, on the docstring corpus of the vector
// benchmarks (the "base" texts of benchmarks/datasets.py's minilm dataset).
//
// For each language ("none": split + fold; "english": + stop words + Porter2)
// it times `reps` passes over the whole corpus through the reusable Analyzer
// (Next/term, no allocation once warm) and through the one-shot
// Analyze(text, language, &terms) (a vector<string> per text), and prints the
// best pass of each: MB/s of input and million terms/s per second of the
// thread's CPU time (CLOCK_THREAD_CPUTIME_ID), and MB/s per second of wall
// time (which on a shared, loaded machine also counts time spent waiting for
// a core).
//
// Usage: text_analyze_throughput [--texts PATH] [--reps 5]
//   PATH defaults to ~/.cache/herondb-bench/minilm-stdlib/texts.json
//   (build it with: python benchmarks/datasets.py minilm).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "herondb/meta/json.h"
#include "herondb/text/analyzer.h"

namespace {

using Clock = std::chrono::steady_clock;
using herondb::text::Analyzer;
using herondb::text::Language;

std::vector<std::string> LoadTexts(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s (run: python benchmarks/datasets.py minilm)\n",
                 path.c_str());
    std::exit(1);
  }
  std::stringstream buf;
  buf << in.rdbuf();
  const herondb::Value doc = herondb::ParseJson(buf.str());
  std::vector<std::string> texts;
  for (const herondb::Value& v : doc.Find("base")->as_array()) texts.push_back(v.as_string());
  return texts;
}

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Pass {
  double cpu_seconds;
  double seconds;
  size_t terms;
  size_t term_bytes;
};

Pass TimeAnalyzer(const std::vector<std::string>& texts, Language language) {
  Analyzer analyzer(language);
  const double c0 = ThreadCpuSeconds();
  const auto t0 = Clock::now();
  size_t terms = 0, bytes = 0;
  for (const std::string& text : texts) {
    size_t pos = 0;
    while (analyzer.Next(text, &pos)) {
      ++terms;
      bytes += analyzer.term().size();
    }
  }
  return {ThreadCpuSeconds() - c0, std::chrono::duration<double>(Clock::now() - t0).count(), terms,
          bytes};
}

Pass TimeAnalyzeVector(const std::vector<std::string>& texts, Language language) {
  const double c0 = ThreadCpuSeconds();
  const auto t0 = Clock::now();
  size_t terms = 0, bytes = 0;
  std::vector<std::string> out;
  for (const std::string& text : texts) {
    out.clear();
    herondb::text::Analyze(text, language, &out);
    terms += out.size();
    for (const std::string& t : out) bytes += t.size();
  }
  return {ThreadCpuSeconds() - c0, std::chrono::duration<double>(Clock::now() - t0).count(), terms,
          bytes};
}

}  // namespace

int main(int argc, char** argv) {
  const char* home = std::getenv("HOME");
  std::string path =
      std::string(home ? home : ".") + "/.cache/herondb-bench/minilm-stdlib/texts.json";
  int reps = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--texts")) {
      path = argv[i + 1];
    } else if (!std::strcmp(argv[i], "--reps")) {
      reps = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  const std::vector<std::string> texts = LoadTexts(path);
  size_t total = 0;
  for (const std::string& t : texts) total += t.size();
  std::printf("corpus: %zu texts, %.2f MB of UTF-8 (%s)\n", texts.size(), total / 1e6,
              path.c_str());
  for (Language language : {Language::kNone, Language::kEnglish}) {
    for (int mode = 0; mode < 2; ++mode) {
      Pass best{1e30, 1e30, 0, 0};
      double best_wall = 1e30;
      for (int r = 0; r < reps; ++r) {
        const Pass p =
            mode == 0 ? TimeAnalyzer(texts, language) : TimeAnalyzeVector(texts, language);
        if (p.cpu_seconds < best.cpu_seconds) best = p;
        best_wall = std::min(best_wall, p.seconds);
      }
      std::printf(
          "%-8s %-18s CPU: %7.1f MB/s %6.2f M terms/s   wall: %7.1f MB/s  (%zu terms, %.3f s "
          "CPU)\n",
          herondb::text::LanguageName(language), mode == 0 ? "Analyzer::Next" : "Analyze -> vector",
          total / 1e6 / best.cpu_seconds, best.terms / 1e6 / best.cpu_seconds,
          total / 1e6 / best_wall, best.terms, best.cpu_seconds);
    }
  }
  return 0;
}
