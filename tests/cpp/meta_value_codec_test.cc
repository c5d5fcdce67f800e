// Tests for value_codec.h: round trips, and damaged input never crashes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "herondb/common/error.h"
#include "herondb/meta/value_codec.h"

namespace herondb {
namespace {

Value Obj(std::initializer_list<std::pair<const char*, Value>> members) {
  Object o;
  for (const auto& [k, v] : members) o.emplace_back(k, v);
  return Value(std::move(o));
}

Value Arr(std::initializer_list<Value> items) { return Value(Array(items)); }

Value RoundTrip(const Value& v) { return DecodeValue(EncodeValue(v)); }

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

Value Sample() {
  return Obj({{"title", Value(std::string("Grüße, 世界 🐦"))},
              {"n", Value(int64_t{42})},
              {"x", Value(1.0)},
              {"ok", Value(true)},
              {"none", Value()},
              {"tags", Arr({Value(std::string("a")), Value(int64_t{-1}), Value(2.5)})},
              {"nested", Obj({{"a", Obj({{"b", Arr({Arr({}), Obj({})})}})}})}});
}

TEST(ValueCodec, RoundTripsEveryKind) {
  for (const Value& v :
       {Value(), Value(false), Value(true), Value(int64_t{0}), Value(int64_t{-7}), Value(3.25),
        Value(std::string()), Value(std::string("abc")), Arr({}), Value(Object{}), Sample()}) {
    EXPECT_EQ(RoundTrip(v), v);
  }
}

TEST(ValueCodec, KeepsIntAndDoubleApart) {
  Value i = RoundTrip(Value(int64_t{1}));
  Value d = RoundTrip(Value(1.0));
  EXPECT_TRUE(i.is_int());
  EXPECT_TRUE(d.is_double());
}

TEST(ValueCodec, RoundTripsInt64Extremes) {
  for (int64_t x :
       {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::min() + 1, int64_t{-1},
        int64_t{0}, int64_t{1}, int64_t{63}, int64_t{64}, std::numeric_limits<int64_t>::max()}) {
    Value back = RoundTrip(Value(x));
    ASSERT_TRUE(back.is_int());
    EXPECT_EQ(back.as_int(), x);
  }
}

TEST(ValueCodec, SmallIntsAreTwoBytes) {
  EXPECT_EQ(EncodeValue(Value(int64_t{5})).size(), 2u);
  EXPECT_EQ(EncodeValue(Value(int64_t{-5})).size(), 2u);
}

TEST(ValueCodec, RoundTripsDoublesBitExactly) {
  for (double x : {-0.0, 0.0, 1e308, -1e308, 5e-324, std::numeric_limits<double>::min(),
                   std::numeric_limits<double>::max(), 0.1, -123.456}) {
    Value back = RoundTrip(Value(x));
    ASSERT_TRUE(back.is_double());
    EXPECT_TRUE(SameBits(back.as_double(), x)) << x;
  }
}

TEST(ValueCodec, RoundTripsUnicodeStrings) {
  std::string s = "\x00zero\n \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x90\xA6";
  s[0] = '\0';
  Value back = RoundTrip(Value(s));
  EXPECT_EQ(back.as_string(), s);
}

TEST(ValueCodec, EncodeRejectsNonFiniteAndLeavesOutputUnchanged) {
  std::string out = "prefix";
  Value v = Arr({Value(int64_t{1}), Value(std::nan(""))});
  try {
    EncodeValue(v, &out);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(out, "prefix");
  EXPECT_THROW(EncodeValue(Value(std::numeric_limits<double>::infinity())), Error);
}

Value Nest(int depth) {
  Value v(int64_t{1});
  for (int i = 0; i < depth; ++i) v = Arr({v});
  return v;
}

TEST(ValueCodec, NestingUpToTheLimitRoundTripsBeyondIsRejected) {
  EXPECT_EQ(RoundTrip(Nest(kMaxValueDepth)), Nest(kMaxValueDepth));
  try {
    EncodeValue(Nest(kMaxValueDepth + 1));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  }
  // A hand-made encoding deeper than the limit is corruption.
  std::string bytes;
  for (int i = 0; i <= kMaxValueDepth; ++i) bytes += "\x06\x01";
  bytes += '\0';
  try {
    DecodeValue(bytes);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  }
}

void ExpectCorrupt(std::string_view bytes) {
  try {
    DecodeValue(bytes);
    ADD_FAILURE() << "decoded malformed bytes";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  }
}

TEST(ValueCodec, RejectsSpecificMalformedInputs) {
  ExpectCorrupt("");
  ExpectCorrupt("\x08");                                          // reserved tag
  ExpectCorrupt(std::string("\x03\x80\x00", 3));                  // overlong varint
  ExpectCorrupt(std::string("\x00\x00", 2));                      // trailing byte
  ExpectCorrupt("\x03\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x02");  // varint > 64 bits
  ExpectCorrupt(
      "\x05\x05"
      "abc");                                 // string past the end
  ExpectCorrupt("\x05\x02\xC3\x28");          // invalid UTF-8
  ExpectCorrupt("\x06\xFF\xFF\xFF\xFF\x0F");  // huge array count
  ExpectCorrupt(
      std::string("\x07\x02\x01"
                  "a\x00\x01"
                  "a\x01",
                  9));                                                    // duplicate key
  ExpectCorrupt(std::string("\x04\x00\x00\x00\x00\x00\x00\xF0\x7F", 9));  // +inf
  ExpectCorrupt(std::string("\x04\x00\x00\x00", 4));                      // truncated double
}

TEST(ValueCodec, PrefixDecodingAdvancesPastOneValue) {
  std::string bytes = EncodeValue(Value(int64_t{300})) + EncodeValue(Value(std::string("x")));
  std::string_view in = bytes;
  EXPECT_EQ(DecodeValuePrefix(&in).as_int(), 300);
  EXPECT_EQ(DecodeValuePrefix(&in).as_string(), "x");
  EXPECT_TRUE(in.empty());
}

TEST(ValueCodec, EveryTruncationIsRejected) {
  std::string bytes = EncodeValue(Sample());
  for (size_t n = 0; n < bytes.size(); ++n) ExpectCorrupt(std::string_view(bytes).substr(0, n));
}

TEST(ValueCodec, RandomByteDamageNeverCrashes) {
  std::string good = EncodeValue(Sample());
  std::mt19937 rng(12345);
  int decoded = 0, rejected = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string bad = good;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      size_t at = rng() % bad.size();
      switch (rng() % 3) {
        case 0:
          bad[at] = static_cast<char>(bad[at] ^ (1u << (rng() % 8)));
          break;
        case 1:
          bad[at] = static_cast<char>(rng());
          break;
        default:
          bad.insert(bad.begin() + static_cast<long>(at), static_cast<char>(rng()));
      }
    }
    try {
      Value v = DecodeValue(bad);
      // Whatever decodes must re-encode to exactly the same bytes.
      EXPECT_EQ(EncodeValue(v), bad);
      ++decoded;
    } catch (const Error& e) {
      ASSERT_EQ(e.code(), ErrorCode::kCorruption);
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0);
}

TEST(ValueCodec, RandomBytesNeverCrash) {
  std::mt19937 rng(99);
  for (int iter = 0; iter < 20000; ++iter) {
    std::string bytes(rng() % 40, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() % 10 == 0 ? rng() : rng() % 9);
    try {
      (void)DecodeValue(bytes);
    } catch (const Error& e) {
      ASSERT_EQ(e.code(), ErrorCode::kCorruption);
    }
  }
}

}  // namespace
}  // namespace herondb
