#include "herondb/text/unicode.h"

#include <algorithm>
#include <array>
#include <iterator>

namespace herondb::text {
namespace {

struct ClassRange {
  char32_t first, last;
  uint8_t cls;
};
struct FoldPair {
  char32_t from, to;
};

#include "herondb/text/unicode_tables.inc"

// Code points below kDirect (ASCII and every two-byte UTF-8 sequence: Latin,
// Greek, Cyrillic, Armenian, Hebrew, Arabic) are looked up directly.
constexpr char32_t kDirect = 0x800;

struct DirectTables {
  std::array<uint8_t, kDirect> cls{};
  std::array<char16_t, kDirect> fold{};
};

constexpr DirectTables MakeDirect() {
  DirectTables t;
  for (char32_t c = 0; c < kDirect; ++c) t.fold[c] = static_cast<char16_t>(c);
  for (char32_t c = '0'; c <= '9'; ++c) t.cls[c] = static_cast<uint8_t>(CharClass::kWord);
  for (char32_t c = 'a'; c <= 'z'; ++c) t.cls[c] = static_cast<uint8_t>(CharClass::kWord);
  for (char32_t c = 'A'; c <= 'Z'; ++c) {
    t.cls[c] = static_cast<uint8_t>(CharClass::kWord);
    t.fold[c] = static_cast<char16_t>(c + 32);
  }
  t.cls['\''] = static_cast<uint8_t>(CharClass::kApostrophe);
  t.cls[0x2BC] = static_cast<uint8_t>(CharClass::kApostrophe);
  for (const ClassRange& r : kClassRanges) {
    for (char32_t c = r.first; c <= r.last && c < kDirect; ++c) t.cls[c] = r.cls;
  }
  for (const FoldPair& p : kFoldPairs) {
    // A fold of a two-byte code point to a wider one (none in Unicode 14)
    // would not fit: such a pair is left to the binary search.
    if (p.from < kDirect && p.to < 0x10000) t.fold[p.from] = static_cast<char16_t>(p.to);
  }
  return t;
}

constexpr DirectTables kDirectTables = MakeDirect();

}  // namespace

CharClass ClassOf(char32_t cp) {
  if (cp < kDirect) return static_cast<CharClass>(kDirectTables.cls[cp]);
  if (cp == 0x2019) return CharClass::kApostrophe;
  const ClassRange* end = std::end(kClassRanges);
  const ClassRange* it =
      std::upper_bound(std::begin(kClassRanges), end, cp,
                       [](char32_t c, const ClassRange& r) { return c < r.first; });
  if (it == std::begin(kClassRanges)) return CharClass::kSeparator;
  --it;
  return cp <= it->last ? static_cast<CharClass>(it->cls) : CharClass::kSeparator;
}

char32_t FoldCase(char32_t cp) {
  if (cp < kDirect) return kDirectTables.fold[cp];
  const FoldPair* end = std::end(kFoldPairs);
  const FoldPair* it = std::lower_bound(std::begin(kFoldPairs), end, cp,
                                        [](const FoldPair& p, char32_t c) { return p.from < c; });
  return it != end && it->from == cp ? it->to : cp;
}

}  // namespace herondb::text
