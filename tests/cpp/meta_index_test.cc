// Tests for meta_index.h: the metadata indexes answer filters exactly as the
// brute-force evaluator (Filter::Matches) does, case by case and over
// randomly generated metadata, filters and mutations.
#include "herondb/meta/meta_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "herondb/common/error.h"
#include "herondb/meta/filter.h"
#include "herondb/meta/json.h"

namespace herondb {
namespace {

// A MetaIndex with the metadata of each slot kept beside it, so answers can
// be checked against Filter::Matches.
class Fixture {
 public:
  void Put(uint32_t slot, std::optional<Value> meta) {
    if (records_.count(slot)) Remove(slot);
    auto p = meta ? std::make_shared<const Value>(std::move(*meta)) : nullptr;
    index_.Insert(slot, p.get());
    records_[slot] = p;
  }
  void PutJson(uint32_t slot, const char* json) { Put(slot, ParseJson(json)); }
  void Remove(uint32_t slot) {
    index_.Erase(slot, records_.at(slot).get());
    records_.erase(slot);
  }
  std::vector<uint32_t> Brute(const Filter& f) const {
    std::vector<uint32_t> out;
    for (const auto& [slot, meta] : records_)
      if (f.Matches(meta.get())) out.push_back(slot);
    return out;
  }
  const MetaIndex& index() const { return index_; }
  const std::map<uint32_t, ValuePtr>& records() const { return records_; }

 private:
  MetaIndex index_;
  std::map<uint32_t, ValuePtr> records_;
};

// Checks every query of the index against brute force; returns whether Plan
// was exact.
bool CheckAgainstBrute(const Fixture& fx, const Filter& f, const std::string& what) {
  SCOPED_TRACE(what);
  const std::vector<uint32_t> truth = fx.Brute(f);
  const MetaIndex& ix = fx.index();
  std::optional<MetaIndex::Candidates> plan = ix.Plan(f);
  std::optional<std::vector<uint32_t>> cand = ix.CandidateSlots(f);
  std::optional<size_t> count = ix.Count(f);
  std::optional<size_t> est = ix.EstimateCount(f);
  if (plan) {
    EXPECT_TRUE(std::is_sorted(plan->slots.begin(), plan->slots.end()));
    EXPECT_TRUE(std::adjacent_find(plan->slots.begin(), plan->slots.end()) == plan->slots.end());
    if (plan->exact) {
      EXPECT_EQ(plan->slots, truth);
    } else {
      EXPECT_TRUE(std::includes(plan->slots.begin(), plan->slots.end(), truth.begin(), truth.end()))
          << "superset misses a match";
    }
    for (uint32_t s : plan->slots) EXPECT_TRUE(ix.Contains(s));
  }
  EXPECT_EQ(cand.has_value(), plan && plan->exact);
  if (cand) {
    EXPECT_EQ(*cand, truth);
  }
  if (count) {
    EXPECT_EQ(*count, truth.size());
  }
  if (plan && plan->exact) {
    EXPECT_TRUE(count.has_value()) << "exact plan but no count";
  }
  if (est) {
    EXPECT_LE(*est, ix.size());
  }
  return plan && plan->exact;
}

Filter F(const char* json) { return Filter::Parse(ParseJson(json)); }

Fixture SmallFixture() {
  Fixture fx;
  fx.PutJson(0, R"({"color": "red", "n": 1, "nested": {"x": 5, "y": "a"}})");
  fx.PutJson(1, R"({"color": "blue", "n": 1.0, "flag": true})");
  fx.PutJson(2, R"({"color": "red", "n": 2.5, "flag": false, "tags": ["x", "y"]})");
  fx.PutJson(3, R"({"n": null, "flag": 1, "nested": {"x": 7}})");
  fx.Put(4, std::nullopt);  // a record without metadata
  fx.PutJson(5, R"({"color": ["red"], "n": "1", "nested": 3})");
  fx.PutJson(6, "{}");
  return fx;
}

TEST(MetaIndex, EqualityOnStringsNumbersBoolsAndNull) {
  Fixture fx = SmallFixture();
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"color": "red"})")), (std::vector<uint32_t>{0, 2}));
  // 1 == 1.0, and the string "1" is not a number.
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"n": 1})")), (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"n": 1.0})")), (std::vector<uint32_t>{0, 1}));
  // true is not 1.
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"flag": true})")), (std::vector<uint32_t>{1}));
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"flag": 1})")), (std::vector<uint32_t>{3}));
  // A present null is a value; a missing field is not null.
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"n": null})")), (std::vector<uint32_t>{3}));
}

