#include "herondb/text/text_index_def.h"

#include <cmath>
#include <cstring>

#include "herondb/common/error.h"

namespace herondb::text {
namespace {

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

[[noreturn]] void Bad(const std::string& what) {
  Throw(ErrorCode::kCorruption, "text index definition: " + what);
}

uint64_t GetVarint(std::string_view* in) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in->empty()) Bad("truncated");
    const uint8_t b = static_cast<uint8_t>((*in)[0]);
    in->remove_prefix(1);
    v |= uint64_t{b & 0x7fu} << shift;
    if (!(b & 0x80)) return v;
  }
  Bad("varint too long");
}

void PutDouble(std::string* out, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(bits >> (8 * i)));
}

double GetDouble(std::string_view* in) {
  if (in->size() < 8) Bad("truncated");
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits |= uint64_t{static_cast<uint8_t>((*in)[i])} << (8 * i);
  in->remove_prefix(8);
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

}  // namespace

void ValidateTextIndexDef(const TextIndexDef& def) {
  if (def.field.empty())
    Throw(ErrorCode::kInvalidArgument, "a text index needs a non-empty field name");
  if (!std::isfinite(def.k1) || def.k1 < 0)
    Throw(ErrorCode::kInvalidArgument,
          "k1 must be a finite number >= 0, got " + std::to_string(def.k1));
  if (!(def.b >= 0 && def.b <= 1))
    Throw(ErrorCode::kInvalidArgument, "b must be between 0 and 1, got " + std::to_string(def.b));
}

std::vector<std::string> SplitFieldPath(std::string_view field) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t dot = field.find('.', start);
    parts.emplace_back(field.substr(start, dot == field.npos ? field.npos : dot - start));
    if (dot == field.npos) break;
    start = dot + 1;
  }
  return parts;
}

void EncodeTextIndexDef(const TextIndexDef& def, std::string* out) {
  PutVarint(out, def.field.size());
  out->append(def.field);
  out->push_back(static_cast<char>(def.language));
  PutDouble(out, def.k1);
  PutDouble(out, def.b);
}

void EncodeTextIndexDefs(const std::vector<TextIndexDef>& defs, std::string* out) {
  PutVarint(out, defs.size());
  for (const TextIndexDef& d : defs) EncodeTextIndexDef(d, out);
}

TextIndexDef DecodeTextIndexDef(std::string_view* in) {
  TextIndexDef d;
  const uint64_t n = GetVarint(in);
  if (n == 0 || n > in->size()) Bad("bad field length");
  d.field = std::string(in->substr(0, n));
  in->remove_prefix(n);
  if (in->empty()) Bad("truncated");
  const uint8_t lang = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  if (lang != static_cast<uint8_t>(Language::kNone) &&
      lang != static_cast<uint8_t>(Language::kEnglish))
    Bad("unknown language " + std::to_string(lang));
  d.language = static_cast<Language>(lang);
  d.k1 = GetDouble(in);
  d.b = GetDouble(in);
  try {
    ValidateTextIndexDef(d);
  } catch (const Error& e) {
    Bad(e.what());
  }
  return d;
}

std::vector<TextIndexDef> DecodeTextIndexDefs(std::string_view in) {
  const uint64_t count = GetVarint(&in);
  if (count > in.size()) Bad("count larger than the data");
  std::vector<TextIndexDef> defs;
  for (uint64_t i = 0; i < count; ++i) {
    defs.push_back(DecodeTextIndexDef(&in));
    for (size_t j = 0; j + 1 < defs.size(); ++j)
      if (defs[j].field == defs.back().field) Bad("field '" + defs[j].field + "' twice");
  }
  if (!in.empty()) Bad("trailing bytes");
  return defs;
}

}  // namespace herondb::text
