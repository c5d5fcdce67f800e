// Tests for the write-ahead log's record contents (db/log_records.h).
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "herondb/common/error.h"
#include "herondb/db/log_records.h"

namespace herondb {
namespace {

Value Meta() {
  Object o;
  o.emplace_back("k", Value(int64_t{7}));
  o.emplace_back("s", Value(std::string("text")));
  return Value(std::move(o));
}

TEST(LogRecordsTest, PutRecordRoundTripsEveryEntryKind) {
  const uint32_t dim = 3;
  float v1[3] = {1.5f, -0.0f, 3e-38f};
  Value m = Meta();
  std::vector<PutRecordView> in = {
      {"a", v1, true, &m},        // vector + metadata
      {"b", v1, true, nullptr},   // vector, metadata cleared
      {"c", nullptr, true, &m},   // metadata only
      {"d", v1, false, nullptr},  // vector only, metadata kept
  };
  std::string payload;
  EncodePutRecord(PutOp::kUpsert, in, dim, &payload);
  PutOp op;
  std::vector<LoggedPut> out;
  DecodePutRecord(payload, dim, &op, &out);
  EXPECT_EQ(op, PutOp::kUpsert);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].id, "a");
  ASSERT_EQ(out[0].vector.size(), 3u);
  EXPECT_EQ(std::memcmp(out[0].vector.data(), v1, sizeof v1), 0);  // bit-exact, -0.0 kept
  ASSERT_TRUE(out[0].metadata);
  EXPECT_EQ(*out[0].metadata, m);
  EXPECT_TRUE(out[1].set_metadata);
  EXPECT_FALSE(out[1].metadata);
  EXPECT_TRUE(out[2].vector.empty());
  EXPECT_EQ(*out[2].metadata, m);
  EXPECT_FALSE(out[3].set_metadata);
}

TEST(LogRecordsTest, DeleteRecordRoundTrips) {
  std::string payload;
  EncodeDeleteRecord({"x", "yy", std::string(300, 'z')}, &payload);
  std::vector<std::string> ids;
  DecodeDeleteRecord(payload, &ids);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[2], std::string(300, 'z'));
}

TEST(LogRecordsTest, TruncatedOrExtendedPayloadIsCorruption) {
  float v[2] = {1, 2};
  std::string payload;
  EncodePutRecord(PutOp::kAdd, {{"id", v, true, nullptr}}, 2, &payload);
  PutOp op;
  std::vector<LoggedPut> out;
  for (size_t n = 0; n < payload.size(); ++n) {
    EXPECT_THROW(DecodePutRecord(payload.substr(0, n), 2, &op, &out), Error) << n;
  }
  EXPECT_THROW(DecodePutRecord(payload + "x", 2, &op, &out), Error);
  // Wrong dimension reads as a malformed payload, never out of bounds.
  EXPECT_THROW(DecodePutRecord(payload, 3, &op, &out), Error);
}

TEST(LogRecordsTest, UnknownOpAndFlagsAreCorruption) {
  float v[1] = {1};
  std::string payload;
  EncodePutRecord(PutOp::kAdd, {{"id", v, true, nullptr}}, 1, &payload);
  PutOp op;
  std::vector<LoggedPut> out;
  std::string bad_op = payload;
  bad_op[0] = 9;
  try {
    DecodePutRecord(bad_op, 1, &op, &out);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruption);
    EXPECT_NE(std::string(e.what()).find("unknown put operation"), std::string::npos);
  }
  std::string bad_flags = payload;
  bad_flags[5] = static_cast<char>(0x80);  // op, count, id length, "id", flags
  EXPECT_THROW(DecodePutRecord(bad_flags, 1, &op, &out), Error);
}

TEST(LogRecordsTest, RandomBytesNeverCrashTheDecoders) {
  std::mt19937 rng(7);
  PutOp op;
  std::vector<LoggedPut> puts;
  std::vector<std::string> ids;
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 64, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    if (!s.empty() && i % 2) s[0] = static_cast<char>(1 + rng() % 3);
    try {
      DecodePutRecord(s, 1 + rng() % 4, &op, &puts);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kCorruption);
    }
    try {
      DecodeDeleteRecord(s, &ids);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kCorruption);
    }
  }
}

}  // namespace
}  // namespace herondb
