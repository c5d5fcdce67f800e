// The on-disk layout of a vctrs 0.3.0 database directory, as far as a
// migration needs it. Learned from vctrs's source (storage.rs, hnsw/io.rs,
// wal.rs) and checked against files the PyPI package writes.
//
// Contract: constants only. All integers are little-endian; floats are IEEE
// float32. No file carries a checksum except the WAL's entries, so a damaged
// vector value or id byte cannot be detected; the readers check every length,
// count, index and magic number instead.
//
//   graph.vctrs   u32 magic 0x48535747 | u32 version 2 | u32 dim | u8 metric
//                 (0 cosine, 1 euclidean, 2 dot_product) | u32 m |
//                 u32 ef_construction | u32 entry point | u32 top layer |
//                 u32 n (slots, live and deleted) | u32 d | d x u32 deleted
//                 slot | n x (u32 layers | layers x (u32 count | count x u32
//                 neighbour)) | u32 magic 0x4D455441 ("META") | u32 r |
//                 r x (u32 slot | u32 id length | id UTF-8 | u32 metadata
//                 length | metadata JSON, empty for none)
//                 The r records are the live ids (any order).
//   vectors.bin   n x dim float32 rows, then (optionally) n float32 norms.
//   vectors.sq8   u32 dim | dim float32 minimums | dim float32 scales |
//                 n x dim u8 codes (written when quantize is on).
//   wal.vctrs     mutations since the last save, appended one entry at a
//                 time: u8 op | u32 payload length | payload | u32 CRC-32
//                 (IEEE) of op and payload. Payloads:
//                   1 add/upsert: string id | vector | metadata
//                   2 delete:     string id
//                   3 update:     string id | u8 has vector [| vector] |
//                                 u8 has metadata [| metadata]
//                 string = u32 length | UTF-8; vector = u32 length | float32s;
//                 metadata = u32 length | JSON (length 0: none).
//                 An unsaved database has only this file.
#pragma once

#include <cstdint>

namespace herondb::vctrs {

inline constexpr uint32_t kGraphMagic = 0x48535747;
inline constexpr uint32_t kGraphVersion = 2;
inline constexpr uint32_t kMetaMagic = 0x4D455441;

inline constexpr uint8_t kWalAdd = 1;
inline constexpr uint8_t kWalDelete = 2;
inline constexpr uint8_t kWalUpdate = 3;

inline constexpr const char* kGraphFileName = "graph.vctrs";
inline constexpr const char* kVectorsFileName = "vectors.bin";
inline constexpr const char* kSq8FileName = "vectors.sq8";
inline constexpr const char* kWalFileName = "wal.vctrs";

// Bounds this reader enforces beyond the format itself (vctrs never writes
// more): a node's layer count and the dimension herondb accepts.
inline constexpr uint32_t kMaxLayers = 64;
inline constexpr uint32_t kMaxDim = 65536;

}  // namespace herondb::vctrs
