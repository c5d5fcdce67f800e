#include "herondb/meta/filter.h"

#include <algorithm>

#include "herondb/common/error.h"
#include "herondb/meta/value_codec.h"

namespace herondb {
namespace {

[[noreturn]] void Bad(const std::string& msg) {
  Throw(ErrorCode::kInvalidArgument, "invalid where_filter: " + msg);
}

const char* KindName(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return "null";
    case Value::Kind::kBool:
      return "a bool";
    case Value::Kind::kInt:
    case Value::Kind::kUint:
      return "an int";
    case Value::Kind::kDouble:
      return "a float";
    case Value::Kind::kString:
      return "a string";
    case Value::Kind::kArray:
      return "a list";
    case Value::Kind::kObject:
      return "an object";
  }
  return "?";
}

bool IsOperatorKey(std::string_view k) { return !k.empty() && k[0] == '$'; }

bool HasOperatorKey(const Value& v) {
  if (!v.is_object()) return false;
  for (const auto& m : v.as_object())
    if (IsOperatorKey(m.first)) return true;
  return false;
}

bool IsFieldOperator(std::string_view k) {
  return k == "$eq" || k == "$ne" || k == "$in" || k == "$nin" || k == "$gt" || k == "$gte" ||
         k == "$lt" || k == "$lte" || k == "$exists" || k == "$match";
}

void CheckDepth(int depth) {
  if (depth > kMaxValueDepth)
    Bad("nested deeper than " + std::to_string(kMaxValueDepth) + " levels");
}

FieldPath MakePath(std::string_view dotted) {
  FieldPath p;
  p.dotted = std::string(dotted);
  size_t start = 0;
  for (;;) {
    size_t dot = dotted.find('.', start);
    std::string_view part =
        dotted.substr(start, dot == std::string_view::npos ? dotted.npos : dot - start);
    p.parts.emplace_back(part);
    EncodePathPart(part, &p.key);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return p;
}

FilterNode Combine(FilterNode::Type type, std::vector<FilterNode> children) {
  if (children.empty()) return FilterNode{};  // kTrue
  if (children.size() == 1) return std::move(children[0]);
  FilterNode n;
  n.type = type;
  n.children = std::move(children);
  return n;
}

FilterNode Negate(FilterNode child) {
  FilterNode n;
  n.type = FilterNode::Type::kNot;
  n.children.push_back(std::move(child));
  return n;
}

FilterNode Leaf(const FieldPath& path, FilterOp op, Value operand) {
  FilterNode n;
  n.type = FilterNode::Type::kLeaf;
  n.op = op;
  n.path = path;
  n.operand = std::move(operand);
  return n;
}

InSet MakeInSet(const Array& items) {
  InSet s;
  s.items = items;
  for (const Value& v : items) {
    switch (v.kind()) {
      case Value::Kind::kNull:
        s.has_null = true;
        break;
      case Value::Kind::kBool:
        (v.as_bool() ? s.has_true : s.has_false) = true;
        break;
      case Value::Kind::kInt:
      case Value::Kind::kUint:
      case Value::Kind::kDouble:
        s.numbers.push_back(NumKey::Of(v));
        break;
      case Value::Kind::kString:
        s.strings.push_back(v.as_string());
        break;
      case Value::Kind::kArray:
      case Value::Kind::kObject:
        s.containers.push_back(v);
        break;
    }
  }
  std::sort(s.numbers.begin(), s.numbers.end(), NumKeyLess());
  s.numbers.erase(std::unique(s.numbers.begin(), s.numbers.end()), s.numbers.end());
  std::sort(s.strings.begin(), s.strings.end());
  s.strings.erase(std::unique(s.strings.begin(), s.strings.end()), s.strings.end());
  return s;
}

FilterNode ParseOps(const FieldPath& path, const Value& ops, int depth);

// One element of a field-level $not/$and/$or: a non-empty operator object.
FilterNode ParseNestedOps(const FieldPath& path, std::string_view op, const Value& v, int depth) {
  if (!v.is_object() || v.as_object().empty() || !HasOperatorKey(v)) {
    Bad(std::string(op) + " on field '" + path.dotted +
        "' needs an object of operators such as {\"$eq\": value}, got " + KindName(v));
  }
  return ParseOps(path, v, depth);
}

FilterNode ParseOps(const FieldPath& path, const Value& ops, int depth) {
  CheckDepth(depth);
  std::vector<FilterNode> parts;
  for (const auto& [op, x] : ops.as_object()) {
    if (!IsOperatorKey(op)) {
      Bad("field '" + path.dotted + "' mixes operators and plain keys ('" + op + "')");
    }
    const std::string on = "'" + op + "' on field '" + path.dotted + "'";
    if (op == "$eq") {
      parts.push_back(Leaf(path, FilterOp::kEq, x));
    } else if (op == "$ne") {
      parts.push_back(Leaf(path, FilterOp::kNe, x));
    } else if (op == "$in" || op == "$nin") {
      if (!x.is_array()) Bad(on + " needs a list, got " + KindName(x));
      FilterNode n = Leaf(path, op == "$in" ? FilterOp::kIn : FilterOp::kNin, Value());
      n.in = MakeInSet(x.as_array());
      parts.push_back(std::move(n));
    } else if (op == "$gt" || op == "$gte" || op == "$lt" || op == "$lte") {
      if (!x.is_number()) Bad(on + " needs a number, got " + KindName(x));
      FilterOp fop = op == "$gt"    ? FilterOp::kGt
                     : op == "$gte" ? FilterOp::kGte
                     : op == "$lt"  ? FilterOp::kLt
                                    : FilterOp::kLte;
      parts.push_back(Leaf(path, fop, x));
    } else if (op == "$exists") {
      if (!x.is_bool()) Bad(on + " needs true or false, got " + KindName(x));
      parts.push_back(Leaf(path, FilterOp::kExists, x));
    } else if (op == "$match") {
      if (!x.is_string()) Bad(on + " needs a string of words, got " + KindName(x));
      if (x.as_string().find_first_not_of(" \t\n\r\f\v") == std::string::npos)
        Bad(on + " needs a non-empty query");
      FilterNode n = Leaf(path, FilterOp::kMatch, x);
      for (text::Language lang : {text::Language::kNone, text::Language::kEnglish}) {
        std::vector<std::string> all;
        text::Analyze(x.as_string(), lang, &all);
        std::vector<std::string>& terms = n.match_terms[static_cast<int>(lang)];
        for (std::string& t : all)
          if (std::find(terms.begin(), terms.end(), t) == terms.end())
            terms.push_back(std::move(t));
      }
      parts.push_back(std::move(n));
    } else if (op == "$not") {
      parts.push_back(Negate(ParseNestedOps(path, op, x, depth + 1)));
    } else if (op == "$and" || op == "$or") {
      if (!x.is_array() || x.as_array().empty()) Bad(on + " needs a non-empty list");
      std::vector<FilterNode> subs;
      for (const Value& e : x.as_array()) subs.push_back(ParseNestedOps(path, op, e, depth + 1));
      parts.push_back(
          Combine(op == "$and" ? FilterNode::Type::kAnd : FilterNode::Type::kOr, std::move(subs)));
    } else {
      Bad("unknown operator " + on);
    }
  }
  return Combine(FilterNode::Type::kAnd, std::move(parts));
}

FilterNode ParseObject(const Value& obj, int depth) {
  CheckDepth(depth);
  if (!obj.is_object()) Bad(std::string("a filter must be an object, got ") + KindName(obj));
  std::vector<FilterNode> parts;
  for (const auto& [key, x] : obj.as_object()) {
    if (key == "$and" || key == "$or") {
      if (!x.is_array() || x.as_array().empty()) {
        Bad("'" + key + "' needs a non-empty list of filters, got " + KindName(x));
      }
      std::vector<FilterNode> subs;
      for (const Value& e : x.as_array()) {
        if (!e.is_object()) Bad("'" + key + "' needs a list of filter objects, got " + KindName(e));
        subs.push_back(ParseObject(e, depth + 1));
      }
      parts.push_back(
          Combine(key == "$and" ? FilterNode::Type::kAnd : FilterNode::Type::kOr, std::move(subs)));
    } else if (key == "$not") {
      if (!x.is_object()) Bad("'$not' needs a filter object, got " + std::string(KindName(x)));
      parts.push_back(Negate(ParseObject(x, depth + 1)));
    } else if (IsOperatorKey(key)) {
      if (IsFieldOperator(key)) {
        Bad("operator '" + key + "' must be applied to a field, as in {\"field\": {\"" + key +
            "\": value}}");
      }
      Bad("unknown operator '" + key + "'");
    } else {
      FieldPath path = MakePath(key);
      if (HasOperatorKey(x)) {
        parts.push_back(ParseOps(path, x, depth + 1));
      } else {
        parts.push_back(Leaf(path, FilterOp::kEq, x));
      }
    }
  }
  return Combine(FilterNode::Type::kAnd, std::move(parts));
}

// $match: every query term among the field's analyzed terms.
bool EvalMatch(const FilterNode& n, const Value* v, const MatchLanguages* langs) {
  if (v == nullptr || !v->is_string()) return false;
  text::Language lang = text::Language::kEnglish;
  if (langs)
    for (const auto& [field, l] : *langs)
      if (field == n.path.dotted) lang = l;
  const std::vector<std::string>& want = n.match_terms[static_cast<int>(lang)];
  if (want.empty()) return true;
  thread_local std::vector<std::string> have;
  have.clear();
  text::Analyze(v->as_string(), lang, &have);
  for (const std::string& w : want)
    if (std::find(have.begin(), have.end(), w) == have.end()) return false;
  return true;
}

bool EvalLeaf(const FilterNode& n, const Value* meta, const MatchLanguages* langs) {
  const Value* v = ResolvePath(meta, n.path.parts);
  switch (n.op) {
    case FilterOp::kEq:
      return v != nullptr && FilterEquals(*v, n.operand);
    case FilterOp::kNe:
      return v == nullptr || !FilterEquals(*v, n.operand);
    case FilterOp::kIn:
      return v != nullptr && n.in.Contains(*v);
    case FilterOp::kNin:
      return v == nullptr || !n.in.Contains(*v);
    case FilterOp::kGt:
      return v != nullptr && v->is_number() && CompareNumbers(*v, n.operand) > 0;
    case FilterOp::kGte:
      return v != nullptr && v->is_number() && CompareNumbers(*v, n.operand) >= 0;
    case FilterOp::kLt:
      return v != nullptr && v->is_number() && CompareNumbers(*v, n.operand) < 0;
    case FilterOp::kLte:
      return v != nullptr && v->is_number() && CompareNumbers(*v, n.operand) <= 0;
    case FilterOp::kExists:
      return (v != nullptr) == n.operand.as_bool();
    case FilterOp::kMatch:
      return EvalMatch(n, v, langs);
  }
  return false;
}

bool HasMatch(const FilterNode& n) {
  if (n.type == FilterNode::Type::kLeaf) return n.op == FilterOp::kMatch;
  for (const FilterNode& c : n.children)
    if (HasMatch(c)) return true;
  return false;
}

bool Eval(const FilterNode& n, const Value* meta, const MatchLanguages* langs) {
  switch (n.type) {
    case FilterNode::Type::kTrue:
      return true;
    case FilterNode::Type::kAnd:
      for (const FilterNode& c : n.children)
        if (!Eval(c, meta, langs)) return false;
      return true;
    case FilterNode::Type::kOr:
      for (const FilterNode& c : n.children)
        if (Eval(c, meta, langs)) return true;
      return false;
    case FilterNode::Type::kNot:
      return !Eval(n.children[0], meta, langs);
    case FilterNode::Type::kLeaf:
      return EvalLeaf(n, meta, langs);
  }
  return false;
}

}  // namespace

void EncodePathPart(std::string_view part, std::string* key) {
  uint32_t n = static_cast<uint32_t>(part.size());
  for (int i = 0; i < 4; ++i) key->push_back(static_cast<char>(n >> (8 * i)));
  key->append(part);
}

const Value* ResolvePath(const Value* metadata, const std::vector<std::string>& parts) {
  const Value* v = metadata;
  for (const std::string& p : parts) {
    if (v == nullptr) return nullptr;
    v = v->Find(p);  // nullptr when v is not an object
  }
  return v;
}

bool FilterEquals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) return CompareNumbers(a, b) == 0;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kNull:
      return true;
    case Value::Kind::kBool:
      return a.as_bool() == b.as_bool();
    case Value::Kind::kString:
      return a.as_string() == b.as_string();
    case Value::Kind::kArray: {
      const Array& x = a.as_array();
      const Array& y = b.as_array();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i)
        if (!FilterEquals(x[i], y[i])) return false;
      return true;
    }
    case Value::Kind::kObject: {
      if (a.as_object().size() != b.as_object().size()) return false;
      for (const auto& [k, v] : a.as_object()) {
        const Value* w = b.Find(k);
        if (w == nullptr || !FilterEquals(v, *w)) return false;
      }
      return true;
    }
    default:
      return false;  // numbers handled above
  }
}

bool InSet::Contains(const Value& v) const {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return has_null;
    case Value::Kind::kBool:
      return v.as_bool() ? has_true : has_false;
    case Value::Kind::kInt:
    case Value::Kind::kUint:
    case Value::Kind::kDouble:
      return std::binary_search(numbers.begin(), numbers.end(), NumKey::Of(v), NumKeyLess());
    case Value::Kind::kString:
      return std::binary_search(strings.begin(), strings.end(), v.as_string());
    case Value::Kind::kArray:
    case Value::Kind::kObject:
      for (const Value& c : containers)
        if (FilterEquals(v, c)) return true;
      return false;
  }
  return false;
}

Filter Filter::Parse(const Value& where) {
  Filter f;
  f.root_ = ParseObject(where, 0);
  f.has_match_ = HasMatch(f.root_);
  try {
    EncodeValue(where, &f.cache_key_);
  } catch (const Error&) {
    f.cache_key_.clear();  // not encodable (e.g. a NaN operand): never cached
  }
  return f;
}

bool Filter::Matches(const Value* metadata, const MatchLanguages* languages) const {
  return Eval(root_, metadata, languages);
}

}  // namespace herondb
