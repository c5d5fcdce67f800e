"""Shared fixtures and helpers for the herondb Python test suite.

Run with:  cd /work/main && PYTHONPATH=python python -m pytest tests/python -q
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import herondb

METRICS = ("cosine", "euclidean", "dot_product")
# Above this many slots herondb walks the HNSW graph instead of scanning.
BRUTE_FORCE_SLOTS = 2048


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def make_db(tmp_path):
    """Factory: make_db(dim=8, metric=None, **kw) -> a fresh Database in tmp_path."""
    counter = {"n": 0}
    opened = []

    def factory(dim=8, metric=None, **kwargs):
        counter["n"] += 1
        path = tmp_path / f"db{counter['n']}"
        db = herondb.Database(str(path), dim=dim, metric=metric, **kwargs)
        opened.append(db)
        return db

    yield factory
    for db in opened:
        if not db.closed:
            db.close()


@pytest.fixture
def db(make_db):
    """An empty 8-d cosine database."""
    return make_db(dim=8)


def snapshot(db):
    """Everything observable about a database's content, for before/after checks."""
    ids = db.ids()
    return {
        "len": len(db),
        "ids": sorted(ids),
        "count": db.count(),
        "deleted_count": db.deleted_count,
        "total_slots": db.total_slots,
        "records": {i: db.get(i) for i in ids},
    }


def assert_unchanged(db, before):
    after = snapshot(db)
    assert after["len"] == before["len"]
    assert after["ids"] == before["ids"]
    assert after["count"] == before["count"]
    assert after["deleted_count"] == before["deleted_count"]
    assert after["total_slots"] == before["total_slots"]
    for i, (vec, meta) in before["records"].items():
        got_vec, got_meta = db.get(i)
        assert got_vec == vec, f"vector of {i!r} changed"
        assert got_meta == meta, f"metadata of {i!r} changed"


def populated(db, n=5, seed=7):
    """Fill db with n vectors ids 'id0'.. and metadata {'i': k}; returns the float32 rows."""
    r = np.random.default_rng(seed)
    vecs = r.normal(size=(n, db.dim)).astype(np.float32)
    db.add_many([f"id{k}" for k in range(n)], vecs, [{"i": k} for k in range(n)])
    return vecs


def ref_distances(metric, query, data):
    """Distances per api-decisions D2, computed in float64 with numpy."""
    q = np.asarray(query, dtype=np.float64)
    x = np.asarray(data, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    if metric == "cosine":
        cos = (x @ q) / (np.linalg.norm(x, axis=1) * np.linalg.norm(q))
        return 1.0 - cos
    if metric == "euclidean":
        return np.sqrt(((x - q) ** 2).sum(axis=1))
    if metric == "dot_product":
        return -(x @ q)
    raise AssertionError(metric)


def clustered(rng, n, dim, n_clusters=16, spread=1.0, scale=4.0):
    centers = rng.normal(size=(n_clusters, dim)) * scale
    labels = rng.integers(0, n_clusters, size=n)
    return (centers[labels] + rng.normal(size=(n, dim)) * spread).astype(np.float32), centers


def is_close(a, b, tol=1e-5):
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)
