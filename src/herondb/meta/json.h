// JSON text <-> Value: whole-text parsing and serialization.
//
// Contract:
//  - ParseJson parses a complete JSON text (RFC 8259, strict; see
//    json_reader.h for the exact rules: ints vs doubles, UTF-8, surrogates,
//    duplicate keys, depth limit). Errors throw Error(kInvalidArgument) with
//    "offset N" (the byte offset) in the message.
//  - ParseJsonPrefix parses one value starting at byte *pos of `text`
//    (leading whitespace skipped) and sets *pos just past it; what follows is
//    left for the caller (several concatenated values, or a value embedded in
//    a larger buffer). For a file too large for memory use JsonReader.
//  - SerializeJson appends `v` as JSON text to *out. Compact form has no
//    spaces: {"a":1,"b":[true,null]}. Pretty form indents by 2 spaces per
//    level, one member/element per line, "key": value; `indent_level` is the
//    level the value starts at (for a value written inside an outer document
//    that the caller writes piecewise). Empty containers print as {} and [].
//    Strings: UTF-8 passes through unchanged; '"', '\\' and control characters
//    (< 0x20) are escaped (\n \t \r \b \f, else \u00XX); '/' and DEL are not.
//    Numbers: integers (int64 and uint64 kinds) in decimal; doubles in the
//    shortest form that parses back to the same double (std::to_chars), with
//    ".0" appended when that form would read as an integer, so 1.0 -> "1.0",
//    -0.0 -> "-0.0",
//    1e308 -> "1e+308": every double round-trips exactly and stays a double.
//    A non-finite double or nesting deeper than kMaxValueDepth throws
//    Error(kInvalidArgument); *out may then hold a partial text.
//  - AppendJsonFloat32 writes a float32 `f` as the shortest text of the
//    double (double)f. Any reader that parses it as a double gets exactly
//    (double)f (so Python's json.load equals the floats `get` returns), and
//    rounding that to float32 gives back exactly f (no double rounding: the
//    double is f itself).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "herondb/meta/value.h"

namespace herondb {

Value ParseJson(std::string_view text);

Value ParseJsonPrefix(std::string_view text, size_t* pos);

void SerializeJson(const Value& v, std::string* out, bool pretty = false, int indent_level = 0);

// Convenience: the compact (or pretty) JSON text of v.
std::string ToJson(const Value& v, bool pretty = false);

// Appends s as a quoted, escaped JSON string.
void AppendJsonString(std::string_view s, std::string* out);

// Appends a finite double (throws Error(kInvalidArgument) otherwise).
void AppendJsonDouble(double d, std::string* out);

// Appends an int64 in decimal.
void AppendJsonInt(int64_t i, std::string* out);

// Appends a uint64 in decimal.
void AppendJsonUint(uint64_t u, std::string* out);

// Appends a finite float32 so that it round-trips exactly (see above).
void AppendJsonFloat32(float f, std::string* out);

}  // namespace herondb
