// Tests for json.h and json_reader.h.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>

#include "herondb/common/error.h"
#include "herondb/meta/json.h"
#include "herondb/meta/json_reader.h"

namespace herondb {
namespace {

// The byte offset named by a parse error, or -1 when parsing succeeded.
long ErrorOffset(std::string_view text) {
  try {
    ParseJson(text);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
    std::string m = e.what();
    size_t at = m.find("offset ");
    EXPECT_NE(at, std::string::npos) << m;
    return std::stol(m.substr(at + 7));
  }
  return -1;
}

TEST(Json, ParsesEveryKind) {
  Value v = ParseJson(R"( {"a": null, "b": [true, false], "c": -12, "d": 1.5e2, "e": "x"} )");
  ASSERT_TRUE(v.is_object());
  EXPECT_TRUE(v.Find("a")->is_null());
  EXPECT_TRUE(v.Find("b")->as_array()[0].as_bool());
  EXPECT_EQ(v.Find("c")->as_int(), -12);
  EXPECT_EQ(v.Find("d")->as_double(), 150.0);
  EXPECT_EQ(v.Find("e")->as_string(), "x");
}

TEST(Json, IntegersThatFit64BitsAreIntsOthersDoubles) {
  EXPECT_TRUE(ParseJson("9223372036854775807").is_int());
  EXPECT_TRUE(ParseJson("-9223372036854775808").is_int());
  EXPECT_TRUE(ParseJson("9223372036854775808").is_uint());  // meta_uint64_test.cc
  Value big = ParseJson("18446744073709551616");
  ASSERT_TRUE(big.is_double());
  EXPECT_EQ(big.as_double(), 18446744073709551616.0);
  EXPECT_TRUE(ParseJson("1.0").is_double());
  EXPECT_TRUE(ParseJson("1e2").is_double());
  EXPECT_TRUE(ParseJson("-0").is_int());
  EXPECT_TRUE(std::signbit(ParseJson("-0.0").as_double()));
}

TEST(Json, HugeNumbersAreErrorsTinyOnesUnderflowToZero) {
  EXPECT_GE(ErrorOffset("[1e400]"), 0);
  EXPECT_EQ(ParseJson("1e-400").as_double(), 0.0);
  EXPECT_EQ(ParseJson("5e-324").as_double(), 5e-324);
}

TEST(Json, DecodesEscapesAndSurrogatePairs) {
  EXPECT_EQ(ParseJson(R"("a\"b\\c\/d\b\f\n\r\t")").as_string(), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(ParseJson(R"("\u00e9\u20AC\ud83d\udc26")").as_string(),
            "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x90\xA6");
  EXPECT_EQ(ParseJson("\"\\u0000\"").as_string(), std::string(1, '\0'));
}

TEST(Json, ErrorsNameTheByteOffset) {
  EXPECT_EQ(ErrorOffset(""), 0);
  EXPECT_EQ(ErrorOffset("[1,]"), 3);
  EXPECT_EQ(ErrorOffset("{\"a\" 1}"), 5);
  EXPECT_EQ(ErrorOffset("[1 2]"), 3);
  EXPECT_EQ(ErrorOffset("nul"), 3);
  EXPECT_EQ(ErrorOffset("[01]"), 1);
  EXPECT_EQ(ErrorOffset("[1.]"), 1);
  EXPECT_EQ(ErrorOffset("[.5]"), 1);
  EXPECT_EQ(ErrorOffset("[+1]"), 1);
  EXPECT_EQ(ErrorOffset("{} x"), 3);
  EXPECT_EQ(ErrorOffset("[NaN]"), 1);
  EXPECT_EQ(ErrorOffset("[Infinity]"), 1);
  EXPECT_EQ(ErrorOffset("{'a': 1}"), 1);
  EXPECT_EQ(ErrorOffset("\"a\nb\""), 2);        // raw control char
  EXPECT_EQ(ErrorOffset("\"\\x\""), 2);         // bad escape
  EXPECT_EQ(ErrorOffset("\"\\ud83d\""), 7);     // lone high surrogate
  EXPECT_EQ(ErrorOffset("\"\\udc26\""), 7);     // lone low surrogate
  EXPECT_EQ(ErrorOffset("  \"\xC3\x28\""), 2);  // invalid UTF-8
  EXPECT_EQ(ErrorOffset("\"abc"), 4);           // unterminated
  EXPECT_EQ(ErrorOffset("\xEF\xBB\xBF{}"), 0);  // BOM
  EXPECT_EQ(ErrorOffset("[1] // c"), 4);
}

TEST(Json, NestingBeyondTheLimitIsAnError) {
  std::string ok = std::string(kMaxValueDepth, '[') + std::string(kMaxValueDepth, ']');
  EXPECT_EQ(ErrorOffset(ok), -1);
  std::string deep = std::string(kMaxValueDepth + 1, '[') + std::string(kMaxValueDepth + 1, ']');
  EXPECT_EQ(ErrorOffset(deep), kMaxValueDepth);
  std::string very_deep(100000, '[');
  EXPECT_GE(ErrorOffset(very_deep), 0);
}

TEST(Json, DuplicateKeysLastValueWinsAtFirstPosition) {
  Value v = ParseJson(R"({"a": 1, "b": 2, "a": 3})");
  ASSERT_EQ(v.as_object().size(), 2u);
  EXPECT_EQ(v.as_object()[0].first, "a");
  EXPECT_EQ(v.as_object()[0].second.as_int(), 3);
  // Also past the linear-scan size.
  std::string text = "{";
  for (int i = 0; i < 100; ++i) text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  text += "\"k7\":-1}";
  Value w = ParseJson(text);
  EXPECT_EQ(w.as_object().size(), 100u);
  EXPECT_EQ(w.Find("k7")->as_int(), -1);
}

TEST(Json, SerializesCompactly) {
  Value v = ParseJson(R"({"a": [1, 2.5, "x", null, true], "b": {}, "c": []})");
  EXPECT_EQ(ToJson(v), R"({"a":[1,2.5,"x",null,true],"b":{},"c":[]})");
}

TEST(Json, SerializesPrettyWithIndentLevel) {
  Value v = ParseJson(R"({"a": [1, 2], "b": {"c": null}, "d": []})");
  EXPECT_EQ(
      ToJson(v, true),
      "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {\n    \"c\": null\n  },\n  \"d\": []\n}");
  std::string out;
  SerializeJson(ParseJson("[1]"), &out, true, 2);
  EXPECT_EQ(out, "[\n      1\n    ]");
}

TEST(Json, DoublesAlwaysReadBackAsTheSameDouble) {
  EXPECT_EQ(ToJson(Value(1.0)), "1.0");
  EXPECT_EQ(ToJson(Value(-0.0)), "-0.0");
  EXPECT_EQ(ToJson(Value(1e308)), "1e+308");
  EXPECT_EQ(ToJson(Value(0.1)), "0.1");
  EXPECT_EQ(ToJson(Value(int64_t{1})), "1");
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, 8);
    if (!std::isfinite(d)) continue;
    Value back = ParseJson(ToJson(Value(d)));
    ASSERT_TRUE(back.is_double()) << ToJson(Value(d));
    double got = back.as_double();
    ASSERT_EQ(std::memcmp(&d, &got, 8), 0) << ToJson(Value(d));
  }
  for (double d : {5e-324, 1e16, 123456789012345680.0, -1e-7}) {
    Value back = ParseJson(ToJson(Value(d)));
    ASSERT_TRUE(back.is_double());
    EXPECT_EQ(back.as_double(), d);
  }
}

