// The Database's snapshot content: which sections a snapshot file
// (storage/snapshot_file.h) holds and how the in-memory state is written to
// and rebuilt from them. Format described in docs/storage-format.md.
//
// Sections (tags are four ASCII bytes read as a little-endian u32), n =
// number of slots (live + deleted):
//   PARM  64 bytes: u32 layout version (1) | u32 dim | u32 metric (0 cosine,
//         1 euclidean, 2 dot) | u32 m | u32 max0 | u32 ef_construction |
//         u32 flags (bit 0: quantized search on) | u32 entry point | i32 max level |
//         u32 reserved 0 | u64 n | u64 seed | 8 bytes reserved 0
//   VECS  n x dim float32, row-major (memory-mapped at open)
//   NORM  n float32 inverse norms (cosine only)
//   GRL0  n x (1 + max0) u32: level-0 lists [count, ids...]
//   GLVL  n u8: top level of each slot
//   GUPO  n u32: offset of a slot's upper lists in GUPP, or 0xFFFFFFFF
//   GUPP  u32 pool of upper-level lists
//   DELS  ceil(n/64) u64: bit s set when slot s is deleted
//   IDOF  (n+1) u64 offsets into IDBY; IDBY: the ids' bytes back to back
//   MTOF  (n+1) u64 offsets into MTBY; MTBY: each slot's metadata as a
//         meta/value_codec.h Value, or nothing for "no metadata"
//   SQMN, SQSC  dim float32 each: the SQ8 ranges (min, scale) per dimension
//   SQCD  n x dim u8: the SQ8 codes (loaded or mapped at open); the three SQ8
//         sections are written only while quantized search is on
//   TXDF  the text index definitions (text/text_index_def.h list encoding);
//         written only when there is at least one (their postings are
//         rebuilt from the metadata at open)
//   EFCL  the default-search calibration (db/search_calibration.h), when
//         there is one; snapshots without it open uncalibrated
//
// Contract: WriteDbSnapshot streams the state to a new file and fsyncs it
// (SnapshotWriter::Finish). LoadDbSnapshot checks every section's size and
// every structural invariant (graph links in range, ids unique among live
// slots, offsets monotone, metadata decodable) and throws
// Error(kCorruption, "<file>: <what>") on any violation. It verifies every
// section's checksum itself (open the reader without verification): the
// small sections first, the vector block and the SQ8 codes while copying
// them into memory or, when they stay mapped MAP_PRIVATE, before mapping
// (VectorResidency below). Either way room is reserved to grow in place. A
// database created with quantize=True opens with quantized search on: from
// the saved codes, or by encoding the vectors when none were saved.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "herondb/db/id_map.h"
#include "herondb/db/search_calibration.h"
#include "herondb/index/hnsw.h"
#include "herondb/meta/value.h"
#include "herondb/storage/env.h"
#include "herondb/storage/snapshot_file.h"
#include "herondb/text/text_index_def.h"

namespace herondb {

struct DbParams {
  uint32_t dim = 0;
  Metric metric = Metric::kCosine;
  HnswParams hnsw;
  bool quantize = false;
};

// The state a snapshot holds, by reference (for writing).
struct DbStateView {
  const DbParams* params;
  const HnswIndex* index;
  const IdMap* ids;                                               // per slot
  const std::vector<ValuePtr>* metadata;                          // per slot
  const std::vector<text::TextIndexDef>* text_indexes = nullptr;  // null: none
  const SearchCalibration* calibration = nullptr;                 // null or ef 0: none
};

// How an opened snapshot's float32 vector block is held in memory.
// - kMap: mapped copy-on-write from the file (opening costs an mmap; clean
//   pages are shared with the page cache and can be dropped under memory
//   pressure). Best when search rarely touches the floats (SQ8 traversal)
//   or the block is large next to the machine's memory.
// - kLoad: copied into anonymous memory on huge pages (common/huge_pages.h).
//   A graph search touches rows all over the block, and with 4 KiB file
//   pages most of them cost a TLB miss: searches measured ~9% faster.
// - kAuto: kLoad unless quantized search is on or the block exceeds
//   kAutoLoadMaxBytes or a quarter of the memory available at open; then
//   kMap. Copying costs open time (about 100 ms at 150 MiB, seconds at
//   1.5 GiB where huge-page allocation may also stall on compaction), so
//   large blocks stay mapped unless kLoad is asked for.
//   A Database opened with kAuto does not copy during open: it maps the
//   block, serves from it and promotes it in the background where this
//   policy says kLoad (db/database_residency.cc); LoadDbSnapshot itself
//   still resolves kAuto as above.
// The SQ8 code block follows the same policy as an unquantized vector block.
enum class VectorResidency { kAuto, kMap, kLoad };
inline constexpr uint64_t kAutoLoadMaxBytes = uint64_t{256} << 20;

// The state rebuilt from a snapshot.
struct LoadedDbState {
  DbParams params;
  std::unique_ptr<HnswIndex> index;
  IdMap ids;  // no slot live yet: the caller revives the live ones
  std::vector<ValuePtr> metadata;
  std::vector<text::TextIndexDef> text_indexes;
  VectorResidency residency = VectorResidency::kMap;  // how the vectors are held
  SearchCalibration calibration;                      // ef 0: none saved
};

// Writes generation `generation` of database `id` to `path`; returns the
// file's size.
uint64_t WriteDbSnapshot(Env* env, const std::string& path, uint64_t generation,
                         const DbStateView& state, const DbId& id = {});

// kAuto resolved for a block of `bytes` bytes (kMap or kLoad).
VectorResidency ResolveResidency(VectorResidency r, uint64_t bytes, bool quantized);

// The VECS section (which must hold `bytes` bytes) as a growable region,
// mapped (kMap) or copied (kLoad; kAuto must be resolved first), with
// address space reserved to grow in place; kCorruption if it is missing, of
// another size, or (copied, or mapped with `verify`) fails its checksum.
GrowableRegion MapVectorBlock(const SnapshotReader& reader, uint64_t bytes,
                              VectorResidency residency = VectorResidency::kMap,
                              bool verify = true);

// Reads just the parameters (cheap: one small section).
DbParams ReadDbParams(const SnapshotReader& reader);

LoadedDbState LoadDbSnapshot(const SnapshotReader& reader,
                             VectorResidency residency = VectorResidency::kAuto);

}  // namespace herondb
