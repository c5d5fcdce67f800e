#include "herondb/db/search_calibration.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "herondb/storage/coding.h"

namespace herondb {
using storage::DecodeFixed32;
using storage::DecodeFixed64;
using storage::EncodeFixed32;
using storage::EncodeFixed64;
namespace {

constexpr uint32_t kLadder[] = {16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536};

}  // namespace

SearchCalibration CalibrateSearch(const HnswIndex& index, ThreadPool* pool) {
  const auto start = std::chrono::steady_clock::now();
  SearchCalibration out;
  // Sample slots: live ones other than the entry point (which a walk cannot
  // do without).
  std::vector<uint32_t> live;
  live.reserve(index.live_count());
  for (uint32_t s = 0; s < index.size(); ++s)
    if (!index.IsDeleted(s) && s != index.entry_point()) live.push_back(s);
  if (live.size() <= kCalibrationK + 1) return out;
  // A fixed seed: the same collection calibrates the same way.
  std::mt19937_64 rng(0x0ca1b0a7ull ^ live.size());
  std::shuffle(live.begin(), live.end(), rng);
  live.resize(std::min(live.size(), kSampleQueries));
  std::sort(live.begin(), live.end());
  const size_t nq = live.size();

  // Held-out queries from the stored data: each sample row is the query,
  // its slot is hidden from the walk (HnswIndex::SearchHidden: never
  // scored, walked through or returned), and the truth is its 10 nearest
  // other slots. The walk so meets a query the graph has never seen, drawn
  // from the distribution of the stored data, which is what a user's
  // queries are. A stored row searched with its slot visible is far too
  // easy (the walk lands on it and its links are its neighbours), and so
  // are rows moved in random directions or along data differences: on 100k
  // MiniLM both overestimated held-out recall (docs/benchmarks.md, Default
  // search on any data).
  std::vector<std::vector<uint32_t>> truth(nq);
  auto prepare = [&](size_t i, size_t) {
    std::vector<Neighbor> found;
    index.ExactSearch(index.vector(live[i]), kCalibrationK + 1, nullptr, nullptr, &found);
    for (const Neighbor& n : found)
      if (n.slot != live[i] && truth[i].size() < kCalibrationK) truth[i].push_back(n.slot);
    std::sort(truth[i].begin(), truth[i].end());
  };
  if (pool)
    pool->ParallelFor(nq, prepare);
  else
    for (size_t i = 0; i < nq; ++i) prepare(i, 0);
  size_t want = 0;
  for (const auto& t : truth) want += t.size();
  if (want == 0) return out;

  std::vector<size_t> hits(nq), dists(nq);
  for (uint32_t ef : kLadder) {
    auto walk = [&](size_t i, size_t) {
      std::vector<Neighbor> found;
      const uint64_t before = HnswIndex::ThreadDistanceCount();
      index.SearchHidden(index.vector(live[i]), kCalibrationK, ef, live[i], &found);
      dists[i] = HnswIndex::ThreadDistanceCount() - before;
      size_t h = 0;
      for (const Neighbor& n : found)
        h += std::binary_search(truth[i].begin(), truth[i].end(), n.slot) ? 1 : 0;
      hits[i] = h;
    };
    if (pool)
      pool->ParallelFor(nq, walk);
    else
      for (size_t i = 0; i < nq; ++i) walk(i, 0);
    size_t hit = 0, dist = 0;
    for (size_t i = 0; i < nq; ++i) {
      hit += hits[i];
      dist += dists[i];
    }
    out.ef = ef;
    out.recall = static_cast<float>(static_cast<double>(hit) / static_cast<double>(want));
    out.walk_distances = static_cast<float>(static_cast<double>(dist) / static_cast<double>(nq));
    if (out.recall >= kTargetRecall) break;
  }
  out.calibrated_at = index.live_count();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

std::string EncodeCalibration(const SearchCalibration& c) {
  char buf[kCalibrationBytes] = {};
  EncodeFixed32(buf, c.ef);
  uint32_t bits;
  std::memcpy(&bits, &c.recall, 4);
  EncodeFixed32(buf + 4, bits);
  std::memcpy(&bits, &c.walk_distances, 4);
  EncodeFixed32(buf + 8, bits);
  EncodeFixed64(buf + 16, c.calibrated_at);
  return std::string(buf, sizeof(buf));
}

std::optional<SearchCalibration> DecodeCalibration(std::span<const char> bytes) {
  if (bytes.size() != kCalibrationBytes) return std::nullopt;
  SearchCalibration c;
  c.ef = DecodeFixed32(bytes.data());
  uint32_t bits = DecodeFixed32(bytes.data() + 4);
  std::memcpy(&c.recall, &bits, 4);
  bits = DecodeFixed32(bytes.data() + 8);
  std::memcpy(&c.walk_distances, &bits, 4);
  c.calibrated_at = DecodeFixed64(bytes.data() + 16);
  if (c.ef == 0 || !(c.recall >= 0 && c.recall <= 1) ||
      !(c.walk_distances >= 0 && std::isfinite(c.walk_distances)))
    return std::nullopt;
  return c;
}

}  // namespace herondb
