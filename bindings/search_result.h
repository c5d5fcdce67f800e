// herondb.SearchResult: one search hit (id, distance, metadata) with
// attribute access and 3-tuple behaviour (api-decisions D16).
//
// A plain CPython type rather than a nanobind class: searches create k of
// them per call, and a bare object (no instance registry, slot attributes)
// costs a fraction of a bound C++ instance. The metadata dict is converted
// from the stored Value on first access (most callers read only ids and
// distances) and then kept, so r.metadata is r.metadata, and every result
// has its own dict.
#pragma once

#include <Python.h>

#include <string_view>

#include "herondb/meta/value.h"

namespace herondb::py {

// Creates the type (once, at import) and adds it to `module` as
// "SearchResult"; returns false with a Python error set on failure.
bool AddSearchResultType(PyObject* module);

// A new SearchResult (new reference), or nullptr with a Python error set.
PyObject* NewSearchResult(std::string_view id, double distance, ValuePtr metadata);

}  // namespace herondb::py