TEST(MetaIndex, NegationsIncludeRecordsWithoutTheField) {
  Fixture fx = SmallFixture();
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"color": {"$ne": "red"}})")),
            (std::vector<uint32_t>{1, 3, 4, 5, 6}));
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"n": {"$nin": [1, null]}})")),
            (std::vector<uint32_t>{2, 4, 5, 6}));
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"flag": {"$exists": false}})")),
            (std::vector<uint32_t>{0, 4, 5, 6}));
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"$not": {"n": {"$gt": 1}}})")),
            (std::vector<uint32_t>{0, 1, 3, 4, 5, 6}));
}

TEST(MetaIndex, RangesUseNumericOrderOnlyOnNumbers) {
  Fixture fx = SmallFixture();
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"n": {"$gt": 1}})")), (std::vector<uint32_t>{2}));
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"n": {"$gte": 1}})")),
            (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"n": {"$lt": 2.5}})")), (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"n": {"$gt": 0.5, "$lte": 1}})")),
            (std::vector<uint32_t>{0, 1}));
  // A bool is not a number even for ranges.
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"flag": {"$gte": 0}})")), (std::vector<uint32_t>{3}));
}

TEST(MetaIndex, RangesCompareLargeIntegersExactly) {
  Fixture fx;
  fx.PutJson(0, R"({"v": 9007199254740993})");
  fx.PutJson(1, R"({"v": 9007199254740992.0})");
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"v": {"$gt": 9007199254740992.0}})")),
            (std::vector<uint32_t>{0}));
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"v": 9007199254740992})")),
            (std::vector<uint32_t>{1}));
}

TEST(MetaIndex, DottedKeysAddressNestedObjectsOnly) {
  Fixture fx = SmallFixture();
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"nested.x": {"$gte": 5}})")),
            (std::vector<uint32_t>{0, 3}));
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"nested.y": {"$exists": true}})")),
            (std::vector<uint32_t>{0}));
  // "nested" is 3 (not an object) in slot 5: nested.x is missing there.
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"nested.x": {"$exists": false}})")),
            (std::vector<uint32_t>{1, 2, 4, 5, 6}));
  // Arrays are not traversed.
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"tags.0": "x"})")), (std::vector<uint32_t>{}));
}

TEST(MetaIndex, ContainerAndLongStringEqualityIsASupersetCheckedByTheCaller) {
  Fixture fx = SmallFixture();
  std::string long_a(MetaIndex::kMaxIndexedString + 1, 'a');
  std::string long_b(MetaIndex::kMaxIndexedString + 1, 'b');
  fx.Put(7, Value(Object{{"color", Value(long_a)}}));
  fx.Put(8, Value(Object{{"color", Value(long_b)}}));
  auto plan = fx.index().Plan(F(R"({"tags": ["x", "y"]})"));
  ASSERT_TRUE(plan);
  EXPECT_FALSE(plan->exact);
  EXPECT_EQ(plan->slots, (std::vector<uint32_t>{2}));
  EXPECT_FALSE(fx.index().Count(F(R"({"tags": ["x", "y"]})")));
  Filter long_eq = Filter::Parse(Value(Object{{"color", Value(long_a)}}));
  plan = fx.index().Plan(long_eq);
  ASSERT_TRUE(plan);
  EXPECT_FALSE(plan->exact);
  EXPECT_EQ(plan->slots, (std::vector<uint32_t>{7, 8}));
  // The complement of a superset cannot be planned.
  EXPECT_FALSE(fx.index().Plan(F(R"({"tags": {"$ne": ["x", "y"]}})")));
  // ...but an $and with an exact part still narrows, inexactly.
  plan = fx.index().Plan(F(R"({"tags": {"$ne": ["x"]}, "color": "red"})"));
  ASSERT_TRUE(plan);
  EXPECT_FALSE(plan->exact);
  EXPECT_EQ(plan->slots, (std::vector<uint32_t>{0, 2}));
  // Short strings are exact.
  EXPECT_TRUE(fx.index().Plan(F(R"({"color": {"$ne": "red"}})"))->exact);
}

