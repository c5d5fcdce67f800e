// MetaIndex: metadata indexes over slots, and the planner's view of them.
//
// The Database assigns each live record a dense uint32 slot and tells the
// index about every one, with its metadata (or nullptr for none):
//   Insert(slot, meta) when a record appears, Erase(slot, meta) with the same
//   metadata when it goes (delete, or before re-inserting updated metadata).
//
// What is indexed, for every field path that leads through objects only
// (top-level keys and nested keys, e.g. "a" and "a.b"; arrays are not
// traversed):
//   - presence: which slots have the path (any kind of value), for $exists;
//   - an inverted index value -> slots for scalars: null, true, false,
//     numbers (keyed by exact value, so 1 and 1.0 are one key; see numeric.h)
//     and strings up to kMaxIndexedString bytes;
//   - the numbers kept in value order, for $gt/$gte/$lt/$lte;
//   - which slots hold an array or object, and which a longer string (those
//     values are not keyed; equality with them is answered as a superset).
// Posting lists are SlotSets (compressed, updatable).
//
// Planning: Plan(filter) returns slots that are a superset of the records
// matching `filter` (exact == true: exactly those records), or nullopt when
// the indexes cannot narrow the filter at all. It is exact for every filter
// built from $eq/$ne/$in/$nin with scalar operands (strings up to
// kMaxIndexedString bytes), $gt/$gte/$lt/$lte, $exists, and $and/$or/$not
// of such filters, including {} (all slots). Equality ($eq, $in) with an
// array/object or a long string is a superset (the caller checks
// Filter::Matches on the candidates); $ne/$nin of those, and $not over a
// superset, are not plannable. An $and is exact if all its parts are, else
// the intersection of what its parts could narrow; an $or is the union of
// its parts (a superset if one is), and not plannable if one part is not.
// Invariant (tested against brute force in meta_index_test.cc): an exact
// answer equals {slot : Matches(metadata(slot))} over inserted slots, and an
// inexact one contains it.
// CandidateSlots/Count return only exact answers; Count of a single leaf (or
// its $not) sums posting sizes without listing slots. EstimateCount is a
// cheap estimate of the number of matches from posting sizes (an $and is
// the smallest of its parts; nullopt: unknown); it lists no slots.
//
// Errors: Insert of a slot already present, or Erase of a slot not present,
// throws Error(kInvalidArgument) and changes nothing. Erase must be given the
// metadata that was inserted (unchecked). Metadata that is not an object
// (or null) indexes no fields: every path is missing for it.
// Cost: Insert/Erase walk the metadata once (O(fields * log)); postings left
// empty by Erase are freed, so memory follows the live records.
// Thread safety: const methods may run concurrently; Insert/Erase/Clear need
// exclusive access.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "herondb/meta/filter.h"
#include "herondb/meta/numeric.h"
#include "herondb/meta/slot_set.h"
#include "herondb/meta/value.h"

namespace herondb {

class MetaIndex {
 public:
  static constexpr size_t kMaxIndexedString = 256;

  void Insert(uint32_t slot, const Value* metadata);
  void Erase(uint32_t slot, const Value* metadata);
  void Clear();

  // Number of slots inserted and not erased.
  size_t size() const { return all_.size(); }
  bool Contains(uint32_t slot) const { return all_.Contains(slot); }
  // Number of distinct field paths held by at least one slot.
  size_t num_fields() const { return fields_.size(); }

  struct Candidates {
    std::vector<uint32_t> slots;  // sorted ascending
    bool exact = false;           // false: a superset; check Matches on each
  };
  std::optional<Candidates> Plan(const Filter& filter) const;

  // The exact sorted set of matching slots, or nullopt if the indexes alone
  // cannot answer.
  std::optional<std::vector<uint32_t>> CandidateSlots(const Filter& filter) const;

  // The exact number of matching slots, or nullopt if the indexes alone
  // cannot answer.
  std::optional<size_t> Count(const Filter& filter) const;

  // An estimate of the number of matching slots, or nullopt if unknown.
  std::optional<size_t> EstimateCount(const Filter& filter) const;

 private:
  struct Field {
    SlotSet present, nulls, trues, falses, composite, long_strings;
    std::map<NumKey, SlotSet, NumKeyLess> numbers;
    std::unordered_map<std::string, SlotSet> strings;
  };

  // A leaf as membership in a union of disjoint postings, possibly negated.
  // exact == false: the union is a superset of the leaf's positive form.
  struct LeafSets {
    std::vector<const SlotSet*> sets;
    bool negate = false;
    bool exact = true;
    bool Matches(uint32_t slot) const;
    size_t PositiveCount() const;
  };

  struct Result {
    enum class Kind { kAll, kSet, kUnknown } kind = Kind::kUnknown;
    std::vector<uint32_t> slots;  // kSet, ascending
    bool exact = false;           // kSet; kAll is always exact
  };

  void Walk(const Object& obj, std::string* key, uint32_t slot, bool insert);
  const Field* FindField(const std::string& key) const;
  // Appends the postings whose union is {slot : field == operand} (a
  // superset, with out->exact cleared, for containers and long strings).
  void EqSets(const Field* f, const Value& operand, LeafSets* out) const;
  LeafSets LeafAsSets(const FilterNode& leaf) const;
  Result Eval(const FilterNode& node) const;
  Result EvalLeaf(const FilterNode& leaf) const;
  Result EvalAnd(const FilterNode& node) const;
  Result EvalOr(const FilterNode& node) const;
  std::optional<size_t> Estimate(const FilterNode& node) const;
  std::vector<uint32_t> AllSlots() const;

  std::unordered_map<std::string, Field> fields_;  // by FieldPath::key
  SlotSet all_;
};

}  // namespace herondb
