// JsonReader: a strict (RFC 8259) pull parser for JSON text held in memory or
// read incrementally from a FILE* or std::istream.
//
// Contract:
//  - It buffers at most a fixed-size window of the input (plus the token being
//    read), so a large document (an export of a million vectors) can be walked
//    one record at a time without holding the whole text:
//
//      JsonReader r(file);
//      r.BeginObject();
//      std::string key;
//      while (r.NextMember(&key)) {
//        if (key == "records") {
//          r.BeginArray();
//          while (r.NextElement()) Value record = r.ReadValue();
//        } else if (key == "dim") { Value dim = r.ReadValue(); }
//        else { r.SkipValue(); }
//      }
//      r.ExpectEnd();
//
//  - After NextMember or NextElement returns true, the caller consumes exactly
//    one value (ReadValue, SkipValue, ReadNumberArray, or BeginObject /
//    BeginArray and their loops). Commas, colons and closing brackets are
//    handled by the reader; trailing commas are rejected.
//  - Numbers without fraction or exponent that fit int64 become Kind::kInt,
//    those in [2^63, 2^64) Kind::kUint, all others Kind::kDouble; a number
//    whose magnitude overflows a double is an error. Strings must be valid
//    UTF-8; \u escapes must pair surrogates. No BOM, comments, NaN/Infinity,
//    single quotes or trailing garbage. Duplicate object keys: the last
//    value wins, kept at the first key's position (as Python's json does).
//  - Nesting deeper than kMaxValueDepth is an error.
//  - Every syntax error throws Error(kInvalidArgument) whose message holds
//    "offset N", the byte offset (from the start of the input) where the
//    problem was found. A read failure of the FILE*/istream throws
//    Error(kIOError). After an error the reader must not be used again.
//  - The reader does not own the FILE*/istream/text; they must outlive it. It
//    reads from the FILE*/istream's current position.
#pragma once

#include <cstdint>
#include <cstdio>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "herondb/meta/value.h"

namespace herondb {

class JsonReader {
 public:
  // With `on`, an integer literal outside [-2^63, 2^64) read as a value is
  // kInvalidArgument naming the field ("field 'a.b[2]': integer ...")
  // instead of becoming a double (import_json's metadata, like add());
  // number arrays (ReadNumberArray) still take it as a double. Off by
  // default.
  void RequireExactIntegers(bool on) { exact_integers_ = on; }

  // Kind of the next value, as seen from its first character.
  enum class Next { kNull, kBool, kNumber, kString, kArray, kObject, kEnd };

  // Reads `text` from byte `start` on (offsets in errors count from text[0]).
  explicit JsonReader(std::string_view text, size_t start = 0);
  explicit JsonReader(std::FILE* file);
  explicit JsonReader(std::istream& in);

  JsonReader(const JsonReader&) = delete;
  JsonReader& operator=(const JsonReader&) = delete;

  // Skips whitespace and reports what the next value is (kEnd at the end of
  // the input or at a character that starts no value). Consumes nothing else.
  Next Peek();

  // Consumes '{' / '['. The matching loop is NextMember / NextElement.
  void BeginObject();
  void BeginArray();

  // Inside an object: returns false after consuming the closing '}';
  // otherwise reads the next key and its ':' and returns true, with the
  // member's value next.
  bool NextMember(std::string* key);

  // Inside an array: returns false after consuming the closing ']';
  // otherwise returns true with the next element next.
  bool NextElement();

  // Reads the next complete value.
  Value ReadValue();

  // Skips the next complete value without building it (still validated).
  void SkipValue();

  // Reads the next value, which must be an array of numbers, into *out
  // (cleared first) as doubles. Cheaper than ReadValue for vectors.
  void ReadNumberArray(std::vector<double>* out);

  // Requires that only whitespace remains (and that every container opened
  // with BeginObject/BeginArray was closed).
  void ExpectEnd();

  // Byte offset of the next unread character from the start of the input.
  uint64_t offset() const;

 private:
  enum class Frame : uint8_t { kObjectFirst, kObject, kArrayFirst, kArray };

  int PeekChar();  // -1 at end of input
  int GetChar();
  bool Refill();
  int SkipWs();  // skips whitespace, returns the next char or -1
  void Expect(char c, const char* what);
  void ExpectLiteral(const char* lit);
  [[noreturn]] void Fail(const std::string& what) const;
  void CheckDepth(int depth) const;

  Value ParseValue(int depth);
  bool exact_integers_ = false;  // RequireExactIntegers
  void SkipAny(int depth);
  void ParseString(std::string* out);
  Value ParseNumber();
  double ParseNumberAsDouble();
  void ScanNumber();  // the number's characters into scratch_

  // Input.
  std::FILE* file_ = nullptr;
  std::istream* stream_ = nullptr;
  std::vector<char> buf_;
  const char* pos_ = nullptr;
  const char* end_ = nullptr;
  uint64_t base_ = 0;  // offset of *begin_ in the input
  const char* begin_ = nullptr;

  std::vector<Frame> frames_;
  std::string scratch_;
};

}  // namespace herondb
