// Text indexes and text / hybrid search for Python (see text_index.h).
//
// Contract: arguments arrive type-checked by python/herondb/_text_search.py
// (str, int, float, None); this layer converts them, releases the GIL around
// every core call, and leaves value checks to the core (Database::
// CreateTextIndex etc.), whose Errors become ValueError. `fusion` is "rrf"
// or "weighted" (ValueError otherwise).
#include "text_index.h"

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <optional>
#include <string>

#include "convert.h"
#include "herondb/common/error.h"
#include "herondb/text/analyzer.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace herondb::py {
namespace {

TextIndexHooks g_hooks;

size_t CheckK(int64_t k) {
  if (k < 1) throw nb::value_error(("k must be >= 1, got " + std::to_string(k)).c_str());
  return static_cast<size_t>(k);
}

HybridOptions MakeOptions(std::optional<int64_t> ef_search, const std::string& fusion, double rrf_k,
                          double alpha, std::optional<int64_t> candidates) {
  HybridOptions o;
  if (ef_search) {
    if (*ef_search < 1)
      throw nb::value_error(("ef_search must be >= 1, got " + std::to_string(*ef_search)).c_str());
    o.ef_search = static_cast<size_t>(*ef_search);
  }
  if (fusion == "rrf")
    o.fusion = Fusion::kRrf;
  else if (fusion == "weighted")
    o.fusion = Fusion::kWeighted;
  else
    throw nb::value_error(
        ("fusion must be 'rrf' or 'weighted', got '" + fusion.substr(0, 100) + "'").c_str());
  o.rrf_k = rrf_k;
  o.alpha = alpha;
  if (candidates) {
    if (*candidates < 1)
      throw nb::value_error(
          ("candidates must be >= 1, got " + std::to_string(*candidates)).c_str());
    o.candidates = static_cast<size_t>(*candidates);
  }
  return o;
}

void CreateTextIndex(nb::handle self, const std::string& field, const std::string& language,
                     double k1, double b) {
  auto db = g_hooks.db(self);
  text::TextIndexDef def;
  def.field = field;
  def.language = text::ParseLanguage(language);
  def.k1 = k1;
  def.b = b;
  nb::gil_scoped_release nogil;
  db->CreateTextIndex(def);
}

void DropTextIndex(nb::handle self, const std::string& field) {
  auto db = g_hooks.db(self);
  nb::gil_scoped_release nogil;
  db->DropTextIndex(field);
}

nb::list TextIndexes(nb::handle self) {
  auto db = g_hooks.db(self);
  nb::list out;
  for (const text::TextIndexDef& d : db->TextIndexes()) {
    nb::dict e;
    e["field"] = d.field;
    e["language"] = std::string(text::LanguageName(d.language));
    e["k1"] = d.k1;
    e["b"] = d.b;
    out.append(e);
  }
  return out;
}

// A non-negative Python int as uint64 (TypeError / ValueError naming `what`).
uint64_t StatCount(nb::handle v, const std::string& what) {
  if (!nb::isinstance<nb::int_>(v) || nb::isinstance<nb::bool_>(v))
    throw nb::type_error((what + " must be an int").c_str());
  const int64_t n = nb::cast<int64_t>(v);
  if (n < 0) throw nb::value_error((what + " must be >= 0, got " + std::to_string(n)).c_str());
  return static_cast<uint64_t>(n);
}

// {"num_docs": int, "total_len": int, "df": {term: int}} -> CorpusStats.
text::CorpusStats ToCorpusStats(nb::handle stats) {
  if (!nb::isinstance<nb::dict>(stats))
    throw nb::type_error("stats must be a dict with num_docs, total_len and df");
  nb::dict d = nb::borrow<nb::dict>(stats);
  for (const char* key : {"num_docs", "total_len", "df"})
    if (!d.contains(key)) throw nb::value_error((std::string("stats lacks '") + key + "'").c_str());
  text::CorpusStats out;
  out.num_docs = StatCount(d["num_docs"], "stats['num_docs']");
  out.total_len = StatCount(d["total_len"], "stats['total_len']");
  nb::handle df = d["df"];
  if (!nb::isinstance<nb::dict>(df)) throw nb::type_error("stats['df'] must be a dict");
  for (auto [term, count] : nb::borrow<nb::dict>(df)) {
    if (!nb::isinstance<nb::str>(term)) throw nb::type_error("stats['df'] keys must be str");
    std::string t = nb::cast<std::string>(term);
    out.df[t] = StatCount(count, "stats['df']['" + t.substr(0, 100) + "']");
  }
  return out;
}

nb::list SearchText(nb::handle self, const std::string& query, int64_t k,
                    std::optional<std::string> field, nb::handle where_filter, bool exhaustive,
                    nb::handle stats) {
  auto db = g_hooks.db(self);
  const size_t kk = CheckK(k);
  std::optional<text::CorpusStats> st;
  if (!stats.is_none()) st = ToCorpusStats(stats);
  std::shared_ptr<const Filter> filter = g_hooks.filter(*db, where_filter);
  std::vector<SearchHit> hits;
  {
    nb::gil_scoped_release nogil;
    const std::string* f = field ? &*field : nullptr;
    const text::CorpusStats* sp = st ? &*st : nullptr;
    hits = exhaustive ? db->SearchTextExhaustive(query, kk, f, filter.get(), sp)
                      : db->SearchText(query, kk, f, filter.get(), sp);
  }
  return g_hooks.hits(hits);
}

nb::dict TextStats(nb::handle self, const std::string& query, std::optional<std::string> field) {
  auto db = g_hooks.db(self);
  text::CorpusStats st;
  {
    nb::gil_scoped_release nogil;
    st = db->TextStats(query, field ? &*field : nullptr);
  }
  nb::dict df;
  for (const auto& [term, n] : st.df) df[nb::str(term.data(), term.size())] = n;
  nb::dict out;
  out["num_docs"] = st.num_docs;
  out["total_len"] = st.total_len;
  out["df"] = df;
  return out;
}

nb::list HybridSearch(nb::handle self, nb::handle vector, const std::string& query, int64_t k,
                      std::optional<std::string> field, nb::handle where_filter,
                      std::optional<int64_t> ef_search, const std::string& fusion, double rrf_k,
                      double alpha, std::optional<int64_t> candidates) {
  auto db = g_hooks.db(self);
  const size_t kk = CheckK(k);
  HybridOptions o = MakeOptions(ef_search, fusion, rrf_k, alpha, candidates);
  Rows q = ToVector(vector, db->dim(), "query vector");
  std::shared_ptr<const Filter> filter = g_hooks.filter(*db, where_filter);
  std::vector<SearchHit> hits;
  {
    nb::gil_scoped_release nogil;
    hits = db->HybridSearch(q.data, query, kk, field ? &*field : nullptr, filter.get(), o);
  }
  return g_hooks.hits(hits);
}

nb::list HybridSearchMany(nb::handle self, nb::handle vectors, std::vector<std::string> queries,
                          int64_t k, std::optional<std::string> field, nb::handle where_filter,
                          std::optional<int64_t> ef_search, const std::string& fusion, double rrf_k,
                          double alpha, std::optional<int64_t> candidates) {
  auto db = g_hooks.db(self);
  const size_t kk = CheckK(k);
  HybridOptions o = MakeOptions(ef_search, fusion, rrf_k, alpha, candidates);
  Rows q = ToBatch(vectors, db->dim(), "query vectors");
  if (q.n != queries.size())
    throw nb::value_error(("got " + std::to_string(q.n) + " query vectors but " +
                           std::to_string(queries.size()) + " queries")
                              .c_str());
  std::shared_ptr<const Filter> filter = g_hooks.filter(*db, where_filter);
  std::vector<std::vector<SearchHit>> hits;
  if (!queries.empty()) {
    nb::gil_scoped_release nogil;
    hits = db->HybridSearchMany(q.data, queries, kk, field ? &*field : nullptr, filter.get(), o);
  }
  nb::list out;
  for (auto& h : hits) out.append(g_hooks.hits(h));
  return out;
}

template <typename Fn, typename... Extra>
void AddMethod(nb::handle cls, const char* name, Fn fn, const Extra&... extra) {
  nb::setattr(cls, name, nb::cpp_function(fn, nb::name(name), nb::is_method(), extra...));
}

}  // namespace

