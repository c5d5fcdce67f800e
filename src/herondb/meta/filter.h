// Filter: the where_filter language (api-decisions D7), compiled from a Value
// into a small tree and evaluated against a record's metadata.
//
// Syntax (a filter is an object):
//   {}                                   matches every record
//   {"f": v}                             f == v   (v not an operator object)
//   {"f": {"$op": x, "$op2": y}}         every operator must hold (AND)
//   {"f1": ..., "f2": ..., "$and": ...}  several top-level keys are ANDed
//   {"$and": [F, ...]}, {"$or": [F, ...]}  non-empty lists of filters
//   {"$not": F}                          F is a filter object
// Field operators: $eq $ne $in $nin $gt $gte $lt $lte $exists $match, and, applying
// to the same field, $not: {ops}, $and: [{ops}, ...], $or: [{ops}, ...].
// A field value that is an object with no "$" key is a plain value ({"f":
// {"a": 1}} is equality with {"a": 1}; {"f": {}} is equality with {}); an
// object that mixes "$" keys and plain keys is an error.
//
// Semantics (decided here; tested in meta_filter_test.cc):
//  - Field paths: "a.b.c" addresses metadata["a"]["b"]["c"]; every dot
//    separates levels (a key that itself contains a dot cannot be addressed).
//    A path is "missing" when the record has no metadata, the metadata or an
//    intermediate level is not an object, or a key is absent. Arrays are not
//    traversed ("a.0" is the key "0", not an index).
//  - A missing field matches only $ne, $nin and $exists:false (and, through
//    $not, the complement of anything). A present null is a value: {"f": null}
//    matches f: null, not a missing f.
//  - Equality (also $in/$nin membership) is plain value equality: numbers by
//    value, exactly (1 == 1.0; int64 vs double compared without rounding);
//    a bool is never equal to a number (true != 1); strings byte-wise; null
//    only null; arrays element-wise in order; objects by key set and values,
//    member order ignored; the same rules recursively. There is no "array
//    contains" rule: {"tags": "x"} does not match tags ["x", "y"], and
//    {"tags": ["x", "y"]} matches exactly that list.
//  - $gt $gte $lt $lte: the operand must be a number (an int or a double, not
//    a bool), else the filter is invalid. A field value that is not a number
//    (string, bool, null, container, missing) never matches a range.
//  - $in / $nin take an array (possibly empty: $in [] matches nothing, $nin []
//    everything). $exists takes a bool. $not takes an object; $and/$or take a
//    non-empty array of objects.
//  - $not is the logical complement of its filter, so a record without the
//    field matches {"f": {"$not": {"$gt": 5}}}.
//  - $match takes a string query with at least one non-space character: the
//    field must be a string that holds every term of the query after text
//    analysis (text/analyzer.h), in any order (api-decisions D22). The
//    analysis language is the field's text index's (MatchLanguages below)
//    and English where the field has none. A query with no terms left after
//    analysis (only stop words) matches every string value.
// Errors: Filter::Parse throws Error(kInvalidArgument) for an unknown
// operator, an operator with the wrong operand type, an operator other than
// $and/$or/$not at top level, a non-object filter, or nesting deeper than
// kMaxValueDepth; the message names the operator and field.
//
// Matches never throws, and allocates only to analyze a field for $match. A Filter is immutable
// after Parse and may be shared by concurrent searches.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "herondb/meta/numeric.h"
#include "herondb/meta/value.h"
#include "herondb/text/analyzer.h"

namespace herondb {

enum class FilterOp : uint8_t { kEq, kNe, kIn, kNin, kGt, kGte, kLt, kLte, kExists, kMatch };

// The analysis language $match uses for a field (by its dotted path as
// written); fields not listed use English.
using MatchLanguages = std::vector<std::pair<std::string, text::Language>>;

// A field path split at its dots, plus `key`, an unambiguous encoding of the
// parts that the metadata indexes use to name the field (see EncodePathPart).
struct FieldPath {
  std::vector<std::string> parts;
  std::string dotted;  // as written in the filter, for messages
  std::string key;
};

// Appends one path component to an encoded path key: its length as 4
// little-endian bytes, then its bytes.
void EncodePathPart(std::string_view part, std::string* key);

// The value a path resolves to in `metadata`, or nullptr when missing.
const Value* ResolvePath(const Value* metadata, const std::vector<std::string>& parts);

// Filter equality (see Semantics): numbers by value, bools apart, containers
// structurally.
bool FilterEquals(const Value& a, const Value& b);

// The operand of $in/$nin, pre-sorted for membership tests without
// allocation.
struct InSet {
  bool has_null = false, has_true = false, has_false = false;
  std::vector<NumKey> numbers;       // canonical, sorted by NumKeyLess, unique
  std::vector<std::string> strings;  // sorted, unique
  std::vector<Value> containers;     // arrays and objects, compared linearly
  Array items;                       // the operand as given

  bool Contains(const Value& v) const;
};

struct FilterNode {
  enum class Type : uint8_t { kTrue, kAnd, kOr, kNot, kLeaf };
  Type type = Type::kTrue;
  std::vector<FilterNode> children;  // kAnd/kOr: >= 2; kNot: exactly 1
  // kLeaf only:
  FilterOp op = FilterOp::kEq;
  FieldPath path;
  Value operand;  // $eq/$ne: the value; ranges: a number; $exists: a bool
  InSet in;       // $in/$nin
  // $match: the query's distinct terms under each language (index: the
  // Language value), in query order.
  std::vector<std::string> match_terms[2];
};

class Filter {
 public:
  // The filter {} (matches everything).
  Filter() = default;

  // Compiles a where_filter. Throws Error(kInvalidArgument) if malformed.
  static Filter Parse(const Value& where);

  // Whether a record with this metadata (nullptr: none) matches; $match
  // analyzes with `languages` (null: English everywhere).
  bool Matches(const Value* metadata, const MatchLanguages* languages = nullptr) const;
  // True when the filter holds a $match anywhere.
  bool has_match() const { return has_match_; }

  // True for {} (no condition).
  bool matches_all() const { return root_.type == FilterNode::Type::kTrue; }

  const FilterNode& root() const { return root_; }

  // Names this filter for caches of its results: the canonical binary
  // encoding of the where value it was parsed from (value_codec.h), so two
  // filters with the same key select the same records. Empty when the
  // filter has no key (never cache it): built by Filter(), or parsed from a
  // value that cannot be encoded.
  const std::string& cache_key() const { return cache_key_; }

 private:
  FilterNode root_;
  std::string cache_key_;
  bool has_match_ = false;
};

}  // namespace herondb
