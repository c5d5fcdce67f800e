// herondb._core: the nanobind bindings over the C++ core.
//
// Contract: converts Python <-> C++ (convert.h), releases the GIL around every
// core call that can take time, and maps herondb::Error codes onto the Python
// exceptions of api-decisions D5/D14 (the exception classes are defined in
// herondb/errors.py and registered here at import). No database logic lives
// here.
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cmath>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "convert.h"
#include "herondb/common/error.h"
#include "herondb/common/thread_pool.h"
#include "herondb/db/database.h"
#include "herondb/db/open_databases.h"
#include "herondb/index/metric.h"
#include "herondb/meta/filter.h"
#include "recover.h"
#include "search_result.h"
#include "text.h"
#include "vctrs.h"
#include "text_index.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace herondb::py {
namespace {

struct ErrorTypes {
  nb::object locked, corruption, storage;
};
ErrorTypes& Types() {
  static ErrorTypes* t = new ErrorTypes();  // leaked on purpose: lives as long as the module
  return *t;
}

void Translate(const herondb::Error& e) {
  PyObject* type = PyExc_ValueError;
  switch (e.code()) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kReadOnly:
      type = PyExc_ValueError;
      break;
    case ErrorCode::kTypeError:
      type = PyExc_TypeError;
      break;
    case ErrorCode::kNotSupported:
      type = PyExc_NotImplementedError;
      break;
    case ErrorCode::kLocked:
      if (Types().locked.is_valid()) type = Types().locked.ptr();
      break;
    case ErrorCode::kCorruption:
      if (Types().corruption.is_valid()) type = Types().corruption.ptr();
      break;
    case ErrorCode::kIOError:
      if (Types().storage.is_valid()) {
        nb::object args = nb::make_tuple(e.sys_errno(), e.what());
        PyErr_SetObject(Types().storage.ptr(), args.ptr());
        return;
      }
      type = PyExc_OSError;
      break;
  }
  PyErr_SetString(type, e.what());
}

// The hits as a list of SearchResult (search_result.h).
nb::list ToPyHits(std::vector<SearchHit>& hits) {
  nb::object out = nb::steal(PyList_New(static_cast<Py_ssize_t>(hits.size())));
  if (!out) throw nb::python_error();
  for (size_t i = 0; i < hits.size(); ++i) {
    SearchHit& h = hits[i];
    PyObject* r = NewSearchResult(h.id, h.distance, std::move(h.metadata));
    if (!r) throw nb::python_error();
    PyList_SET_ITEM(out.ptr(), static_cast<Py_ssize_t>(i), r);
  }
  return nb::borrow<nb::list>(out);
}

std::optional<size_t> CheckEf(std::optional<int64_t> ef) {
  if (!ef) return std::nullopt;
  // 0, like any ef below k, is raised to k by the search.
  if (*ef < 0)
    throw nb::value_error(("ef_search must be >= 0, got " + std::to_string(*ef)).c_str());
  return static_cast<size_t>(*ef);
}
size_t CheckK(int64_t k) {
  if (k < 1) throw nb::value_error(("k must be >= 1, got " + std::to_string(k)).c_str());
  return static_cast<size_t>(k);
}
std::optional<float> CheckMaxDistance(std::optional<double> d) {
  if (d && std::isnan(*d)) throw nb::value_error("max_distance must not be NaN");
  if (!d) return std::nullopt;
  return static_cast<float>(*d);
}

