// C++-level single-thread timing of float32 vs SQ8 quantized search on one
// saved database (no Python in the loop): the counterpart of
// benchmarks/bench_sq8.py's speed mode.
//
// Build: cmake -DHERONDB_BUILD_BENCHMARKS=ON (builds every benchmarks/cpp/*.cc;
// the option comes with main's CMakeLists), or by hand from a build folder B:
//   g++ -O2 -std=c++20 -Isrc benchmarks/cpp/sq8_search_loop.cc B/libherondb_db.a
//       B/libherondb_index.a B/libherondb_meta.a B/libherondb_storage.a
//       B/libherondb_kernels.a -lpthread -o sq8_search_loop
// Usage: sq8_search_loop DB_DIR QUERIES.npy GT.npy [rounds=5] [efs=16,32,64,128]
//   QUERIES.npy: float32 (nq, dim); GT.npy: int32 or int64 (nq, >=10) ids,
//   the database's ids being the decimal row numbers (as bench_sq8.py
//   builds it). For every ef, `rounds` rounds each time the whole query set
//   with quantized search off and on (alternating which goes first) and
//   prints the median QPS of each mode, their ratio and recall@10.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "herondb/db/database.h"

namespace {

struct Npy {
  std::vector<char> data;
  size_t rows = 0, cols = 0;
  std::string dtype;
};

// Minimal reader for C-order 2-d .npy files (version 1/2 headers).
Npy LoadNpy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  char magic[8];
  f.read(magic, 8);
  uint32_t hlen = 0;
  if (magic[6] == 1) {
    uint16_t h16 = 0;
    f.read(reinterpret_cast<char*>(&h16), 2);
    hlen = h16;
  } else {
    f.read(reinterpret_cast<char*>(&hlen), 4);
  }
  std::string header(hlen, '\0');
  f.read(header.data(), hlen);
  Npy out;
  const size_t d = header.find("'descr': '") + 10;
  out.dtype = header.substr(d, header.find('\'', d) - d);
  const size_t s = header.find('(', header.find("'shape'")) + 1;
  std::stringstream shape(header.substr(s, header.find(')', s) - s));
  char comma;
  shape >> out.rows >> comma >> out.cols;
  size_t item = out.dtype.back() - '0';
  out.data.resize(out.rows * out.cols * item);
  f.read(out.data.data(), static_cast<std::streamsize>(out.data.size()));
  return out;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s DB_DIR QUERIES.npy GT.npy [rounds] [efs]\n", argv[0]);
    return 2;
  }
  const int rounds = argc > 4 ? std::atoi(argv[4]) : 5;
  std::vector<size_t> efs;
  {
    std::stringstream ss(argc > 5 ? argv[5] : "16,32,64,128");
    std::string tok;
    while (std::getline(ss, tok, ',')) efs.push_back(std::stoul(tok));
  }
  const Npy q = LoadNpy(argv[2]);
  const Npy gt = LoadNpy(argv[3]);
  if (q.dtype != "<f4") throw std::runtime_error("queries must be float32");
  auto gt_at = [&](size_t i, size_t j) -> int64_t {
    const size_t idx = i * gt.cols + j;
    if (gt.dtype == "<i8") return reinterpret_cast<const int64_t*>(gt.data.data())[idx];
    return reinterpret_cast<const int32_t*>(gt.data.data())[idx];
  };
  herondb::DatabaseOptions opt;
  opt.threads = 1;
  herondb::Database db(argv[1], opt);
  const float* queries = reinterpret_cast<const float*>(q.data.data());
  const size_t nq = q.rows, dim = q.cols;

  auto run = [&](size_t ef, double* recall) {
    size_t hits = 0;
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::vector<herondb::SearchHit>> res(nq);
    for (size_t i = 0; i < nq; ++i)
      res[i] = db.Search(queries + i * dim, 10, ef, nullptr, std::nullopt);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (size_t i = 0; i < nq; ++i) {
      std::set<int64_t> truth;
      for (size_t j = 0; j < 10; ++j) truth.insert(gt_at(i, j));
      for (const auto& h : res[i]) hits += truth.count(std::stoll(h.id));
    }
    *recall = static_cast<double>(hits) / static_cast<double>(10 * nq);
    return static_cast<double>(nq) / s;
  };

  db.EnableQuantizedSearch();
  db.DisableQuantizedSearch();  // both blocks touched once: no first-fault costs in the rounds
  std::printf(
      "| ef | recall f32 | recall sq8 | QPS f32 | QPS sq8 | ratio "
      "|\n|---:|---:|---:|---:|---:|---:|\n");
  for (size_t ef : efs) {
    std::vector<double> f32, sq8;
    double rf = 0, rs = 0;
    for (int r = 0; r < rounds; ++r) {
      for (int pass = 0; pass < 2; ++pass) {
        const bool quantized = (pass == 0) == (r % 2 == 1);
        if (quantized) {
          db.EnableQuantizedSearch();
        } else {
          db.DisableQuantizedSearch();
        }
        double rec = 0;
        for (size_t i = 0; i < std::min<size_t>(nq, 50); ++i)
          db.Search(queries + i * dim, 10, ef, nullptr, std::nullopt);
        (quantized ? sq8 : f32).push_back(run(ef, &rec));
        (quantized ? rs : rf) = rec;
      }
    }
    std::printf("| %zu | %.4f | %.4f | %.0f | %.0f | %.2f |\n", ef, rf, rs, Median(f32),
                Median(sq8), Median(sq8) / Median(f32));
    std::fflush(stdout);
  }
  return 0;
}
