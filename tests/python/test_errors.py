"""Constructor and metric errors, search-parameter errors, metadata errors (D2, D5, D8, D12,
D14), and the exception classes."""

from __future__ import annotations

import pathlib

import pytest

import herondb
from herondb import Database
from conftest import assert_unchanged, populated, snapshot

# --- exceptions (D1, D14) ---------------------------------------------------------------


def test_exceptions_are_importable_from_herondb():
    from herondb import CorruptionError, DatabaseLockedError  # noqa: F401


def test_database_locked_error_and_corruption_error_subclass_value_error():
    assert issubclass(herondb.DatabaseLockedError, ValueError)
    assert issubclass(herondb.CorruptionError, ValueError)
    with pytest.raises(ValueError):
        raise herondb.DatabaseLockedError("locked")
    with pytest.raises(ValueError):
        raise herondb.CorruptionError("corrupt")


def test_public_names_are_importable_from_herondb():
    from herondb import Database as D, SearchResult  # noqa: F401

    assert D is Database


# --- constructor --------------------------------------------------------------------------


def test_database_without_dim_on_empty_path_raises_value_error(tmp_path):
    with pytest.raises(ValueError):
        Database(str(tmp_path / "nothing-here"))


def test_database_without_dim_on_existing_empty_directory_raises_value_error(tmp_path):
    d = tmp_path / "empty"
    d.mkdir()
    with pytest.raises(ValueError):
        Database(str(d))


def test_database_accepts_pathlib_path(tmp_path):
    db = Database(tmp_path / "p", dim=4)
    assert db.dim == 4


@pytest.mark.parametrize("dim", [0, -1])
def test_database_with_non_positive_dim_raises_value_error(tmp_path, dim):
    with pytest.raises(ValueError):
        Database(str(tmp_path / "db"), dim=dim)


@pytest.mark.parametrize("dim", ["8", 8.0, True, [8]])
def test_database_with_non_int_dim_raises_type_error(tmp_path, dim):
    with pytest.raises(TypeError):
        Database(str(tmp_path / "db"), dim=dim)


def test_database_with_non_str_path_raises_type_error():
    with pytest.raises(TypeError):
        Database(123, dim=4)
    with pytest.raises(TypeError):
        Database(None, dim=4)


@pytest.mark.parametrize("kw", [{"m": 0}, {"m": -3}, {"ef_construction": 0}])
def test_database_with_non_positive_hnsw_parameters_raises_value_error(tmp_path, kw):
    with pytest.raises(ValueError):
        Database(str(tmp_path / "db"), dim=4, **kw)


def test_database_with_non_int_hnsw_parameters_raises_type_error(tmp_path):
    with pytest.raises(TypeError):
        Database(str(tmp_path / "db"), dim=4, m="16")
    with pytest.raises(TypeError):
        Database(str(tmp_path / "db"), dim=4, ef_construction=2.5)


def test_database_with_non_bool_quantize_raises_type_error(tmp_path):
    with pytest.raises(TypeError):
        Database(str(tmp_path / "db"), dim=4, quantize="yes")


def test_database_exposes_dim_and_default_metric_cosine(tmp_path):
    db = Database(str(tmp_path / "db"), dim=24)
    assert db.dim == 24
    assert db.metric == "cosine"


def test_database_accepts_custom_m_and_ef_construction(tmp_path, rng):
    db = Database(str(tmp_path / "db"), dim=4, m=8, ef_construction=50)
    db.add_many([f"v{i}" for i in range(10)], rng.normal(size=(10, 4)))
    assert len(db.search([1.0, 0.0, 0.0, 0.0], k=3)) == 3


def test_database_can_be_used_as_context_manager(tmp_path):
    with Database(str(tmp_path / "db"), dim=4) as db:
        db.add("a", [1.0, 2.0, 3.0, 4.0])
        assert len(db) == 1


# --- metrics (D2) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given, canonical",
    [
        ("cosine", "cosine"),
        ("COSINE", "cosine"),
        ("Cosine", "cosine"),
        ("euclidean", "euclidean"),
        ("Euclidean", "euclidean"),
        ("l2", "euclidean"),
        ("L2", "euclidean"),
        ("dot", "dot_product"),
        ("DOT", "dot_product"),
        ("dot_product", "dot_product"),
        ("Dot_Product", "dot_product"),
        ("DOT_PRODUCT", "dot_product"),
    ],
)
def test_metric_names_are_case_insensitive_and_property_returns_canonical_name(
    tmp_path, given, canonical
):
    db = Database(str(tmp_path / "db"), dim=4, metric=given)
    assert db.metric == canonical


@pytest.mark.parametrize("bad", ["manhattan", "", "cos", "dotproduct", "l1", " cosine"])
def test_unknown_metric_raises_value_error_naming_accepted_values(tmp_path, bad):
    with pytest.raises(ValueError) as info:
        Database(str(tmp_path / "db"), dim=4, metric=bad)
    msg = str(info.value).lower()
    for name in ("cosine", "euclidean", "dot"):
        assert name in msg, msg


def test_non_str_metric_raises_type_error(tmp_path):
    with pytest.raises(TypeError):
        Database(str(tmp_path / "db"), dim=4, metric=1)


# --- search parameters (D5, D8) ----------------------------------------------------------


@pytest.mark.parametrize("k", [0, -1, -100])
def test_search_with_k_below_one_raises_value_error(db, k):
    populated(db)
    before = snapshot(db)
    with pytest.raises(ValueError):
        db.search([1.0] * 8, k=k)
    with pytest.raises(ValueError):
        db.search_many([[1.0] * 8], k=k)
    assert_unchanged(db, before)


