// Bindings of the vctrs reader (src/herondb/vctrs/): _core._vctrs_read.
#pragma once

#include <nanobind/nanobind.h>

namespace herondb::py {

// Adds _vctrs_read(path) -> dict to the module (see bindings/vctrs.cc).
void BindVctrs(nanobind::module_& m);

}  // namespace herondb::py
