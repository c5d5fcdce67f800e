// _recover(path) -> dict: RecoverDatabase (db/recover.h) without the GIL;
// errors go through the module's translator (CorruptionError, ...).
#include "recover.h"

#include <nanobind/stl/string.h>

#include "herondb/db/recover.h"

namespace herondb::py {

namespace nb = nanobind;
using namespace nb::literals;

void AddRecover(nb::module_& m) {
  m.def(
      "_recover",
      [](const std::string& path) {
        RecoverResult r;
        {
          nb::gil_scoped_release release;
          r = RecoverDatabase(path);
        }
        nb::dict out;
        out["changed"] = r.changed;
        out["generation"] = r.generation;
        out["previous"] = r.previous ? nb::cast(*r.previous) : nb::none();
        out["current_problem"] = r.current_problem;
        nb::list skipped;
        for (const auto& [name, why] : r.skipped) skipped.append(nb::make_tuple(name, why));
        out["skipped"] = skipped;
        out["vectors"] = r.vectors;
        out["database_id"] = r.id.ToString();
        return out;
      },
      "path"_a);
}

}  // namespace herondb::py
