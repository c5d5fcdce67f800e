"""Every live record can be found: a search for a record's own vector with a
beam wider than the collection returns it, after add_many (one thread or
many), updates, deletes, compaction and reopening, on several data shapes."""

from __future__ import annotations

import numpy as np
import pytest


def _uniform(rng, n, dim):
    return rng.random((n, dim), dtype=np.float32)


def _clustered(rng, n, dim):
    centers = rng.normal(0, 3, (8, dim)).astype(np.float32)
    return centers[rng.integers(0, 8, n)] + rng.normal(0, 1, (n, dim)).astype(np.float32)


def _duplicates(rng, n, dim):
    base = _uniform(rng, n // 4 + 1, dim)
    return base[np.arange(n) % len(base)]


SHAPES = {
    "uniform32": (_uniform, 3000, 32),
    "clustered16": (_clustered, 3000, 16),
    "duplicates8": (_duplicates, 2400, 8),
    "lowdim2": (_uniform, 3000, 2),
    "highdim200": (_uniform, 2600, 200),
}


def _missing(db, data, ids, stride=13):
    """Ids among every stride-th live record whose own vector does not find them."""
    ef = len(ids) + 10
    missing = []
    for i in range(0, len(ids), stride):
        if ids[i] not in db:
            continue
        hits = db.search(data[i], k=64, ef_search=ef)
        if ids[i] not in {h.id for h in hits}:
            missing.append(ids[i])
    return missing


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_record_is_found_by_its_own_vector_after_each_kind_of_change(make_db, shape):
    make, n, dim = SHAPES[shape]
    rng = np.random.default_rng(7)
    data = make(rng, n, dim)
    db = make_db(dim=dim, metric="euclidean")
    ids = [f"r{i}" for i in range(n)]
    db.add_many(ids, data)  # parallel insertion on the database's pool
    assert _missing(db, data, ids) == []

    moved = make(np.random.default_rng(8), n // 10, dim)
    for j, i in enumerate(range(0, n, 10)):
        db.update(ids[i], vector=moved[j])
        data[i] = moved[j]
    assert _missing(db, data, ids) == []

    for i in range(0, n, 10):  # more live records than an exact-scan collection
        db.delete(ids[i + 5])
    assert _missing(db, data, ids) == []

    db.compact()
    assert _missing(db, data, ids) == []


def test_single_adds_are_found_after_save_and_reopen(make_db, tmp_path):
    rng = np.random.default_rng(3)
    n, dim = 2500, 32
    data = _uniform(rng, n, dim)
    db = make_db(dim=dim, metric="euclidean")
    ids = [f"r{i}" for i in range(n)]
    for i in range(n):
        db.add(ids[i], data[i])
    db.save()  # a save checks the whole graph (HnswIndex::EnsureReachable)
    assert _missing(db, data, ids, stride=7) == []
