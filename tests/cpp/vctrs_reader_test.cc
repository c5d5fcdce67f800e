// Tests for the vctrs reader (src/herondb/vctrs/): the parsers on files built
// here byte by byte in vctrs's layout, every truncation of them, and the
// replay's semantics. Files that the real vctrs writes are tested from Python
// (tests/python/test_vctrs_migrate.py).
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "herondb/common/error.h"
#include "herondb/vctrs/byte_reader.h"
#include "herondb/vctrs/crc32_ieee.h"
#include "herondb/vctrs/format.h"
#include "herondb/vctrs/graph_file.h"
#include "herondb/vctrs/replay.h"
#include "herondb/vctrs/wal_file.h"

namespace herondb::vctrs {
namespace {

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void PutF32(std::string* out, float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  PutU32(out, bits);
}
void PutStr(std::string* out, const std::string& s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  *out += s;
}

// Three slots of dimension 2; slot 1 deleted; records for slots 2 and 0.
std::string Graph() {
  std::string g;
  PutU32(&g, kGraphMagic);
  PutU32(&g, kGraphVersion);
  PutU32(&g, 2);        // dim
  g.push_back('\x01');  // euclidean
  PutU32(&g, 16);       // m
  PutU32(&g, 200);      // ef_construction
  PutU32(&g, 0);        // entry
  PutU32(&g, 0);        // top layer
  PutU32(&g, 3);        // slots
  PutU32(&g, 1);        // deleted count
  PutU32(&g, 1);
  for (uint32_t s = 0; s < 3; ++s) {
    PutU32(&g, 1);  // layers
    PutU32(&g, 1);  // neighbours
    PutU32(&g, (s + 1) % 3);
  }
  PutU32(&g, kMetaMagic);
  PutU32(&g, 2);
  PutU32(&g, 2);
  PutStr(&g, "two");
  PutStr(&g, R"({"k":[1,null]})");
  PutU32(&g, 0);
  PutStr(&g, "zero");
  PutU32(&g, 0);
  return g;
}

std::string Vectors(bool norms) {
  std::string v;
  for (float f : {1.f, 2.f, 3.f, 4.f, 5.f, 6.f}) PutF32(&v, f);
  if (norms)
    for (int i = 0; i < 3; ++i) PutF32(&v, 1.f);
  return v;
}

std::string WalEntryBytes(uint8_t op, const std::string& payload) {
  std::string e(1, static_cast<char>(op));
  PutU32(&e, static_cast<uint32_t>(payload.size()));
  e += payload;
  std::string covered(1, static_cast<char>(op));
  covered += payload;
  PutU32(&e, Crc32Ieee(covered.data(), covered.size()));
  return e;
}

std::string AddPayload(const std::string& id, std::vector<float> v, const std::string& meta) {
  std::string p;
  PutStr(&p, id);
  PutU32(&p, static_cast<uint32_t>(v.size()));
  for (float f : v) PutF32(&p, f);
  PutStr(&p, meta);
  return p;
}

ErrorCode CodeOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::kNotSupported;  // stands for "no error"
}

TEST(Crc32Ieee, MatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32Ieee("123456789", 9), 0xCBF43926u);
  EXPECT_EQ(Crc32Ieee("", 0), 0u);
  EXPECT_EQ(Crc32Ieee("6789", 4, Crc32Ieee("12345", 5)), 0xCBF43926u);
}

TEST(ByteReader, NeverReadsPastTheEndAndNamesTheFile) {
  ByteReader r(std::string_view("\x01\x02\x03", 3), "f.bin");
  EXPECT_EQ(r.U8("a"), 1);
  try {
    r.U32("the count");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruption);
    EXPECT_NE(std::string(e.what()).find("f.bin: truncated at offset 1 reading the count"),
              std::string::npos);
  }
  EXPECT_EQ(r.offset(), 1u);
  EXPECT_EQ(CodeOf([&] { r.Bytes(3, "x"); }), ErrorCode::kCorruption);
}

