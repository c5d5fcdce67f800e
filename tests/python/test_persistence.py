"""Persistence: reopen round trips, save, compact, with-block saves,
parameters detected on open, read-only mode and the writer lock."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import herondb

PKG_DIR = str(Path(herondb.__file__).resolve().parents[1])


def _fill(db, n=40, seed=0):
    rng = np.random.default_rng(seed)
    vecs = rng.standard_normal((n, db.dim)).astype(np.float32)
    ids = [f"id{i}" for i in range(n)]
    metas = [{"i": i, "tags": ["a", str(i)], "nested": {"x": i / 3}} if i % 4 else None for i in range(n)]
    db.add_many(ids, vecs, metas)
    return {ids[i]: (vecs[i].tolist(), metas[i]) for i in range(n)}


def _contents(db):
    return {i: db.get(i) for i in sorted(db.ids())}


def _files(path):
    return sorted(p for p in os.listdir(path) if p != "LOCK")


def test_everything_round_trips_through_reopen_without_save(tmp_path):
    path = str(tmp_path / "db")
    db = herondb.Database(path, dim=6, metric="euclidean", m=8, ef_construction=50)
    expected = _fill(db)
    db.delete("id3")
    del expected["id3"]
    db.update("id5", metadata={"new": True})
    expected["id5"] = (expected["id5"][0], {"new": True})
    db.update("id6", vector=[1, 2, 3, 4, 5, 6])
    expected["id6"] = ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], expected["id6"][1])
    db.upsert("id7", [0.5] * 6, {"u": 1})
    expected["id7"] = ([0.5] * 6, {"u": 1})
    db.close()

    again = herondb.Database(path)
    assert (again.dim, again.metric, again.stats()["m"], again.stats()["ef_construction"]) == (
        6, "euclidean", 8, 50)
    assert _contents(again) == {k: tuple(v) for k, v in expected.items()}
    assert again.deleted_count == 1
    assert "id3" not in again
    again.close()


def test_with_block_saves_and_empties_the_log(tmp_path):
    path = str(tmp_path / "db")
    with herondb.Database(path, dim=4) as db:
        _fill(db, n=10)
        before = _files(path)
    after = _files(path)
    assert before != after  # a new generation
    wal = [f for f in after if f.startswith("wal-")]
    assert len(wal) == 1 and os.path.getsize(os.path.join(path, wal[0])) == 48  # header only (log format 2)
    with herondb.Database(path) as db:
        assert len(db) == 10


def test_save_of_an_unchanged_database_writes_nothing(tmp_path):
    path = str(tmp_path / "db")
    db = herondb.Database(path, dim=4)
    _fill(db, n=5)
    db.save()
    files = _files(path)
    stamps = {f: os.stat(os.path.join(path, f)).st_mtime_ns for f in files}
    db.save()
    assert _files(path) == files
    assert {f: os.stat(os.path.join(path, f)).st_mtime_ns for f in files} == stamps
    db.close()


def test_compact_reclaims_slots_and_shrinks_the_directory(tmp_path):
    path = str(tmp_path / "db")
    db = herondb.Database(path, dim=32)
    expected = _fill(db, n=3000)
    gone = [f"id{i}" for i in range(0, 3000, 3)]
    assert db.delete_many(gone) == 1000
    for g in gone:
        del expected[g]
    db.save()
    size_before = sum(os.path.getsize(os.path.join(path, f)) for f in _files(path))
    db.compact()
    size_after = sum(os.path.getsize(os.path.join(path, f)) for f in _files(path))
    assert db.deleted_count == 0
    assert db.total_slots == len(db) == 2000
    assert size_after < size_before
    assert _contents(db) == {k: tuple(v) for k, v in expected.items()}
    hits = db.search(expected["id1"][0], k=1)
    assert hits[0].id == "id1"
    db.close()
    again = herondb.Database(path)
    assert again.total_slots == 2000
    assert _contents(again) == {k: tuple(v) for k, v in expected.items()}
    again.close()


def test_opening_a_missing_database_without_dim_is_a_value_error(tmp_path):
    path = tmp_path / "nope"
    with pytest.raises(ValueError, match="dim"):
        herondb.Database(str(path))
    assert not path.exists()


def test_reopening_with_another_dim_or_metric_is_a_value_error(tmp_path):
    path = str(tmp_path / "db")
    herondb.Database(path, dim=4).close()
    with pytest.raises(ValueError, match="dimension 4"):
        herondb.Database(path, dim=5)
    with pytest.raises(ValueError, match="metric"):
        herondb.Database(path, metric="dot")
    db = herondb.Database(path, dim=4, metric="COSINE")  # same values are fine
    db.close()


def test_quantize_flag_is_detected_on_open(tmp_path):
    path = str(tmp_path / "db")
    herondb.Database(path, dim=4).close()
    assert herondb.Database(path).quantized_search is False


def test_second_writer_in_the_same_process_shares_the_open_database(tmp_path):
    path = str(tmp_path / "db")
    db = herondb.Database(path, dim=4)
    second = herondb.Database(path)
    second.add("a", [1.0, 0.0, 0.0, 0.0])
    assert "a" in db
    db.close()
    assert len(second) == 1  # closing one handle leaves the other working
    second.close()
    herondb.Database(path).close()  # the lock went with the last handle


def test_second_writer_process_gets_locked_error_at_once(tmp_path):
    path = str(tmp_path / "db")
    db = herondb.Database(path, dim=4)
    script = textwrap.dedent(f"""
        import time, herondb
        t = time.monotonic()
        try:
            herondb.Database({path!r})
        except herondb.DatabaseLockedError as e:
            print("locked", time.monotonic() - t, e)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": PKG_DIR}, timeout=60)
    assert out.stdout.startswith("locked"), out.stderr
    assert float(out.stdout.split()[1]) < 5
    db.close()


