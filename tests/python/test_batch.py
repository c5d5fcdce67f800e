"""add_many / upsert_many: batch inserts, lengths, duplicates, and all-or-nothing (D6)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import assert_unchanged, populated, snapshot


def test_add_many_with_list_of_lists_stores_every_vector_and_metadata(db):
    vecs = [[float(i + j) for j in range(8)] for i in range(4)]
    metas = [{"i": i} for i in range(4)]
    db.add_many(["a", "b", "c", "d"], vecs, metas)
    assert len(db) == 4
    for i, key in enumerate("abcd"):
        assert db.get(key) == (vecs[i], metas[i])


def test_add_many_with_2d_float32_array_stores_exact_rows(db, rng):
    vecs = rng.normal(size=(10, 8)).astype(np.float32)
    db.add_many([f"v{i}" for i in range(10)], vecs)
    for i in range(10):
        vec, meta = db.get(f"v{i}")
        assert vec == [float(x) for x in vecs[i]]
        assert meta is None


def test_add_many_without_metadatas_stores_none_metadata(db):
    db.add_many(["a", "b"], [[1.0] * 8, [2.0] * 8])
    assert db.get("a")[1] is None and db.get("b")[1] is None


def test_add_many_metadatas_may_contain_none_entries(db):
    db.add_many(["a", "b", "c"], [[1.0] * 8] * 3, [{"x": 1}, None, {"y": [2]}])
    assert db.get("a")[1] == {"x": 1}
    assert db.get("b")[1] is None
    assert db.get("c")[1] == {"y": [2]}


def test_add_many_with_empty_batch_is_a_no_op(db):
    populated(db)
    before = snapshot(db)
    db.add_many([], [])
    db.add_many([], np.empty((0, 8), dtype=np.float32))
    db.add_many([], [], [])
    assert_unchanged(db, before)


def test_add_many_accepts_tuples_for_ids_vectors_and_metadatas(db):
    db.add_many(("a", "b"), ([1.0] * 8, [2.0] * 8), ({"k": 1}, None))
    assert db.get("a") == ([1.0] * 8, {"k": 1})
    assert db.get("b") == ([2.0] * 8, None)


def test_add_many_accepts_list_of_numpy_rows(db, rng):
    rows = [rng.normal(size=8).astype(np.float32) for _ in range(3)]
    db.add_many(["a", "b", "c"], rows)
    for key, row in zip("abc", rows):
        assert db.get(key)[0] == [float(x) for x in row]


def test_add_many_duplicate_ids_within_the_call_raise_value_error_and_change_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(ValueError, match="dup"):
        db.add_many(["new1", "dup", "new2", "dup"], [[1.0] * 8] * 4)
    assert_unchanged(db, before)
    assert "new1" not in db and "new2" not in db


def test_add_many_with_an_existing_id_raises_value_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(ValueError, match="id3"):
        db.add_many(["fresh1", "fresh2", "id3"], [[5.0] * 8] * 3, [{"n": 1}] * 3)
    assert_unchanged(db, before)
    assert "fresh1" not in db


def test_add_many_with_fewer_vectors_than_ids_raises_value_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(ValueError):
        db.add_many(["x", "y", "z"], [[1.0] * 8] * 2)
    with pytest.raises(ValueError):
        db.add_many(["x", "y"], np.ones((3, 8), dtype=np.float32))
    assert_unchanged(db, before)


def test_add_many_with_metadatas_length_mismatch_raises_value_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(ValueError):
        db.add_many(["x", "y"], [[1.0] * 8] * 2, [{"a": 1}])
    with pytest.raises(ValueError):
        db.add_many(["x", "y"], [[1.0] * 8] * 2, [{"a": 1}, None, None])
    assert_unchanged(db, before)


def test_add_many_with_one_bad_dimension_raises_value_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(ValueError):
        db.add_many(["x", "y", "z"], [[1.0] * 8, [1.0] * 8, [1.0] * 7])
    assert_unchanged(db, before)


def test_add_many_with_nan_in_last_vector_raises_value_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    vecs = np.ones((5, 8), dtype=np.float32)
    vecs[4, 3] = np.nan
    with pytest.raises(ValueError):
        db.add_many([f"n{i}" for i in range(5)], vecs)
    assert_unchanged(db, before)


def test_add_many_with_bad_metadata_in_last_entry_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(TypeError):
        db.add_many(["x", "y"], [[1.0] * 8] * 2, [{"ok": 1}, ["not", "a", "dict"]])
    with pytest.raises((TypeError, ValueError)):
        db.add_many(["x", "y"], [[1.0] * 8] * 2, [{"ok": 1}, {"bad": {1, 2}}])
    assert_unchanged(db, before)


def test_add_many_with_non_str_id_in_last_position_raises_type_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(TypeError):
        db.add_many(["x", "y", 3], [[1.0] * 8] * 3)
    assert_unchanged(db, before)


def test_add_many_with_a_str_for_ids_raises_type_error(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(TypeError):
        db.add_many("ab", [[1.0] * 8] * 2)
    assert_unchanged(db, before)


def test_add_many_with_non_list_metadatas_raises_type_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(TypeError):
        db.add_many(["x"], [[1.0] * 8], {"a": 1})
    assert_unchanged(db, before)


def test_add_many_many_vectors_are_all_retrievable(make_db, rng):
    db = make_db(dim=12, metric="euclidean")
    vecs = rng.normal(size=(2500, 12)).astype(np.float32)
    db.add_many([f"v{i}" for i in range(2500)], vecs)
    assert len(db) == 2500
    for i in (0, 1, 1234, 2048, 2499):
        assert db.get(f"v{i}")[0] == [float(x) for x in vecs[i]]
    assert set(db.ids()) == {f"v{i}" for i in range(2500)}


def test_add_many_in_several_calls_accumulates(db):
    db.add_many(["a", "b"], [[1.0] * 8, [2.0] * 8])
    db.add_many(["c"], [[3.0] * 8])
    assert sorted(db.ids()) == ["a", "b", "c"]


# --- upsert_many ------------------------------------------------------------------------


def test_upsert_many_inserts_new_and_overwrites_existing(db):
    db.add_many(["a", "b"], [[1.0] * 8, [2.0] * 8], [{"v": "a1"}, {"v": "b1"}])
    db.upsert_many(["b", "c"], [[20.0] * 8, [30.0] * 8], [{"v": "b2"}, {"v": "c2"}])
    assert len(db) == 3
    assert db.get("a") == ([1.0] * 8, {"v": "a1"})
    assert db.get("b") == ([20.0] * 8, {"v": "b2"})
    assert db.get("c") == ([30.0] * 8, {"v": "c2"})


def test_upsert_many_duplicate_ids_last_occurrence_wins(db):
    db.upsert_many(["a", "b", "a"], [[1.0] * 8, [2.0] * 8, [3.0] * 8],
                   [{"n": 1}, {"n": 2}, {"n": 3}])
    assert len(db) == 2
    assert db.get("a") == ([3.0] * 8, {"n": 3})
    assert db.get("b") == ([2.0] * 8, {"n": 2})


def test_upsert_many_duplicate_of_existing_id_last_occurrence_wins(db):
    db.add("a", [0.5] * 8, {"n": 0})
    db.upsert_many(["a", "a", "a"], [[1.0] * 8, [2.0] * 8, [3.0] * 8],
                   [{"n": 1}, None, {"n": 3}])
    assert len(db) == 1
    assert db.get("a") == ([3.0] * 8, {"n": 3})


def test_upsert_many_last_occurrence_wins_even_when_it_has_no_metadata(db):
    db.upsert_many(["a", "a"], [[1.0] * 8, [2.0] * 8], [{"n": 1}, None])
    assert db.get("a") == ([2.0] * 8, None)


def test_upsert_many_search_sees_the_winning_vector(make_db):
    db = make_db(dim=2, metric="euclidean")
    db.upsert_many(["a", "a"], [[0.0, 0.0], [9.0, 9.0]])
    (hit,) = db.search([9.0, 9.0], k=5)
    assert hit.id == "a"
    assert hit.distance == pytest.approx(0.0, abs=1e-6)


def test_upsert_many_with_lengths_mismatch_raises_value_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(ValueError):
        db.upsert_many(["id0", "zz"], [[9.0] * 8])
    with pytest.raises(ValueError):
        db.upsert_many(["id0", "zz"], [[9.0] * 8] * 2, [None])
    assert_unchanged(db, before)


def test_upsert_many_with_bad_dimension_changes_nothing_not_even_valid_existing_ids(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(ValueError):
        db.upsert_many(["id0", "id1", "new"], [[9.0] * 8, [9.0] * 8, [9.0] * 9])
    assert_unchanged(db, before)


def test_upsert_many_with_nan_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(ValueError):
        db.upsert_many(["id0", "new"], [[9.0] * 8, [float("nan")] + [1.0] * 7])
    assert_unchanged(db, before)


def test_upsert_many_with_bad_metadata_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises((TypeError, ValueError)):
        db.upsert_many(["id0", "new"], [[9.0] * 8] * 2, [{"ok": 1}, {"bad": float("inf")}])
    assert_unchanged(db, before)


def test_upsert_many_with_empty_batch_is_a_no_op(db):
    populated(db)
    before = snapshot(db)
    db.upsert_many([], [])
    assert_unchanged(db, before)


def test_upsert_many_large_batch_crossing_graph_threshold(make_db, rng):
    db = make_db(dim=8, metric="euclidean")
    first = rng.normal(size=(1500, 8)).astype(np.float32)
    db.add_many([f"v{i}" for i in range(1500)], first)
    second = rng.normal(size=(1500, 8)).astype(np.float32)
    db.upsert_many([f"v{i}" for i in range(750, 2250)], second)
    assert len(db) == 2250
    assert db.get("v0")[0] == [float(x) for x in first[0]]
    assert db.get("v750")[0] == [float(x) for x in second[0]]
    assert db.get("v2249")[0] == [float(x) for x in second[-1]]
    hit = db.search(second[10], k=1)[0]
    assert hit.id == "v760" and hit.distance == pytest.approx(0.0, abs=1e-5)