// Appends an injective encoding of `o` to *key (type tag, then payload),
// for the filter cache below. False when `o` holds anything other than
// exact builtin dict/list/tuple/str/int/float/bool/None (subclasses and
// other types are converted without caching), an int outside
// [-2**63, 2**64), or nesting deeper than 64.
bool FilterCacheKey(PyObject* o, std::string* key, int depth = 0) {
  if (depth > 64) return false;
  auto put_size = [key](size_t n) {
    do {
      key->push_back(static_cast<char>((n & 0x7F) | (n > 0x7F ? 0x80 : 0)));
      n >>= 7;
    } while (n);
  };
  auto put_bytes = [&](const void* p, size_t n) { key->append(static_cast<const char*>(p), n); };
  auto put_str = [&](PyObject* str) {
    Py_ssize_t n = 0;
    const char* u = PyUnicode_AsUTF8AndSize(str, &n);
    if (!u) {
      PyErr_Clear();
      return false;
    }
    put_size(static_cast<size_t>(n));
    put_bytes(u, static_cast<size_t>(n));
    return true;
  };
  if (o == Py_None) {
    key->push_back('N');
  } else if (o == Py_True || o == Py_False) {
    key->push_back(o == Py_True ? 'T' : 'F');
  } else if (PyLong_CheckExact(o)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow > 0) {  // 2**63 .. 2**64-1 (larger: not cached)
      unsigned long long u = PyLong_AsUnsignedLongLong(o);
      if (u == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
        PyErr_Clear();
        return false;
      }
      key->push_back('u');
      put_bytes(&u, sizeof(u));
      return true;
    }
    if (overflow || (v == -1 && PyErr_Occurred())) {
      PyErr_Clear();
      return false;
    }
    key->push_back('i');
    put_bytes(&v, sizeof(v));
  } else if (PyFloat_CheckExact(o)) {
    double d = PyFloat_AS_DOUBLE(o);
    key->push_back('f');
    put_bytes(&d, sizeof(d));
  } else if (PyUnicode_CheckExact(o)) {
    key->push_back('s');
    return put_str(o);
  } else if (PyList_CheckExact(o) || PyTuple_CheckExact(o)) {
    key->push_back(PyList_CheckExact(o) ? 'l' : 't');
    Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
    put_size(static_cast<size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i)
      if (!FilterCacheKey(PySequence_Fast_GET_ITEM(o, i), key, depth + 1)) return false;
  } else if (PyDict_CheckExact(o)) {
    key->push_back('d');
    put_size(static_cast<size_t>(PyDict_Size(o)));
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(o, &pos, &k, &v)) {
      if (!PyUnicode_CheckExact(k) || !put_str(k)) return false;
      if (!FilterCacheKey(v, key, depth + 1)) return false;
    }
  } else {
    return false;
  }
  return true;
}

// None -> no filter; dict -> compiled Filter; anything else TypeError.
// Repeated filters come from the database's cache of parsed filters
// (db/compiled_filters.h), keyed by FilterCacheKey.
std::shared_ptr<const Filter> ToFilter(const Database& db, nb::handle where_filter) {
  if (where_filter.is_none()) return nullptr;
  if (!PyDict_Check(where_filter.ptr()))
    throw nb::type_error(("where_filter must be a dict or None, got " +
                          std::string(nb::type_name(where_filter.type()).c_str()))
                             .c_str());
  thread_local std::string key;
  key.clear();
  // Large filters (long $in lists) are not kept.
  const bool cacheable =
      FilterCacheKey(where_filter.ptr(), &key) && key.size() <= CompiledFilters::kMaxKeyBytes;
  if (cacheable)
    if (std::shared_ptr<const Filter> f = db.compiled_filters().Find(key)) return f;
  auto f = std::make_shared<const Filter>(
      Filter::Parse(ToValue(where_filter, kMaxFilterDepth, "where_filter")));
  if (cacheable) db.compiled_filters().Insert(key, f);
  return f;
}

std::optional<uint32_t> OptU32(std::optional<int64_t> v, const char* name) {
  if (!v) return std::nullopt;
  if (*v < 1 || *v > 0xFFFFFFFFll)
    throw nb::value_error(
        (std::string(name) + " must be a positive integer, got " + std::to_string(*v)).c_str());
  return static_cast<uint32_t>(*v);
}

