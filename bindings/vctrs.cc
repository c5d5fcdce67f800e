// _core._vctrs_read(path): the records of the vctrs database in `path`, for
// python/herondb/_vctrs.py to migrate.
//
// Contract: reads the directory without the GIL (vctrs/reader.h: read only,
// damage is CorruptionError naming the file) and returns a dict:
//   dim (int, 0 when unknown), metric (str or None when unknown: a database
//   that was never saved), m, ef_construction (int or None), quantized
//   (bool), ids (list[str]), vectors (float32 numpy array, len(ids) x dim),
//   metadatas (list[dict | None]), files (list[str]), snapshot_records,
//   orphan_slots, wal_entries, torn_tail_bytes (int).
#include "vctrs.h"

#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>

#include <memory>

#include "convert.h"
#include "herondb/index/metric.h"
#include "herondb/vctrs/reader.h"

namespace nb = nanobind;

namespace herondb::py {
namespace {

nb::dict ReadVctrs(const std::string& path) {
  auto dir = std::make_unique<vctrs::VctrsDirectory>();
  {
    nb::gil_scoped_release nogil;
    *dir = vctrs::ReadVctrsDirectory(path);
  }
  vctrs::VctrsRecords& r = dir->records;
  nb::dict out;
  out["dim"] = r.dim;
  out["metric"] = r.has_snapshot ? nb::cast(std::string(MetricName(r.metric))) : nb::none();
  out["m"] = r.has_snapshot ? nb::cast(r.m) : nb::none();
  out["ef_construction"] = r.has_snapshot ? nb::cast(r.ef_construction) : nb::none();
  out["quantized"] = dir->quantized;
  nb::list files;
  for (const std::string& f : dir->files) files.append(f);
  out["files"] = files;
  out["snapshot_records"] = r.snapshot_records;
  out["orphan_slots"] = r.orphan_slots;
  out["wal_entries"] = r.wal_entries;
  out["torn_tail_bytes"] = r.torn_tail_bytes;

  const size_t n = r.ids.size();
  nb::list ids, metas;
  for (size_t i = 0; i < n; ++i) {
    ids.append(nb::str(r.ids[i].data(), r.ids[i].size()));
    metas.append(FromMetadata(r.metadata[i]));
  }
  out["ids"] = ids;
  out["metadatas"] = metas;

  auto* rows = new std::vector<float>(std::move(r.rows));
  nb::capsule owner(rows, [](void* p) noexcept { delete static_cast<std::vector<float>*>(p); });
  const size_t shape[2] = {n, r.dim};
  out["vectors"] = nb::ndarray<nb::numpy, float, nb::ndim<2>>(rows->data(), 2, shape, owner);
  return out;
}

}  // namespace

void BindVctrs(nb::module_& m) {
  m.def("_vctrs_read", &ReadVctrs, nb::arg("path"),
        "Read the vctrs database in a directory (internal; see herondb._vctrs).");
}

}  // namespace herondb::py
