"""export_json / import_json (api-decisions D19)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import herondb


def _db(tmp_path, name="db", dim=5, metric=None):
    return herondb.Database(str(tmp_path / name), dim=dim, metric=metric)


def _fill(db, n=50):
    rng = np.random.default_rng(3)
    vecs = rng.standard_normal((n, db.dim)).astype(np.float32)
    vecs[0, 0] = np.float32(1e-38)  # subnormal-adjacent values round-trip too
    vecs[1, 1] = np.float32(-0.0)
    vecs[2, 2] = np.float32(3.4028235e38)
    ids = [f"id-{i}" for i in range(n)]
    metas = [{"i": i, "f": i / 7, "s": "é\"\n", "nested": {"l": [1, None, True]}} if i % 3 else None
             for i in range(n)]
    db.add_many(ids, vecs, metas)
    return ids


def test_export_writes_the_documented_format(tmp_path):
    db = _db(tmp_path, metric="l2")
    ids = _fill(db)
    db.delete(ids[4])
    out = tmp_path / "e.json"
    db.export_json(str(out))
    doc = json.loads(out.read_text())
    assert doc["version"] == 1 and doc["dim"] == 5 and doc["metric"] == "euclidean"
    assert doc["count"] == 49 and len(doc["vectors"]) == 49
    rec = {r["id"]: r for r in doc["vectors"]}
    assert ids[4] not in rec
    for i in ids[:10]:
        if i == ids[4]:
            continue
        vec, meta = db.get(i)
        assert rec[i]["vector"] == vec  # floats parse back to the stored float32 values
        assert rec[i]["metadata"] == meta


def test_export_import_round_trip_is_exact(tmp_path):
    src = _db(tmp_path, "src")
    _fill(src)
    src.export_json(str(tmp_path / "e.json"), pretty=True)
    assert "\n  " in (tmp_path / "e.json").read_text()
    dst = _db(tmp_path, "dst")
    dst.import_json(str(tmp_path / "e.json"))
    assert sorted(dst.ids()) == sorted(src.ids())
    for i in src.ids():
        a, b = src.get(i), dst.get(i)
        assert np.array_equal(np.array(a[0], np.float32).view(np.uint32),
                              np.array(b[0], np.float32).view(np.uint32))
        assert a[1] == b[1]


def test_import_upserts_existing_ids(tmp_path):
    db = _db(tmp_path)
    db.add("a", [1, 1, 1, 1, 1], {"old": True})
    db.add("keep", [2, 2, 2, 2, 2])
    path = tmp_path / "in.json"
    path.write_text(json.dumps({"dim": 5, "metric": "cosine", "records": [
        {"id": "a", "vector": [0.5, 0, 0, 0, 0], "metadata": {"new": 1}},
        {"id": "b", "vector": [0, 1, 0, 0, 0]},
        {"id": "a", "vector": [0.25, 0, 0, 0, 0], "metadata": None},
    ]}))
    db.import_json(str(path))
    assert sorted(db.ids()) == ["a", "b", "keep"]
    assert db.get("a") == ([0.25, 0.0, 0.0, 0.0, 0.0], None)  # the last occurrence wins
    assert db.get("b")[1] is None


def test_import_reads_the_older_records_layout_and_vctrs_layout_alike(tmp_path):
    db = _db(tmp_path)
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"dim": 5, "metric": "cosine", "count": 1, "records": [
        {"id": "r", "vector": [1, 0, 0, 0, 0], "metadata": {"from": "records"}}]}))
    new = tmp_path / "new.json"  # vctrs writes no "metadata" key for records without it
    new.write_text(json.dumps({"version": 1, "dim": 5, "metric": "dot_product", "vectors": [
        {"id": "v", "vector": [0, 1, 0, 0, 0]},
        {"id": "r", "vector": [0, 0, 1, 0, 0], "metadata": {"from": "vectors"}}]}))
    db.import_json(old)
    db.import_json(new)  # the export's metric is not the database's: imported as vctrs does
    assert sorted(db.ids()) == ["r", "v"]
    assert db.get("r") == ([0.0, 0.0, 1.0, 0.0, 0.0], {"from": "vectors"})
    assert db.get("v") == ([0.0, 1.0, 0.0, 0.0, 0.0], None)


def test_import_survives_reopen_as_one_log_record(tmp_path):
    src = _db(tmp_path, "src")
    _fill(src, n=200)
    src.export_json(str(tmp_path / "e.json"))
    path = str(tmp_path / "dst")
    dst = herondb.Database(path, dim=5)
    dst.import_json(str(tmp_path / "e.json"))
    dst.close()
    again = herondb.Database(path)
    assert len(again) == 200
    again.close()


@pytest.mark.parametrize(
    "doc, match",
    [
        ({"dim": 4, "records": []}, "dimension 4"),
        ({"dim": 5, "records": [{"id": "x", "vector": [1, 2, 3]}]}, "dimension 3"),
        ({"dim": 5}, "no \"vectors\""),
        ({"version": 1, "dim": 4, "vectors": []}, "dimension 4"),
        ({"version": 1, "dim": 5, "vectors": [{"id": "x", "vector": [1, 2]}]}, "dimension 2"),
        ({"version": 2, "dim": 5, "vectors": []}, "version"),
        ({"version": "1", "dim": 5, "vectors": []}, "version"),
        ({"dim": 5, "vectors": [], "records": []}, "both"),
        ({"dim": 5, "vectors": {"id": "x"}}, "array"),
        ({"dim": 5, "records": [{"vector": [1, 2, 3, 4, 5]}]}, "no \"id\""),
        ({"dim": 5, "records": [{"id": "x"}]}, "no \"vector\""),
        ({"dim": 5, "records": [{"id": "", "vector": [1, 2, 3, 4, 5]}]}, "id"),
        ({"dim": 5, "records": [{"id": 3, "vector": [1, 2, 3, 4, 5]}]}, "id"),
        ({"dim": 5, "records": [{"id": "x", "vector": [1, 2, 3, 4, "5"]}]}, "offset"),
        ({"dim": 5, "records": [{"id": "x", "vector": [1, 2, 3, 4, 1e39]}]}, "finite"),
        ({"dim": 5, "records": [{"id": "x", "vector": [1, 2, 3, 4, 5], "metadata": [1]}]}, "metadata"),
        ({"dim": 5, "records": {"id": "x"}}, "array"),
        ([1, 2], "object"),
    ],
)
def test_bad_import_is_a_value_error_and_imports_nothing(tmp_path, doc, match):
    db = _db(tmp_path)
    db.add("a", [1, 2, 3, 4, 5])
    # A good record first: the batch is all-or-nothing.
    for key in ("records", "vectors"):
        if isinstance(doc, dict) and isinstance(doc.get(key), list):
            doc[key].insert(0, {"id": "good", "vector": [1, 0, 0, 0, 0]})
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=match):
        db.import_json(str(path))
    assert db.ids() == ["a"]


def test_malformed_json_names_the_offset_and_imports_nothing(tmp_path):
    db = _db(tmp_path)
    path = tmp_path / "bad.json"
    path.write_text('{"dim": 5, "records": [{"id": "good", "vector": [1,0,0,0,0]}, {"id": ')
    with pytest.raises(ValueError, match="offset"):
        db.import_json(str(path))
    assert len(db) == 0


def test_import_of_a_missing_file_is_an_os_error(tmp_path):
    db = _db(tmp_path)
    with pytest.raises(OSError):
        db.import_json(str(tmp_path / "none.json"))


def test_export_into_a_missing_directory_is_an_os_error_and_leaves_no_file(tmp_path):
    db = _db(tmp_path)
    db.add("a", [1, 2, 3, 4, 5])
    with pytest.raises(OSError):
        db.export_json(str(tmp_path / "no" / "such" / "e.json"))


def test_export_replaces_a_file_whole(tmp_path):
    db = _db(tmp_path)
    db.add("a", [1, 2, 3, 4, 5])
    out = tmp_path / "e.json"
    out.write_text("old content that is longer than the export will be" * 100)
    db.export_json(out)  # os.PathLike accepted
    assert json.loads(out.read_text())["vectors"][0]["id"] == "a"
    assert not os.path.exists(str(out) + ".tmp")


def test_export_of_an_empty_database(tmp_path):
    db = _db(tmp_path)
    db.export_json(str(tmp_path / "e.json"))
    assert json.loads((tmp_path / "e.json").read_text())["vectors"] == []


def test_read_only_database_can_export_but_not_import(tmp_path):
    path = str(tmp_path / "db")
    with herondb.Database(path, dim=5) as db:
        db.add("a", [1, 2, 3, 4, 5])
        db.export_json(str(tmp_path / "e.json"))
    ro = herondb.Database(path, read_only=True)
    ro.export_json(str(tmp_path / "e2.json"))
    with pytest.raises(ValueError, match="read_only"):
        ro.import_json(str(tmp_path / "e.json"))
    ro.close()
