// Tests for integers in [2^63, 2^64) (Value::Kind::kUint): one canonical
// representation, the codec's tag 0x08 (and bytes written before it existed),
// JSON, exact comparisons with int64 and double (numeric.h), filters and the
// metadata index agreeing with them.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "herondb/common/error.h"
#include "herondb/meta/filter.h"
#include "herondb/meta/json.h"
#include "herondb/meta/json_reader.h"
#include "herondb/meta/meta_index.h"
#include "herondb/meta/numeric.h"
#include "herondb/meta/value_codec.h"

namespace herondb {
namespace {

constexpr uint64_t kTwo63 = uint64_t{1} << 63;
constexpr uint64_t kMaxU = std::numeric_limits<uint64_t>::max();
constexpr int64_t kMaxI = std::numeric_limits<int64_t>::max();
constexpr int64_t kMinI = std::numeric_limits<int64_t>::min();

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

// True when `bytes` decode; false when they are Error(kCorruption).
bool Decodes(const std::string& bytes) {
  try {
    DecodeValue(bytes);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruption);
    return false;
  }
  return true;
}

// ---- Value ---------------------------------------------------------------------

TEST(Uint64Value, OfUintIsCanonical) {
  EXPECT_TRUE(Value::OfUint(0).is_int());
  EXPECT_TRUE(Value::OfUint(static_cast<uint64_t>(kMaxI)).is_int());
  EXPECT_EQ(Value::OfUint(static_cast<uint64_t>(kMaxI)), Value(kMaxI));
  Value big = Value::OfUint(kTwo63);
  EXPECT_TRUE(big.is_uint());
  EXPECT_TRUE(big.is_number());
  EXPECT_FALSE(big.is_int());
  EXPECT_EQ(big.as_uint(), kTwo63);
  EXPECT_EQ(big.as_number(), 0x1p63);
  EXPECT_EQ(Value::OfUint(kMaxU).as_number(), 0x1p64);  // rounded to the nearest double
  EXPECT_EQ(Value::OfUint(kMaxU), Value::OfUint(kMaxU));
  EXPECT_FALSE(Value::OfUint(kMaxU) == Value::OfUint(kMaxU - 1));
  EXPECT_FALSE(Value::OfUint(kTwo63) == Value(0x1p63));  // structural: kinds differ
}

// ---- codec ---------------------------------------------------------------------

TEST(Uint64Codec, RoundTripsWithTag8AndEightBytes) {
  for (uint64_t u : {kTwo63, kTwo63 + 1, uint64_t{0xDEADBEEFCAFEF00D}, kMaxU - 1, kMaxU}) {
    std::string enc = EncodeValue(Value::OfUint(u));
    ASSERT_EQ(enc.size(), 9u);
    EXPECT_EQ(static_cast<uint8_t>(enc[0]), 0x08);
    Value back = DecodeValue(enc);
    ASSERT_TRUE(back.is_uint());
    EXPECT_EQ(back.as_uint(), u);
    EXPECT_EQ(EncodeValue(back), enc);
  }
  EXPECT_EQ(EncodeValue(Value::OfUint(kMaxU)),
            Bytes({0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}));
  EXPECT_EQ(EncodeValue(Value::OfUint(kTwo63)), Bytes({0x08, 0, 0, 0, 0, 0, 0, 0, 0x80}));
  // Integers that fit in int64 keep the old encoding.
  EXPECT_EQ(EncodeValue(Value::OfUint(5)), Bytes({0x03, 0x0A}));
}

TEST(Uint64Codec, NestedValuesRoundTrip) {
  Value v =
      ParseJson(R"({"a": 18446744073709551615, "b": [9223372036854775808, -9223372036854775808,)"
                R"( 9223372036854775807, {"c": 18446744073709551614}]})");
  EXPECT_TRUE(v.Find("a")->is_uint());
  EXPECT_EQ(DecodeValue(EncodeValue(v)), v);
}

TEST(Uint64Codec, BytesWrittenBeforeTheTagExistedDecodeUnchanged) {
  // {"n": 2^63-1, "m": -2^63, "d": 9223372036854775808.0, "t": [true, null]} as
  // the codec has always written it (tags 0..7 only; a 2^63 literal used to
  // become a double).
  std::string old = Bytes({0x07, 0x04,                                                        //
                           0x01, 'n',  0x03, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,        //
                           0xFF, 0xFF, 0x01,                                                  //
                           0x01, 'm',  0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,        //
                           0xFF, 0xFF, 0x01,                                                  //
                           0x01, 'd',  0x04, 0,    0,    0,    0,    0,    0,    0xE0, 0x43,  //
                           0x01, 't',  0x06, 0x02, 0x02, 0x00});
  Value v = DecodeValue(old);
  ASSERT_TRUE(v.Find("n")->is_int());
  EXPECT_EQ(v.Find("n")->as_int(), kMaxI);
  ASSERT_TRUE(v.Find("m")->is_int());
  EXPECT_EQ(v.Find("m")->as_int(), kMinI);
  ASSERT_TRUE(v.Find("d")->is_double());
  EXPECT_EQ(v.Find("d")->as_double(), 0x1p63);
  EXPECT_EQ(EncodeValue(v), old);  // and re-encodes to the same bytes
}

TEST(Uint64Codec, NonCanonicalOrTruncatedUintIsCorruption) {
  // Below 2^63 must use tag 3.
  EXPECT_FALSE(Decodes(Bytes({0x08, 0, 0, 0, 0, 0, 0, 0, 0})));
  EXPECT_FALSE(Decodes(Bytes({0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F})));
  EXPECT_FALSE(Decodes(Bytes({0x08, 0, 0, 0, 0, 0, 0, 0x80})));  // truncated
  EXPECT_FALSE(Decodes(Bytes({0x08})));
  EXPECT_FALSE(Decodes(Bytes({0x08, 0, 0, 0, 0, 0, 0, 0, 0x80, 0})));  // trailing
  EXPECT_FALSE(Decodes(Bytes({0x09})));                                // still reserved
  EXPECT_TRUE(Decodes(Bytes({0x08, 0, 0, 0, 0, 0, 0, 0, 0x80})));
}

// ---- JSON ----------------------------------------------------------------------

TEST(Uint64Json, ParsesTheUnsignedRangeExactlyAndWritesItBack) {
  Value a = ParseJson("9223372036854775808");
  ASSERT_TRUE(a.is_uint());
  EXPECT_EQ(a.as_uint(), kTwo63);
  Value b = ParseJson("18446744073709551615");
  ASSERT_TRUE(b.is_uint());
  EXPECT_EQ(b.as_uint(), kMaxU);
  EXPECT_EQ(ToJson(b), "18446744073709551615");
  EXPECT_EQ(ToJson(ParseJson(R"({"x":[9223372036854775808,-9223372036854775808]})")),
            R"({"x":[9223372036854775808,-9223372036854775808]})");
  // Outside [-2^63, 2^64) an integer literal is a double by default.
  EXPECT_TRUE(ParseJson("18446744073709551616").is_double());
  EXPECT_TRUE(ParseJson("-9223372036854775809").is_double());
  EXPECT_TRUE(ParseJson("9223372036854775808.0").is_double());
  EXPECT_TRUE(ParseJson("9223372036854775807").is_int());
}

std::string ExactError(const char* text) {
  JsonReader r(std::string_view{text});
  r.RequireExactIntegers(true);
  try {
    r.ReadValue();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    return e.what();
  }
  return "";
}

TEST(Uint64Json, ExactIntegersNameTheFieldOutsideTheRange) {
  EXPECT_EQ(ExactError(R"({"a": 18446744073709551615, "b": [9223372036854775808]})"), "");
  std::string e = ExactError(R"({"a": {"b": [0, 18446744073709551616]}})");
  EXPECT_NE(e.find("field 'a.b[1]': integer 18446744073709551616"), std::string::npos) << e;
  EXPECT_NE(e.find("64-bit"), std::string::npos) << e;
  e = ExactError(R"({"x": -9223372036854775809})");
  EXPECT_NE(e.find("field 'x': integer -9223372036854775809"), std::string::npos) << e;
  e = ExactError("[[1], 99999999999999999999999]");
  EXPECT_NE(e.find("field '[1]'"), std::string::npos) << e;
  e = ExactError("18446744073709551616");
  EXPECT_EQ(e.find("field"), std::string::npos) << e;
  EXPECT_NE(e.find("integer 18446744073709551616"), std::string::npos) << e;
  // Skipping a value under the same rule throws the same kind of error.
  JsonReader r(std::string_view{R"({"k": [18446744073709551616]})"});
  r.RequireExactIntegers(true);
  EXPECT_THROW(r.SkipValue(), Error);
}

// ---- comparisons ---------------------------------------------------------------

// The numbers of the test, in ascending order, with ties grouped: a pair
// (group, value), equal groups compare equal.
struct Ranked {
  int rank;
  Value v;
};

std::vector<Ranked> Ladder() {
  return {
      {0, Value(-0x1p64)},
      {1, Value(kMinI)},
      {1, Value(-0x1p63)},
      {2, Value(kMinI + 1)},
      {3, Value(-1.5)},
      {4, Value(int64_t{0})},
      {4, Value(-0.0)},
      {4, Value(0.0)},
      {5, Value(0.5)},
      {6, Value(kMaxI - 1)},
      {7, Value(kMaxI)},
      {8, Value::OfUint(kTwo63)},
      {8, Value(0x1p63)},
      {9, Value::OfUint(kTwo63 + 1)},
      {10, Value::OfUint(kTwo63 + 1024)},  // no double: they are 2048 apart here
      {11, Value(0x1p63 + 2048)},
      {11, Value::OfUint(kTwo63 + 2048)},
      {12, Value(0x1p64 - 2048)},  // the largest double below 2^64
      {12, Value::OfUint(kMaxU - 2047)},
      {13, Value::OfUint(kMaxU - 1)},
      {14, Value::OfUint(kMaxU)},
      {15, Value(0x1p64)},
      {16, Value(1e300)},
  };
}

TEST(Uint64Compare, ExactTotalOrderAcrossIntUintAndDouble) {
  const std::vector<Ranked> ladder = Ladder();
  for (const Ranked& a : ladder) {
    for (const Ranked& b : ladder) {
      const int want = a.rank < b.rank ? -1 : (a.rank > b.rank ? 1 : 0);
      SCOPED_TRACE(ToJson(a.v) + " vs " + ToJson(b.v));
      EXPECT_EQ(CompareNumbers(a.v, b.v), want);
      EXPECT_EQ(CompareNum(NumKey::Of(a.v), NumKey::Of(b.v)), want);
      EXPECT_EQ(NumKey::Of(a.v) == NumKey::Of(b.v), want == 0);
      EXPECT_EQ(FilterEquals(a.v, b.v), want == 0);
    }
  }
}

TEST(Uint64Compare, IntegralDoublesInTheUnsignedRangeCanonicalizeToUintKeys) {
  EXPECT_EQ(NumKey::OfDouble(0x1p63).type, NumKey::Type::kUint);
  EXPECT_EQ(NumKey::OfDouble(0x1p63).u, kTwo63);
  EXPECT_EQ(NumKey::OfDouble(0x1p64 - 2048).type, NumKey::Type::kUint);
  EXPECT_EQ(NumKey::OfDouble(0x1p64).type, NumKey::Type::kDouble);
  EXPECT_EQ(NumKey::OfDouble(-0x1p63).type, NumKey::Type::kInt);
  EXPECT_EQ(NumKey::OfDouble(-0x1p63 - 2048).type, NumKey::Type::kDouble);
  EXPECT_EQ(NumKey::OfUint(7).type, NumKey::Type::kInt);
}

// ---- filters and the metadata index --------------------------------------------

TEST(Uint64Filter, OperatorsCompareExactlyAndTheIndexAgrees) {
  const std::vector<Ranked> ladder = Ladder();
  MetaIndex index;
  std::vector<Value> metas;
  metas.reserve(ladder.size() + 2);
  for (const Ranked& r : ladder) metas.push_back(Value(Object{{"n", r.v}}));
  metas.push_back(Value(Object{{"n", Value(true)}}));
  metas.push_back(Value(Object{}));
  for (size_t i = 0; i < metas.size(); ++i) index.Insert(static_cast<uint32_t>(i), &metas[i]);

  const char* ops[] = {"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin"};
  for (const Ranked& x : ladder) {
    for (const char* op : ops) {
      const std::string o = op;
      Value operand =
          (o == "$in" || o == "$nin") ? Value(Array{Value(std::string("s")), x.v}) : x.v;
      Filter f = Filter::Parse(Value(Object{{"n", Value(Object{{o, operand}})}}));
      std::vector<uint32_t> want;
      for (size_t i = 0; i < metas.size(); ++i) {
        bool m;
        if (i >= ladder.size()) {
          m = o == "$ne" || o == "$nin";  // a bool and a missing field
        } else {
          const int r = ladder[i].rank, xr = x.rank;
          m = o == "$eq" || o == "$in"    ? r == xr
              : o == "$ne" || o == "$nin" ? r != xr
              : o == "$gt"                ? r > xr
              : o == "$gte"               ? r >= xr
              : o == "$lt"                ? r < xr
                                          : r <= xr;
        }
        SCOPED_TRACE(ToJson(metas[i]) + " " + o + " " + ToJson(x.v));
        EXPECT_EQ(f.Matches(&metas[i]), m);
        if (m) want.push_back(static_cast<uint32_t>(i));
      }
      std::optional<std::vector<uint32_t>> got = index.CandidateSlots(f);
      ASSERT_TRUE(got.has_value()) << o;
      EXPECT_EQ(*got, want) << o << " " << ToJson(x.v);
      EXPECT_EQ(index.Count(f), want.size()) << o << " " << ToJson(x.v);
    }
  }
  // Erasing a uint64 record empties its posting.
  for (size_t i = 0; i < metas.size(); ++i) index.Erase(static_cast<uint32_t>(i), &metas[i]);
  EXPECT_EQ(index.num_fields(), 0u);
}

TEST(Uint64Filter, EqualFiltersShareACacheKeyOnlyWhenTheyAreTheSameValue) {
  Filter a = Filter::Parse(ParseJson(R"({"n": 18446744073709551615})"));
  Filter b = Filter::Parse(Value(Object{{"n", Value::OfUint(kMaxU)}}));
  Filter c = Filter::Parse(ParseJson(R"({"n": 18446744073709551614})"));
  Filter d = Filter::Parse(ParseJson(R"({"n": -1})"));  // the same 64 bits as an int64
  EXPECT_EQ(a.cache_key(), b.cache_key());
  EXPECT_NE(a.cache_key(), c.cache_key());
  EXPECT_NE(a.cache_key(), d.cache_key());
}

TEST(Uint64Filter, RangeOperandMayBeAUintAndNamesItAnInt) {
  EXPECT_NO_THROW(Filter::Parse(ParseJson(R"({"n": {"$lt": 18446744073709551615}})")));
  try {
    Filter::Parse(ParseJson(R"({"n": {"$in": 18446744073709551615}})"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("needs a list, got an int"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace herondb
