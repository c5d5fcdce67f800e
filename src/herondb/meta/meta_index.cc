// MetaIndex implementation: see meta_index.h for the contract.
//
// Every field path maps to a Field whose postings partition its `present`
// set by value (one posting per null/true/false, per number, per short
// string, plus `composite` and `long_strings`), so a leaf of a filter is a
// union of disjoint postings, possibly complemented against all_. Boolean
// structure is evaluated over sorted slot vectors.
#include "herondb/meta/meta_index.h"

#include <algorithm>
#include <bit>
#include <iterator>
#include <limits>

#include "herondb/common/error.h"

namespace herondb {
namespace {

std::vector<uint32_t> Intersect(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  std::vector<uint32_t> out;
  out.reserve(std::min(a.size(), b.size()));
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::vector<uint32_t> Union(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  std::vector<uint32_t> out;
  out.reserve(a.size() + b.size());
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// Membership tests per candidate are cheaper than listing a leaf's slots
// when the leaf has at most this many postings.
constexpr size_t kMaxProbeSets = 8;

// The set bits of a dense bitmap, ascending.
std::vector<uint32_t> BitsToSlots(const std::vector<uint64_t>& words) {
  std::vector<uint32_t> out;
  size_t n = 0;
  for (uint64_t w : words) n += static_cast<size_t>(std::popcount(w));
  out.reserve(n);
  for (size_t i = 0; i < words.size(); ++i)
    for (uint64_t w = words[i]; w != 0; w &= w - 1)
      out.push_back(static_cast<uint32_t>(i * 64 + static_cast<size_t>(std::countr_zero(w))));
  return out;
}

}  // namespace

// ---- maintenance ---------------------------------------------------------

void MetaIndex::Insert(uint32_t slot, const Value* metadata) {
  if (all_.Contains(slot))
    Throw(ErrorCode::kInvalidArgument,
          "metadata index: slot " + std::to_string(slot) + " is already indexed");
  all_.Insert(slot);
  if (metadata != nullptr && metadata->is_object()) {
    std::string key;
    Walk(metadata->as_object(), &key, slot, /*insert=*/true);
  }
}

void MetaIndex::Erase(uint32_t slot, const Value* metadata) {
  if (!all_.Contains(slot))
    Throw(ErrorCode::kInvalidArgument,
          "metadata index: slot " + std::to_string(slot) + " is not indexed");
  if (metadata != nullptr && metadata->is_object()) {
    std::string key;
    Walk(metadata->as_object(), &key, slot, /*insert=*/false);
  }
  all_.Erase(slot);
}

void MetaIndex::Clear() {
  fields_.clear();
  all_.Clear();
}

void MetaIndex::Walk(const Object& obj, std::string* key, uint32_t slot, bool insert) {
  const size_t base = key->size();
  for (const auto& [name, v] : obj) {
    key->resize(base);
    EncodePathPart(name, key);
    if (v.is_object()) Walk(v.as_object(), key, slot, insert);  // children first
    if (insert) {
      Field& f = fields_[*key];
      f.present.Insert(slot);
      switch (v.kind()) {
        case Value::Kind::kNull:
          f.nulls.Insert(slot);
          break;
        case Value::Kind::kBool:
          (v.as_bool() ? f.trues : f.falses).Insert(slot);
          break;
        case Value::Kind::kInt:
        case Value::Kind::kUint:
        case Value::Kind::kDouble:
          f.numbers[NumKey::Of(v)].Insert(slot);
          break;
        case Value::Kind::kString:
          if (v.as_string().size() <= kMaxIndexedString)
            f.strings[v.as_string()].Insert(slot);
          else
            f.long_strings.Insert(slot);
          break;
        case Value::Kind::kArray:
        case Value::Kind::kObject:
          f.composite.Insert(slot);
          break;
      }
      continue;
    }
    auto fit = fields_.find(*key);
    if (fit == fields_.end()) continue;  // not inserted with this metadata
    Field& f = fit->second;
    switch (v.kind()) {
      case Value::Kind::kNull:
        f.nulls.Erase(slot);
        break;
      case Value::Kind::kBool:
        (v.as_bool() ? f.trues : f.falses).Erase(slot);
        break;
      case Value::Kind::kInt:
      case Value::Kind::kUint:
      case Value::Kind::kDouble: {
        auto it = f.numbers.find(NumKey::Of(v));
        if (it != f.numbers.end()) {
          it->second.Erase(slot);
          if (it->second.empty()) f.numbers.erase(it);
        }
        break;
      }
      case Value::Kind::kString:
        if (v.as_string().size() <= kMaxIndexedString) {
          auto it = f.strings.find(v.as_string());
          if (it != f.strings.end()) {
            it->second.Erase(slot);
            if (it->second.empty()) f.strings.erase(it);
          }
        } else {
          f.long_strings.Erase(slot);
        }
        break;
      case Value::Kind::kArray:
      case Value::Kind::kObject:
        f.composite.Erase(slot);
        break;
    }
    f.present.Erase(slot);
    if (f.present.empty()) fields_.erase(fit);  // every posting is a subset
  }
  key->resize(base);
}

// ---- leaves ----------------------------------------------------------------

const MetaIndex::Field* MetaIndex::FindField(const std::string& key) const {
  auto it = fields_.find(key);
  return it == fields_.end() ? nullptr : &it->second;
}

bool MetaIndex::LeafSets::Matches(uint32_t slot) const {
  bool in = false;
  for (const SlotSet* s : sets) {
    if (s->Contains(slot)) {
      in = true;
      break;
    }
  }
  return in != negate;
}

size_t MetaIndex::LeafSets::PositiveCount() const {
  size_t n = 0;
  for (const SlotSet* s : sets) n += s->size();
  return n;
}

void MetaIndex::EqSets(const Field* f, const Value& operand, LeafSets* out) const {
  switch (operand.kind()) {
    case Value::Kind::kNull:
      if (f) out->sets.push_back(&f->nulls);
      return;
    case Value::Kind::kBool:
      if (f) out->sets.push_back(operand.as_bool() ? &f->trues : &f->falses);
      return;
    case Value::Kind::kInt:
    case Value::Kind::kUint:
    case Value::Kind::kDouble:
      if (f) {
        auto it = f->numbers.find(NumKey::Of(operand));
        if (it != f->numbers.end()) out->sets.push_back(&it->second);
      }
      return;
    case Value::Kind::kString:
      if (operand.as_string().size() > kMaxIndexedString) {
        // Only a long string can equal a long string; which one is unknown.
        out->exact = false;
        if (f) out->sets.push_back(&f->long_strings);
      } else if (f) {
        auto it = f->strings.find(operand.as_string());
        if (it != f->strings.end()) out->sets.push_back(&it->second);
      }
      return;
    case Value::Kind::kArray:
    case Value::Kind::kObject:
      out->exact = false;
      if (f) out->sets.push_back(&f->composite);
      return;
  }
}

MetaIndex::LeafSets MetaIndex::LeafAsSets(const FilterNode& leaf) const {
  LeafSets ls;
  const Field* f = FindField(leaf.path.key);
  switch (leaf.op) {
    case FilterOp::kNe:
      ls.negate = true;
      [[fallthrough]];
    case FilterOp::kEq:
      EqSets(f, leaf.operand, &ls);
      break;
    case FilterOp::kNin:
      ls.negate = true;
      [[fallthrough]];
    case FilterOp::kIn: {
      if (leaf.in.has_null) EqSets(f, Value(), &ls);
      if (leaf.in.has_true) EqSets(f, Value(true), &ls);
      if (leaf.in.has_false) EqSets(f, Value(false), &ls);
      if (f) {
        for (const NumKey& n : leaf.in.numbers) {
          auto it = f->numbers.find(n);
          if (it != f->numbers.end()) ls.sets.push_back(&it->second);
        }
      }
      for (const std::string& s : leaf.in.strings) {
        if (s.size() > kMaxIndexedString) {
          ls.exact = false;
          if (f) ls.sets.push_back(&f->long_strings);
        } else if (f) {
          auto it = f->strings.find(s);
          if (it != f->strings.end()) ls.sets.push_back(&it->second);
        }
      }
      if (!leaf.in.containers.empty()) {
        ls.exact = false;
        if (f) ls.sets.push_back(&f->composite);
      }
      // Postings must be disjoint for PositiveCount: drop repeats.
      std::sort(ls.sets.begin(), ls.sets.end());
      ls.sets.erase(std::unique(ls.sets.begin(), ls.sets.end()), ls.sets.end());
      break;
    }
    case FilterOp::kGt:
    case FilterOp::kGte:
    case FilterOp::kLt:
    case FilterOp::kLte: {
      if (!f) break;
      const NumKey x = NumKey::Of(leaf.operand);
      auto lo = f->numbers.begin();
      auto hi = f->numbers.end();
      if (leaf.op == FilterOp::kGt) lo = f->numbers.upper_bound(x);
      if (leaf.op == FilterOp::kGte) lo = f->numbers.lower_bound(x);
      if (leaf.op == FilterOp::kLt) hi = f->numbers.lower_bound(x);
      if (leaf.op == FilterOp::kLte) hi = f->numbers.upper_bound(x);
      for (auto it = lo; it != hi; ++it) ls.sets.push_back(&it->second);
      break;
    }
    case FilterOp::kExists:
      ls.negate = !leaf.operand.as_bool();
      if (f) ls.sets.push_back(&f->present);
      break;
    case FilterOp::kMatch:
      // The records holding the field: a superset (the words are checked
      // by Filter::Matches, or narrowed by a text index in the Database).
      ls.exact = false;
      if (f) ls.sets.push_back(&f->present);
      break;
  }
  return ls;
}

// ---- evaluation --------------------------------------------------------------

std::vector<uint32_t> MetaIndex::AllSlots() const {
  std::vector<uint32_t> out;
  all_.AppendTo(&out);
  return out;
}

MetaIndex::Result MetaIndex::EvalLeaf(const FilterNode& leaf) const {
  Result r;
  LeafSets ls = LeafAsSets(leaf);
  if (ls.negate && !ls.exact) return r;  // the complement of a superset: unknown
  r.kind = Result::Kind::kSet;
  r.exact = ls.exact;
  if (ls.negate) {
    // Complement on a dense bitmap: word-wide for the dense postings.
    std::vector<uint64_t> words;
    all_.OrInto(&words);
    for (const SlotSet* s : ls.sets) s->AndNotInto(&words);
    r.slots = BitsToSlots(words);
    return r;
  }
  r.slots.reserve(ls.PositiveCount());
  for (const SlotSet* s : ls.sets) s->AppendTo(&r.slots);
  if (ls.sets.size() > 1) std::sort(r.slots.begin(), r.slots.end());  // disjoint: no repeats
  return r;
}

MetaIndex::Result MetaIndex::EvalAnd(const FilterNode& node) const {
  // Most selective parts first, so later parts only filter a short list.
  std::vector<std::pair<size_t, const FilterNode*>> order;
  order.reserve(node.children.size());
  for (const FilterNode& c : node.children) {
    std::optional<size_t> e = Estimate(c);
    order.emplace_back(e.value_or(std::numeric_limits<size_t>::max()), &c);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  Result acc;
  acc.kind = Result::Kind::kAll;
  bool exact = true;
  for (const auto& [est, child] : order) {
    if (acc.kind == Result::Kind::kSet && child->type == FilterNode::Type::kLeaf) {
      LeafSets ls = LeafAsSets(*child);
      if (ls.sets.size() <= kMaxProbeSets) {
        if (ls.negate && !ls.exact) {
          exact = false;  // cannot narrow; the caller checks Matches
          continue;
        }
        // A superset leaf (not negated) still narrows: keep what it may match.
        std::erase_if(acc.slots, [&](uint32_t s) { return !ls.Matches(s); });
        exact = exact && ls.exact;
        continue;
      }
    }
    Result r = Eval(*child);
    if (r.kind == Result::Kind::kUnknown) {
      exact = false;
    } else if (r.kind == Result::Kind::kSet) {
      exact = exact && r.exact;
      if (acc.kind == Result::Kind::kAll) {
        acc = std::move(r);
      } else {
        acc.slots = Intersect(acc.slots, r.slots);
      }
    }
    if (acc.kind == Result::Kind::kSet && acc.slots.empty()) break;  // nothing can match
  }
  if (acc.kind == Result::Kind::kAll) {
    if (!exact) acc.kind = Result::Kind::kUnknown;
    return acc;
  }
  // An empty intersection is exact even if some parts were not evaluated.
  acc.exact = exact || acc.slots.empty();
  return acc;
}

MetaIndex::Result MetaIndex::EvalOr(const FilterNode& node) const {
  Result acc;
  acc.kind = Result::Kind::kSet;
  acc.exact = true;
  for (const FilterNode& c : node.children) {
    Result r = Eval(c);
    if (r.kind == Result::Kind::kUnknown) return Result{};
    if (r.kind == Result::Kind::kAll) {
      Result all;
      all.kind = Result::Kind::kAll;
      all.exact = true;
      return all;
    }
    acc.exact = acc.exact && r.exact;
    acc.slots = acc.slots.empty() ? std::move(r.slots) : Union(acc.slots, r.slots);
  }
  return acc;
}

MetaIndex::Result MetaIndex::Eval(const FilterNode& node) const {
  switch (node.type) {
    case FilterNode::Type::kTrue: {
      Result r;
      r.kind = Result::Kind::kAll;
      r.exact = true;
      return r;
    }
    case FilterNode::Type::kAnd:
      return EvalAnd(node);
    case FilterNode::Type::kOr:
      return EvalOr(node);
    case FilterNode::Type::kNot: {
      Result c = Eval(node.children[0]);
      Result r;
      if (c.kind == Result::Kind::kAll) {
        r.kind = Result::Kind::kSet;
        r.exact = true;
      } else if (c.kind == Result::Kind::kSet && c.exact) {
        r.kind = Result::Kind::kSet;
        r.exact = true;
        std::vector<uint64_t> words;
        all_.OrInto(&words);
        for (uint32_t slot : c.slots)  // a subset of all_, so within `words`
          if ((slot >> 6) < words.size()) words[slot >> 6] &= ~(uint64_t{1} << (slot & 63));
        r.slots = BitsToSlots(words);
      }
      return r;
    }
    case FilterNode::Type::kLeaf:
      return EvalLeaf(node);
  }
  return Result{};
}

std::optional<size_t> MetaIndex::Estimate(const FilterNode& node) const {
  const size_t n = all_.size();
  switch (node.type) {
    case FilterNode::Type::kTrue:
      return n;
    case FilterNode::Type::kLeaf: {
      LeafSets ls = LeafAsSets(node);
      size_t pos = std::min(ls.PositiveCount(), n);
      return ls.negate ? n - pos : pos;
    }
    case FilterNode::Type::kAnd: {
      std::optional<size_t> best;
      for (const FilterNode& c : node.children) {
        std::optional<size_t> e = Estimate(c);
        if (e && (!best || *e < *best)) best = e;
      }
      return best;
    }
    case FilterNode::Type::kOr: {
      size_t sum = 0;
      for (const FilterNode& c : node.children) {
        std::optional<size_t> e = Estimate(c);
        if (!e) return std::nullopt;
        sum += *e;
      }
      return std::min(sum, n);
    }
    case FilterNode::Type::kNot: {
      std::optional<size_t> e = Estimate(node.children[0]);
      if (!e) return std::nullopt;
      return n - std::min(*e, n);
    }
  }
  return std::nullopt;
}

// ---- public queries ----------------------------------------------------------

std::optional<MetaIndex::Candidates> MetaIndex::Plan(const Filter& filter) const {
  Result r = Eval(filter.root());
  if (r.kind == Result::Kind::kUnknown) return std::nullopt;
  Candidates c;
  if (r.kind == Result::Kind::kAll) {
    c.slots = AllSlots();
    c.exact = true;
  } else {
    c.slots = std::move(r.slots);
    c.exact = r.exact;
  }
  return c;
}

std::optional<std::vector<uint32_t>> MetaIndex::CandidateSlots(const Filter& filter) const {
  std::optional<Candidates> c = Plan(filter);
  if (!c || !c->exact) return std::nullopt;
  return std::move(c->slots);
}

std::optional<size_t> MetaIndex::Count(const Filter& filter) const {
  const FilterNode& root = filter.root();
  if (root.type == FilterNode::Type::kTrue) return all_.size();
  // A leaf, or the $not of one, is counted from posting sizes alone.
  const bool negated =
      root.type == FilterNode::Type::kNot && root.children[0].type == FilterNode::Type::kLeaf;
  if (root.type == FilterNode::Type::kLeaf || negated) {
    LeafSets ls = LeafAsSets(negated ? root.children[0] : root);
    if (!ls.exact) return std::nullopt;
    size_t pos = ls.PositiveCount();
    return (ls.negate != negated) ? all_.size() - pos : pos;
  }
  Result r = Eval(root);
  if (r.kind == Result::Kind::kAll) return all_.size();
  if (r.kind == Result::Kind::kSet && r.exact) return r.slots.size();
  return std::nullopt;
}

std::optional<size_t> MetaIndex::EstimateCount(const Filter& filter) const {
  return Estimate(filter.root());
}

}  // namespace herondb