TEST(MetaIndex, EmptyFilterAndEmptyIndex) {
  MetaIndex empty;
  EXPECT_EQ(empty.Count(Filter()), 0u);
  EXPECT_EQ(*empty.CandidateSlots(F(R"({"a": {"$ne": 1}})")), (std::vector<uint32_t>{}));
  Fixture fx = SmallFixture();
  EXPECT_EQ(fx.index().Count(Filter()), 7u);
  EXPECT_EQ(fx.index().CandidateSlots(Filter())->size(), 7u);
  EXPECT_EQ(*fx.index().Count(F(R"({"n": {"$in": []}})")), 0u);
  EXPECT_EQ(*fx.index().Count(F(R"({"n": {"$nin": []}})")), 7u);
}

TEST(MetaIndex, CountAnswersLeavesFromPostingSizes) {
  Fixture fx = SmallFixture();
  EXPECT_EQ(*fx.index().Count(F(R"({"color": {"$in": ["red", "blue", "red"]}})")), 3u);
  EXPECT_EQ(*fx.index().Count(F(R"({"$not": {"color": {"$in": ["red", "blue"]}}})")), 4u);
  EXPECT_EQ(*fx.index().Count(F(R"({"$not": {"color": {"$nin": ["red"]}}})")), 2u);
  EXPECT_EQ(*fx.index().Count(F(R"({"n": {"$lte": 1}})")), 2u);
}

TEST(MetaIndex, InsertTwiceOrEraseMissingThrowsAndChangesNothing) {
  Fixture fx = SmallFixture();
  Value m = ParseJson(R"({"color": "green"})");
  MetaIndex& ix = const_cast<MetaIndex&>(fx.index());
  EXPECT_THROW(ix.Insert(0, &m), Error);
  EXPECT_THROW(ix.Erase(99, &m), Error);
  EXPECT_EQ(ix.size(), 7u);
  EXPECT_EQ(*ix.Count(F(R"({"color": "green"})")), 0u);
  EXPECT_EQ(*ix.Count(F(R"({"color": "red"})")), 2u);
}

TEST(MetaIndex, EraseFreesFieldsAndUpdatesReplaceMetadata) {
  Fixture fx = SmallFixture();
  EXPECT_GT(fx.index().num_fields(), 0u);
  fx.PutJson(0, R"({"color": "green"})");  // update: erase old, insert new
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"color": "red"})")), (std::vector<uint32_t>{2}));
  EXPECT_EQ(*fx.index().CandidateSlots(F(R"({"color": "green"})")), (std::vector<uint32_t>{0}));
  EXPECT_EQ(*fx.index().Count(F(R"({"nested.y": {"$exists": true}})")), 0u);
  std::vector<uint32_t> slots;
  for (const auto& [s, m] : fx.records()) slots.push_back(s);
  for (uint32_t s : slots) fx.Remove(s);
  EXPECT_EQ(fx.index().size(), 0u);
  EXPECT_EQ(fx.index().num_fields(), 0u);
}

