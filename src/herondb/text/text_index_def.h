// TextIndexDef: what a text index covers and how it scores: a metadata field
// (a dotted path, as in filters), the analysis language and the BM25
// parameters. The definitions are what persists (snapshot section TXDF, log
// records of kind 3; docs/storage-format.md): the postings are derived from
// the metadata and rebuilt when a database opens.
//
// Encoding of one definition: varint field length | field bytes (UTF-8,
// non-empty) | u8 language (text/analyzer.h Language) | f64 k1 | f64 b
// (little-endian IEEE-754). A list: varint count | definitions.
//
// Contract: ValidateTextIndexDef throws Error(kInvalidArgument) naming the
// bad value (empty field, k1 not finite or < 0, b outside [0, 1]). Decode*
// throw Error(kCorruption, "<what>") on malformed input and never read
// outside it; they also reject values Validate would.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "herondb/text/analyzer.h"

namespace herondb::text {

struct TextIndexDef {
  std::string field;
  Language language = Language::kEnglish;
  double k1 = 1.2;
  double b = 0.75;
};

void ValidateTextIndexDef(const TextIndexDef& def);
// The field's dotted path split at its dots.
std::vector<std::string> SplitFieldPath(std::string_view field);

void EncodeTextIndexDef(const TextIndexDef& def, std::string* out);
void EncodeTextIndexDefs(const std::vector<TextIndexDef>& defs, std::string* out);
// Decodes one definition from *in and advances it past it.
TextIndexDef DecodeTextIndexDef(std::string_view* in);
std::vector<TextIndexDef> DecodeTextIndexDefs(std::string_view in);

}  // namespace herondb::text