def test_lock_of_a_killed_process_is_released(tmp_path):
    path = str(tmp_path / "db")
    herondb.Database(path, dim=4).close()
    script = f"import herondb, os; db = herondb.Database({path!r}); db.add('k', [1, 2, 3, 4]); os._exit(0)"
    subprocess.run([sys.executable, "-c", script], check=True, env={**os.environ, "PYTHONPATH": PKG_DIR},
                   timeout=60)
    with herondb.Database(path) as db:
        assert "k" in db


def test_read_only_sees_the_state_at_open_beside_a_writer(tmp_path):
    path = str(tmp_path / "db")
    writer = herondb.Database(path, dim=4)
    writer.add("a", [1, 0, 0, 0])
    readers = [herondb.Database(path, read_only=True) for _ in range(3)]
    writer.add("b", [0, 1, 0, 0])
    writer.save()
    for r in readers:
        assert r.read_only
        assert r.ids() == ["a"]
        assert r.search([1, 0, 0, 0], k=5)[0].id == "a"
    fresh = herondb.Database(path, read_only=True)
    assert sorted(fresh.ids()) == ["a", "b"]
    for r in readers + [fresh]:
        r.close()
    writer.close()


@pytest.mark.parametrize(
    "call",
    [
        lambda db: db.add("x", [1, 1, 1, 1]),
        lambda db: db.upsert("a", [1, 1, 1, 1]),
        lambda db: db.add_many(["x"], [[1, 1, 1, 1]]),
        lambda db: db.upsert_many(["x"], [[1, 1, 1, 1]]),
        lambda db: db.update("a", metadata={}),
        lambda db: db.delete("a"),
        lambda db: db.delete_many(["a"]),
        lambda db: db.save(),
        lambda db: db.compact(),
    ],
)
def test_read_only_rejects_every_mutation_with_value_error(tmp_path, call):
    path = str(tmp_path / "db")
    with herondb.Database(path, dim=4) as db:
        db.add("a", [1, 2, 3, 4])
    ro = herondb.Database(path, read_only=True)
    with pytest.raises(ValueError, match="read_only"):
        call(ro)
    assert ro.ids() == ["a"]
    ro.close()
    with herondb.Database(path) as db:
        assert db.ids() == ["a"]


def test_read_only_open_of_a_missing_database_is_a_value_error(tmp_path):
    with pytest.raises(ValueError):
        herondb.Database(str(tmp_path / "none"), dim=4, read_only=True)


def test_with_block_on_read_only_does_not_save(tmp_path):
    path = str(tmp_path / "db")
    herondb.Database(path, dim=4).close()
    with herondb.Database(path, read_only=True) as ro:
        assert len(ro) == 0
    assert ro.closed


def test_sync_mode_writes_survive_reopen(tmp_path):
    path = str(tmp_path / "db")
    db = herondb.Database(path, dim=4, sync=True)
    db.add("a", [1, 2, 3, 4], {"s": 1})
    db.add_many(["b", "c"], [[1, 1, 1, 1], [2, 2, 2, 2]])
    db.delete("c")
    db.close()
    with herondb.Database(path) as again:
        assert sorted(again.ids()) == ["a", "b"]


def test_sync_flag_must_be_a_bool(tmp_path):
    with pytest.raises(TypeError):
        herondb.Database(str(tmp_path / "db"), dim=4, sync="yes")
    with pytest.raises(TypeError):
        herondb.Database(str(tmp_path / "db"), dim=4, read_only=1)


def test_garbage_collection_releases_the_lock(tmp_path):
    path = str(tmp_path / "db")
    db = herondb.Database(path, dim=4)
    db.add("a", [1, 2, 3, 4])
    del db
    import gc

    gc.collect()
    with herondb.Database(path) as again:
        assert again.ids() == ["a"]


