"""Vector residency (docs/storage-format.md): with the default policy a
reopened database serves from its mapped snapshot at once and a background
task swaps a copy in memory in; stats()["vector_residency"] says where the
block lives, and the swap never changes a result."""

from __future__ import annotations

import time

import numpy as np
import pytest

import herondb


def _wait_for(db: herondb.Database, state: str) -> None:
    # Bounded only so that a broken promotion fails instead of hanging.
    deadline = time.monotonic() + 60
    while db.stats()["vector_residency"] != state:
        assert time.monotonic() < deadline, db.stats()["vector_residency"]
        time.sleep(0.005)


def _saved(path, rng, quantize=False) -> np.ndarray:
    data = rng.standard_normal((3000, 16)).astype(np.float32)
    db = herondb.Database(str(path), dim=16, quantize=quantize)
    db.add_many([f"d{i}" for i in range(len(data))], data)
    db.save()
    db.close()
    return data


def _results(db, queries):
    return [[(r.id, r.distance) for r in db.search(q, k=10, ef_search=64)] for q in queries]


@pytest.mark.parametrize("quantize", [False, True])
def test_reopened_database_is_promoted_to_loaded_and_results_stay_the_same(
        tmp_path, rng, monkeypatch, quantize):
    monkeypatch.delenv("HERONDB_VECTOR_RESIDENCY", raising=False)
    _saved(tmp_path / "db", rng, quantize)
    queries = rng.standard_normal((20, 16)).astype(np.float32)
    db = herondb.Database(str(tmp_path / "db"))
    before = _results(db, queries)  # may run while the copy is mapped or loading
    assert db.stats()["vector_residency"] in ("mapped", "loading", "loaded")
    _wait_for(db, "loaded")
    assert _results(db, queries) == before
    db.close()


def test_residency_map_keeps_the_block_mapped(tmp_path, rng, monkeypatch):
    _saved(tmp_path / "db", rng)
    monkeypatch.setenv("HERONDB_VECTOR_RESIDENCY", "map")
    db = herondb.Database(str(tmp_path / "db"))
    assert db.stats()["vector_residency"] == "mapped"
    db.close()


def test_a_new_database_reports_loaded(tmp_path):
    db = herondb.Database(str(tmp_path / "db"), dim=4)
    assert db.stats()["vector_residency"] == "loaded"
    db.close()


def test_close_right_after_open_while_promoting_succeeds(tmp_path, rng, monkeypatch):
    monkeypatch.delenv("HERONDB_VECTOR_RESIDENCY", raising=False)
    data = _saved(tmp_path / "db", rng)
    for _ in range(5):
        db = herondb.Database(str(tmp_path / "db"))
        db.close()
    db = herondb.Database(str(tmp_path / "db"))
    assert np.array_equal(db.get("d7")[0], data[7])
    db.close()
