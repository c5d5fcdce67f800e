// NumKey: an exact, canonical key for a JSON number (an int64, an unsigned
// 64-bit integer in [2^63, 2^64), or a finite double).
//
// Contract: filters compare numbers by value, exactly: 1 == 1.0, and
// 9007199254740993 (an int) != 9007199254740992.0 (a double), which a plain
// conversion to double would get wrong; likewise 2^64-1 (an integer) is below
// 2.0^64 (a double) and above 2^63-1. NumKey::Of canonicalizes: an integer
// that fits in int64 is an int key, a larger one (up to 2^64-1) a uint key; a
// double with an integral value in [-2^63, 2^64) becomes the int or uint key
// of that integer (so -0.0, 0.0 and 0 are one key, and 2.0^63 and 2^63 are
// one key); any other double stays a double. Two canonical keys are equal iff
// the numbers are equal, and CompareNum is a total order that agrees with the
// mathematical order of the values. Assumes finite doubles (Value guarantees
// it). Header-only; no allocation.
#pragma once

#include <cmath>
#include <cstdint>

#include "herondb/meta/value.h"

namespace herondb {

// Exact three-way comparison of an int64 with a finite double: -1, 0 or 1.
inline int CompareIntDouble(int64_t i, double d) {
  if (d < -0x1p63) return 1;
  if (d >= 0x1p63) return -1;
  double t = std::trunc(d);  // in [-2^63, 2^63): converts exactly
  int64_t ti = static_cast<int64_t>(t);
  if (i < ti) return -1;
  if (i > ti) return 1;
  double frac = d - t;  // exact
  return frac > 0 ? -1 : (frac < 0 ? 1 : 0);
}

// Exact three-way comparison of a uint64 with a finite double: -1, 0 or 1.
inline int CompareUintDouble(uint64_t u, double d) {
  if (d < 0) return 1;  // u >= 0 > d (-0.0 is not below 0 and goes on)
  if (d >= 0x1p64) return -1;
  double t = std::trunc(d);  // in [0, 2^64): converts exactly
  uint64_t tu = static_cast<uint64_t>(t);
  if (u < tu) return -1;
  if (u > tu) return 1;
  return d - t > 0 ? -1 : 0;  // the fraction is exact and not negative
}

// Exact three-way comparison of an int64 with a uint64.
inline int CompareIntUint(int64_t i, uint64_t u) {
  if (i < 0) return -1;
  uint64_t iu = static_cast<uint64_t>(i);
  return iu < u ? -1 : (iu > u ? 1 : 0);
}

struct NumKey {
  enum class Type : uint8_t { kInt, kUint, kDouble };
  Type type = Type::kInt;
  int64_t i = 0;   // kInt
  uint64_t u = 0;  // kUint (canonical: >= 2^63)
  double d = 0;    // kDouble (canonical: not an integer in [-2^63, 2^64))

  static NumKey OfInt(int64_t v) { return NumKey{Type::kInt, v, 0, 0}; }
  static NumKey OfUint(uint64_t v) {
    if (v <= static_cast<uint64_t>(INT64_MAX)) return OfInt(static_cast<int64_t>(v));
    return NumKey{Type::kUint, 0, v, 0};
  }
  static NumKey OfDouble(double v) {
    if (v == std::trunc(v)) {
      if (v >= -0x1p63 && v < 0x1p63) return OfInt(static_cast<int64_t>(v));
      if (v >= 0x1p63 && v < 0x1p64) return NumKey{Type::kUint, 0, static_cast<uint64_t>(v), 0};
    }
    return NumKey{Type::kDouble, 0, 0, v};
  }
  // `v` must be a number (v.is_number()).
  static NumKey Of(const Value& v) {
    if (v.is_int()) return OfInt(v.as_int());
    if (v.is_uint()) return OfUint(v.as_uint());
    return OfDouble(v.as_double());
  }
};

// Exact three-way comparison of two numbers (canonical or not).
inline int CompareNum(const NumKey& a, const NumKey& b) {
  using T = NumKey::Type;
  switch (a.type) {
    case T::kInt:
      if (b.type == T::kInt) return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
      if (b.type == T::kUint) return CompareIntUint(a.i, b.u);
      return CompareIntDouble(a.i, b.d);
    case T::kUint:
      if (b.type == T::kInt) return -CompareIntUint(b.i, a.u);
      if (b.type == T::kUint) return a.u < b.u ? -1 : (a.u > b.u ? 1 : 0);
      return CompareUintDouble(a.u, b.d);
    case T::kDouble:
      if (b.type == T::kInt) return -CompareIntDouble(b.i, a.d);
      if (b.type == T::kUint) return -CompareUintDouble(b.u, a.d);
      return a.d < b.d ? -1 : (a.d > b.d ? 1 : 0);
  }
  return 0;
}

// Exact comparison of two number Values (both must satisfy is_number()).
inline int CompareNumbers(const Value& a, const Value& b) {
  if (a.is_int() && b.is_int()) {
    return a.as_int() < b.as_int() ? -1 : (a.as_int() > b.as_int() ? 1 : 0);
  }
  if (a.is_double() && b.is_double()) {
    return a.as_double() < b.as_double() ? -1 : (a.as_double() > b.as_double() ? 1 : 0);
  }
  return CompareNum(NumKey::Of(a), NumKey::Of(b));
}

inline bool operator==(const NumKey& a, const NumKey& b) { return CompareNum(a, b) == 0; }

struct NumKeyLess {
  bool operator()(const NumKey& a, const NumKey& b) const { return CompareNum(a, b) < 0; }
};

}  // namespace herondb
