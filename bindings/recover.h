// herondb._core._recover(path): binds db/recover.h for `herondb recover`.
#pragma once

#include <nanobind/nanobind.h>

namespace herondb::py {

// Adds _recover to the module.
void AddRecover(nanobind::module_& m);

}  // namespace herondb::py