TEST(MetaIndex, ManySlotsAcrossChunks) {
  // Slots spread over several 64K chunks, dense and sparse postings.
  Fixture fx;
  for (uint32_t i = 0; i < 200000; i += 7) {
    Object o;
    o.emplace_back("mod", Value(int64_t{i % 10}));
    o.emplace_back("even", Value(i % 2 == 0));
    fx.Put(i, Value(std::move(o)));
  }
  CheckAgainstBrute(fx, F(R"({"mod": 3})"), "mod 3");
  CheckAgainstBrute(fx, F(R"({"mod": {"$gte": 2, "$lt": 9}, "even": false})"), "range and bool");
  CheckAgainstBrute(fx, F(R"({"$or": [{"mod": 1}, {"even": true}]})"), "or");
  CheckAgainstBrute(fx, F(R"({"$not": {"mod": {"$in": [1, 2, 3]}}})"), "not in");
}

// ---- randomized comparison with brute force ----------------------------------

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}

  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool Coin(double p = 0.5) { return std::bernoulli_distribution(p)(rng_); }

  // A scalar or small container from a pool rich in near-collisions
  // (1 vs 1.0 vs true vs "1", null vs missing).
  Value Scalar(bool* exact) {
    switch (Pick(16)) {
      case 0:
        return Value();
      case 1:
        return Value(true);
      case 2:
        return Value(false);
      case 3:
        return Value(int64_t{1});
      case 4:
        return Value(1.0);
      case 5:
        return Value(int64_t{0});
      case 6:
        return Value(-0.0);
      case 7:
        return Value(1.5);
      case 8:
        return Value(int64_t{-3});
      case 9:
        return Value(static_cast<int64_t>(Pick(20)));
      case 10:
        return Value(std::string("1"));
      case 11:
        return Value(std::string("x"));
      case 12:
        return Value(std::string(Coin() ? "" : "y"));
      case 13:
        if (exact) *exact = false;
        return Value(std::string(MetaIndex::kMaxIndexedString + 1 + Pick(2), 'z'));
      case 14:
        if (exact) *exact = false;
        return Coin() ? Value(Array{Value(int64_t{1})}) : Value(Array{});
      default:
        if (exact) *exact = false;
        return Coin() ? Value(Object{{"x", Value(int64_t{1})}}) : Value(Object{});
    }
  }

  Value Metadata(int depth = 0) {
    static const char* kKeys[] = {"a", "b", "c", "n"};
    Object o;
    for (const char* k : kKeys) {
      if (Coin(0.35)) continue;
      if (depth < 2 && Coin(0.25)) {
        o.emplace_back(k, Metadata(depth + 1));
      } else {
        o.emplace_back(k, Scalar(nullptr));
      }
    }
    return Value(std::move(o));
  }

  std::string Path() {
    static const char* kPaths[] = {"a", "b", "c", "n", "n.a", "n.b", "a.a", "n.n.c", "zz"};
    return kPaths[Pick(std::size(kPaths))];
  }

  Value Number() {
    switch (Pick(4)) {
      case 0:
        return Value(int64_t{static_cast<int64_t>(Pick(21)) - 5});
      case 1:
        return Value(static_cast<double>(Pick(21)) - 5.0);
      case 2:
        return Value(static_cast<double>(Pick(40)) / 4.0 - 3);
      default:
        return Value(int64_t{1});
    }
  }

  // One operator object for a field. *exact: whether the index must answer
  // it exactly.
  Value Ops(int depth, bool* exact) {
    Object ops;
    size_t n = 1 + Pick(2);
    for (size_t i = 0; i < n; ++i) {
      std::string op;
      Value x;
      switch (Pick(depth < 2 ? 12 : 9)) {
        case 0:
          op = "$eq";
          x = Scalar(exact);
          break;
        case 1:
          op = "$ne";
          x = Scalar(exact);
          break;
        case 2:
        case 3: {
          op = Coin() ? "$in" : "$nin";
          Array items;
          size_t m = Pick(4);
          for (size_t j = 0; j < m; ++j) items.push_back(Scalar(exact));
          x = Value(std::move(items));
          break;
        }
        case 4:
          op = "$gt";
          x = Number();
          break;
        case 5:
          op = "$gte";
          x = Number();
          break;
        case 6:
          op = "$lt";
          x = Number();
          break;
        case 7:
          op = "$lte";
          x = Number();
          break;
        case 8:
          op = "$exists";
          x = Value(Coin());
          break;
        case 9:
          op = "$not";
          x = Ops(depth + 1, exact);
          break;
        default: {
          op = Coin() ? "$and" : "$or";
          Array parts;
          size_t m = 1 + Pick(2);
          for (size_t j = 0; j < m; ++j) parts.push_back(Ops(depth + 1, exact));
          x = Value(std::move(parts));
          break;
        }
      }
      bool dup = false;
      for (const auto& kv : ops) dup = dup || kv.first == op;
      if (!dup) ops.emplace_back(op, std::move(x));
    }
    return Value(std::move(ops));
  }

  Value FilterValue(int depth, bool* exact) {
    Object f;
    size_t n = Pick(3) + (depth > 0 ? 1 : 0);
    for (size_t i = 0; i < n; ++i) {
      size_t kind = Pick(depth < 3 ? 8 : 5);
      std::string key;
      Value x;
      if (kind == 0) {
        key = Path();
        Value v = Scalar(exact);
        x = v.is_object() ? Value(Object{{"$eq", v}}) : v;  // plain equality
      } else if (kind <= 4) {
        key = Path();
        x = Ops(0, exact);
      } else if (kind == 5) {
        key = "$not";
        x = FilterValue(depth + 1, exact);
      } else {
        key = kind == 6 ? "$and" : "$or";
        Array parts;
        size_t m = 1 + Pick(3);
        for (size_t j = 0; j < m; ++j) parts.push_back(FilterValue(depth + 1, exact));
        x = Value(std::move(parts));
      }
      bool dup = false;
      for (const auto& kv : f) dup = dup || kv.first == key;
      if (!dup) f.emplace_back(key, std::move(x));
    }
    return Value(std::move(f));
  }

 private:
  std::mt19937_64 rng_;
};

