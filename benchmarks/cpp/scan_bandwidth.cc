// Exact-scan throughput against the machine's memory read bandwidth, in one
// run (issue 7: "exact-scan throughput within 80% of memory bandwidth").
//
// Builds an HnswIndex-free block of n x dim float32 rows (far larger than the
// last-level cache by default), then measures, alternating, for `reps`
// rounds each and reporting the best:
// - read bandwidth: an AVX-512/AVX2/scalar-agnostic read of the whole block
//   (eight independent 64-bit sums, which the compiler vectorizes), the
//   fastest plain read of memory one thread does here;
// - exact scan: HnswIndex::ExactSearch of one query over all rows (k=10,
//   the kernel the database uses for small collections and selective
//   filters), as bytes of vectors scanned per second.
// With --threads T both run on T threads over disjoint slices (the scan as T
// queries at once, each over the whole block, so each thread reads it all).
//
// Usage: scan_bandwidth [--n 1000000] [--dim 384] [--reps 5] [--threads 1]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "herondb/index/hnsw.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Sum of a range as bytes read; the result is printed so the loop is kept.
uint64_t ReadRange(const uint64_t* p, size_t words) {
  uint64_t s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= words; i += 8)
    for (int j = 0; j < 8; ++j) s[j] += p[i + j];
  for (; i < words; ++i) s[0] += p[i];
  uint64_t t = 0;
  for (uint64_t v : s) t += v;
  return t;
}

template <class Fn>
double RunThreads(int threads, Fn fn) {
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(fn, t);
  fn(0);
  for (auto& th : pool) th.join();
  return Seconds(t0);
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = 1000000, dim = 384;
  int reps = 5, threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--n")
      n = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--dim")
      dim = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--reps")
      reps = std::atoi(argv[i + 1]);
    else if (a == "--threads")
      threads = std::max(1, std::atoi(argv[i + 1]));
    else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  herondb::HnswIndex index(dim, herondb::Metric::kEuclidean, {});
  {
    std::vector<float> rows(std::min<size_t>(n, 65536) * dim);
    std::mt19937 rng(1);
    std::normal_distribution<float> g;
    for (float& x : rows) x = g(rng);
    // Graphless fill: the scan reads only the vector block, so rows are
    // appended in chunks without linking (AddBatch would build the graph).
    auto& vs = index.vectors();
    vs.Resize(n);
    for (size_t r = 0; r < n; r += 65536) {
      size_t c = std::min<size_t>(65536, n - r);
      std::memcpy(vs.mutable_row(static_cast<uint32_t>(r)), rows.data(), c * dim * sizeof(float));
    }
    // No graph (top level -1), nothing deleted: what ExactSearch needs.
    std::vector<uint64_t> no_deletes((n + 63) / 64, 0);
    index.RestoreState(0, -1, no_deletes.data(), nullptr);
  }
  const size_t bytes = n * dim * sizeof(float);
  const auto* words = reinterpret_cast<const uint64_t*>(index.vectors().data());
  std::vector<float> q(dim, 0.5f);
  double best_read = 1e30, best_scan = 1e30;
  uint64_t sink = 0;
  std::vector<std::vector<herondb::Neighbor>> outs(threads);
  for (int r = 0; r < reps; ++r) {
    best_read = std::min(best_read, RunThreads(threads, [&](int t) {
                           size_t w = bytes / 8, per = (w + threads - 1) / threads;
                           size_t b = std::min(w, per * t), e = std::min(w, b + per);
                           uint64_t s = ReadRange(words + b, e - b);
                           __atomic_fetch_add(&sink, s, __ATOMIC_RELAXED);
                         }));
    best_scan = std::min(best_scan, RunThreads(threads, [&](int t) {
                           index.ExactSearch(q.data(), 10, nullptr, nullptr, &outs[t]);
                         }));
  }
  const double gbs_read = bytes / best_read / 1e9;
  const double gbs_scan = bytes * static_cast<double>(threads) / best_scan / 1e9;
  std::printf("| %zu x %zu | %d | %.2f | %.2f | %.2f | %.0f |\n", n, dim, threads, gbs_read,
              gbs_scan, gbs_scan / gbs_read, threads / best_scan);
  std::fprintf(stderr, "(checksum %llu, nearest %u)\n", static_cast<unsigned long long>(sink),
               outs[0].empty() ? 0u : outs[0][0].slot);
  return 0;
}
