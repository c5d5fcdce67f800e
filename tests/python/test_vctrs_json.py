"""JSON exports travel both ways between herondb and the real vctrs package (D19).

These tests drive vctrs itself (the PyPI wheel that scripts/setup.sh installs),
never a hand-made imitation of its files.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import herondb

vctrs = pytest.importorskip("vctrs")

DIM = 6


def _vectors(n: int, seed: int = 11) -> np.ndarray:
    """float32 rows with awkward values: tiny, large, negative zero, long mantissas.

    Magnitudes stay below 1e18 so that vctrs's own distances stay finite (it
    panics on a NaN distance while building its graph).
    """
    rng = np.random.default_rng(seed)
    vecs = (rng.standard_normal((n, DIM)) * 10.0 ** rng.integers(-15, 15, (n, DIM))).astype(np.float32)
    vecs[0, 0] = np.float32(1.17549435e-38)
    vecs[1, 1] = np.float32(-0.0)
    vecs[2, 2] = np.float32(9.876543e17)
    vecs[3, :] = np.float32(0.1)
    vecs[4, 3] = np.nextafter(np.float32(1.0), np.float32(2.0))
    return vecs


def _metas(n: int) -> list:
    return [
        None if i % 4 == 0 else
        {"i": i, "f": i / 7, "s": "é\"\n\u2603", "nested": {"l": [1, None, True, 2.5]}, "neg": -i}
        for i in range(n)
    ]


def _bits(vec) -> np.ndarray:
    return np.asarray(vec, dtype=np.float32).view(np.uint32)


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "dot_product"])
def test_a_vctrs_export_imports_into_herondb_with_every_record_exact(tmp_path, metric):
    n = 40
    vecs, metas = _vectors(n), _metas(n)
    ids = [f"doc-{i}" for i in range(n)]
    src = vctrs.Database(str(tmp_path / "v"), dim=DIM, metric=metric)
    src.add_many(ids, vecs.tolist(), metas)
    src.delete("doc-5")
    src.export_json(str(tmp_path / "v.json"))
    doc = json.loads((tmp_path / "v.json").read_text())
    assert doc["version"] == 1 and "vectors" in doc and doc["metric"] == metric  # vctrs's layout

    db = herondb.Database(str(tmp_path / "h"), dim=DIM, metric=metric)
    db.import_json(tmp_path / "v.json")
    assert sorted(db.ids()) == sorted(src.ids())
    for i in src.ids():
        want_vec, want_meta = src.get(i)
        got_vec, got_meta = db.get(i)
        assert np.array_equal(_bits(got_vec), _bits(want_vec)), i
        assert got_meta == want_meta


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "dot_product"])
def test_a_herondb_export_imports_into_vctrs_with_every_record_exact(tmp_path, metric):
    n = 40
    vecs, metas = _vectors(n, seed=5), _metas(n)
    ids = [f"doc-{i}" for i in range(n)]
    db = herondb.Database(str(tmp_path / "h"), dim=DIM, metric=metric)
    db.add_many(ids, vecs, metas)
    db.delete("doc-7")
    for pretty in (False, True):
        out = tmp_path / f"h-{pretty}.json"
        db.export_json(out, pretty=pretty)
        dst = vctrs.Database(str(tmp_path / f"v-{pretty}"), dim=DIM, metric=metric)
        dst.import_json(str(out))
        assert sorted(dst.ids()) == sorted(db.ids())
        for i in db.ids():
            want_vec, want_meta = db.get(i)
            got_vec, got_meta = dst.get(i)
            assert np.array_equal(_bits(got_vec), _bits(want_vec)), i
            assert got_meta == want_meta


def test_round_trip_herondb_vctrs_herondb_keeps_every_bit(tmp_path):
    n = 30
    vecs, metas = _vectors(n, seed=9), _metas(n)
    ids = [f"k{i}" for i in range(n)]
    first = herondb.Database(str(tmp_path / "a"), dim=DIM, metric="euclidean")
    first.add_many(ids, vecs, metas)
    first.export_json(tmp_path / "a.json")
    middle = vctrs.Database(str(tmp_path / "v"), dim=DIM, metric="euclidean")
    middle.import_json(str(tmp_path / "a.json"))
    middle.export_json(str(tmp_path / "v.json"))
    last = herondb.Database(str(tmp_path / "b"), dim=DIM, metric="euclidean")
    last.import_json(tmp_path / "v.json")
    for i in ids:
        assert np.array_equal(_bits(last.get(i)[0]), _bits(first.get(i)[0]))
        assert last.get(i)[1] == first.get(i)[1]


def test_a_vctrs_export_of_the_wrong_dimension_is_a_value_error_and_imports_nothing(tmp_path):
    src = vctrs.Database(str(tmp_path / "v"), dim=3, metric="cosine")
    src.add_many(["a", "b"], [[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    src.export_json(str(tmp_path / "v.json"))
    db = herondb.Database(str(tmp_path / "h"), dim=DIM)
    db.add("keep", [1.0] * DIM)
    with pytest.raises(ValueError, match="dimension 3"):
        db.import_json(tmp_path / "v.json")
    assert db.ids() == ["keep"]


def test_a_vctrs_export_upserts_into_a_herondb_database(tmp_path):
    src = vctrs.Database(str(tmp_path / "v"), dim=3, metric="euclidean")
    src.add("a", [1.0, 2.0, 3.0], {"from": "vctrs"})
    src.add("b", [4.0, 5.0, 6.0])
    src.export_json(str(tmp_path / "v.json"))
    db = herondb.Database(str(tmp_path / "h"), dim=3, metric="euclidean")
    db.add("a", [9.0, 9.0, 9.0], {"from": "herondb"})
    db.add("c", [7.0, 8.0, 9.0])
    db.import_json(tmp_path / "v.json")
    assert sorted(db.ids()) == ["a", "b", "c"]
    assert db.get("a") == ([1.0, 2.0, 3.0], {"from": "vctrs"})


def test_the_cli_creates_a_database_from_a_vctrs_export_with_its_dim_and_metric(tmp_path):
    src = vctrs.Database(str(tmp_path / "v"), dim=4, metric="dot_product")
    src.add_many(["a", "b", "c"], [[1, 2, 3, 4], [4, 3, 2, 1], [0, 1, 0, 1]], [{"x": 1}, None, {"y": [2]}])
    src.export_json(str(tmp_path / "v.json"), pretty=True)
    p = subprocess.run([sys.executable, "-m", "herondb", "import", str(tmp_path / "h"),
                        str(tmp_path / "v.json")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    with herondb.Database(str(tmp_path / "h"), read_only=True) as db:
        assert (db.dim, db.metric, sorted(db.ids())) == (4, "dot_product", ["a", "b", "c"])
        assert db.get("c") == ([0.0, 1.0, 0.0, 1.0], {"y": [2]})
