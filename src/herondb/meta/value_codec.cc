#include "herondb/meta/value_codec.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "herondb/common/error.h"
#include "herondb/meta/utf8.h"

namespace herondb {
namespace {

enum Tag : uint8_t {
  kTagNull = 0,
  kTagFalse = 1,
  kTagTrue = 2,
  kTagInt = 3,
  kTagDouble = 4,
  kTagString = 5,
  kTagArray = 6,
  kTagObject = 7,
  kTagUint = 8,
};

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutBytes(std::string_view s, std::string* out) {
  PutVarint(s.size(), out);
  out->append(s);
}

void Encode(const Value& v, int depth, std::string* out) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      out->push_back(static_cast<char>(kTagNull));
      break;
    case Value::Kind::kBool:
      out->push_back(static_cast<char>(v.as_bool() ? kTagTrue : kTagFalse));
      break;
    case Value::Kind::kInt: {
      out->push_back(static_cast<char>(kTagInt));
      uint64_t u = static_cast<uint64_t>(v.as_int());
      PutVarint((u << 1) ^ (v.as_int() < 0 ? ~uint64_t{0} : 0), out);
      break;
    }
    case Value::Kind::kUint: {
      out->push_back(static_cast<char>(kTagUint));
      const uint64_t u = v.as_uint();
      for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(u >> (8 * i)));
      break;
    }
    case Value::Kind::kDouble: {
      double d = v.as_double();
      if (!std::isfinite(d)) {
        Throw(ErrorCode::kInvalidArgument, "metadata cannot hold a non-finite number (NaN/Inf)");
      }
      out->push_back(static_cast<char>(kTagDouble));
      uint64_t bits;
      std::memcpy(&bits, &d, 8);
      for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(bits >> (8 * i)));
      break;
    }
    case Value::Kind::kString:
      out->push_back(static_cast<char>(kTagString));
      PutBytes(v.as_string(), out);
      break;
    case Value::Kind::kArray:
      if (depth >= kMaxValueDepth) {
        Throw(ErrorCode::kInvalidArgument,
              "metadata nests deeper than " + std::to_string(kMaxValueDepth) + " levels");
      }
      out->push_back(static_cast<char>(kTagArray));
      PutVarint(v.as_array().size(), out);
      for (const Value& e : v.as_array()) Encode(e, depth + 1, out);
      break;
    case Value::Kind::kObject:
      if (depth >= kMaxValueDepth) {
        Throw(ErrorCode::kInvalidArgument,
              "metadata nests deeper than " + std::to_string(kMaxValueDepth) + " levels");
      }
      out->push_back(static_cast<char>(kTagObject));
      PutVarint(v.as_object().size(), out);
      for (const auto& [k, e] : v.as_object()) {
        PutBytes(k, out);
        Encode(e, depth + 1, out);
      }
      break;
  }
}

class Decoder {
 public:
  explicit Decoder(std::string_view in)
      : begin_(reinterpret_cast<const uint8_t*>(in.data())), p_(begin_), end_(begin_ + in.size()) {}

  size_t consumed() const { return static_cast<size_t>(p_ - begin_); }