// The Python-facing handle: one reference onto a SharedDatabase (one
// process, one open database, many handles: db/open_databases.h). Every
// call passes the handle's CallGate and then the shared database's, so
// Close() can wait for this handle's running calls before it drops the
// reference (and, for the last handle, closes the database and its lock
// before returning). Nothing that can wait holds the GIL.
class PyDatabase {
 public:
  PyDatabase(const std::string& path, std::optional<int64_t> dim, std::optional<std::string> metric,
             std::optional<int64_t> m, std::optional<int64_t> ef_construction, bool quantize,
             bool read_only, bool sync)
      : path_(path) {
    DatabaseOptions o;
    o.read_only = read_only;
    o.sync = sync;
    o.dim = OptU32(dim, "dim");
    if (metric) o.metric = ParseMetric(*metric);
    o.m = OptU32(m, "m");
    o.ef_construction = OptU32(ef_construction, "ef_construction");
    o.quantize = quantize;
    nb::gil_scoped_release nogil;
    shared_ = OpenDatabase(path, o);
  }
  ~PyDatabase() {
    // Dropping the last reference closes the database; no call is running
    // (the Python object is alive while one is).
    if (!shared_) return;
#if PY_VERSION_HEX >= 0x030D0000
    const bool finalizing = Py_IsFinalizing();
#else
    const bool finalizing = _Py_IsFinalizing();
#endif
    if (finalizing) {
      shared_.reset();
    } else {
      nb::gil_scoped_release nogil;
      shared_.reset();
    }
  }
  PyDatabase(const PyDatabase&) = delete;
  PyDatabase& operator=(const PyDatabase&) = delete;

  // One call on the database: admitted by both gates or a "closed" ValueError.
  class Call {
   public:
    explicit Call(PyDatabase& h) : pass_(h.gate_) {
      if (!pass_.admitted()) throw nb::value_error("the database is closed");
      shared_ = h.shared_.get();
      use_.emplace(*shared_);
    }
    Database& operator*() const { return **use_; }
    Database* operator->() const { return &**use_; }
    SharedDatabase& shared() const { return *shared_; }

   private:
    CallGate::Pass pass_;
    SharedDatabase* shared_ = nullptr;
    std::optional<SharedDatabase::Use> use_;
  };
  // Refreshes the non-waiting counts when a mutating call ends, also when
  // it throws (construct it where the GIL is released).
  struct Changed {
    const Call& call;
    ~Changed() { call.shared().RefreshCounts(*call); }
  };

  // Waits (without the GIL) for this handle's running calls, then drops its
  // reference. Idempotent.
  void Close() {
    nb::gil_scoped_release nogil;
    std::lock_guard lk(close_mu_);
    gate_.Close();
    shared_.reset();
  }
  // Runs fn(db) without the GIL and returns its result.
  template <typename Fn>
  auto Blocking(Fn&& fn) {
    Call c(*this);
    nb::gil_scoped_release nogil;
    return fn(*c);
  }
  // Like Blocking, for calls that change the database.
  template <typename Fn>
  auto Mutating(Fn&& fn) {
    Call c(*this);
    nb::gil_scoped_release nogil;
    Changed changed{c};
    return fn(*c);
  }
  bool closed() {
    CallGate::Pass p(gate_);
    return !p.admitted() || shared_->closed();
  }
  const std::string& path() const { return path_; }
  // (live, deleted, slots) as of the last change: never waits.
  nb::tuple Counts() {
    Call c(*this);
    SharedDatabase::Counts n = c.shared().counts();
    return nb::make_tuple(n.live, n.deleted, n.slots);
  }

  void Add(nb::handle id, nb::handle vector, nb::handle metadata, bool upsert) {
    Call db(*this);
    PutEntry e;
    e.id = ToId(id, "id");
    Rows v = ToVector(vector, db->dim(), "vector");
    e.vector = v.data;
    e.metadata = ToMetadata(metadata);
    nb::gil_scoped_release nogil;
    Changed changed{db};
    if (upsert) {
      std::vector<PutEntry> batch;
      batch.push_back(std::move(e));
      db->UpsertMany(std::move(batch));
    } else {
      db->Add(std::move(e));
    }
  }

