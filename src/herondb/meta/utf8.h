// UTF-8 validation and encoding (RFC 3629).
//
// Contract: IsValidUtf8 accepts exactly the well-formed UTF-8 byte sequences:
// no overlong forms, no encoded surrogates (U+D800..U+DFFF), nothing above
// U+10FFFF, no stray continuation bytes, no truncated sequences. It never
// reads outside `s`. AppendUtf8 appends the encoding of one code point; the
// caller guarantees `cp` is a Unicode scalar value (<= 0x10FFFF, not a
// surrogate).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace herondb {

bool IsValidUtf8(std::string_view s);

void AppendUtf8(uint32_t cp, std::string* out);

}  // namespace herondb
