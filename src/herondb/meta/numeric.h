// NumKey: an exact, canonical key for a JSON number (int64 or finite double).
//
// Contract: filters compare numbers by value, exactly: 1 == 1.0, and
// 9007199254740993 (an int) != 9007199254740992.0 (a double), which a plain
// conversion to double would get wrong. NumKey::Of canonicalizes: a double
// with an integral value inside the int64 range becomes the int (so -0.0,
// 0.0 and 0 are one key); any other double stays a double. Two canonical keys
// are equal iff the numbers are equal, and CompareNum is a total order that
// agrees with the mathematical order of the values. Assumes finite doubles
// (Value guarantees it). Header-only; no allocation.
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

struct NumKey {
  bool is_int = true;
  int64_t i = 0;
  double d = 0;

  static NumKey OfInt(int64_t v) { return NumKey{true, v, 0}; }
  static NumKey OfDouble(double v) {
    if (v >= -0x1p63 && v < 0x1p63 && v == std::trunc(v)) {
      return NumKey{true, static_cast<int64_t>(v), 0};
    }
    return NumKey{false, 0, v};
  }
  // `v` must be a number (v.is_number()).
  static NumKey Of(const Value& v) {
    return v.is_int() ? OfInt(v.as_int()) : OfDouble(v.as_double());
  }
};

// Exact three-way comparison of two numbers (canonical or not).
inline int CompareNum(const NumKey& a, const NumKey& b) {
  if (a.is_int && b.is_int) return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
  if (!a.is_int && !b.is_int) return a.d < b.d ? -1 : (a.d > b.d ? 1 : 0);
  if (a.is_int) return CompareIntDouble(a.i, b.d);
  return -CompareIntDouble(b.i, a.d);
}

// Exact comparison of two number Values (both must satisfy is_number()).
inline int CompareNumbers(const Value& a, const Value& b) {
  if (a.is_int() && b.is_int()) {
    return a.as_int() < b.as_int() ? -1 : (a.as_int() > b.as_int() ? 1 : 0);
  }
  if (a.is_double() && b.is_double()) {
    return a.as_double() < b.as_double() ? -1 : (a.as_double() > b.as_double() ? 1 : 0);
  }
  if (a.is_int()) return CompareIntDouble(a.as_int(), b.as_double());
  return -CompareIntDouble(b.as_int(), a.as_double());
}

inline bool operator==(const NumKey& a, const NumKey& b) { return CompareNum(a, b) == 0; }

struct NumKeyLess {
  bool operator()(const NumKey& a, const NumKey& b) const { return CompareNum(a, b) < 0; }
};

}  // namespace herondb
