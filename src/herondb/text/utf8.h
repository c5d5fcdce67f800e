// Strict UTF-8 decoding and encoding for the text analyzer.
//
// Contract: DecodeUtf8 accepts exactly the well-formed sequences of the
// Unicode standard (Table 3-7): no overlong forms, no surrogates (U+D800 to
// U+DFFF), nothing above U+10FFFF, no stray continuation bytes, no truncated
// sequences. It never reads at or past `end`. On an ill-formed sequence it
// returns 0 and the caller skips one byte (each byte of an ill-formed
// sequence then acts as a separator).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace herondb::text {

// Decodes the code point starting at p (p < end). Returns its length in bytes
// (1 to 4) and stores the code point in *cp, or returns 0 if the bytes at p do
// not start a well-formed sequence.
inline size_t DecodeUtf8(const unsigned char* p, const unsigned char* end, char32_t* cp) {
  const unsigned b0 = p[0];
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  const size_t avail = static_cast<size_t>(end - p);
  if (b0 < 0xC2) return 0;  // continuation byte, or overlong 2-byte lead (C0, C1)
  if (b0 < 0xE0) {
    if (avail < 2 || (p[1] & 0xC0) != 0x80) return 0;
    *cp = ((b0 & 0x1Fu) << 6) | (p[1] & 0x3Fu);
    return 2;
  }
  if (b0 < 0xF0) {
    if (avail < 3) return 0;
    const unsigned b1 = p[1];
    // E0 needs A0..BF (no overlongs); ED needs 80..9F (no surrogates).
    const unsigned lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned hi = b0 == 0xED ? 0x9F : 0xBF;
    if (b1 < lo || b1 > hi || (p[2] & 0xC0) != 0x80) return 0;
    *cp = ((b0 & 0x0Fu) << 12) | ((b1 & 0x3Fu) << 6) | (p[2] & 0x3Fu);
    return 3;
  }
  if (b0 > 0xF4 || avail < 4) return 0;
  const unsigned b1 = p[1];
  // F0 needs 90..BF (no overlongs); F4 needs 80..8F (nothing above U+10FFFF).
  const unsigned lo = b0 == 0xF0 ? 0x90 : 0x80;
  const unsigned hi = b0 == 0xF4 ? 0x8F : 0xBF;
  if (b1 < lo || b1 > hi || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
  *cp = ((b0 & 0x07u) << 18) | ((b1 & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
  return 4;
}

// Writes the UTF-8 encoding of cp (a scalar value) to out[0..3]; returns its
// length in bytes.
inline size_t EncodeUtf8(char32_t cp, char* out) {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

// Appends the UTF-8 encoding of cp (a scalar value: <= U+10FFFF, not a
// surrogate) to *out.
inline void AppendUtf8(char32_t cp, std::string* out) {
  char buf[4];
  out->append(buf, EncodeUtf8(cp, buf));
}

}  // namespace herondb::text
