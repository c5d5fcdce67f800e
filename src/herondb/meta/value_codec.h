// Value codec: the compact binary form of a Value, used by the write-ahead
// log and snapshots to store metadata.
//
// Byte format (all multi-byte integers little-endian; "varint" is unsigned
// LEB128, 7 bits per byte, low bits first, at most 10 bytes):
//
//   value   := tag payload
//   tag 0x00  null                 (no payload)
//   tag 0x01  false                (no payload)
//   tag 0x02  true                 (no payload)
//   tag 0x03  int64                varint(zigzag(i))   zigzag(i) = (i << 1) ^ (i >> 63)
//   tag 0x04  double               8 bytes, IEEE-754 binary64; must be finite
//   tag 0x05  string               varint(n) then n bytes of valid UTF-8
//   tag 0x06  array                varint(count) then count values
//   tag 0x07  object               varint(count) then count members,
//                                  member := varint(n) n key bytes (UTF-8) value
//                                  keys unique, in insertion order
//   tag 0x08  uint64 >= 2^63       8 bytes, little-endian; the top bit must be
//                                  set (smaller integers are always tag 0x03),
//                                  for integers in [2^63, 2^64) only
//   tags 0x09..0xFF are reserved (a decoder rejects them).
// Tag 0x08 is newer than the others: files written before it existed hold
// none, so they decode unchanged.
// Varints must be in their shortest form, so the encoding is canonical:
// every byte string that decodes re-encodes to exactly the same bytes.
//
// Nesting (arrays/objects inside each other) is limited to kMaxValueDepth.
// The format itself carries no version: the files that embed it (log,
// snapshot) are versioned.
//
// Contract:
//  - EncodeValue appends the encoding of `v` to `*out`. It throws
//    Error(kInvalidArgument) if `v` cannot be stored (a non-finite double, or
//    nesting deeper than kMaxValueDepth), and then leaves `*out` unchanged.
//    The Database can call it at its boundary to validate metadata before
//    changing anything.
//  - DecodeValue decodes exactly one value that must span all of `in`.
//    DecodeValuePrefix decodes one value from the front of `*in` and advances
//    `*in` past it. On any malformed, truncated or over-deep input, or bytes
//    that do not form a valid Value (bad UTF-8, duplicate keys, non-finite
//    doubles, trailing bytes), they throw Error(kCorruption) naming the byte
//    offset; they never read outside the input and allocate at most in
//    proportion to the input size. Round trip: DecodeValue(Encode(v)) == v
//    (same kinds: 1 stays an int, 1.0 a double, -0.0 keeps its sign, 2^64-1
//    stays that integer).
#pragma once

#include <string>
#include <string_view>

#include "herondb/meta/value.h"

namespace herondb {

void EncodeValue(const Value& v, std::string* out);

// Convenience: the encoding as a fresh string.
std::string EncodeValue(const Value& v);

Value DecodeValue(std::string_view in);

Value DecodeValuePrefix(std::string_view* in);

}  // namespace herondb