  Value DecodeOne(int depth) {
    uint8_t tag = Byte();
    switch (tag) {
      case kTagNull:
        return Value();
      case kTagFalse:
        return Value(false);
      case kTagTrue:
        return Value(true);
      case kTagInt: {
        uint64_t z = Varint();
        int64_t i = static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
        return Value(i);
      }
      case kTagUint: {
        if (Remaining() < 8) Fail("truncated uint64");
        uint64_t u = 0;
        for (int i = 0; i < 8; ++i) u |= static_cast<uint64_t>(p_[i]) << (8 * i);
        if (u >> 63 == 0) Fail("uint64 below 2^63 (not canonical: such integers use tag 3)");
        p_ += 8;
        return Value::OfUint(u);
      }
      case kTagDouble: {
        if (Remaining() < 8) Fail("truncated double");
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits |= static_cast<uint64_t>(p_[i]) << (8 * i);
        double d;
        std::memcpy(&d, &bits, 8);
        if (!std::isfinite(d)) Fail("non-finite double");
        p_ += 8;
        return Value(d);
      }
      case kTagString:
        return Value(String());
      case kTagArray: {
        if (depth >= kMaxValueDepth) Fail("nesting deeper than the limit");
        uint64_t n = Varint();
        if (n > Remaining()) Fail("array count exceeds the remaining bytes");  // >= 1 byte each
        Array a;
        a.reserve(static_cast<size_t>(n));
        for (uint64_t i = 0; i < n; ++i) a.push_back(DecodeOne(depth + 1));
        return Value(std::move(a));
      }
      case kTagObject: {
        if (depth >= kMaxValueDepth) Fail("nesting deeper than the limit");
        uint64_t n = Varint();
        if (n > Remaining() / 2) Fail("object count exceeds the remaining bytes");  // >= 2 each
        size_t start = consumed();
        Object o;
        o.reserve(static_cast<size_t>(n));
        for (uint64_t i = 0; i < n; ++i) {
          std::string key = String();
          Value val = DecodeOne(depth + 1);
          o.emplace_back(std::move(key), std::move(val));
        }
        CheckUniqueKeys(o, start);
        return Value(std::move(o));
      }
      default:
        --p_;
        Fail("unknown tag " + std::to_string(tag));
    }
  }

 private:
  [[noreturn]] void Fail(const std::string& what) {
    Throw(ErrorCode::kCorruption,
          "corrupt metadata value at byte " + std::to_string(consumed()) + ": " + what);
  }

  size_t Remaining() const { return static_cast<size_t>(end_ - p_); }

  uint8_t Byte() {
    if (p_ == end_) Fail("truncated");
    return *p_++;
  }

  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b = Byte();
      if (shift == 63 && b > 1) Fail("varint overflows 64 bits");
      if (shift > 0 && b == 0) Fail("varint is not in its shortest form");
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    Fail("varint too long");
  }

  std::string String() {
    uint64_t n = Varint();
    if (n > Remaining()) Fail("string length exceeds the remaining bytes");
    std::string_view s(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
    if (!IsValidUtf8(s)) Fail("string is not valid UTF-8");
    p_ += n;
    return std::string(s);
  }

  void CheckUniqueKeys(const Object& o, size_t start) {
    bool dup = false;
    if (o.size() <= 16) {
      for (size_t i = 1; i < o.size() && !dup; ++i)
        for (size_t j = 0; j < i; ++j)
          if (o[i].first == o[j].first) {
            dup = true;
            break;
          }
    } else {
      std::vector<std::string_view> keys;
      keys.reserve(o.size());
      for (const auto& m : o) keys.push_back(m.first);
      std::sort(keys.begin(), keys.end());
      dup = std::adjacent_find(keys.begin(), keys.end()) != keys.end();
    }
    if (dup) {
      p_ = begin_ + start;
      Fail("object has duplicate keys");
    }
  }

  const uint8_t* begin_;
  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace

void EncodeValue(const Value& v, std::string* out) {
  size_t old = out->size();
  try {
    Encode(v, 0, out);
  } catch (...) {
    out->resize(old);
    throw;
  }
}

std::string EncodeValue(const Value& v) {
  std::string out;
  EncodeValue(v, &out);
  return out;
}

Value DecodeValue(std::string_view in) {
  Decoder d(in);
  Value v = d.DecodeOne(0);
  if (d.consumed() != in.size()) {
    Throw(ErrorCode::kCorruption,
          "corrupt metadata value at byte " + std::to_string(d.consumed()) + ": trailing bytes");
  }
  return v;
}

Value DecodeValuePrefix(std::string_view* in) {
  Decoder d(*in);
  Value v = d.DecodeOne(0);
  in->remove_prefix(d.consumed());
  return v;
}

}  // namespace herondb