  void AddMany(nb::handle ids, nb::handle vectors, nb::handle metadatas, bool upsert) {
    Call db(*this);
    std::vector<std::string> id_list = ToIdList(ids, "ids");
    Rows rows = ToBatch(vectors, db->dim(), "vectors");
    if (rows.n != id_list.size())
      throw nb::value_error(("got " + std::to_string(id_list.size()) + " ids but " +
                             std::to_string(rows.n) + " vectors")
                                .c_str());
    std::vector<PutEntry> entries(id_list.size());
    if (!metadatas.is_none()) {
      if (!PyList_Check(metadatas.ptr()) && !PyTuple_Check(metadatas.ptr()))
        throw nb::type_error("metadatas must be a list of dicts (or None entries) or None");
      if (static_cast<size_t>(PySequence_Fast_GET_SIZE(metadatas.ptr())) != id_list.size())
        throw nb::value_error(("got " + std::to_string(id_list.size()) + " ids but " +
                               std::to_string(PySequence_Fast_GET_SIZE(metadatas.ptr())) +
                               " metadatas")
                                  .c_str());
      for (size_t i = 0; i < entries.size(); ++i)
        entries[i].metadata = ToMetadata(
            nb::handle(PySequence_Fast_GET_ITEM(metadatas.ptr(), static_cast<Py_ssize_t>(i))));
    }
    for (size_t i = 0; i < entries.size(); ++i) {
      entries[i].id = std::move(id_list[i]);
      entries[i].vector = rows.row(i, db->dim());
    }
    std::vector<std::string>().swap(id_list);  // moved from: free it before the build
    nb::gil_scoped_release nogil;
    Changed changed{db};
    if (upsert)
      db->UpsertMany(std::move(entries));
    else
      db->AddMany(std::move(entries));
  }

  void Update(nb::handle id, nb::handle vector, nb::handle metadata) {
    Call db(*this);
    PutEntry e;
    e.id = ToId(id, "id");
    Rows v;
    if (!vector.is_none()) {
      v = ToVector(vector, db->dim(), "vector");
      e.vector = v.data;
    }
    e.set_metadata = !metadata.is_none();
    e.metadata = ToMetadata(metadata);
    nb::gil_scoped_release nogil;
    Changed changed{db};
    db->Update(std::move(e));
  }

  nb::list Search(nb::handle vector, int64_t k, std::optional<int64_t> ef_search,
                  nb::handle where_filter, std::optional<double> max_distance) {
    Call db(*this);
    size_t kk = CheckK(k);
    auto ef = CheckEf(ef_search);
    auto md = CheckMaxDistance(max_distance);
    Rows q = ToVector(vector, db->dim(), "query vector");
    std::shared_ptr<const Filter> filter = ToFilter(*db, where_filter);
    std::vector<SearchHit> hits;
    {
      nb::gil_scoped_release nogil;
      hits = db->Search(q.data, kk, ef, filter.get(), md);
    }
    return ToPyHits(hits);
  }

  nb::list SearchMany(nb::handle vectors, int64_t k, std::optional<int64_t> ef_search,
                      nb::handle where_filter, std::optional<double> max_distance) {
    Call db(*this);
    size_t kk = CheckK(k);
    auto ef = CheckEf(ef_search);
    auto md = CheckMaxDistance(max_distance);
    Rows q = ToBatch(vectors, db->dim(), "query vectors");
    std::shared_ptr<const Filter> filter = ToFilter(*db, where_filter);
    std::vector<std::vector<SearchHit>> hits;
    {
      nb::gil_scoped_release nogil;
      hits = db->SearchMany(q.data, q.n, kk, ef, filter.get(), md);
    }
    nb::list out;
    for (auto& h : hits) out.append(ToPyHits(h));
    return out;
  }

