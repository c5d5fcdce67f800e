"""update (D11), upsert, delete / delete_many (D10), deleted_count and total_slots."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import assert_unchanged, populated, snapshot

# --- update ------------------------------------------------------------------------------


def test_update_metadata_replaces_it_whole_without_merging(db):
    db.add("a", [1.0] * 8, {"keep": 1, "drop": 2})
    db.update("a", metadata={"new": 3})
    assert db.get("a") == ([1.0] * 8, {"new": 3})


def test_update_metadata_only_keeps_the_vector(db):
    db.add("a", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], {"v": 1})
    db.update("a", metadata={"v": 2})
    assert db.get("a")[0] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]


def test_update_vector_with_metadata_none_keeps_old_metadata(db):
    db.add("a", [1.0] * 8, {"v": 1})
    db.update("a", vector=[2.0] * 8, metadata=None)
    assert db.get("a") == ([2.0] * 8, {"v": 1})


def test_update_vector_only_keeps_old_metadata(db):
    db.add("a", [1.0] * 8, {"v": 1})
    db.update("a", [3.0] * 8)
    assert db.get("a") == ([3.0] * 8, {"v": 1})


def test_update_vector_and_metadata_together(db):
    db.add("a", [1.0] * 8, {"v": 1})
    db.update("a", vector=[4.0] * 8, metadata={"v": 4})
    assert db.get("a") == ([4.0] * 8, {"v": 4})


def test_update_metadata_of_vector_that_had_none(db):
    db.add("a", [1.0] * 8)
    db.update("a", metadata={"now": "set"})
    assert db.get("a")[1] == {"now": "set"}


def test_update_with_empty_dict_metadata_replaces_metadata_with_empty_dict(db):
    db.add("a", [1.0] * 8, {"v": 1})
    db.update("a", metadata={})
    assert db.get("a")[1] == {}


def test_update_with_float64_numpy_vector_rounds_to_float32(db, rng):
    db.add("a", [1.0] * 8)
    v = rng.normal(size=8)
    db.update("a", vector=v)
    assert db.get("a")[0] == [float(x) for x in v.astype(np.float32)]


def test_update_does_not_change_len_ids_or_slots(db):
    populated(db)
    slots = db.total_slots
    db.update("id2", vector=[7.0] * 8, metadata={"x": 1})
    assert len(db) == 5
    assert sorted(db.ids()) == [f"id{i}" for i in range(5)]
    assert db.total_slots == slots
    assert db.deleted_count == 0


def test_update_with_neither_vector_nor_metadata_raises_value_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(ValueError):
        db.update("id1")
    with pytest.raises(ValueError):
        db.update("id1", vector=None, metadata=None)
    assert_unchanged(db, before)


def test_update_unknown_id_raises_value_error_naming_it_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(ValueError, match="no-such-id"):
        db.update("no-such-id", vector=[1.0] * 8)
    with pytest.raises(ValueError, match="no-such-id"):
        db.update("no-such-id", metadata={"a": 1})
    assert_unchanged(db, before)
    assert "no-such-id" not in db


def test_update_deleted_id_raises_value_error_and_changes_nothing(db):
    populated(db)
    db.delete("id0")
    before = snapshot(db)
    with pytest.raises(ValueError):
        db.update("id0", metadata={"back": True})
    assert_unchanged(db, before)
    assert "id0" not in db


def test_update_with_wrong_dimension_raises_value_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(ValueError):
        db.update("id1", vector=[1.0] * 9, metadata={"should": "not apply"})
    assert_unchanged(db, before)


def test_update_with_nan_vector_raises_value_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(ValueError):
        db.update("id1", vector=[float("nan")] * 8, metadata={"should": "not apply"})
    assert_unchanged(db, before)


def test_update_with_zero_vector_under_cosine_raises_value_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(ValueError):
        db.update("id1", vector=[0.0] * 8)
    assert_unchanged(db, before)


def test_update_with_non_dict_metadata_raises_type_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(TypeError):
        db.update("id1", vector=[2.0] * 8, metadata=["a"])
    assert_unchanged(db, before)


def test_update_with_non_json_metadata_raises_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises((TypeError, ValueError)):
        db.update("id1", metadata={"x": float("nan")})
    with pytest.raises((TypeError, ValueError)):
        db.update("id1", metadata={"x": object()})
    assert_unchanged(db, before)


def test_update_with_non_str_id_raises_type_error(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(TypeError):
        db.update(1, metadata={"a": 1})
    assert_unchanged(db, before)


# --- upsert ------------------------------------------------------------------------------


def test_upsert_inserts_a_new_id(db):
    db.upsert("a", [1.0] * 8, {"v": 1})
    assert len(db) == 1
    assert db.get("a") == ([1.0] * 8, {"v": 1})


def test_upsert_overwrites_vector_and_metadata_of_existing_id(db):
    db.add("a", [1.0] * 8, {"v": 1})
    db.upsert("a", [2.0] * 8, {"v": 2})
    assert len(db) == 1
    assert db.get("a") == ([2.0] * 8, {"v": 2})


def test_upsert_without_metadata_overwrites_old_metadata_with_none(db):
    db.add("a", [1.0] * 8, {"v": 1})
    db.upsert("a", [2.0] * 8)
    assert db.get("a") == ([2.0] * 8, None)


def test_upsert_of_a_deleted_id_inserts_it_again(db):
    db.add("a", [1.0] * 8, {"v": 1})
    db.delete("a")
    db.upsert("a", [2.0] * 8, {"v": 2})
    assert "a" in db
    assert db.get("a") == ([2.0] * 8, {"v": 2})


def test_upsert_with_wrong_dimension_raises_value_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(ValueError):
        db.upsert("id0", [1.0] * 3)
    with pytest.raises(ValueError):
        db.upsert("brand-new", [1.0] * 3)
    assert_unchanged(db, before)


def test_upsert_with_inf_raises_value_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(ValueError):
        db.upsert("id0", [float("inf")] + [1.0] * 7)
    assert_unchanged(db, before)


def test_upsert_with_non_dict_metadata_raises_type_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(TypeError):
        db.upsert("id0", [1.0] * 8, "meta")
    assert_unchanged(db, before)


# --- delete ------------------------------------------------------------------------------


def test_delete_existing_id_returns_true(db):
    db.add("a", [1.0] * 8)
    assert db.delete("a") is True


def test_delete_unknown_id_returns_false_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    assert db.delete("nope") is False
    assert_unchanged(db, before)


def test_delete_twice_returns_true_then_false(db):
    db.add("a", [1.0] * 8)
    assert db.delete("a") is True
    assert db.delete("a") is False


def test_deleted_id_disappears_from_get_ids_len_count_in_and_search(db):
    populated(db)
    db.delete("id2")
    assert len(db) == 4
    assert db.count() == 4
    assert "id2" not in db
    assert "id2" not in db.ids()
    with pytest.raises(ValueError):
        db.get("id2")
    assert all(h.id != "id2" for h in db.search([1.0] * 8, k=10))


def test_delete_leaves_other_vectors_intact(db):
    vecs = populated(db)
    db.delete("id2")
    for i in (0, 1, 3, 4):
        assert db.get(f"id{i}") == ([float(x) for x in vecs[i]], {"i": i})


def test_add_of_a_deleted_id_works_with_new_vector_and_metadata(db):
    db.add("a", [1.0] * 8, {"v": "old"})
    db.delete("a")
    db.add("a", [2.0] * 8, {"v": "new"})
    assert "a" in db
    assert len(db) == 1
    assert db.get("a") == ([2.0] * 8, {"v": "new"})
    hits = db.search([2.0] * 8, k=10)
    assert [h.id for h in hits] == ["a"]
    assert hits[0].metadata == {"v": "new"}


def test_add_of_a_deleted_id_without_metadata_does_not_resurrect_old_metadata(db):
    db.add("a", [1.0] * 8, {"v": "old"})
    db.delete("a")
    db.add("a", [1.0] * 8)
    assert db.get("a")[1] is None


def test_delete_with_non_str_id_raises_type_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(TypeError):
        db.delete(0)
    assert_unchanged(db, before)


def test_delete_many_returns_number_actually_deleted(db):
    populated(db)
    assert db.delete_many(["id0", "id1", "missing"]) == 2
    assert sorted(db.ids()) == ["id2", "id3", "id4"]


def test_delete_many_counts_repeated_id_once(db):
    populated(db)
    assert db.delete_many(["id0", "id0", "id0"]) == 1
    assert len(db) == 4


def test_delete_many_with_empty_list_returns_zero(db):
    populated(db)
    before = snapshot(db)
    assert db.delete_many([]) == 0
    assert_unchanged(db, before)


def test_delete_many_with_only_unknown_ids_returns_zero_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    assert db.delete_many(["x", "y"]) == 0
    assert_unchanged(db, before)


def test_delete_many_with_non_str_id_raises_type_error_and_deletes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(TypeError):
        db.delete_many(["id0", "id1", 7])
    assert_unchanged(db, before)


def test_delete_many_with_a_str_instead_of_list_raises_type_error_and_deletes_nothing(db):
    db.add_many(["a", "b"], [[1.0] * 8] * 2)
    before = snapshot(db)
    with pytest.raises(TypeError):
        db.delete_many("ab")
    assert_unchanged(db, before)


def test_delete_many_accepts_a_tuple(db):
    populated(db)
    assert db.delete_many(("id0", "id4")) == 2


def test_delete_everything_then_add_again(db):
    populated(db)
    assert db.delete_many(db.ids()) == 5
    assert len(db) == 0 and db.ids() == []
    db.add("id0", [3.0] * 8)
    assert db.ids() == ["id0"]


# --- deleted_count / total_slots -----------------------------------------------------------


def test_fresh_database_has_zero_slots_and_zero_deleted(db):
    assert db.deleted_count == 0
    assert db.total_slots == 0


def test_deleted_count_and_total_slots_after_adds_and_deletes(db):
    populated(db, n=5)
    assert (db.deleted_count, db.total_slots) == (0, 5)
    db.delete("id0")
    db.delete_many(["id1", "id9"])
    assert db.deleted_count == 2
    assert db.total_slots == 5
    assert len(db) == 3


def test_total_slots_is_always_live_plus_deleted(db):
    populated(db, n=6)
    db.delete_many(["id0", "id1"])
    db.add("id0", [1.0] * 8)
    db.upsert("id1", [1.0] * 8)
    db.update("id2", metadata={"u": 1})
    db.upsert("id3", [5.0] * 8)
    assert db.total_slots == len(db) + db.deleted_count
    assert len(db) == 6


def test_failed_delete_does_not_change_deleted_count(db):
    populated(db)
    db.delete("missing")
    assert db.deleted_count == 0


def test_update_in_place_does_not_create_deleted_slots(db):
    populated(db)
    db.update("id0", vector=[2.0] * 8)
    db.update("id1", vector=[3.0] * 8, metadata={"x": 1})
    assert db.deleted_count == 0
    assert db.total_slots == 5
