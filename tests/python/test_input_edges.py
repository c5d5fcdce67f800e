"""Input edge cases: byte order of arrays, NUL and empty paths, integers and
nesting in metadata (one validation for add() and import_json), filter
depth, dict keys that json.dumps accepts, ef_search=0."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from herondb import Client, Database


@pytest.fixture
def db(tmp_path):
    d = Database(str(tmp_path / "db"), dim=4, metric="euclidean")
    yield d
    d.close()


# ------------------------------------------------------------- byte order


@pytest.mark.parametrize("dtype", [">f4", ">f8", ">f2", "<f8", ">i4", ">u2"])
def test_arrays_of_any_byte_order_and_real_dtype_are_converted(db, dtype):
    v = np.array([1, 2, 3, 4], dtype=dtype)
    db.add("one", v)
    db.add_many(["a", "b"], np.array([[1, 0, 0, 0], [0, 1, 0, 0]], dtype=dtype))
    assert db.get("one")[0] == [1.0, 2.0, 3.0, 4.0]
    assert db.get("b")[0] == [0.0, 1.0, 0.0, 0.0]
    assert db.search(v, k=1)[0].id == "one"
    assert db.search_many(np.array([[0, 1, 0, 0]], dtype=dtype), k=1)[0][0].id == "b"


@pytest.mark.parametrize("dtype", [">c8", "?"])
def test_complex_and_bool_arrays_stay_rejected(db, dtype):
    with pytest.raises(TypeError, match="real numbers"):
        db.add("x", np.ones(4, dtype=dtype))


# ------------------------------------------------------------------ paths


def test_nul_in_database_path_is_value_error_and_creates_nothing(tmp_path):
    with pytest.raises(ValueError, match="NUL"):
        Database(str(tmp_path / "db\0x"), dim=4)
    with pytest.raises(ValueError, match="NUL"):
        Database(str(tmp_path / "ro\0x"), read_only=True)
    assert os.listdir(tmp_path) == []


def test_empty_database_path_is_value_error_and_creates_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for kwargs in ({"dim": 4}, {}, {"read_only": True}):
        with pytest.raises(ValueError, match="must not be empty"):
            Database("", **kwargs)
    assert os.listdir(tmp_path) == []


def test_nul_in_export_or_import_path_is_value_error_and_writes_nothing(db, tmp_path):
    db.add("a", [1.0, 2.0, 3.0, 4.0])
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(ValueError, match="NUL"):
        db.export_json(str(tmp_path / "out.json\0tail"))
    with pytest.raises(ValueError, match="NUL"):
        db.import_json(str(tmp_path / "out.json\0tail"))
    with pytest.raises(ValueError, match="must not be empty"):
        db.export_json("")
    assert sorted(os.listdir(tmp_path)) == before


def test_nul_or_empty_client_root_is_value_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="NUL"):
        Client(str(tmp_path / "root\0x"))
    with pytest.raises(ValueError, match="empty"):
        Client("")
    assert os.listdir(tmp_path) == []


# ------------------------------------------------ metadata: integers, depth


def nested(levels: int):
    """A metadata dict with `levels` levels of dicts in all."""
    m: dict = {"leaf": 1}
    for _ in range(levels - 1):
        m = {"n": m}
    return m


def export_with(tmp_path, metadata_json: str) -> str:
    path = str(tmp_path / "in.json")
    with open(path, "w") as f:
        f.write('{"dim": 4, "records": [{"id": "x", "vector": [1, 2, 3, 4], "metadata": '
                + metadata_json + "}]}")
    return path


@pytest.mark.parametrize("value", [2**63 - 1, -(2**63), 2**63, 2**64 - 1])
def test_integers_within_64_bits_round_trip_through_add_and_import(db, tmp_path, value):
    db.add("a", [1.0, 2.0, 3.0, 4.0], {"n": value})
    assert db.get("a")[1] == {"n": value}
    db.import_json(export_with(tmp_path, json.dumps({"n": value})))
    assert db.get("x")[1] == {"n": value}


@pytest.mark.parametrize("value", [2**64, -(2**63) - 1, 10**40])
def test_integers_beyond_64_bits_are_value_error_naming_the_field(db, tmp_path, value):
    with pytest.raises(ValueError, match=r"metadata field 'a\.b\[1\]'.*64-bit"):
        db.add("a", [1.0, 2.0, 3.0, 4.0], {"a": {"b": [0, value]}})
    with pytest.raises(ValueError, match=r"record 0: metadata: .*64-bit"):
        db.import_json(export_with(tmp_path, json.dumps({"a": {"b": [0, value]}})))
    assert len(db) == 0


def test_integers_beyond_64_bits_in_an_imported_vector_are_numbers(db, tmp_path):
    path = str(tmp_path / "in.json")
    with open(path, "w") as f:
        f.write('{"records": [{"id": "x", "vector": [1, 2, 3, 18446744073709551616]}]}')
    db.import_json(path)
    assert db.get("x")[0][3] == float(2**64)


def test_add_and_import_share_the_metadata_depth_limit(db, tmp_path):
    db.add("ok", [1.0, 2.0, 3.0, 4.0], nested(64))
    db.import_json(export_with(tmp_path, json.dumps(nested(64))))
    with pytest.raises(ValueError, match="nested too deeply .more than 64 levels"):
        db.add("deep", [1.0, 2.0, 3.0, 4.0], nested(65))
    with pytest.raises(ValueError, match="nested too deeply .more than 64 levels"):
        db.import_json(export_with(tmp_path, json.dumps(nested(65))))
    assert sorted(db.ids()) == ["ok", "x"]


def test_a_fifty_level_and_filter_works(db):
    db.add("a", [1.0, 2.0, 3.0, 4.0], {"k": 1})
    db.add("b", [1.0, 2.0, 3.0, 5.0], {"k": 2})
    f: dict = {"k": 1}
    for _ in range(50):
        f = {"$and": [f, {"k": {"$gte": 0}}]}
    assert db.count(f) == 1
    assert [h.id for h in db.search([1.0, 2.0, 3.0, 4.0], k=2, where_filter=f)] == ["a"]


def test_a_filter_deeper_than_its_limit_is_value_error(db):
    f: dict = {"k": 1}
    for _ in range(200):
        f = {"$and": [f]}
    with pytest.raises(ValueError, match="where_filter.*nested too deeply .more than 256 levels"):
        db.count(f)


# ------------------------------------------------------ keys json accepts


def test_dict_keys_json_accepts_become_their_json_strings(db):
    meta = {1: "int", 2.5: "float", True: "bool", None: "none", "s": {7: [1, {False: 0}]}}
    db.add("a", [1.0, 2.0, 3.0, 4.0], meta)
    assert db.get("a")[1] == json.loads(json.dumps(meta))
    assert db.count({"null": "none"}) == 1


def test_keys_that_collide_once_converted_are_value_error(db):
    with pytest.raises(ValueError, match="key '1' twice"):
        db.add("a", [1.0, 2.0, 3.0, 4.0], {"1": "x", 1: "y"})
    assert len(db) == 0


def test_keys_json_rejects_stay_type_error(db):
    with pytest.raises(TypeError, match="keys must be str, int, float, bool or None"):
        db.add("a", [1.0, 2.0, 3.0, 4.0], {(1, 2): "tuple"})


# ----------------------------------------------------------------- search


def test_ef_search_zero_is_raised_to_k(db):
    rng = np.random.default_rng(3)
    data = rng.standard_normal((50, 4)).astype(np.float32)
    db.add_many([f"v{i}" for i in range(50)], data)
    assert db.search(data[0], k=5, ef_search=0) == db.search(data[0], k=5, ef_search=5)
    assert db.search_many(data[:3], k=5, ef_search=0) == db.search_many(data[:3], k=5, ef_search=5)