TEST(GraphFile, ReadsHeaderDeletedSlotsAndRecords) {
  GraphFile g = ParseGraphFile(Graph(), "graph.vctrs");
  EXPECT_EQ(g.dim, 2u);
  EXPECT_EQ(g.metric, Metric::kEuclidean);
  EXPECT_EQ(g.m, 16u);
  EXPECT_EQ(g.ef_construction, 200u);
  EXPECT_EQ(g.num_slots, 3u);
  EXPECT_EQ(g.deleted, (std::vector<uint8_t>{0, 1, 0}));
  ASSERT_EQ(g.records.size(), 2u);
  EXPECT_EQ(g.records[0].slot, 2u);
  EXPECT_EQ(g.records[0].id, "two");
  EXPECT_EQ(g.records[1].metadata_json, "");
}

TEST(GraphFile, EveryTruncationAndAnyTrailingByteIsCorruption) {
  const std::string g = Graph();
  for (size_t n = 0; n < g.size(); ++n) {
    EXPECT_EQ(CodeOf([&] { ParseGraphFile(std::string_view(g).substr(0, n), "graph.vctrs"); }),
              ErrorCode::kCorruption)
        << n;
  }
  EXPECT_EQ(CodeOf([&] { ParseGraphFile(g + "x", "graph.vctrs"); }), ErrorCode::kCorruption);
}

TEST(GraphFile, OutOfRangeOrRepeatedIndicesAreCorruption) {
  const std::string good = Graph();
  auto with_u32 = [&](size_t at, uint32_t v) {
    std::string b = good;
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
    return b;
  };
  // Offsets in Graph(): the deleted slot, node 0's first neighbour, the
  // first record's slot, the slot count and the dimension.
  const size_t deleted_slot = 37, first_neighbour = 49, first_record_slot = 85;
  for (const std::string& bad :
       {with_u32(deleted_slot, 3), with_u32(first_neighbour, 3), with_u32(first_record_slot, 1),
        with_u32(first_record_slot, 7), with_u32(29, 4000000000u), with_u32(8, 0)}) {
    EXPECT_EQ(CodeOf([&] { ParseGraphFile(bad, "graph.vctrs"); }), ErrorCode::kCorruption);
  }
}

TEST(GraphFile, VectorsWithOrWithoutNormsAndNothingElse) {
  GraphFile g = ParseGraphFile(Graph(), "graph.vctrs");
  EXPECT_EQ(VectorRows(Vectors(false), g, "vectors.bin").size(), 24u);
  EXPECT_EQ(VectorRows(Vectors(true), g, "vectors.bin").size(), 24u);
  EXPECT_EQ(CodeOf([&] { VectorRows(Vectors(true) + "x", g, "vectors.bin"); }),
            ErrorCode::kCorruption);
  EXPECT_EQ(CodeOf([&] { VectorRows(Vectors(false).substr(4), g, "vectors.bin"); }),
            ErrorCode::kCorruption);
}

TEST(GraphFile, Sq8SizeMustMatchTheGraph) {
  GraphFile g = ParseGraphFile(Graph(), "graph.vctrs");
  std::string sq8;
  PutU32(&sq8, 2);
  for (int i = 0; i < 4; ++i) PutF32(&sq8, 0.5f);
  sq8 += std::string(6, '\x07');
  CheckSq8File(sq8, g, "vectors.sq8");
  EXPECT_EQ(CodeOf([&] { CheckSq8File(sq8.substr(0, sq8.size() - 1), g, "vectors.sq8"); }),
            ErrorCode::kCorruption);
  sq8[0] = 3;
  EXPECT_EQ(CodeOf([&] { CheckSq8File(sq8, g, "vectors.sq8"); }), ErrorCode::kCorruption);
}

TEST(WalFile, ReadsEveryOperation) {
  std::string upd;
  PutStr(&upd, "zero");
  upd.push_back(1);
  PutU32(&upd, 2);
  PutF32(&upd, 9.f);
  PutF32(&upd, 8.f);
  upd.push_back(1);
  PutStr(&upd, "");
  std::string del;
  PutStr(&del, "two");
  const std::string wal = WalEntryBytes(kWalAdd, AddPayload("new", {7.f, 7.f}, R"({"a":1})")) +
                          WalEntryBytes(kWalUpdate, upd) + WalEntryBytes(kWalDelete, del);
  WalFile w = ParseWalFile(wal, "wal.vctrs");
  ASSERT_EQ(w.entries.size(), 3u);
  EXPECT_EQ(w.torn_tail_bytes, 0u);
  EXPECT_EQ(w.entries[0].vector, (std::vector<float>{7.f, 7.f}));
  EXPECT_TRUE(w.entries[1].has_vector && w.entries[1].has_metadata);
  EXPECT_EQ(w.entries[1].metadata_json, "");
  EXPECT_EQ(w.entries[2].op, kWalDelete);

  GraphFile g = ParseGraphFile(Graph(), "graph.vctrs");
  const std::string vec = Vectors(true);
  VctrsRecords r = Replay(&g, VectorRows(vec, g, "vectors.bin"), &w, "graph.vctrs", "wal.vctrs");
  ASSERT_EQ(r.ids, (std::vector<std::string>{"zero", "new"}));  // slot order, then the log
  EXPECT_EQ(r.rows, (std::vector<float>{9.f, 8.f, 7.f, 7.f}));
  EXPECT_EQ(r.metadata[0], nullptr);  // the update set "no metadata"
  ASSERT_NE(r.metadata[1], nullptr);
  EXPECT_EQ(r.snapshot_records, 2u);
  EXPECT_EQ(r.wal_entries, 3u);
}

