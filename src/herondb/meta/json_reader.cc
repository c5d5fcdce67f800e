#include "herondb/meta/json_reader.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "herondb/common/error.h"
#include "herondb/meta/utf8.h"

namespace herondb {
namespace {

constexpr size_t kBufferSize = 64 * 1024;
// Objects up to this many members find duplicate keys by a linear scan.
constexpr size_t kLinearKeyScan = 32;

bool IsDigit(int c) { return c >= '0' && c <= '9'; }

bool IsNumberChar(int c) {
  return IsDigit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

int HexValue(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Describe(int c) {
  if (c < 0) return "end of input";
  if (c >= 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
  char buf[16];
  std::snprintf(buf, sizeof buf, "byte 0x%02X", c);
  return buf;
}

// Under RequireExactIntegers: an integer literal outside [-2^63, 2^64),
// thrown from ParseNumber and caught by ParseValue's containers, which add
// their key or index to `path` (innermost first), until ReadValue turns it
// into an Error that names the field.
struct IntegerOutOfRange {
  std::string digits;
  uint64_t offset;
  std::vector<std::string> path;
};

[[noreturn]] void ThrowOutOfRange(const IntegerOutOfRange& e) {
  std::string where;
  for (auto it = e.path.rbegin(); it != e.path.rend(); ++it) {
    if (!where.empty() && (*it)[0] != '[') where += '.';
    where += *it;
  }
  std::string digits = e.digits;
  if (digits.size() > 40)
    digits = digits.substr(0, 20) + "..." + std::to_string(digits.size()) + " digits";
  Throw(ErrorCode::kInvalidArgument,
        (where.empty() ? std::string() : "field '" + where + "': ") + "integer " + digits +
            " (offset " + std::to_string(e.offset) +
            ") does not fit in a 64-bit integer (from -2**63 to 2**64-1)");
}

}  // namespace

JsonReader::JsonReader(std::string_view text, size_t start) {
  begin_ = text.data();
  end_ = begin_ + text.size();
  pos_ = begin_ + (start < text.size() ? start : text.size());
}

JsonReader::JsonReader(std::FILE* file) : file_(file), buf_(kBufferSize) {
  begin_ = pos_ = end_ = buf_.data();
}

JsonReader::JsonReader(std::istream& in) : stream_(&in), buf_(kBufferSize) {
  begin_ = pos_ = end_ = buf_.data();
}

uint64_t JsonReader::offset() const { return base_ + static_cast<uint64_t>(pos_ - begin_); }

void JsonReader::Fail(const std::string& what) const {
  Throw(ErrorCode::kInvalidArgument,
        "invalid JSON at offset " + std::to_string(offset()) + ": " + what);
}

void JsonReader::CheckDepth(int depth) const {
  if (depth > kMaxValueDepth) {
    Fail("nesting deeper than " + std::to_string(kMaxValueDepth) + " levels");
  }
}

bool JsonReader::Refill() {
  if (file_ == nullptr && stream_ == nullptr) return false;
  base_ += static_cast<uint64_t>(end_ - begin_);
  size_t n = 0;
  if (file_ != nullptr) {
    n = std::fread(buf_.data(), 1, buf_.size(), file_);
    if (n == 0 && std::ferror(file_)) {
      int err = errno;
      throw Error(ErrorCode::kIOError,
                  "reading JSON at offset " + std::to_string(base_) + ": " + std::strerror(err),
                  err);
    }
  } else {
    stream_->read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    n = static_cast<size_t>(stream_->gcount());
    if (n == 0 && stream_->bad()) {
      Throw(ErrorCode::kIOError, "reading JSON at offset " + std::to_string(base_) + " failed");
    }
  }
  begin_ = pos_ = buf_.data();
  end_ = begin_ + n;
  return n > 0;
}

int JsonReader::PeekChar() {
  if (pos_ == end_ && !Refill()) return -1;
  return static_cast<unsigned char>(*pos_);
}

int JsonReader::GetChar() {
  if (pos_ == end_ && !Refill()) return -1;
  return static_cast<unsigned char>(*pos_++);
}

int JsonReader::SkipWs() {
  for (;;) {
    int c = PeekChar();
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++pos_;
      continue;
    }
    return c;
  }
}

void JsonReader::Expect(char c, const char* what) {
  int got = SkipWs();
  if (got != static_cast<unsigned char>(c))
    Fail(std::string("expected ") + what + ", got " + Describe(got));
  ++pos_;
}

void JsonReader::ExpectLiteral(const char* lit) {
  for (const char* p = lit; *p; ++p) {
    int c = PeekChar();
    if (c != *p) Fail(std::string("invalid literal, expected '") + lit + "'");
    ++pos_;
  }
}

JsonReader::Next JsonReader::Peek() {
  int c = SkipWs();
  switch (c) {
    case '{':
      return Next::kObject;
    case '[':
      return Next::kArray;
    case '"':
      return Next::kString;
    case 't':
    case 'f':
      return Next::kBool;
    case 'n':
      return Next::kNull;
    default:
      return (c == '-' || IsDigit(c)) ? Next::kNumber : Next::kEnd;
  }
}

void JsonReader::BeginObject() {
  int c = SkipWs();
  if (c != '{') Fail("expected '{', got " + Describe(c));
  CheckDepth(static_cast<int>(frames_.size()) + 1);
  ++pos_;
  frames_.push_back(Frame::kObjectFirst);
}

void JsonReader::BeginArray() {
  int c = SkipWs();
  if (c != '[') Fail("expected '[', got " + Describe(c));
  CheckDepth(static_cast<int>(frames_.size()) + 1);
  ++pos_;
  frames_.push_back(Frame::kArrayFirst);
}

bool JsonReader::NextMember(std::string* key) {
  if (frames_.empty() ||
      (frames_.back() != Frame::kObjectFirst && frames_.back() != Frame::kObject)) {
    Fail("NextMember called outside an object");
  }
  int c = SkipWs();
  if (c == '}') {
    ++pos_;
    frames_.pop_back();
    return false;
  }
  if (frames_.back() == Frame::kObject) {
    if (c != ',') Fail("expected ',' or '}', got " + Describe(c));
    ++pos_;
    c = SkipWs();
  }
  frames_.back() = Frame::kObject;
  if (c != '"') Fail("expected a string key, got " + Describe(c));
  ParseString(key);
  Expect(':', "':'");
  return true;
}

bool JsonReader::NextElement() {
  if (frames_.empty() ||
      (frames_.back() != Frame::kArrayFirst && frames_.back() != Frame::kArray)) {
    Fail("NextElement called outside an array");
  }
  int c = SkipWs();
  if (c == ']') {
    ++pos_;
    frames_.pop_back();
    return false;
  }
  if (frames_.back() == Frame::kArray) {
    if (c != ',') Fail("expected ',' or ']', got " + Describe(c));
    ++pos_;
  }
  frames_.back() = Frame::kArray;
  return true;
}

Value JsonReader::ReadValue() {
  try {
    return ParseValue(static_cast<int>(frames_.size()));
  } catch (const IntegerOutOfRange& e) {
    ThrowOutOfRange(e);
  }
}

void JsonReader::SkipValue() { (void)ReadValue(); }

void JsonReader::ExpectEnd() {
  if (!frames_.empty()) Fail("unclosed object or array");
  int c = SkipWs();
  if (c != -1) Fail("unexpected " + Describe(c) + " after the JSON value");
}

Value JsonReader::ParseValue(int depth) {
  int c = SkipWs();
  switch (c) {
    case '{': {
      CheckDepth(depth + 1);
      ++pos_;
      Object obj;
      std::unordered_map<std::string, size_t> index;  // used past kLinearKeyScan members
      c = SkipWs();
      if (c == '}') {
        ++pos_;
        return Value(std::move(obj));
      }
      std::string key;
      for (;;) {
        if (c != '"') Fail("expected a string key, got " + Describe(c));
        ParseString(&key);
        Expect(':', "':'");
        Value v;
        try {
          v = ParseValue(depth + 1);
        } catch (IntegerOutOfRange& e) {
          e.path.push_back(key);
          throw;
        }
        size_t found = obj.size();
        if (obj.size() <= kLinearKeyScan) {
          for (size_t i = 0; i < obj.size(); ++i)
            if (obj[i].first == key) {
              found = i;
              break;
            }
        } else {
          if (index.empty())
            for (size_t i = 0; i < obj.size(); ++i) index.emplace(obj[i].first, i);
          auto [it, inserted] = index.emplace(key, obj.size());
          if (!inserted) found = it->second;
        }
        if (found < obj.size()) {
          obj[found].second = std::move(v);  // last value wins, first position kept
        } else {
          obj.emplace_back(key, std::move(v));
        }
        c = SkipWs();
        if (c == ',') {
          ++pos_;
          c = SkipWs();
          continue;
        }
        if (c == '}') {
          ++pos_;
          break;
        }
        Fail("expected ',' or '}', got " + Describe(c));
      }
      return Value(std::move(obj));
    }
    case '[': {
      CheckDepth(depth + 1);
      ++pos_;
      Array arr;
      c = SkipWs();
      if (c == ']') {
        ++pos_;
        return Value(std::move(arr));
      }
      for (;;) {
        try {
          arr.push_back(ParseValue(depth + 1));
        } catch (IntegerOutOfRange& e) {
          e.path.push_back("[" + std::to_string(arr.size()) + "]");
          throw;
        }
        c = SkipWs();
        if (c == ',') {
          ++pos_;
          continue;
        }
        if (c == ']') {
          ++pos_;
          break;
        }
        Fail("expected ',' or ']', got " + Describe(c));
      }
      return Value(std::move(arr));
    }
    case '"': {
      std::string s;
      ParseString(&s);
      return Value(std::move(s));
    }
    case 't':
      ExpectLiteral("true");
      return Value(true);
    case 'f':
      ExpectLiteral("false");
      return Value(false);
    case 'n':
      ExpectLiteral("null");
      return Value();
    default:
      if (c == '-' || IsDigit(c)) return ParseNumber();
      Fail("expected a value, got " + Describe(c));
  }
}

void JsonReader::ParseString(std::string* out) {
  const uint64_t start = offset();
  out->clear();
  ++pos_;  // the opening quote, already peeked by the caller
  for (;;) {
    const char* run = pos_;
    while (pos_ < end_) {
      unsigned char ch = static_cast<unsigned char>(*pos_);
      if (ch == '"' || ch == '\\' || ch < 0x20) break;
      ++pos_;
    }
    out->append(run, static_cast<size_t>(pos_ - run));
    int c = PeekChar();
    if (c < 0) Fail("unterminated string (started at offset " + std::to_string(start) + ")");
    if (c == '"') {
      ++pos_;
      break;
    }
    if (c < 0x20) Fail("unescaped control character " + Describe(c) + " in string");
    if (c != '\\') continue;  // the buffer was refilled mid-run
    ++pos_;
    int e = GetChar();
    switch (e) {
      case '"':
        out->push_back('"');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case '/':
        out->push_back('/');
        break;
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'u': {
        auto hex4 = [this]() -> uint32_t {
          uint32_t v = 0;
          for (int i = 0; i < 4; ++i) {
            int h = HexValue(PeekChar());
            if (h < 0) Fail("invalid \\u escape (needs 4 hex digits)");
            ++pos_;
            v = (v << 4) | static_cast<uint32_t>(h);
          }
          return v;
        };
        uint32_t cp = hex4();
        if (cp >= 0xDC00 && cp <= 0xDFFF) Fail("unpaired low surrogate in \\u escape");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (PeekChar() != '\\') Fail("unpaired high surrogate in \\u escape");
          ++pos_;
          if (PeekChar() != 'u') Fail("unpaired high surrogate in \\u escape");
          ++pos_;
          uint32_t lo = hex4();
          if (lo < 0xDC00 || lo > 0xDFFF) Fail("unpaired high surrogate in \\u escape");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        AppendUtf8(cp, out);
        break;
      }
      default:
        if (e >= 0) --pos_;
        Fail("invalid escape \\" + (e < 0 ? std::string() : std::string(1, static_cast<char>(e))));
    }
  }
  if (!IsValidUtf8(*out)) {
    Throw(ErrorCode::kInvalidArgument,
          "invalid JSON at offset " + std::to_string(start) + ": string is not valid UTF-8");
  }
}

void JsonReader::ScanNumber() {
  scratch_.clear();
  for (;;) {
    int c = PeekChar();
    if (!IsNumberChar(c)) break;
    scratch_.push_back(static_cast<char>(c));
    ++pos_;
  }
}

namespace {

// Validates the RFC 8259 number grammar; sets *is_int when there is neither a
// fraction nor an exponent.
bool ValidNumber(std::string_view s, bool* is_int) {
  size_t i = 0, n = s.size();
  if (i < n && s[i] == '-') ++i;
  if (i == n || !IsDigit(s[i])) return false;
  if (s[i] == '0') {
    ++i;
  } else {
    while (i < n && IsDigit(s[i])) ++i;
  }
  *is_int = true;
  if (i < n && s[i] == '.') {
    ++i;
    if (i == n || !IsDigit(s[i])) return false;
    while (i < n && IsDigit(s[i])) ++i;
    *is_int = false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (i == n || !IsDigit(s[i])) return false;
    while (i < n && IsDigit(s[i])) ++i;
    *is_int = false;
  }
  return i == n;
}

// For a valid number that from_chars reported out of range: true if its
// magnitude is below the smallest double (rounds to zero), false if above the
// largest.
bool IsUnderflow(std::string_view s) {
  size_t i = (s[0] == '-') ? 1 : 0;
  bool seen_nonzero = false;
  int64_t int_digits = 0, frac_zeros = 0;
  for (; i < s.size() && IsDigit(s[i]); ++i) {
    if (s[i] != '0') seen_nonzero = true;
    if (seen_nonzero) ++int_digits;
  }
  if (i < s.size() && s[i] == '.') {
    for (++i; i < s.size() && IsDigit(s[i]); ++i) {
      if (!seen_nonzero && s[i] == '0') ++frac_zeros;
      if (s[i] != '0') seen_nonzero = true;
    }
  }
  int64_t exp = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool neg = false;
    if (s[i] == '+' || s[i] == '-') neg = s[i++] == '-';
    for (; i < s.size(); ++i) {
      if (exp < 1000000000) exp = exp * 10 + (s[i] - '0');
    }
    if (neg) exp = -exp;
  }
  // Decimal exponent of the first nonzero digit, give or take one.
  int64_t lead = exp + (int_digits > 0 ? int_digits : -frac_zeros);
  return lead < 0;
}

}  // namespace

Value JsonReader::ParseNumber() {
  const uint64_t start = offset();
  ScanNumber();
  bool is_int = false;
  if (!ValidNumber(scratch_, &is_int)) {
    Throw(ErrorCode::kInvalidArgument, "invalid JSON at offset " + std::to_string(start) +
                                           ": invalid number '" + scratch_ + "'");
  }
  const char* b = scratch_.data();
  const char* e = b + scratch_.size();
  if (is_int) {
    int64_t i = 0;
    auto r = std::from_chars(b, e, i);
    if (r.ec == std::errc() && r.ptr == e) return Value(i);
    if (*b != '-') {
      uint64_t u = 0;
      auto ru = std::from_chars(b, e, u);
      if (ru.ec == std::errc() && ru.ptr == e) return Value::OfUint(u);
    }
    if (exact_integers_) throw IntegerOutOfRange{scratch_, start, {}};
  }
  double d = 0;
  auto r = std::from_chars(b, e, d);
  if (r.ec == std::errc::result_out_of_range) {
    if (!IsUnderflow(scratch_)) {
      Throw(ErrorCode::kInvalidArgument, "invalid JSON at offset " + std::to_string(start) +
                                             ": number '" + scratch_ + "' is out of range");
    }
    d = scratch_[0] == '-' ? -0.0 : 0.0;
  } else if (r.ec != std::errc() || r.ptr != e) {
    Throw(ErrorCode::kInvalidArgument, "invalid JSON at offset " + std::to_string(start) +
                                           ": invalid number '" + scratch_ + "'");
  }
  return Value(d);
}

double JsonReader::ParseNumberAsDouble() {
  const bool exact = exact_integers_;
  exact_integers_ = false;
  Value v;
  try {
    v = ParseNumber();
  } catch (...) {
    exact_integers_ = exact;
    throw;
  }
  exact_integers_ = exact;
  return v.as_number();
}

void JsonReader::ReadNumberArray(std::vector<double>* out) {
  out->clear();
  int c = SkipWs();
  if (c != '[') Fail("expected an array of numbers, got " + Describe(c));
  CheckDepth(static_cast<int>(frames_.size()) + 1);
  ++pos_;
  c = SkipWs();
  if (c == ']') {
    ++pos_;
    return;
  }
  for (;;) {
    c = SkipWs();
    if (c != '-' && !IsDigit(c)) Fail("expected a number, got " + Describe(c));
    out->push_back(ParseNumberAsDouble());
    c = SkipWs();
    if (c == ',') {
      ++pos_;
      continue;
    }
    if (c == ']') {
      ++pos_;
      return;
    }
    Fail("expected ',' or ']', got " + Describe(c));
  }
}

}  // namespace herondb
