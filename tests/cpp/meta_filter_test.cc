// Tests for filter.h: the where_filter semantics of api-decisions D7, case by
// case. Filters and metadata are written as JSON for readability.
#include <gtest/gtest.h>

#include "herondb/common/error.h"
#include "herondb/meta/filter.h"
#include "herondb/meta/json.h"

namespace herondb {
namespace {

bool Match(const char* filter, const char* metadata) {
  Filter f = Filter::Parse(ParseJson(filter));
  Value m = ParseJson(metadata);
  return f.Matches(&m);
}

bool MatchNoMetadata(const char* filter) {
  return Filter::Parse(ParseJson(filter)).Matches(nullptr);
}

// The message of the kInvalidArgument error a filter raises ("" if none).
std::string ParseError(const char* filter) {
  try {
    Filter::Parse(ParseJson(filter));
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    return e.what();
  }
  return "";
}

TEST(Filter, EmptyFilterMatchesEverything) {
  EXPECT_TRUE(Match("{}", R"({"a": 1})"));
  EXPECT_TRUE(Match("{}", "{}"));
  EXPECT_TRUE(MatchNoMetadata("{}"));
  EXPECT_TRUE(Filter().matches_all());
  EXPECT_TRUE(Filter::Parse(ParseJson("{}")).matches_all());
}

TEST(Filter, PlainValueAndEqMeanEquality) {
  EXPECT_TRUE(Match(R"({"color": "red"})", R"({"color": "red"})"));
  EXPECT_FALSE(Match(R"({"color": "red"})", R"({"color": "blue"})"));
  EXPECT_TRUE(Match(R"({"color": {"$eq": "red"}})", R"({"color": "red"})"));
  EXPECT_FALSE(Match(R"({"color": {"$eq": "red"}})", R"({"color": "Red"})"));
}

TEST(Filter, SeveralTopLevelKeysAreAnded) {
  const char* f = R"({"a": 1, "b": {"$gt": 5}})";
  EXPECT_TRUE(Match(f, R"({"a": 1, "b": 6})"));
  EXPECT_FALSE(Match(f, R"({"a": 1, "b": 5})"));
  EXPECT_FALSE(Match(f, R"({"a": 2, "b": 6})"));
}

TEST(Filter, SeveralOperatorsOnOneFieldAreAnded) {
  const char* f = R"({"x": {"$gt": 1, "$lte": 5}})";
  EXPECT_FALSE(Match(f, R"({"x": 1})"));
  EXPECT_TRUE(Match(f, R"({"x": 1.5})"));
  EXPECT_TRUE(Match(f, R"({"x": 5})"));
  EXPECT_FALSE(Match(f, R"({"x": 5.0001})"));
}

TEST(Filter, MissingFieldMatchesOnlyNeNinAndExistsFalse) {
  const char* meta = R"({"other": 1})";
  EXPECT_FALSE(Match(R"({"f": 1})", meta));
  EXPECT_FALSE(Match(R"({"f": {"$eq": null}})", meta));
  EXPECT_TRUE(Match(R"({"f": {"$ne": 1}})", meta));
  EXPECT_FALSE(Match(R"({"f": {"$in": [1, null]}})", meta));
  EXPECT_TRUE(Match(R"({"f": {"$nin": [1]}})", meta));
  EXPECT_FALSE(Match(R"({"f": {"$gt": 0}})", meta));
  EXPECT_FALSE(Match(R"({"f": {"$gte": 0}})", meta));
  EXPECT_FALSE(Match(R"({"f": {"$lt": 0}})", meta));
  EXPECT_FALSE(Match(R"({"f": {"$lte": 0}})", meta));
  EXPECT_FALSE(Match(R"({"f": {"$exists": true}})", meta));
  EXPECT_TRUE(Match(R"({"f": {"$exists": false}})", meta));
}

TEST(Filter, NoMetadataMatchesOnlyNeNinAndExistsFalse) {
  EXPECT_FALSE(MatchNoMetadata(R"({"f": 1})"));
  EXPECT_FALSE(MatchNoMetadata(R"({"f": null})"));
  EXPECT_TRUE(MatchNoMetadata(R"({"f": {"$ne": 1}})"));
  EXPECT_FALSE(MatchNoMetadata(R"({"f": {"$in": [1]}})"));
  EXPECT_TRUE(MatchNoMetadata(R"({"f": {"$nin": [1]}})"));
  EXPECT_FALSE(MatchNoMetadata(R"({"f": {"$lt": 10}})"));
  EXPECT_FALSE(MatchNoMetadata(R"({"f": {"$exists": true}})"));
  EXPECT_TRUE(MatchNoMetadata(R"({"f": {"$exists": false}})"));
}

TEST(Filter, NullIsAValueNotAMissingField) {
  EXPECT_TRUE(Match(R"({"f": null})", R"({"f": null})"));
  EXPECT_TRUE(Match(R"({"f": {"$exists": true}})", R"({"f": null})"));
  EXPECT_FALSE(Match(R"({"f": {"$ne": null}})", R"({"f": null})"));
  EXPECT_TRUE(Match(R"({"f": {"$ne": null}})", R"({"f": 0})"));
}

TEST(Filter, NumbersCompareByValue) {
  EXPECT_TRUE(Match(R"({"n": 1})", R"({"n": 1.0})"));
  EXPECT_TRUE(Match(R"({"n": 1.0})", R"({"n": 1})"));
  EXPECT_TRUE(Match(R"({"n": {"$in": [3, 1.0]}})", R"({"n": 1})"));
  EXPECT_FALSE(Match(R"({"n": {"$nin": [1.0]}})", R"({"n": 1})"));
  EXPECT_TRUE(Match(R"({"n": {"$gte": 1}})", R"({"n": 1.0})"));
  EXPECT_FALSE(Match(R"({"n": {"$gt": 1.0}})", R"({"n": 1})"));
  EXPECT_TRUE(Match(R"({"n": 0})", R"({"n": -0.0})"));
}

TEST(Filter, LargeIntegersCompareExactlyAgainstDoubles) {
  // 2^53 + 1 is not representable as a double; it must not equal 2^53.
  EXPECT_FALSE(Match(R"({"n": 9007199254740992.0})", R"({"n": 9007199254740993})"));
  EXPECT_TRUE(Match(R"({"n": {"$gt": 9007199254740992.0}})", R"({"n": 9007199254740993})"));
  EXPECT_TRUE(Match(R"({"n": 9007199254740992.0})", R"({"n": 9007199254740992})"));
  EXPECT_TRUE(Match(R"({"n": {"$lt": 9223372036854775808.0}})", R"({"n": 9223372036854775807})"));
}

TEST(Filter, BooleansAreNotNumbers) {
  EXPECT_FALSE(Match(R"({"b": 1})", R"({"b": true})"));
  EXPECT_FALSE(Match(R"({"b": true})", R"({"b": 1})"));
  EXPECT_FALSE(Match(R"({"b": 0})", R"({"b": false})"));
  EXPECT_FALSE(Match(R"({"b": {"$in": [1, 0]}})", R"({"b": true})"));
  EXPECT_TRUE(Match(R"({"b": {"$ne": 1}})", R"({"b": true})"));
  EXPECT_FALSE(Match(R"({"b": {"$gte": 0}})", R"({"b": true})"));
  EXPECT_TRUE(Match(R"({"b": true})", R"({"b": true})"));
}

TEST(Filter, RangeOnNonNumberFieldDoesNotMatch) {
  for (const char* meta : {R"({"x": "5"})", R"({"x": true})", R"({"x": null})", R"({"x": [5]})",
                           R"({"x": {"y": 5}})"}) {
    EXPECT_FALSE(Match(R"({"x": {"$gt": 0}})", meta)) << meta;
    EXPECT_FALSE(Match(R"({"x": {"$lte": 100}})", meta)) << meta;
  }
}

TEST(Filter, RangeWithNonNumberOperandIsAnError) {
  EXPECT_NE(ParseError(R"({"x": {"$gt": "5"}})").find("$gt"), std::string::npos);
  EXPECT_NE(ParseError(R"({"x": {"$lt": true}})").find("'x'"), std::string::npos);
  EXPECT_NE(ParseError(R"({"x": {"$gte": null}})"), "");
  EXPECT_NE(ParseError(R"({"x": {"$lte": [1]}})"), "");
}

TEST(Filter, InAndNinNeedLists) {
  EXPECT_NE(ParseError(R"({"x": {"$in": 1}})").find("$in"), std::string::npos);
  EXPECT_NE(ParseError(R"({"x": {"$nin": "abc"}})").find("$nin"), std::string::npos);
  EXPECT_FALSE(Match(R"({"x": {"$in": []}})", R"({"x": 1})"));
  EXPECT_TRUE(Match(R"({"x": {"$nin": []}})", R"({"x": 1})"));
  EXPECT_TRUE(Match(R"({"x": {"$in": ["a", null, true, 2, [1]]}})", R"({"x": [1]})"));
  EXPECT_TRUE(Match(R"({"x": {"$in": ["a", null, true, 2]}})", R"({"x": null})"));
  EXPECT_FALSE(Match(R"({"x": {"$in": ["a", null, true, 2]}})", R"({"x": false})"));
}

TEST(Filter, NestedDottedKeys) {
  const char* meta = R"({"a": {"b": {"c": 3}, "s": "x"}, "top": 1})";
  EXPECT_TRUE(Match(R"({"a.b.c": 3})", meta));
  EXPECT_TRUE(Match(R"({"a.s": {"$in": ["x"]}})", meta));
  EXPECT_FALSE(Match(R"({"a.b.d": 3})", meta));
  EXPECT_TRUE(Match(R"({"a.b.d": {"$exists": false}})", meta));
  EXPECT_FALSE(Match(R"({"top.x": {"$exists": true}})", meta));  // through a non-object
  EXPECT_TRUE(Match(R"({"a.b": {"c": 3}})", meta));              // object equality
  // Every dot separates levels: a literal dotted key is not addressable.
  EXPECT_FALSE(Match(R"({"a.b": 1})", R"({"a.b": 1})"));
}

TEST(Filter, ArraysAreComparedAsWholeValues) {
  const char* meta = R"({"tags": ["x", "y"]})";
  EXPECT_FALSE(Match(R"({"tags": "x"})", meta));
  EXPECT_TRUE(Match(R"({"tags": ["x", "y"]})", meta));
  EXPECT_FALSE(Match(R"({"tags": ["y", "x"]})", meta));
  EXPECT_TRUE(Match(R"({"tags": {"$ne": "x"}})", meta));
  EXPECT_TRUE(Match(R"({"v": [1, 2.0]})", R"({"v": [1.0, 2]})"));
}

TEST(Filter, ObjectsCompareIgnoringMemberOrder) {
  EXPECT_TRUE(Match(R"({"o": {"a": 1, "b": 2}})", R"({"o": {"b": 2.0, "a": 1}})"));
  EXPECT_FALSE(Match(R"({"o": {"a": 1}})", R"({"o": {"a": 1, "b": 2}})"));
  EXPECT_TRUE(Match(R"({"o": {}})", R"({"o": {}})"));
  EXPECT_FALSE(Match(R"({"o": {}})", R"({"o": {"a": 1}})"));
}

TEST(Filter, NotComplementsItsFilter) {
  EXPECT_FALSE(Match(R"({"$not": {"c": "red"}})", R"({"c": "red"})"));
  EXPECT_TRUE(Match(R"({"$not": {"c": "red"}})", R"({"c": "blue"})"));
  EXPECT_TRUE(Match(R"({"$not": {"c": "red"}})", "{}"));
  EXPECT_TRUE(Match(R"({"x": {"$not": {"$gt": 5}}})", R"({"x": 5})"));
  EXPECT_FALSE(Match(R"({"x": {"$not": {"$gt": 5}}})", R"({"x": 6})"));
  EXPECT_TRUE(Match(R"({"x": {"$not": {"$gt": 5}}})", "{}"));  // missing field
  EXPECT_FALSE(Match(R"({"$not": {}})", "{}"));
}

TEST(Filter, OrAndAndAtAnyLevel) {
  const char* f = R"({"$or": [{"c": "red"}, {"n": {"$gt": 10}}]})";
  EXPECT_TRUE(Match(f, R"({"c": "red", "n": 1})"));
  EXPECT_TRUE(Match(f, R"({"c": "blue", "n": 11})"));
  EXPECT_FALSE(Match(f, R"({"c": "blue", "n": 10})"));
  const char* g = R"({"$and": [{"$or": [{"a": 1}, {"b": 1}]}, {"$not": {"c": 1}}]})";
  EXPECT_TRUE(Match(g, R"({"b": 1})"));
  EXPECT_FALSE(Match(g, R"({"b": 1, "c": 1})"));
  const char* h = R"({"n": {"$or": [{"$lt": 0}, {"$gt": 100}]}})";
  EXPECT_TRUE(Match(h, R"({"n": -1})"));
  EXPECT_FALSE(Match(h, R"({"n": 50})"));
  const char* k = R"({"n": {"$and": [{"$gt": 0}, {"$lt": 10}]}, "c": "x"})";
  EXPECT_TRUE(Match(k, R"({"n": 5, "c": "x"})"));
  EXPECT_FALSE(Match(k, R"({"n": 50, "c": "x"})"));
}

TEST(Filter, ExistsTakesABool) {
  EXPECT_TRUE(Match(R"({"f": {"$exists": true}})", R"({"f": [1]})"));
  EXPECT_NE(ParseError(R"({"f": {"$exists": 1}})").find("$exists"), std::string::npos);
}

TEST(Filter, MalformedFiltersNameTheProblem) {
  EXPECT_NE(ParseError(R"({"x": {"$regex": "a"}})").find("$regex"), std::string::npos);
  EXPECT_NE(ParseError(R"({"$foo": 1})").find("$foo"), std::string::npos);
  EXPECT_NE(ParseError(R"({"$eq": 1})").find("$eq"), std::string::npos);
  EXPECT_NE(ParseError(R"({"$and": {"a": 1}})").find("$and"), std::string::npos);
  EXPECT_NE(ParseError(R"({"$and": []})").find("$and"), std::string::npos);
  EXPECT_NE(ParseError(R"({"$or": [1]})").find("$or"), std::string::npos);
  EXPECT_NE(ParseError(R"({"$not": [{"a": 1}]})").find("$not"), std::string::npos);
  EXPECT_NE(ParseError(R"({"x": {"$gt": 1, "y": 2}})").find("'x'"), std::string::npos);
  EXPECT_NE(ParseError(R"({"x": {"$not": 5}})").find("$not"), std::string::npos);
  EXPECT_NE(ParseError(R"({"x": {"$or": []}})").find("$or"), std::string::npos);
  EXPECT_NE(ParseError("[1]"), "");
  EXPECT_NE(ParseError("\"x\""), "");
}

TEST(Filter, OverDeepFiltersAreRejected) {
  Value v(Object{});
  for (int i = 0; i < kMaxValueDepth + 5; ++i) {
    Object o;
    o.emplace_back("$not", v);
    v = Value(std::move(o));
  }
  try {
    Filter::Parse(v);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  }
}

TEST(Filter, FilterEqualsIsNumberAware) {
  EXPECT_TRUE(FilterEquals(Value(int64_t{2}), Value(2.0)));
  EXPECT_FALSE(FilterEquals(Value(true), Value(int64_t{1})));
  EXPECT_FALSE(FilterEquals(Value(), Value(false)));
}

}  // namespace
}  // namespace herondb