  nb::tuple Get(nb::handle id) {
    Call db(*this);
    std::string key = ToId(id, "id");
    std::vector<float> v;
    ValuePtr meta;
    {
      nb::gil_scoped_release nogil;
      db->Get(key, &v, &meta);
    }
    nb::object list = nb::steal(PyList_New(static_cast<Py_ssize_t>(v.size())));
    for (size_t i = 0; i < v.size(); ++i)
      PyList_SET_ITEM(list.ptr(), static_cast<Py_ssize_t>(i), PyFloat_FromDouble(v[i]));
    return nb::make_tuple(list, FromMetadata(meta));
  }

  bool Delete(nb::handle id) {
    Call db(*this);
    std::string key = ToId(id, "id");
    nb::gil_scoped_release nogil;
    Changed changed{db};
    return db->Delete(key);
  }
  size_t DeleteMany(nb::handle ids) {
    Call db(*this);
    std::vector<std::string> keys = ToIdList(ids, "ids");
    nb::gil_scoped_release nogil;
    Changed changed{db};
    return db->DeleteMany(keys);
  }

  size_t Count(nb::handle where_filter) {
    Call db(*this);
    std::shared_ptr<const Filter> filter = ToFilter(*db, where_filter);
    nb::gil_scoped_release nogil;
    return db->Count(filter.get());
  }

  nb::dict Stats() {
    Call db(*this);
    DatabaseStats st;
    {
      nb::gil_scoped_release nogil;
      st = db->Stats();
    }
    nb::dict d;
    d["num_vectors"] = st.num_vectors;
    d["num_deleted"] = st.num_deleted;
    d["total_slots"] = st.num_vectors + st.num_deleted;
    d["num_layers"] = st.graph.num_layers;
    d["avg_degree_layer0"] = st.graph.avg_degree_layer0;
    d["max_degree_layer0"] = st.graph.max_degree_layer0;
    d["min_degree_layer0"] = st.graph.min_degree_layer0;
    d["memory_vectors_bytes"] = st.graph.memory_vectors_bytes;
    d["memory_graph_bytes"] = st.graph.memory_graph_bytes;
    d["memory_quantized_bytes"] = st.memory_quantized_bytes;
    d["memory_filter_cache_bytes"] = st.memory_filter_cache_bytes;
    d["uses_brute_force"] = st.uses_brute_force;
    d["uses_quantized_search"] = st.uses_quantized_search;
    d["vector_residency"] = st.vector_residency;
    d["dim"] = db->dim();
    d["metric"] = MetricName(db->metric());
    d["m"] = db->m();
    d["ef_construction"] = db->ef_construction();
    d["ef_search_default"] = st.ef_search_default;
    d["ef_search_default_recall"] =
        st.ef_search_default_recall < 0 ? nb::none() : nb::cast(st.ef_search_default_recall);
    d["ef_search_default_calibration_seconds"] = st.calibration_seconds;
    d["simd"] = kernels::IsaName(kernels::Best().isa);
    return d;
  }

 private:
  std::string path_;
  CallGate gate_;
  std::mutex close_mu_;  // one Close() at a time
  std::shared_ptr<SharedDatabase> shared_;
};

}  // namespace
}  // namespace herondb::py