TEST(Json, NonFiniteDoublesCannotBeSerialized) {
  EXPECT_THROW(ToJson(Value(std::numeric_limits<double>::quiet_NaN())), Error);
  EXPECT_THROW(ToJson(Value(-std::numeric_limits<double>::infinity())), Error);
}

TEST(Json, Float32RoundTripsThroughADoubleReader) {
  std::mt19937 rng(3);
  for (int i = 0; i < 200000; ++i) {
    uint32_t bits = rng();
    float f;
    std::memcpy(&f, &bits, 4);
    if (!std::isfinite(f)) continue;
    std::string s;
    AppendJsonFloat32(f, &s);
    double d = ParseJson(s).as_number();
    EXPECT_EQ(d, static_cast<double>(f)) << s;
    float back = static_cast<float>(d);
    ASSERT_EQ(std::memcmp(&f, &back, 4), 0) << s;
  }
  std::string s;
  AppendJsonFloat32(0.1f, &s);
  EXPECT_EQ(s, "0.10000000149011612");
}

TEST(Json, StringsEscapeControlCharsAndPassUtf8Through) {
  std::string in = std::string("q\"b\\s/\x01\x1f\n\t\x7f") + "\xC3\xA9\xF0\x9F\x90\xA6";
  std::string out;
  AppendJsonString(in, &out);
  EXPECT_EQ(out, "\"q\\\"b\\\\s/\\u0001\\u001f\\n\\t\x7f\xC3\xA9\xF0\x9F\x90\xA6\"");
  EXPECT_EQ(ParseJson(out).as_string(), in);
}

TEST(Json, RoundTripsNestedValues) {
  const char* text =
      R"({"s":"é 🐦","i":-9223372036854775808,"d":[0.5,-0.0,1e-300],"o":{"x":{"y":[[],{}]}}})";
  Value v = ParseJson(text);
  EXPECT_EQ(ToJson(v), text);
  EXPECT_EQ(ParseJson(ToJson(v, true)), v);
}

TEST(Json, ParsePrefixReportsWhereTheValueEnded) {
  std::string text = R"(  {"a":1} [2]  "x")";
  size_t pos = 0;
  EXPECT_EQ(ToJson(ParseJsonPrefix(text, &pos)), R"({"a":1})");
  EXPECT_EQ(pos, 9u);
  EXPECT_EQ(ToJson(ParseJsonPrefix(text, &pos)), "[2]");
  EXPECT_EQ(ParseJsonPrefix(text, &pos).as_string(), "x");
  EXPECT_EQ(pos, text.size());
}

