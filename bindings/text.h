// herondb.analyze: the text analyzer (herondb/text/analyzer.h) for Python.
#pragma once

#include <nanobind/nanobind.h>

namespace herondb::py {

// Adds _core.analyze(text, language="english") to `m`.
void RegisterText(nanobind::module_& m);

}  // namespace herondb::py
