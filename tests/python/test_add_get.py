"""add / get / ids / len / `in` / count, metadata round trips and the exact stored values (D3)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import METRICS, assert_unchanged, snapshot


def test_add_then_get_returns_vector_as_list_of_floats_and_metadata(db):
    db.add("a", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], {"title": "hello"})
    vec, meta = db.get("a")
    assert isinstance(vec, list)
    assert all(type(x) is float for x in vec)
    assert vec == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    assert meta == {"title": "hello"}


def test_get_returns_a_two_tuple(db):
    db.add("a", [1.0] * 8)
    result = db.get("a")
    assert isinstance(result, tuple)
    assert len(result) == 2


def test_add_without_metadata_gets_none(db):
    db.add("a", [1.0] * 8)
    assert db.get("a")[1] is None


def test_add_with_explicit_none_metadata_gets_none(db):
    db.add("a", [1.0] * 8, None)
    assert db.get("a")[1] is None


def test_add_with_empty_dict_metadata_round_trips_as_empty_dict(db):
    db.add("a", [1.0] * 8, {})
    assert db.get("a")[1] == {}


def test_add_accepts_keyword_arguments(db):
    db.add(id="a", vector=[1.0] * 8, metadata={"k": 1})
    assert db.get(id="a") == ([1.0] * 8, {"k": 1})


def test_len_in_ids_and_count_track_added_vectors(db):
    assert len(db) == 0
    assert db.ids() == []
    assert db.count() == 0
    assert "a" not in db
    db.add("a", [1.0] * 8)
    db.add("b", [2.0] * 8)
    assert len(db) == 2
    assert db.count() == 2
    assert sorted(db.ids()) == ["a", "b"]
    assert "a" in db and "b" in db
    assert "c" not in db


def test_ids_returns_list_of_str(db):
    db.add_many(["x", "y", "z"], np.ones((3, 8), dtype=np.float32))
    ids = db.ids()
    assert isinstance(ids, list)
    assert sorted(ids) == ["x", "y", "z"]
    assert all(isinstance(i, str) for i in ids)


def test_in_operator_with_int_returns_false(db):
    db.add("1", [1.0] * 8)
    assert 1 not in db


def test_in_operator_with_none_returns_false(db):
    db.add("1", [1.0] * 8)
    assert None not in db


@pytest.mark.parametrize("metric", METRICS)
def test_get_returns_exact_float32_values_for_every_metric(make_db, rng, metric):
    db = make_db(dim=16, metric=metric)
    v = (rng.normal(size=16) * 10).astype(np.float32)
    db.add("a", v)
    got = np.array(db.get("a")[0], dtype=np.float64)
    # Bit-exact: every float32 is representable as a Python float.
    assert np.array_equal(got, v.astype(np.float64))


def test_cosine_database_does_not_normalize_stored_vector(make_db):
    db = make_db(dim=4, metric="cosine")
    db.add("a", [3.0, 4.0, 0.0, 12.0])
    assert db.get("a")[0] == [3.0, 4.0, 0.0, 12.0]


def test_float64_list_values_are_rounded_once_to_float32(make_db):
    db = make_db(dim=4, metric="euclidean")
    values = [0.1, 1.0 / 3.0, 2.0 ** -30 + 1.0, 1e30]
    db.add("a", values)
    expected = [float(np.float32(x)) for x in values]
    assert db.get("a")[0] == expected


def test_float64_numpy_values_are_rounded_once_to_float32(make_db, rng):
    db = make_db(dim=16, metric="euclidean")
    v = rng.normal(size=16)  # float64
    db.add("a", v)
    assert db.get("a")[0] == [float(x) for x in v.astype(np.float32)]


def test_unicode_and_long_ids_round_trip(db):
    ids = ["héron", "日本語", "emoji-🦩", "with space", "x" * 1000, "nul\x00inside"]
    for k, i in enumerate(ids):
        db.add(i, [float(k + 1)] * 8)
    assert sorted(db.ids()) == sorted(ids)
    for k, i in enumerate(ids):
        assert i in db
        assert db.get(i)[0] == [float(k + 1)] * 8


def test_ids_that_differ_only_in_case_are_distinct(db):
    db.add("Doc", [1.0] * 8)
    db.add("doc", [2.0] * 8)
    assert len(db) == 2
    assert db.get("Doc")[0] == [1.0] * 8
    assert db.get("doc")[0] == [2.0] * 8


def test_get_unknown_id_raises_value_error_naming_the_id(db):
    db.add("a", [1.0] * 8)
    before = snapshot(db)
    with pytest.raises(ValueError, match="missing-id"):
        db.get("missing-id")
    assert_unchanged(db, before)


def test_get_non_str_id_raises_type_error(db):
    db.add("a", [1.0] * 8)
    with pytest.raises(TypeError):
        db.get(1)
    with pytest.raises(TypeError):
        db.get(None)
    with pytest.raises(TypeError):
        db.get(b"a")


def test_add_duplicate_id_raises_value_error_and_changes_nothing(db):
    db.add("a", [1.0] * 8, {"v": 1})
    db.add("b", [2.0] * 8)
    before = snapshot(db)
    with pytest.raises(ValueError, match="'?a'?"):
        db.add("a", [9.0] * 8, {"v": 2})
    assert_unchanged(db, before)
    assert db.get("a") == ([1.0] * 8, {"v": 1})


def test_add_duplicate_id_error_message_names_the_id(db):
    db.add("the-dup-id", [1.0] * 8)
    with pytest.raises(ValueError) as info:
        db.add("the-dup-id", [1.0] * 8)
    assert "the-dup-id" in str(info.value)


# --- metadata round trips ---------------------------------------------------------------

ROUND_TRIP_METADATA = [
    {"title": "hello", "year": 2024},
    {"nested": {"a": {"b": {"c": [1, 2, {"d": None}]}}}},
    {"list": [1, "two", 3.5, True, None, [], {}]},
    {"unicode": "日本語 ✓ 🦩", "ключ": "значение", "": "empty key"},
    {"int": 1, "float": 1.0, "neg_zero_free": -2.5},
    {"t": True, "f": False, "none": None},
    {"big": 2 ** 63 - 1, "small": -(2 ** 63), "zero": 0},
    {"tiny": 5e-324, "huge": 1.7976931348623157e308, "pi": math.pi},
    {"s": "quotes \" and \\ backslash\n newline \t tab \x00 nul"},
]


@pytest.mark.parametrize("meta", ROUND_TRIP_METADATA)
def test_metadata_round_trips_unchanged_through_get(db, meta):
    db.add("a", [1.0] * 8, meta)
    got = db.get("a")[1]
    assert got == meta


@pytest.mark.parametrize("meta", ROUND_TRIP_METADATA)
def test_metadata_round_trips_unchanged_through_search(db, meta):
    db.add("a", [1.0] * 8, meta)
    (hit,) = db.search([1.0] * 8, k=1)
    assert hit.metadata == meta


def _types_of(value):
    """A structural fingerprint that distinguishes int, float and bool."""
    if isinstance(value, dict):
        return {k: _types_of(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types_of(v) for v in value]
    return type(value).__name__


@pytest.mark.parametrize("meta", ROUND_TRIP_METADATA)
def test_metadata_keeps_int_float_bool_none_types_distinct(db, meta):
    db.add("a", [1.0] * 8, meta)
    assert _types_of(db.get("a")[1]) == _types_of(meta)


def test_metadata_int_one_and_float_one_come_back_as_int_and_float(db):
    db.add("a", [1.0] * 8, {"i": 1, "f": 1.0, "b": True})
    meta = db.get("a")[1]
    assert type(meta["i"]) is int
    assert type(meta["f"]) is float
    assert meta["b"] is True


def test_metadata_float_values_round_trip_bit_exactly(db):
    values = [0.1, 1 / 3, 1e-300, -123456.789, 2.0 ** 52 + 0.5]
    db.add("a", [1.0] * 8, {"v": values})
    got = db.get("a")[1]["v"]
    assert [x.hex() for x in got] == [x.hex() for x in values]


def test_metadata_key_order_is_preserved(db):
    meta = {"z": 1, "a": 2, "m": 3, "b": {"y": 1, "x": 2}}
    db.add("a", [1.0] * 8, meta)
    got = db.get("a")[1]
    assert list(got) == ["z", "a", "m", "b"]
    assert list(got["b"]) == ["y", "x"]


def test_mutating_input_metadata_after_add_does_not_change_stored_metadata(db):
    meta = {"tags": ["a"], "inner": {"k": 1}}
    db.add("a", [1.0] * 8, meta)
    meta["tags"].append("b")
    meta["inner"]["k"] = 2
    meta["new"] = True
    assert db.get("a")[1] == {"tags": ["a"], "inner": {"k": 1}}


def test_mutating_returned_metadata_does_not_change_stored_metadata(db):
    db.add("a", [1.0] * 8, {"tags": ["a"]})
    got = db.get("a")[1]
    got["tags"].append("b")
    got["x"] = 1
    assert db.get("a")[1] == {"tags": ["a"]}


def test_mutating_input_numpy_vector_after_add_does_not_change_stored_vector(db):
    v = np.arange(1, 9, dtype=np.float32)
    db.add("a", v)
    v[:] = 0
    assert db.get("a")[0] == [float(x) for x in range(1, 9)]


def test_mutating_returned_vector_does_not_change_stored_vector(db):
    db.add("a", [1.0] * 8)
    got = db.get("a")[0]
    got[0] = 99.0
    assert db.get("a")[0] == [1.0] * 8


def test_metadata_tuple_value_is_accepted_as_a_json_array(db):
    db.add("a", [1.0] * 8, {"t": (1, 2, 3)})
    assert db.get("a")[1] == {"t": [1, 2, 3]}