def test_search_with_k_below_one_on_empty_database_raises_value_error(db):
    with pytest.raises(ValueError):
        db.search([1.0] * 8, k=0)


def test_search_with_non_int_k_raises_type_error(db):
    populated(db)
    with pytest.raises(TypeError):
        db.search([1.0] * 8, k="3")
    with pytest.raises(TypeError):
        db.search([1.0] * 8, k=2.5)


@pytest.mark.parametrize("ef", [-1, -5])
def test_search_with_negative_ef_search_raises_value_error(db, ef):
    populated(db)
    with pytest.raises(ValueError):
        db.search([1.0] * 8, k=1, ef_search=ef)
    with pytest.raises(ValueError):
        db.search_many([[1.0] * 8], k=1, ef_search=ef)


def test_search_with_nan_max_distance_raises_value_error(db):
    populated(db)
    with pytest.raises(ValueError):
        db.search([1.0] * 8, max_distance=float("nan"))
    with pytest.raises(ValueError):
        db.search_many([[1.0] * 8], max_distance=float("nan"))


def test_search_with_non_numeric_max_distance_raises_type_error(db):
    populated(db)
    with pytest.raises(TypeError):
        db.search([1.0] * 8, max_distance="0.5")


def test_search_with_non_dict_where_filter_raises_type_error(db):
    populated(db)
    with pytest.raises(TypeError):
        db.search([1.0] * 8, where_filter=[("a", 1)])


# --- metadata errors (D5, D11) -------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", [["a", 1], "text", 5, 1.5, ("k", "v"), {"a", "b"}, b"bytes", True],
    ids=["list", "str", "int", "float", "tuple", "set", "bytes", "bool"],
)
def test_add_non_dict_metadata_raises_type_error_and_changes_nothing(db, bad):
    populated(db)
    before = snapshot(db)
    with pytest.raises(TypeError):
        db.add("new", [1.0] * 8, bad)
    with pytest.raises(TypeError):
        db.upsert("id0", [1.0] * 8, bad)
    with pytest.raises(TypeError):
        db.update("id0", metadata=bad)
    assert_unchanged(db, before)


@pytest.mark.parametrize(
    "bad",
    [
        {"s": {1, 2}},
        {"b": b"raw"},
        {"o": object()},
        {"nan": float("nan")},
        {"inf": float("inf")},
        {"ninf": float("-inf")},
        {"nested": {"deep": [1, {"x": float("nan")}]}},
        {"c": complex(1, 2)},
        {"f": lambda: 0},
        {"big": 2 ** 64},
        {"bigneg": -(2 ** 63) - 1},
        {"inner": {("t",): 1}},
        {"bad\ud800": 1},
        {"v": "bad\udfff"},
    ],
    ids=["set", "bytes", "object", "nan", "inf", "-inf", "nested-nan", "complex", "function",
         "int-2**64", "int-below-int64", "tuple-key", "surrogate-key",
         "surrogate-value"],
)
def test_add_non_json_metadata_raises_and_changes_nothing(db, bad):
    populated(db)
    before = snapshot(db)
    with pytest.raises((ValueError, TypeError)):
        db.add("new", [1.0] * 8, bad)
    with pytest.raises((ValueError, TypeError)):
        db.upsert("id0", [9.0] * 8, bad)
    with pytest.raises((ValueError, TypeError)):
        db.update("id0", vector=[9.0] * 8, metadata=bad)
    with pytest.raises((ValueError, TypeError)):
        db.add_many(["n1", "n2"], [[1.0] * 8] * 2, [{"ok": 1}, bad])
    assert_unchanged(db, before)


def test_deeply_nested_metadata_is_rejected_without_crashing(db):
    populated(db)
    before = snapshot(db)
    meta = {}
    cur = meta
    for _ in range(10_000):
        cur["x"] = {}
        cur = cur["x"]
    with pytest.raises((ValueError, TypeError, RecursionError)):
        db.add("deep", [1.0] * 8, meta)
    assert_unchanged(db, before)


def test_moderately_nested_metadata_is_accepted(db):
    meta = {}
    cur = meta
    for _ in range(30):
        cur["x"] = {}
        cur = cur["x"]
    db.add("a", [1.0] * 8, meta)
    assert db.get("a")[1] == meta


def test_self_referencing_metadata_is_rejected_without_crashing(db):
    populated(db)
    before = snapshot(db)
    meta = {"a": []}
    meta["a"].append(meta)
    with pytest.raises((ValueError, TypeError, RecursionError)):
        db.add("cyclic", [1.0] * 8, meta)
    assert_unchanged(db, before)


# --- closed database ------------------------------------------------------------------------


def test_using_a_closed_database_raises_value_error(tmp_path):
    db = Database(str(tmp_path / "db"), dim=4)
    db.add("a", [1.0, 2.0, 3.0, 4.0])
    db.close()
    with pytest.raises(ValueError):
        db.search([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError):
        db.add("b", [1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError):
        db.get("a")


def test_repr_of_database_shows_dim_and_metric(tmp_path):
    db = Database(str(tmp_path / "db"), dim=4, metric="l2")
    text = repr(db)
    assert "4" in text and "euclidean" in text


def test_pathlib_and_str_paths_are_equivalent(tmp_path):
    a = Database(pathlib.Path(tmp_path / "x"), dim=3)
    b = Database(str(tmp_path / "y"), dim=3)
    assert a.dim == b.dim == 3