TEST(MetaIndex, RandomFiltersAgreeWithBruteForce) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    Gen g(seed);
    Fixture fx;
    const uint32_t kSlots = 300;
    for (uint32_t s = 0; s < kSlots; ++s) {
      if (g.Coin(0.1))
        fx.Put(s, std::nullopt);
      else
        fx.Put(s, g.Metadata());
    }
    int exact_plans = 0, filters = 0;
    for (int round = 0; round < 4; ++round) {
      for (int i = 0; i < 150; ++i) {
        bool exact = true;
        Value fv = g.FilterValue(0, &exact);
        Filter f = Filter::Parse(fv);
        bool was_exact = CheckAgainstBrute(fx, f, ToJson(fv));
        if (exact) {
          EXPECT_TRUE(was_exact) << "should be exact: " << ToJson(fv);
        }
        exact_plans += was_exact;
        ++filters;
        if (::testing::Test::HasFailure()) return;
      }
      // Mutate: delete, update and re-add some slots.
      for (uint32_t s = 0; s < kSlots; ++s) {
        if (!g.Coin(0.3)) continue;
        if (fx.records().count(s)) {
          if (g.Coin())
            fx.Remove(s);
          else
            fx.Put(s, g.Coin(0.1) ? std::nullopt : std::optional<Value>(g.Metadata()));
        } else {
          fx.Put(s, g.Metadata());
        }
      }
    }
    // The generator must exercise the exact path most of the time.
    EXPECT_GT(exact_plans, filters / 3) << "seed " << seed;
  }
}

}  // namespace
}  // namespace herondb
