// SearchCalibration: how a Database chooses its default search (D9:
// recall@10 >= 0.95 on the data actually stored, whatever it is).
//
// CalibrateSearch measures the index on its own vectors: it draws up to
// kSampleQueries live slots, searches for each one's row with its own slot
// hidden from the walk (a held-out query drawn from the stored data), finds
// each query's exact 10 nearest other slots, and runs that walk at the ef
// values of a ladder in increasing order until the sample's recall@10 reaches
// kTargetRecall (0.96: 0.95 plus a margin for the sample's error). It keeps
// that ef, the recall measured there, and the mean number of distances the
// walk computed per query. With the ladder exhausted it keeps the largest
// ef tried.
//
// Cost: one exact scan of the collection per sample query plus the walks,
// spread over the pool.
//
// The Database uses it for searches without ef_search (an explicit
// ef_search always wins): the walk at the calibrated ef, unless an exact
// scan of the slots costs less than that walk, i.e. slots <=
// kScanRowsPerWalkDistance * walk_distances (ScanIsCheaper).
//
// Persisted in the snapshot as section EFCL (EncodeCalibration).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "herondb/common/thread_pool.h"
#include "herondb/index/hnsw.h"

namespace herondb {

struct SearchCalibration {
  uint32_t ef = 0;             // 0: not calibrated
  float recall = 0;            // sample recall@10 at ef
  float walk_distances = 0;    // mean distances per walk at ef
  uint64_t calibrated_at = 0;  // live slots when measured
  double seconds = 0;          // how long measuring took (not persisted)
};

inline constexpr size_t kCalibrationK = 10;
inline constexpr size_t kSampleQueries = 200;
inline constexpr double kTargetRecall = 0.96;
// An exact scan reads rows in order with the batch kernels; a walk's
// distances are to rows all over memory, plus heap and list work. Measured
// on 100k x 384 MiniLM (docs/filters.md): the walk at ef 64 costs as much
// as a scan of ~6,000 rows and computes ~1,500 distances.
inline constexpr double kScanRowsPerWalkDistance = 4.0;

SearchCalibration CalibrateSearch(const HnswIndex& index, ThreadPool* pool);

// Whether an exact scan of `slots` rows costs less than the calibrated walk.
inline bool ScanIsCheaper(const SearchCalibration& c, size_t slots) {
  return c.ef > 0 && static_cast<double>(slots) <= kScanRowsPerWalkDistance * c.walk_distances;
}

// Whether a calibration made at c.calibrated_at live slots is stale at
// `live`: the collection grew by half or shrank by half since.
inline bool CalibrationStale(const SearchCalibration& c, size_t live) {
  return c.ef == 0 || live * 2 >= c.calibrated_at * 3 || live * 2 <= c.calibrated_at;
}

// Section EFCL: 24 bytes, u32 ef | f32 recall | f32 walk distances |
// u32 reserved 0 | u64 live slots when measured.
inline constexpr size_t kCalibrationBytes = 24;
std::string EncodeCalibration(const SearchCalibration& c);
// nullopt when the bytes are not a valid section (wrong size, ef 0, values
// out of range).
std::optional<SearchCalibration> DecodeCalibration(std::span<const char> bytes);

}  // namespace herondb