NB_MODULE(_core, m) {
  using namespace herondb;
  using namespace herondb::py;
  m.doc() = "herondb's C++ core (internal: use the herondb package)";

  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const herondb::Error& e) {
      Translate(e);
    }
  });

  m.def(
      "_set_error_types",
      [](nb::object locked, nb::object corruption, nb::object storage) {
        Types().locked = locked;
        Types().corruption = corruption;
        Types().storage = storage;
      },
      "locked"_a, "corruption"_a, "storage"_a);
  m.def("_set_threads", [](size_t n) { return ThreadPool::SetSharedThreads(n); });
  m.def("_threads", [] { return ThreadPool::SharedThreads(); });
  m.def("_simd", [] { return std::string(kernels::IsaName(kernels::Best().isa)); });
  m.def("_canonical_metric", [](const std::string& name) { return MetricName(ParseMetric(name)); });
  m.attr("DEFAULT_EF_SEARCH") = Database::kDefaultEfSearch;

  if (!AddSearchResultType(m.ptr())) throw nb::python_error();
  RegisterText(m);
  BindVctrs(m);
  AddRecover(m);

  nb::class_<PyDatabase>(m, "_Database")
      .def(nb::init<const std::string&, std::optional<int64_t>, std::optional<std::string>,
                    std::optional<int64_t>, std::optional<int64_t>, bool, bool, bool>(),
           "path"_a, "dim"_a = nb::none(), "metric"_a = nb::none(), "m"_a = nb::none(),
           "ef_construction"_a = nb::none(), "quantize"_a = false, "read_only"_a = false,
           "sync"_a = false)
      .def_prop_ro("read_only", [](PyDatabase& d) { return PyDatabase::Call(d)->read_only(); })
      .def("save", [](PyDatabase& d) { d.Blocking([](Database& db) { db.Save(); }); })
      .def("compact", [](PyDatabase& d) { d.Mutating([](Database& db) { db.Compact(); }); })
      .def("verify", [](PyDatabase& d) { d.Blocking([](Database& db) { db.VerifyFiles(); }); })
      .def(
          "export_json",
          [](PyDatabase& d, const std::string& path, bool pretty) {
            d.Blocking([&](Database& db) { db.ExportJson(path, pretty); });
          },
          "path"_a, "pretty"_a = false)
      .def(
          "import_json",
          [](PyDatabase& d, const std::string& path) {
            d.Mutating([&](Database& db) { db.ImportJson(path); });
          },
          "path"_a)
      .def_prop_ro("dim", [](PyDatabase& d) { return PyDatabase::Call(d)->dim(); })
      .def_prop_ro(
          "metric",
          [](PyDatabase& d) { return std::string(MetricName(PyDatabase::Call(d)->metric())); })
      .def_prop_ro("m", [](PyDatabase& d) { return PyDatabase::Call(d)->m(); })
      .def_prop_ro("ef_construction",
                   [](PyDatabase& d) { return PyDatabase::Call(d)->ef_construction(); })
      .def_prop_ro("path",
                   [](PyDatabase& d) {
                     PyDatabase::Call c(d);
                     return d.path();
                   })
      .def_prop_ro(
          "deleted_count",
          [](PyDatabase& d) { return d.Blocking([](Database& db) { return db.deleted_count(); }); })
      .def_prop_ro(
          "total_slots",
          [](PyDatabase& d) { return d.Blocking([](Database& db) { return db.total_slots(); }); })
      .def_prop_ro("quantized_search",
                   [](PyDatabase& d) { return PyDatabase::Call(d)->quantized_search(); })
      .def_prop_ro("closed", &PyDatabase::closed)
      .def("close", &PyDatabase::Close)
      .def("_counts", &PyDatabase::Counts)
      .def(
          "add",
          [](PyDatabase& d, nb::handle id, nb::handle v, nb::handle meta) {
            d.Add(id, v, meta, false);
          },
          "id"_a, "vector"_a, "metadata"_a = nb::none())
      .def(
          "upsert",
          [](PyDatabase& d, nb::handle id, nb::handle v, nb::handle meta) {
            d.Add(id, v, meta, true);
          },
          "id"_a, "vector"_a, "metadata"_a = nb::none())
      .def(
          "add_many",
          [](PyDatabase& d, nb::handle ids, nb::handle v, nb::handle metas) {
            d.AddMany(ids, v, metas, false);
          },
          "ids"_a, "vectors"_a, "metadatas"_a = nb::none())
      .def(
          "upsert_many",
          [](PyDatabase& d, nb::handle ids, nb::handle v, nb::handle metas) {
            d.AddMany(ids, v, metas, true);
          },
          "ids"_a, "vectors"_a, "metadatas"_a = nb::none())
      .def("update", &PyDatabase::Update, "id"_a, "vector"_a = nb::none(),
           "metadata"_a = nb::none())
      .def("search", &PyDatabase::Search, "vector"_a, "k"_a = 10, "ef_search"_a = nb::none(),
           "where_filter"_a = nb::none(), "max_distance"_a = nb::none())
      .def("search_many", &PyDatabase::SearchMany, "vectors"_a, "k"_a = 10,
           "ef_search"_a = nb::none(), "where_filter"_a = nb::none(), "max_distance"_a = nb::none())
      .def("get", &PyDatabase::Get, "id"_a)
      .def("delete", &PyDatabase::Delete, "id"_a)
      .def("delete_many", &PyDatabase::DeleteMany, "ids"_a)
      .def("count", &PyDatabase::Count, "where_filter"_a = nb::none())
      .def("ids", [](PyDatabase& d) { return d.Blocking([](Database& db) { return db.Ids(); }); })
      .def("__len__",
           [](PyDatabase& d) { return d.Blocking([](Database& db) { return db.size(); }); })
      .def(
          "__contains__",
          [](PyDatabase& d, nb::handle id) {
            if (!PyUnicode_Check(id.ptr())) return false;
            std::string key = ToId(id, "id");
            return d.Blocking([&](Database& db) { return db.Contains(key); });
          },
          "id"_a.none())
      .def("stats", &PyDatabase::Stats)
      .def(
          "enable_quantized_search",
          [](PyDatabase& d) {
            PyDatabase::Call db(d);
            nb::gil_scoped_release nogil;
            db->EnableQuantizedSearch();
          },
          "Enable SQ8 quantized search for faster HNSW traversal.\n\n"
          "Trains per-dimension 8-bit ranges on the stored vectors and encodes them; graph\n"
          "traversal then compares 1-byte codes and the final candidates are re-ranked with\n"
          "full-precision vectors, so reported distances stay exact. Idempotent.")
      .def(
          "disable_quantized_search",
          [](PyDatabase& d) {
            PyDatabase::Call db(d);
            nb::gil_scoped_release nogil;
            db->DisableQuantizedSearch();
          },
          "Disable quantized search and use full-precision vectors (frees the codes).")
      .def(
          "_set_quantized_rerank",
          [](PyDatabase& d, float sigmas, uint32_t extra) {
            PyDatabase::Call db(d);
            nb::gil_scoped_release nogil;
            db->SetQuantizedRerank(sigmas, extra);
          },
          "sigmas"_a, "extra"_a,
          "Internal (benchmarks): quantized search re-ranks the code-distance candidates\n"
          "within sigmas estimated error sds of the k-th, at least k + extra, at most ef.")
      .def("_verify",
           [](PyDatabase& d) { return d.Blocking([](Database& db) { return db.Verify(); }); });

  RegisterTextIndex(
      m.attr("_Database"),
      {[](nb::handle self) {
         // The pointer holds a Call (the handle's gate pass and a use of the
         // shared database) for as long as the text method keeps it.
         auto call = std::make_shared<PyDatabase::Call>(nb::cast<PyDatabase&>(self));
         Database* db = &**call;
         return std::shared_ptr<Database>(call, db);
       },
       &ToFilter, &ToPyHits});

  m.def(
      "_close_databases_at",
      [](const std::string& path, const std::string& why) {
        nb::gil_scoped_release nogil;
        return CloseDatabasesAt(path, why);
      },
      "path"_a, "why"_a,
      "Internal (Client.delete_collection): close every handle of this process on the\n"
      "database directory `path`, waiting for their running calls; returns how many\n"
      "open databases it closed.");
  m.def("_open_database_count", [] { return OpenDatabaseCount(); });
}
