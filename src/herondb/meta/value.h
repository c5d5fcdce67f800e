// Value: the JSON data model of herondb metadata.
//
// Contract: a Value is null, a bool, an integer in [-2^63, 2^64), a finite
// double, a UTF-8 string, an array of Values, or an object (string keys,
// insertion order preserved, keys unique). Integers and doubles are distinct
// kinds so that metadata round-trips unchanged (1 stays 1, 1.0 stays 1.0);
// comparisons in filters treat them as numbers by value (1 == 1.0). Booleans
// are never numbers. Values are immutable once shared (held through ValuePtr).
//
// Integers have two kinds with one canonical form each: kInt holds every
// integer in the int64 range, kUint only those in [2^63, 2^64) (the unsigned
// 64-bit values int64 cannot hold). Value::OfUint picks the kind, so an
// integer has exactly one representation and structural equality stays
// value equality for integers.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace herondb {

// The deepest nesting of arrays/objects a Value may have (a scalar has depth
// 0, `[]` and `{}` depth 1). The codec, the JSON reader/writer and the filter
// parser enforce it, so recursion over any accepted Value is bounded.
inline constexpr int kMaxValueDepth = 128;
// Tighter limits of what users pass in (docs/api.md, docs/filters.md):
// metadata may nest arrays/objects kMaxMetadataDepth deep, the same for
// add() and import_json; a where_filter, whose operators ($and, $or, $not)
// each take a level or two, kMaxFilterDepth deep.
inline constexpr int kMaxMetadataDepth = 64;
inline constexpr int kMaxFilterDepth = 256;

class Value;
using Array = std::vector<Value>;
using Object = std::vector<std::pair<std::string, Value>>;
using ValuePtr = std::shared_ptr<const Value>;

class Value {
 public:
  // kUint is last so that the older kinds keep their numbers.
  enum class Kind : uint8_t { kNull, kBool, kInt, kDouble, kString, kArray, kObject, kUint };

  Value() : v_(std::monostate{}) {}
  explicit Value(bool b) : v_(b) {}
  explicit Value(int64_t i) : v_(i) {}
  explicit Value(double d) : v_(d) {}
  explicit Value(std::string s) : v_(std::move(s)) {}
  explicit Value(Array a) : v_(std::move(a)) {}
  explicit Value(Object o) : v_(std::move(o)) {}
  // An unsigned 64-bit integer: kInt when it fits in int64, else kUint.
  static Value OfUint(uint64_t u) {
    return u <= static_cast<uint64_t>(INT64_MAX) ? Value(static_cast<int64_t>(u)) : Value(Big{u});
  }

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_null() const { return kind() == Kind::kNull; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_int() const { return kind() == Kind::kInt; }
  bool is_double() const { return kind() == Kind::kDouble; }
  // kUint: an integer in [2^63, 2^64) (never one that fits in int64).
  bool is_uint() const { return kind() == Kind::kUint; }
  bool is_number() const { return is_int() || is_uint() || is_double(); }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_array() const { return kind() == Kind::kArray; }
  bool is_object() const { return kind() == Kind::kObject; }

  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const { return std::get<int64_t>(v_); }
  uint64_t as_uint() const { return std::get<Big>(v_).u; }
  double as_double() const { return std::get<double>(v_); }
  // A number as a double, integers rounded to the nearest (callers check
  // is_number()).
  double as_number() const {
    if (is_int()) return static_cast<double>(as_int());
    if (is_uint()) return static_cast<double>(as_uint());
    return as_double();
  }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const Array& as_array() const { return std::get<Array>(v_); }
  const Object& as_object() const { return std::get<Object>(v_); }
  Array& mutable_array() { return std::get<Array>(v_); }
  Object& mutable_object() { return std::get<Object>(v_); }

  // Object member lookup (linear; metadata objects are small). nullptr if
  // this is not an object or has no such key.
  const Value* Find(std::string_view key) const {
    if (!is_object()) return nullptr;
    for (const auto& [k, v] : as_object())
      if (k == key) return &v;
    return nullptr;
  }

  // Structural equality: same kinds and same contents (1 != 1.0 here; filter
  // comparisons use their own number-aware rules).
  bool operator==(const Value& o) const { return v_ == o.v_; }

 private:
  // The payload of kUint (a distinct type, so no integer converts to it).
  struct Big {
    uint64_t u;
    bool operator==(const Big&) const = default;
  };
  explicit Value(Big b) : v_(b) {}

  std::variant<std::monostate, bool, int64_t, double, std::string, Array, Object, Big> v_;
};

// Nesting depth of arrays/objects in `v` (a scalar 0, `[]` and `{}` 1);
// stops counting past `limit` (returns limit + 1), so it is cheap to check.
inline int ValueDepth(const Value& v, int limit) {
  if (!v.is_array() && !v.is_object()) return 0;
  if (limit <= 0) return 1;
  int deepest = 0;
  if (v.is_array()) {
    for (const Value& e : v.as_array()) deepest = std::max(deepest, ValueDepth(e, limit - 1));
  } else {
    for (const auto& kv : v.as_object())
      deepest = std::max(deepest, ValueDepth(kv.second, limit - 1));
  }
  return 1 + deepest;
}

}  // namespace herondb