void RegisterTextIndex(nb::handle cls, const TextIndexHooks& hooks) {
  g_hooks = hooks;
  AddMethod(cls, "_create_text_index", &CreateTextIndex, "field"_a, "language"_a, "k1"_a, "b"_a);
  AddMethod(cls, "_drop_text_index", &DropTextIndex, "field"_a);
  AddMethod(cls, "_text_indexes", &TextIndexes);
  AddMethod(cls, "_search_text", &SearchText, "query"_a, "k"_a, "field"_a.none(),
            "where_filter"_a.none(), "exhaustive"_a = false, "stats"_a.none() = nb::none());
  AddMethod(cls, "_text_stats", &TextStats, "query"_a, "field"_a.none());
  AddMethod(cls, "_hybrid_search", &HybridSearch, "vector"_a, "query"_a, "k"_a, "field"_a.none(),
            "where_filter"_a.none(), "ef_search"_a.none(), "fusion"_a, "rrf_k"_a, "alpha"_a,
            "candidates"_a.none());
  AddMethod(cls, "_hybrid_search_many", &HybridSearchMany, "vectors"_a, "queries"_a, "k"_a,
            "field"_a.none(), "where_filter"_a.none(), "ef_search"_a.none(), "fusion"_a, "rrf_k"_a,
            "alpha"_a, "candidates"_a.none());
}

}  // namespace herondb::py
