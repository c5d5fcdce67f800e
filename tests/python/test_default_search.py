"""Default search (ef_search=None, D9): recall@10 >= 0.95 on the data
actually stored. The database calibrates its default ef on a sample of its
own vectors and scans exactly where that costs less than the walk; the
calibration is persisted and shown in stats(); an explicit ef_search wins."""

from __future__ import annotations

import numpy as np
import pytest

import herondb


def _recall(db, data, queries, k=10, ef_search=None):
    hit = 0
    for q in queries:
        d = ((data - q) ** 2).sum(1)
        truth = set(np.argsort(d, kind="stable")[:k].tolist())
        got = {int(h.id) for h in db.search(q, k=k, ef_search=ef_search)}
        hit += len(truth & got)
    return hit / (len(queries) * k)


def _uniform(rng, n, dim):
    return rng.random((n, dim), dtype=np.float32)


def _clustered(rng, n, dim, clusters=20):
    # The same centres for data and queries (queries from the stored data's
    # distribution).
    centers = np.random.default_rng(dim).normal(0, 3, (clusters, dim)).astype(np.float32)
    return centers[rng.integers(0, clusters, n)] + rng.normal(0, 1, (n, dim)).astype(np.float32)


def _fill(make_db, data, **kw):
    db = make_db(dim=data.shape[1], metric="euclidean", **kw)
    db.add_many([str(i) for i in range(len(data))], data)
    return db


@pytest.mark.parametrize(
    "shape,n,dim",
    [("uniform", 4000, 48), ("clustered", 6000, 24), ("uniform", 5000, 3), ("clustered", 3000, 96)],
)
def test_default_search_recall_is_at_least_095_on_the_stored_data(make_db, shape, n, dim):
    rng = np.random.default_rng(11)
    make = _uniform if shape == "uniform" else _clustered
    data = make(rng, n, dim)
    db = _fill(make_db, data)
    queries = make(np.random.default_rng(12), 60, dim)
    assert _recall(db, data, queries) >= 0.95
    st = db.stats()
    assert st["ef_search_default_recall"] >= 0.96
    assert st["ef_search_default"] >= 10


def test_stats_show_the_calibrated_default_and_none_for_small_collections(make_db):
    small = _fill(make_db, _uniform(np.random.default_rng(1), 500, 8))
    st = small.stats()
    assert st["ef_search_default_recall"] is None
    assert st["uses_brute_force"] is True
    assert isinstance(st["ef_search_default"], int)
    big = _fill(make_db, _clustered(np.random.default_rng(2), 4000, 16))
    st = big.stats()
    assert isinstance(st["ef_search_default"], int)
    assert 0.96 <= st["ef_search_default_recall"] <= 1.0


def test_uniform_high_dimensional_data_is_scanned_exactly_by_default(make_db):
    # Uniform random 64-d data needs so wide a beam that the exact scan is
    # cheaper: the default search is exact.
    rng = np.random.default_rng(3)
    data = _uniform(rng, 4000, 64)
    db = _fill(make_db, data)
    assert db.stats()["uses_brute_force"] is True
    queries = _uniform(np.random.default_rng(4), 30, 64)
    assert _recall(db, data, queries) == 1.0


def test_explicit_ef_search_wins_over_the_default(make_db):
    rng = np.random.default_rng(3)
    data = _uniform(rng, 4000, 64)
    db = _fill(make_db, data)
    queries = _uniform(np.random.default_rng(4), 30, 64)
    # A narrow explicit beam walks the graph (and misses some) even where
    # the default scans exactly.
    assert _recall(db, data, queries, ef_search=10) < _recall(db, data, queries)


def test_calibration_survives_save_and_reopen(make_db, tmp_path):
    data = _clustered(np.random.default_rng(5), 4000, 16)
    db = _fill(make_db, data)
    db.save()
    before = db.stats()
    path = db.path
    db.close()
    again = herondb.Database(path)
    try:
        after = again.stats()
        assert after["ef_search_default"] == before["ef_search_default"]
        assert after["ef_search_default_recall"] == before["ef_search_default_recall"]
        assert after["uses_brute_force"] == before["uses_brute_force"]
    finally:
        again.close()


def test_growing_collection_recalibrates_and_keeps_recall(make_db):
    rng = np.random.default_rng(6)
    first = _clustered(rng, 2500, 16)
    db = _fill(make_db, first)
    r1 = db.stats()["ef_search_default_recall"]
    # Four times as many rows, of a harder (uniform) shape.
    more = _uniform(rng, 7500, 16) * 6 - 3
    db.add_many([str(2500 + i) for i in range(len(more))], more)
    data = np.vstack([first, more])
    st = db.stats()
    assert st["ef_search_default_recall"] >= 0.96
    assert r1 is not None
    queries = _uniform(np.random.default_rng(7), 60, 16) * 6 - 3
    assert _recall(db, data, queries) >= 0.95
