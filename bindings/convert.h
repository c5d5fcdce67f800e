// Conversions between Python objects and the core's types, for the bindings.
//
// Contract: every function here runs with the GIL held, raises
// nb::type_error / nb::value_error for bad input (messages name the argument),
// and never changes database state. Float32 C-contiguous numpy arrays are
// used in place (no copy); other real dtypes, non-contiguous arrays and
// Python sequences are converted to float32 once.
#pragma once

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <cstdint>
#include <string>
#include <vector>

#include "herondb/meta/value.h"

namespace herondb::py {

namespace nb = nanobind;

// Float32 rows: borrowed from a numpy array (kept alive by `keep`) or owned.
struct Rows {
  const float* data = nullptr;
  size_t n = 0;
  std::vector<float> owned;
  nb::object keep;
  const float* row(size_t i, size_t dim) const { return data + i * dim; }
};

// One vector of length dim (`what` names it in errors).
Rows ToVector(nb::handle obj, size_t dim, const char* what);
// A batch: an (n, dim) array or a sequence of n vectors.
Rows ToBatch(nb::handle obj, size_t dim, const char* what);

// str -> std::string; TypeError naming `what` otherwise.
std::string ToId(nb::handle obj, const char* what);
std::vector<std::string> ToIdList(nb::handle obj, const char* what);

// None -> null ValuePtr; dict -> Value object; anything else TypeError.
ValuePtr ToMetadata(nb::handle obj);
// Any JSON-like Python value -> Value, at most `max_depth` levels of
// lists/dicts; errors name `what` and the field ("where_filter field 'a.b'").
// Dict keys become strings as json.dumps makes them (int, float, bool, None).
Value ToValue(nb::handle obj, int max_depth, const char* what);
// Value -> fresh Python object; null ValuePtr -> None.
nb::object FromValue(const Value& v);
nb::object FromMetadata(const ValuePtr& v);

}  // namespace herondb::py