std::string ExportText(int n, int dim) {
  std::string t = R"({"dim": )" + std::to_string(dim) + R"(, "metric": "cosine", "records": [)";
  for (int i = 0; i < n; ++i) {
    if (i) t += ",\n";
    t += R"({"id": "id)" + std::to_string(i) + R"(", "vector": [)";
    for (int j = 0; j < dim; ++j) {
      if (j) t += ", ";
      AppendJsonFloat32(static_cast<float>(i) + static_cast<float>(j) / 8.0f, &t);
    }
    t += R"(], "metadata": {"n": )" + std::to_string(i) + "}}";
  }
  t += "], \"extra\": {\"ignored\": [1, 2, {\"x\": null}]}}";
  return t;
}

// Walks an export record by record; returns the number of records.
int WalkExport(JsonReader& r, int dim) {
  int records = 0;
  r.BeginObject();
  std::string key;
  while (r.NextMember(&key)) {
    if (key == "dim") {
      EXPECT_EQ(r.ReadValue().as_int(), dim);
    } else if (key == "metric") {
      EXPECT_EQ(r.ReadValue().as_string(), "cosine");
    } else if (key == "records") {
      r.BeginArray();
      while (r.NextElement()) {
        r.BeginObject();
        std::string field;
        std::vector<double> vec;
        while (r.NextMember(&field)) {
          if (field == "vector") {
            r.ReadNumberArray(&vec);
          } else if (field == "id") {
            EXPECT_EQ(r.ReadValue().as_string(), "id" + std::to_string(records));
          } else {
            EXPECT_EQ(r.ReadValue().Find("n")->as_int(), records);
          }
        }
        EXPECT_EQ(static_cast<int>(vec.size()), dim);
        EXPECT_EQ(vec[1], records + 1 / 8.0);
        ++records;
      }
    } else {
      r.SkipValue();
    }
  }
  r.ExpectEnd();
  return records;
}

TEST(JsonReader, WalksAnExportRecordByRecordFromAnIstream) {
  std::string text = ExportText(3000, 16);  // several 64 KiB buffer refills
  std::istringstream in(text);
  JsonReader r(in);
  EXPECT_EQ(WalkExport(r, 16), 3000);
  EXPECT_EQ(r.offset(), text.size());
}

TEST(JsonReader, WalksAnExportFromAFile) {
  std::string text = ExportText(2000, 8);
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  std::fwrite(text.data(), 1, text.size(), f);
  std::rewind(f);
  JsonReader r(f);
  EXPECT_EQ(WalkExport(r, 8), 2000);
  std::fclose(f);
}

TEST(JsonReader, StreamAndBufferAgreeOnErrorOffsets) {
  std::string text = ExportText(500, 4);
  size_t at = text.size() - 40000;
  text[at] = '}';  // damage deep inside, after a buffer refill
  long from_buffer = ErrorOffset(text);
  ASSERT_GE(from_buffer, 0);
  std::istringstream in(text);
  JsonReader r(in);
  try {
    r.ReadValue();
    FAIL();
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_EQ(std::stol(m.substr(m.find("offset ") + 7)), from_buffer) << m;
  }
}

TEST(JsonReader, EmptyContainersAndTrailingCommas) {
  JsonReader r(std::string_view("{\"a\": [], \"b\": {}}"));
  r.BeginObject();
  std::string k;
  ASSERT_TRUE(r.NextMember(&k));
  r.BeginArray();
  EXPECT_FALSE(r.NextElement());
  ASSERT_TRUE(r.NextMember(&k));
  EXPECT_EQ(r.Peek(), JsonReader::Next::kObject);
  r.BeginObject();
  EXPECT_FALSE(r.NextMember(&k));
  EXPECT_FALSE(r.NextMember(&k));
  r.ExpectEnd();

  JsonReader bad(std::string_view("[1, 2, ]"));
  bad.BeginArray();
  EXPECT_TRUE(bad.NextElement());
  bad.SkipValue();
  EXPECT_TRUE(bad.NextElement());
  bad.SkipValue();
  EXPECT_TRUE(bad.NextElement());
  EXPECT_THROW(bad.SkipValue(), Error);

  JsonReader unclosed(std::string_view("[1"));
  unclosed.BeginArray();
  EXPECT_TRUE(unclosed.NextElement());
  unclosed.SkipValue();
  EXPECT_THROW(unclosed.NextElement(), Error);
}

TEST(JsonReader, RandomDamageNeverCrashes) {
  std::string good = ExportText(3, 3);
  std::mt19937 rng(5);
  for (int i = 0; i < 20000; ++i) {
    std::string bad = good;
    for (int f = 0; f < 3; ++f) bad[rng() % bad.size()] = static_cast<char>(rng());
    try {
      ParseJson(bad);
    } catch (const Error& e) {
      ASSERT_EQ(e.code(), ErrorCode::kInvalidArgument);
    }
  }
}

}  // namespace
}  // namespace herondb
