"""Vector inputs: lists, tuples, numpy arrays of every real dtype and layout, 2-D batches,
and the inputs that must be rejected (D4, D5)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import herondb

from conftest import assert_unchanged, populated, snapshot

# The folder holding the herondb package under test (the source tree with a
# built _core, or site-packages after `pip install .`), for subprocesses.
PYTHON_DIR = Path(herondb.__file__).resolve().parents[1]


def _as_f32_list(values):
    return [float(x) for x in np.asarray(values).astype(np.float32)]


# --- accepted single vectors ----------------------------------------------------------


def test_list_of_floats_is_accepted(db):
    db.add("a", [0.5] * 8)
    assert db.get("a")[0] == [0.5] * 8


def test_tuple_of_floats_is_accepted(db):
    db.add("a", tuple([0.25] * 8))
    assert db.get("a")[0] == [0.25] * 8


def test_list_of_python_ints_is_accepted_as_floats(db):
    db.add("a", [1, 2, 3, 4, 5, 6, 7, 8])
    assert db.get("a")[0] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]


def test_mixed_int_and_float_list_is_accepted(db):
    db.add("a", [1, 2.5, 3, 4.5, 5, 6.5, 7, 8.5])
    assert db.get("a")[0] == [1.0, 2.5, 3.0, 4.5, 5.0, 6.5, 7.0, 8.5]


def test_list_of_numpy_scalars_is_accepted(db):
    db.add("a", [np.float32(1.5)] * 4 + [np.float64(2.5)] * 2 + [np.int64(3)] * 2)
    assert db.get("a")[0] == [1.5] * 4 + [2.5] * 2 + [3.0] * 2


def test_float32_numpy_array_is_stored_bit_exactly(db, rng):
    v = rng.normal(size=8).astype(np.float32)
    db.add("a", v)
    assert db.get("a")[0] == [float(x) for x in v]


def test_read_only_float32_array_is_accepted(db):
    v = np.arange(1, 9, dtype=np.float32)
    v.flags.writeable = False
    db.add("a", v)
    assert db.get("a")[0] == [float(x) for x in range(1, 9)]


def test_float32_array_is_not_modified_by_add_or_search(db, rng):
    v = rng.normal(size=8).astype(np.float32)
    copy = v.copy()
    db.add("a", v)
    db.search(v, k=1)
    db.update("a", vector=v)
    assert np.array_equal(v, copy)


def test_float64_array_is_rounded_once_to_float32(db, rng):
    v = rng.normal(size=8) / 3.0
    db.add("a", v)
    assert db.get("a")[0] == _as_f32_list(v)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int8, np.int16,
                                   np.int32, np.int64, np.uint8, np.uint32])
def test_real_numpy_dtypes_are_accepted_and_converted_to_float32(db, dtype):
    v = np.array([1, 2, 3, 4, 5, 6, 7, 8], dtype=dtype)
    db.add("a", v)
    assert db.get("a")[0] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]


def test_non_contiguous_strided_array_is_read_with_its_strides(db):
    base = np.arange(16, dtype=np.float32) + 1
    v = base[::2]
    assert not v.flags.c_contiguous
    db.add("a", v)
    assert db.get("a")[0] == [float(x) for x in base[::2]]


def test_reversed_array_view_is_read_in_view_order(db):
    v = (np.arange(8, dtype=np.float32) + 1)[::-1]
    db.add("a", v)
    assert db.get("a")[0] == [8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0]


def test_column_of_a_2d_array_is_accepted_as_a_vector(db):
    m = np.arange(64, dtype=np.float32).reshape(8, 8) + 1
    db.add("a", m[:, 3])
    assert db.get("a")[0] == [float(x) for x in m[:, 3]]


def test_search_query_may_be_list_tuple_float64_or_strided(make_db, rng):
    db = make_db(dim=8, metric="euclidean")
    data = rng.normal(size=(20, 8)).astype(np.float32)
    db.add_many([f"v{i}" for i in range(20)], data)
    q = data[5]
    expected = [(h.id, h.distance) for h in db.search(q, k=3)]
    strided = np.repeat(q, 2)[::2]
    for variant in (q.tolist(), tuple(q.tolist()), q.astype(np.float64), strided):
        assert [(h.id, h.distance) for h in db.search(variant, k=3)] == expected


# --- accepted batches -----------------------------------------------------------------


def test_2d_float64_batch_is_rounded_to_float32(db, rng):
    m = rng.normal(size=(4, 8))
    db.add_many(list("abcd"), m)
    for key, row in zip("abcd", m):
        assert db.get(key)[0] == _as_f32_list(row)


def test_2d_int_batch_is_accepted(db):
    m = np.arange(1, 25, dtype=np.int32).reshape(3, 8)
    db.add_many(["a", "b", "c"], m)
    assert db.get("c")[0] == [float(x) for x in range(17, 25)]


def test_fortran_ordered_batch_rows_are_read_correctly(db, rng):
    m = np.asfortranarray(rng.normal(size=(5, 8)).astype(np.float32))
    assert not m.flags.c_contiguous
    db.add_many(list("abcde"), m)
    for key, row in zip("abcde", m):
        assert db.get(key)[0] == [float(x) for x in row]


def test_transposed_batch_rows_are_read_correctly(db, rng):
    t = rng.normal(size=(8, 3)).astype(np.float32).T
    db.add_many(["a", "b", "c"], t)
    for key, row in zip("abc", t):
        assert db.get(key)[0] == [float(x) for x in row]


def test_sliced_batch_with_row_and_column_strides_is_read_correctly(db, rng):
    big = rng.normal(size=(10, 16)).astype(np.float32)
    view = big[::3, 1::2]
    assert view.shape == (4, 8)
    db.add_many(list("wxyz"), view)
    for key, row in zip("wxyz", view):
        assert db.get(key)[0] == [float(x) for x in row]


def test_list_of_mixed_rows_is_accepted(db):
    rows = [[1.0] * 8, tuple([2.0] * 8), np.full(8, 3.0, dtype=np.float32), np.full(8, 4.0)]
    db.add_many(list("abcd"), rows)
    for k, key in enumerate("abcd"):
        assert db.get(key)[0] == [float(k + 1)] * 8


def test_search_many_accepts_float64_and_non_contiguous_batches(make_db, rng):
    db = make_db(dim=8, metric="euclidean")
    data = rng.normal(size=(30, 8)).astype(np.float32)
    db.add_many([f"v{i}" for i in range(30)], data)
    qs = data[:4]
    expected = [[h.id for h in hits] for hits in db.search_many(qs, k=3)]
    for variant in (qs.astype(np.float64), np.asfortranarray(qs), qs.tolist()):
        assert [[h.id for h in hits] for hits in db.search_many(variant, k=3)] == expected


# --- rejected inputs --------------------------------------------------------------------

NOT_NUMERIC_VECTORS = [
    pytest.param("abcdefgh", id="str"),
    pytest.param(b"abcdefgh", id="bytes"),
    pytest.param(bytearray(b"abcdefgh"), id="bytearray"),
    pytest.param(12345678, id="int"),
    pytest.param(1.5, id="float"),
    pytest.param({"a": 1}, id="dict"),
    pytest.param(["1"] * 8, id="list-of-str"),
    pytest.param([None] * 8, id="list-of-none"),
    pytest.param([[1.0]] * 8, id="list-of-lists"),
    pytest.param([1.0] * 7 + [complex(1, 1)], id="list-with-complex"),
    pytest.param(np.array(["a"] * 8), id="numpy-str"),
    pytest.param(np.ones(8, dtype=np.complex64), id="numpy-complex"),
    pytest.param(np.ones(8, dtype=object), id="numpy-object"),
]


@pytest.mark.parametrize("bad", NOT_NUMERIC_VECTORS)
def test_add_non_numeric_vector_raises_type_error_and_changes_nothing(db, bad):
    populated(db)
    before = snapshot(db)
    with pytest.raises(TypeError):
        db.add("new", bad)
    assert_unchanged(db, before)


@pytest.mark.parametrize("bad", NOT_NUMERIC_VECTORS)
def test_search_non_numeric_query_raises_type_error(db, bad):
    populated(db)
    with pytest.raises(TypeError):
        db.search(bad, k=1)


def test_add_none_vector_raises_type_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(TypeError):
        db.add("new", None)
    assert_unchanged(db, before)


def test_add_boolean_vector_is_rejected_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(TypeError):
        db.add("new", np.ones(8, dtype=bool))
    with pytest.raises(TypeError):
        db.add("new", [True] * 8)
    assert_unchanged(db, before)


def test_add_2d_array_as_single_vector_raises_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises((ValueError, TypeError)):
        db.add("new", np.ones((1, 8), dtype=np.float32))
    with pytest.raises((ValueError, TypeError)):
        db.add("new", np.ones((2, 4), dtype=np.float32))
    assert_unchanged(db, before)


def test_add_zero_dimensional_array_raises_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises((ValueError, TypeError)):
        db.add("new", np.float32(1.0))
    with pytest.raises((ValueError, TypeError)):
        db.add("new", np.array(1.0, dtype=np.float32))
    assert_unchanged(db, before)


def test_add_many_1d_array_raises_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises((ValueError, TypeError)):
        db.add_many(["x"], np.ones(8, dtype=np.float32))
    assert_unchanged(db, before)


def test_add_many_3d_array_raises_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises((ValueError, TypeError)):
        db.add_many(["x", "y"], np.ones((2, 1, 8), dtype=np.float32))
    assert_unchanged(db, before)


def test_add_many_with_non_sequence_vectors_raises_type_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(TypeError):
        db.add_many(["x"], "vectors")
    with pytest.raises(TypeError):
        db.add_many(["x"], 3.0)
    with pytest.raises(TypeError):
        db.add_many(["x", "y"], [[1.0] * 8, "row"])
    with pytest.raises(TypeError):
        db.add_many(["x", "y"], [[1.0] * 8, ["a"] * 8])
    assert_unchanged(db, before)


def test_add_many_with_complex_array_raises_type_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(TypeError):
        db.add_many(["x"], np.ones((1, 8), dtype=np.complex128))
    assert_unchanged(db, before)


def test_search_many_with_1d_array_raises(db):
    populated(db)
    with pytest.raises((ValueError, TypeError)):
        db.search_many(np.ones(8, dtype=np.float32))


# --- NaN / Inf / zero vectors (D4) ------------------------------------------------------

BAD_VALUES = [float("nan"), float("inf"), float("-inf")]


@pytest.mark.parametrize("bad", BAD_VALUES, ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("metric", ["cosine", "euclidean", "dot"])
def test_add_non_finite_vector_raises_value_error_and_changes_nothing(make_db, metric, bad):
    db = make_db(dim=8, metric=metric)
    populated(db)
    before = snapshot(db)
    v = [1.0] * 8
    v[5] = bad
    with pytest.raises(ValueError):
        db.add("new", v)
    with pytest.raises(ValueError):
        db.add("new", np.array(v, dtype=np.float32))
    with pytest.raises(ValueError):
        db.upsert("id0", v)
    assert_unchanged(db, before)


def test_float64_value_that_overflows_float32_raises_value_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(ValueError):
        db.add("new", [1e39] + [1.0] * 7)
    with np.errstate(over="ignore"), pytest.raises(ValueError):
        db.add("new", np.array([1e39] + [1.0] * 7))
    assert_unchanged(db, before)


@pytest.mark.parametrize("bad", BAD_VALUES, ids=["nan", "inf", "-inf"])
def test_search_with_non_finite_query_raises_value_error(db, bad):
    populated(db)
    q = [1.0] * 8
    q[0] = bad
    with pytest.raises(ValueError):
        db.search(q)
    with pytest.raises(ValueError):
        db.search_many([[1.0] * 8, q])


def test_all_zero_vector_under_cosine_raises_value_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(ValueError):
        db.add("zero", [0.0] * 8)
    with pytest.raises(ValueError):
        db.add("zero", np.zeros(8, dtype=np.float32))
    with pytest.raises(ValueError):
        db.upsert("id0", [0.0] * 8)
    with pytest.raises(ValueError):
        db.add_many(["ok", "zero"], [[1.0] * 8, [0.0] * 8])
    assert_unchanged(db, before)


def test_all_zero_query_under_cosine_raises_value_error(db):
    populated(db)
    with pytest.raises(ValueError):
        db.search([0.0] * 8)
    with pytest.raises(ValueError):
        db.search_many([[1.0] * 8, [0.0] * 8])


def test_negative_zero_vector_under_cosine_raises_value_error(db):
    with pytest.raises(ValueError):
        db.add("zero", [-0.0] * 8)
    assert len(db) == 0


@pytest.mark.parametrize("metric", ["euclidean", "dot"])
def test_all_zero_vector_is_accepted_under_euclidean_and_dot(make_db, metric):
    db = make_db(dim=8, metric=metric)
    db.add("zero", [0.0] * 8)
    assert db.get("zero")[0] == [0.0] * 8


def test_tiny_but_nonzero_vector_is_accepted_under_cosine(db):
    v = [0.0] * 7 + [1e-30]
    db.add("tiny", v)
    assert db.get("tiny")[0] == [float(np.float32(x)) for x in v]


# --- dimension mismatch (D4) ------------------------------------------------------------


@pytest.mark.parametrize("given", [0, 1, 7, 9, 64])
def test_add_wrong_dimension_raises_value_error_naming_both_dims_and_changes_nothing(
    make_db, given
):
    db = make_db(dim=12)
    populated(db)
    before = snapshot(db)
    for v in ([1.0] * given, np.ones(given, dtype=np.float32)):
        with pytest.raises(ValueError) as info:
            db.add("new", v)
        msg = str(info.value)
        assert "12" in msg, msg
        assert str(given) in msg, msg
    assert_unchanged(db, before)


def test_add_many_wrong_dimension_raises_value_error_naming_both_dims_and_changes_nothing(make_db):
    db = make_db(dim=12)
    populated(db)
    before = snapshot(db)
    with pytest.raises(ValueError) as info:
        db.add_many(["x", "y"], np.ones((2, 5), dtype=np.float32))
    assert "12" in str(info.value) and "5" in str(info.value)
    with pytest.raises(ValueError) as info:
        db.add_many(["x", "y"], [[1.0] * 12, [1.0] * 13])
    assert "12" in str(info.value) and "13" in str(info.value)
    assert_unchanged(db, before)


def test_search_wrong_dimension_raises_value_error_naming_both_dims(make_db):
    db = make_db(dim=12)
    populated(db)
    with pytest.raises(ValueError) as info:
        db.search([1.0] * 5)
    assert "12" in str(info.value) and "5" in str(info.value)
    with pytest.raises(ValueError) as info:
        db.search_many(np.ones((3, 17), dtype=np.float32))
    assert "12" in str(info.value) and "17" in str(info.value)


def test_search_on_empty_database_still_checks_dimension(db):
    with pytest.raises(ValueError):
        db.search([1.0] * 3)


# --- ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", [1, 1.5, None, b"bytes", ("t",), ["l"]],
                         ids=["int", "float", "none", "bytes", "tuple", "list"])
def test_add_non_str_id_raises_type_error_and_changes_nothing(db, bad_id):
    populated(db)
    before = snapshot(db)
    with pytest.raises(TypeError):
        db.add(bad_id, [1.0] * 8)
    with pytest.raises(TypeError):
        db.upsert(bad_id, [1.0] * 8)
    assert_unchanged(db, before)


def test_add_empty_id_raises_value_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(ValueError):
        db.add("", [1.0] * 8)
    with pytest.raises(ValueError):
        db.add_many(["ok", ""], [[1.0] * 8] * 2)
    assert_unchanged(db, before)


def test_id_with_lone_surrogate_raises_value_error_and_changes_nothing(db):
    populated(db)
    before = snapshot(db)
    with pytest.raises(ValueError):
        db.add("bad\ud800", [1.0] * 8)
    assert_unchanged(db, before)


# --- process health ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "calls",
    [
        pytest.param('db.add("a", np.array([1.0, 2.0]))', id="float64-numpy"),
        pytest.param(
            'db.add("a", np.array([1.0, 2.0], dtype=np.float32)); db.add("b", [3.0, 4.0]); '
            "db.search([1.0, 1.0])",
            id="float32-numpy-and-list",
        ),
    ],
)
def test_process_exits_cleanly_after_input(tmp_path, calls):
    # Regression: objects kept for conversions were released after the
    # interpreter finalized, aborting the process (exit code 134).
    script = textwrap.dedent(
        f"""
        import numpy as np
        import herondb
        db = herondb.Database({str(tmp_path / "db")!r}, dim=2)
        {calls}
        print("done")
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env={"PYTHONPATH": str(PYTHON_DIR), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "done" in proc.stdout
    assert proc.returncode == 0, proc.stderr