TEST(WalFile, AnEntryCutShortEndsTheLogButABadChecksumIsCorruption) {
  const std::string one = WalEntryBytes(kWalAdd, AddPayload("a", {1.f}, ""));
  const std::string two = one + WalEntryBytes(kWalAdd, AddPayload("b", {2.f}, ""));
  for (size_t n = one.size(); n < two.size(); ++n) {
    WalFile w = ParseWalFile(std::string_view(two).substr(0, n), "wal.vctrs");
    EXPECT_EQ(w.entries.size(), 1u);
    EXPECT_EQ(w.torn_tail_bytes, n - one.size());
  }
  for (size_t i = 0; i < two.size(); ++i) {
    std::string bad = two;
    bad[i] ^= 0x10;
    // A flipped length may make the entry look cut short; anything else
    // must be caught by the checksum.
    try {
      WalFile w = ParseWalFile(bad, "wal.vctrs");
      EXPECT_GT(w.torn_tail_bytes, 0u) << i;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kCorruption);
    }
  }
}

TEST(Replay, LogOnlyDatabaseTakesTheFirstVectorsDimension) {
  const std::string first_entry = WalEntryBytes(kWalAdd, AddPayload("a", {1.f, 2.f, 3.f}, ""));
  const std::string wal = first_entry + WalEntryBytes(kWalAdd, AddPayload("b", {4.f, 5.f}, ""));
  WalFile w = ParseWalFile(wal, "wal.vctrs");
  EXPECT_EQ(CodeOf([&] { Replay(nullptr, {}, &w, "graph.vctrs", "wal.vctrs"); }),
            ErrorCode::kCorruption);
  WalFile first = ParseWalFile(first_entry, "wal.vctrs");
  VctrsRecords r = Replay(nullptr, {}, &first, "graph.vctrs", "wal.vctrs");
  EXPECT_FALSE(r.has_snapshot);
  EXPECT_EQ(r.dim, 3u);
  EXPECT_EQ(r.ids, (std::vector<std::string>{"a"}));
}

TEST(Replay, MetadataThatIsNotAJsonObjectIsCorruption) {
  for (const char* meta : {"[1]", "{\"a\":", "nul"}) {
    WalFile w = ParseWalFile(WalEntryBytes(kWalAdd, AddPayload("a", {1.f}, meta)), "wal.vctrs");
    EXPECT_EQ(CodeOf([&] { Replay(nullptr, {}, &w, "graph.vctrs", "wal.vctrs"); }),
              ErrorCode::kCorruption)
        << meta;
  }
}

TEST(Replay, DeleteThenAddAgainMovesTheIdToTheEnd) {
  std::string del;
  PutStr(&del, "a");
  const std::string wal = WalEntryBytes(kWalAdd, AddPayload("a", {1.f}, "")) +
                          WalEntryBytes(kWalAdd, AddPayload("b", {2.f}, "")) +
                          WalEntryBytes(kWalDelete, del) +
                          WalEntryBytes(kWalAdd, AddPayload("a", {3.f}, "{}"));
  WalFile w = ParseWalFile(wal, "wal.vctrs");
  VctrsRecords r = Replay(nullptr, {}, &w, "graph.vctrs", "wal.vctrs");
  EXPECT_EQ(r.ids, (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(r.rows, (std::vector<float>{2.f, 3.f}));
  ASSERT_NE(r.metadata[1], nullptr);
}

}  // namespace
}  // namespace herondb::vctrs