def test_verify_passes_on_a_sound_database(tmp_path):
    path = str(tmp_path / "db")
    with herondb.Database(path, dim=4) as db:
        _fill(db, n=30)
        db.verify()
        db.save()
        db.add("late", [1, 2, 3, 4])
        db.verify()


def test_quantized_codes_survive_reopen_save_and_compact(tmp_path):
    path = str(tmp_path / "db")
    rng = np.random.default_rng(9)
    vecs = rng.standard_normal((3000, 16)).astype(np.float32)
    db = herondb.Database(path, dim=16, quantize=True)
    db.add_many([f"q{i}" for i in range(3000)], vecs)
    assert db.quantized_search and db.stats()["memory_quantized_bytes"] > 0
    before = [r.id for r in db.search(vecs[7], k=5)]
    db.save()
    db.close()
    snap = [f for f in os.listdir(path) if f.startswith("snapshot-")][0]
    assert b"SQCD" in open(os.path.join(path, snap), "rb").read()[-4096:]  # the codes section
    again = herondb.Database(path)
    assert again.quantized_search  # detected on open
    assert again.stats()["memory_quantized_bytes"] > 0
    assert [r.id for r in again.search(vecs[7], k=5)] == before
    again.delete_many([f"q{i}" for i in range(0, 3000, 2)])
    again.compact()
    assert again.quantized_search and again.deleted_count == 0
    hit = again.search(vecs[9], k=1)[0]
    assert hit.id == "q9" and abs(hit.distance) < 1e-5  # exact re-ranked distance
    again.close()
    third = herondb.Database(path)
    assert third.quantized_search and len(third) == 1500
    assert third.search(vecs[11], k=1)[0].id == "q11"
    third.close()


def test_quantize_switched_off_at_run_time_stays_off_after_save_and_reopen(tmp_path):
    path = str(tmp_path / "db")
    db = herondb.Database(path, dim=8, quantize=True)
    db.add_many([f"v{i}" for i in range(100)], np.random.default_rng(2).random((100, 8)))
    db.save()
    db.disable_quantized_search()
    db.save()  # records the switch although no record changed
    db.close()
    again = herondb.Database(path)
    assert not again.quantized_search  # the stored setting is the last one chosen
    again.close()


def test_filters_and_counts_work_after_reopen_and_compact(tmp_path):
    path = str(tmp_path / "db")
    db = herondb.Database(path, dim=4)
    db.add_many([f"f{i}" for i in range(3000)], np.random.default_rng(4).random((3000, 4)) + 0.1,
                [{"g": i % 10, "x": i} for i in range(3000)])
    db.save()
    db.add("late", [1, 1, 1, 1], {"g": 3, "x": -1})  # in the log only
    db.close()
    db = herondb.Database(path)
    assert db.count({"g": 3}) == 301
    assert db.count({"x": {"$lt": 0}}) == 1
    assert all(r.metadata["g"] == 3 for r in db.search([1, 1, 1, 1], k=20, where_filter={"g": 3}))
    db.delete_many([f"f{i}" for i in range(0, 3000, 2)])
    db.compact()
    assert db.count({"g": 3}) == 301  # i % 10 == 3 means i is odd: none deleted
    assert db.count({"g": 4}) == 0  # every even i is gone
    assert db.count() == 1501
    hits = db.search([1, 1, 1, 1], k=5, where_filter={"g": {"$in": [1, 3]}})
    assert len(hits) == 5 and all(r.metadata["g"] in (1, 3) for r in hits)
    db.close()


@pytest.mark.parametrize("residency", ["map", "load", "auto"])
def test_reopen_holds_the_same_data_whether_vectors_are_mapped_or_loaded(tmp_path, monkeypatch, residency):
    path = str(tmp_path / "db")
    with herondb.Database(path, dim=8, metric="euclidean") as db:
        expected = _fill(db, n=60, seed=3)
        q = np.asarray(expected["id5"][0], dtype=np.float32)
        want = [(r.id, r.distance) for r in db.search(q, k=7)]
    monkeypatch.setenv("HERONDB_VECTOR_RESIDENCY", residency)
    db = herondb.Database(path)
    assert _contents(db) == expected
    assert [(r.id, r.distance) for r in db.search(q, k=7)] == want
    db.add("late", np.full(8, 9.0, dtype=np.float32))
    db.save()
    assert db.get("late")[0] == [9.0] * 8
    db.close()


def test_unknown_vector_residency_in_the_environment_is_a_value_error_and_creates_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("HERONDB_VECTOR_RESIDENCY", "ram")
    path = tmp_path / "db"
    with pytest.raises(ValueError, match="HERONDB_VECTOR_RESIDENCY"):
        herondb.Database(str(path), dim=4)
    assert not path.exists() or not any(path.iterdir())
