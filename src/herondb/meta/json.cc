#include "herondb/meta/json.h"

#include <charconv>
#include <cmath>

#include "herondb/common/error.h"
#include "herondb/meta/json_reader.h"

namespace herondb {
namespace {

void Indent(int level, std::string* out) {
  out->push_back('\n');
  out->append(static_cast<size_t>(level) * 2, ' ');
}

void Write(const Value& v, std::string* out, bool pretty, int level, int depth) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      out->append("null");
      return;
    case Value::Kind::kBool:
      out->append(v.as_bool() ? "true" : "false");
      return;
    case Value::Kind::kInt:
      AppendJsonInt(v.as_int(), out);
      return;
    case Value::Kind::kUint:
      AppendJsonUint(v.as_uint(), out);
      return;
    case Value::Kind::kDouble:
      AppendJsonDouble(v.as_double(), out);
      return;
    case Value::Kind::kString:
      AppendJsonString(v.as_string(), out);
      return;
    case Value::Kind::kArray:
    case Value::Kind::kObject:
      break;
  }
  if (depth >= kMaxValueDepth) {
    Throw(ErrorCode::kInvalidArgument,
          "value nests deeper than " + std::to_string(kMaxValueDepth) + " levels");
  }
  if (v.is_array()) {
    const Array& a = v.as_array();
    if (a.empty()) {
      out->append("[]");
      return;
    }
    out->push_back('[');
    for (size_t i = 0; i < a.size(); ++i) {
      if (i > 0) out->push_back(',');
      if (pretty) Indent(level + 1, out);
      Write(a[i], out, pretty, level + 1, depth + 1);
    }
    if (pretty) Indent(level, out);
    out->push_back(']');
    return;
  }
  const Object& o = v.as_object();
  if (o.empty()) {
    out->append("{}");
    return;
  }
  out->push_back('{');
  for (size_t i = 0; i < o.size(); ++i) {
    if (i > 0) out->push_back(',');
    if (pretty) Indent(level + 1, out);
    AppendJsonString(o[i].first, out);
    out->append(pretty ? ": " : ":");
    Write(o[i].second, out, pretty, level + 1, depth + 1);
  }
  if (pretty) Indent(level, out);
  out->push_back('}');
}

}  // namespace

Value ParseJson(std::string_view text) {
  JsonReader r(text);
  Value v = r.ReadValue();
  r.ExpectEnd();
  return v;
}

Value ParseJsonPrefix(std::string_view text, size_t* pos) {
  JsonReader r(text, *pos);
  Value v = r.ReadValue();
  *pos = static_cast<size_t>(r.offset());
  return v;
}

void SerializeJson(const Value& v, std::string* out, bool pretty, int indent_level) {
  Write(v, out, pretty, indent_level < 0 ? 0 : indent_level, 0);
}

std::string ToJson(const Value& v, bool pretty) {
  std::string out;
  SerializeJson(v, &out, pretty, 0);
  return out;
}

void AppendJsonString(std::string_view s, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0xF]);
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void AppendJsonInt(int64_t i, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, i);
  out->append(buf, r.ptr);
}

void AppendJsonUint(uint64_t u, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, u);
  out->append(buf, r.ptr);
}

void AppendJsonDouble(double d, std::string* out) {
  if (!std::isfinite(d)) {
    Throw(ErrorCode::kInvalidArgument, "JSON cannot hold a non-finite number (NaN/Inf)");
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  bool looks_int = true;
  for (const char* p = buf; p < r.ptr; ++p) {
    if (*p == '.' || *p == 'e' || *p == 'E') {
      looks_int = false;
      break;
    }
  }
  out->append(buf, r.ptr);
  if (looks_int) out->append(".0");
}

void AppendJsonFloat32(float f, std::string* out) { AppendJsonDouble(static_cast<double>(f), out); }

}  // namespace herondb
