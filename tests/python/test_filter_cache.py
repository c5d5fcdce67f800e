"""Repeated filtered searches are cached (matching sets in the database,
compiled filters in the bindings); no mutation may leave a stale answer."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import herondb

DIM = 8
N = 6000  # "b" (90%) is large enough for the graph walk at ef_search=10


def _unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


class Oracle:
    """The live records, for exact answers (cosine)."""

    def __init__(self):
        self.vec = {}
        self.meta = {}

    def put(self, id_, v, m):
        self.vec[id_] = np.asarray(v, dtype=np.float64)
        self.meta[id_] = m

    def nearest(self, q, pred, k=10):
        ids = [i for i in self.vec if pred(self.meta[i])]
        if not ids:
            return []
        x = _unit(np.stack([self.vec[i] for i in ids]))
        d = 1 - x @ _unit(np.asarray(q, dtype=np.float64))
        order = np.argsort(d, kind="stable")[:k]
        return [ids[j] for j in order]


@pytest.fixture
def pair(make_db):
    rng = np.random.default_rng(3)
    db = make_db(dim=DIM, metric="cosine")
    oracle = Oracle()
    vecs = rng.standard_normal((N, DIM)).astype(np.float32)
    ids = [f"id{i}" for i in range(N)]
    metas = [{"g": i % 4, "t": "a" if i % 10 == 0 else "b"} for i in range(N)]
    db.add_many(ids, vecs, metas)
    for i, v, m in zip(ids, vecs, metas):
        oracle.put(i, v, m)
    return db, oracle, rng


FILTERS = [
    ({"t": "a"}, lambda m: m.get("t") == "a", None),  # exact scan
    ({"g": {"$in": [1, 2]}, "t": "b"}, lambda m: m.get("g") in (1, 2) and m.get("t") == "b", None),
    ({"t": "b"}, lambda m: m.get("t") == "b", 10),  # graph walk
]


def _check(db, oracle, stage):
    queries = np.random.default_rng(99).standard_normal((4, DIM)).astype(np.float32)
    for flt, pred, ef in FILTERS:
        for q in queries:
            hits = db.search(q, k=10, where_filter=flt, ef_search=ef)
            truth = oracle.nearest(q, pred)
            assert len(hits) == len(truth), (stage, flt)
            for h in hits:
                assert h.id in oracle.meta, (stage, flt, h.id)
                assert h.metadata == oracle.meta[h.id], (stage, flt, h.id)
                assert pred(h.metadata), (stage, flt, h.id)
            if ef is None:  # exact scan: the exact answer
                assert [h.id for h in hits] == truth, (stage, flt)
        assert db.count(where_filter=flt) == sum(pred(m) for m in oracle.meta.values())


def _warm(db):
    q = np.ones(DIM, dtype=np.float32)
    for _ in range(3):  # evaluate, pack the rows, use the packed rows
        for flt, _, ef in FILTERS:
            db.search(q, k=10, where_filter=flt, ef_search=ef)


def _near_queries():
    return np.random.default_rng(99).standard_normal((4, DIM)).astype(np.float32)


def test_add_is_seen_by_a_cached_filter(pair):
    db, oracle, _ = pair
    _warm(db)
    q = _near_queries()[0]
    db.add("new", q, {"g": 1, "t": "a"})
    oracle.put("new", q, {"g": 1, "t": "a"})
    assert db.search(q, k=1, where_filter={"t": "a"})[0].id == "new"
    _check(db, oracle, "add")


def test_add_many_is_seen_by_a_cached_filter(pair):
    db, oracle, _ = pair
    _warm(db)
    qs = _near_queries()
    metas = [{"g": 2, "t": "a"} for _ in qs]
    db.add_many([f"n{i}" for i in range(len(qs))], qs, metas)
    for i, (q, m) in enumerate(zip(qs, metas)):
        oracle.put(f"n{i}", q, m)
    _check(db, oracle, "add_many")


def test_update_of_metadata_is_seen_by_a_cached_filter(pair):
    db, oracle, _ = pair
    _warm(db)
    for i in range(0, 200, 10):  # "a" -> "b"
        db.update(f"id{i}", metadata={"g": 0, "t": "b"})
        oracle.meta[f"id{i}"] = {"g": 0, "t": "b"}
    for i in range(1, 200, 10):  # "b" -> "a"
        db.update(f"id{i}", metadata={"g": 1, "t": "a"})
        oracle.meta[f"id{i}"] = {"g": 1, "t": "a"}
    _check(db, oracle, "update metadata")


def test_update_of_vector_is_seen_by_a_cached_filter(pair):
    db, oracle, _ = pair
    _warm(db)
    q = _near_queries()[1]
    db.update("id10", vector=q)  # an "a" record moves onto a query
    oracle.vec["id10"] = np.asarray(q, dtype=np.float64)
    hit = db.search(q, k=1, where_filter={"t": "a"})[0]
    assert hit.id == "id10" and hit.distance == pytest.approx(0, abs=1e-5)
    _check(db, oracle, "update vector")


def test_upsert_and_upsert_many_are_seen_by_a_cached_filter(pair):
    db, oracle, _ = pair
    _warm(db)
    qs = _near_queries()
    db.upsert("id5", qs[0], {"g": 1, "t": "a"})  # existing "b" record
    oracle.put("id5", qs[0], {"g": 1, "t": "a"})
    _check(db, oracle, "upsert")
    _warm(db)
    db.upsert_many(["id20", "fresh"], qs[1:3], [{"g": 0, "t": "b"}, {"g": 3, "t": "a"}])
    oracle.put("id20", qs[1], {"g": 0, "t": "b"})
    oracle.put("fresh", qs[2], {"g": 3, "t": "a"})
    _check(db, oracle, "upsert_many")


def test_delete_and_delete_many_are_seen_by_a_cached_filter(pair):
    db, oracle, _ = pair
    q = _near_queries()[0]
    first = db.search(q, k=3, where_filter={"t": "a"})
    _warm(db)
    assert db.delete(first[0].id)
    del oracle.vec[first[0].id], oracle.meta[first[0].id]
    assert first[0].id not in [h.id for h in db.search(q, k=10, where_filter={"t": "a"})]
    _check(db, oracle, "delete")
    _warm(db)
    gone = [f"id{i}" for i in range(0, 3000, 7)]
    assert db.delete_many(gone) == len(gone)
    for i in gone:
        del oracle.vec[i], oracle.meta[i]
    _check(db, oracle, "delete_many")


def test_compact_is_seen_by_a_cached_filter(pair):
    db, oracle, _ = pair
    gone = [f"id{i}" for i in range(0, N, 3)]
    db.delete_many(gone)
    for i in gone:
        del oracle.vec[i], oracle.meta[i]
    _warm(db)
    db.compact()  # renumbers the slots the cached sets held
    assert db.deleted_count == 0
    _check(db, oracle, "compact")


def test_import_json_is_seen_by_a_cached_filter(pair, tmp_path, make_db):
    db, oracle, _ = pair
    other = make_db(dim=DIM, metric="cosine")
    qs = _near_queries()
    other.add_many(["id3", "imp"], qs[:2], [{"g": 3, "t": "a"}, {"g": 0, "t": "a"}])
    path = tmp_path / "export.json"
    other.export_json(str(path))
    _warm(db)
    db.import_json(str(path))
    oracle.put("id3", qs[0], {"g": 3, "t": "a"})
    oracle.put("imp", qs[1], {"g": 0, "t": "a"})
    _check(db, oracle, "import_json")


def test_search_many_uses_the_same_cached_set(pair):
    db, oracle, _ = pair
    qs = _near_queries()
    for _ in range(3):
        many = db.search_many(qs, k=10, where_filter={"t": "a"})
        single = [db.search(q, k=10, where_filter={"t": "a"}) for q in qs]
        assert many == single
    db.update("id0", metadata={"g": 0, "t": "b"})
    oracle.meta["id0"] = {"g": 0, "t": "b"}
    for q, hits in zip(qs, db.search_many(qs, k=10, where_filter={"t": "a"})):
        assert [h.id for h in hits] == oracle.nearest(q, lambda m: m.get("t") == "a")


def test_repeated_search_gives_identical_results(pair):
    db, _, _ = pair
    q = _near_queries()[2]
    runs = [db.search(q, k=10, where_filter={"t": "a"}) for _ in range(4)]
    for r in runs[1:]:
        assert r == runs[0]  # ids and distances, exactly
        assert [h.metadata for h in r] == [h.metadata for h in runs[0]]


# ---- the compiled-filter cache in the bindings -------------------------------------


def test_a_dict_changed_in_place_is_a_new_filter(pair):
    db, oracle, _ = pair
    q = _near_queries()[0]
    flt = {"t": "a"}
    assert all(h.metadata["t"] == "a" for h in db.search(q, where_filter=flt))
    flt["t"] = "b"
    assert all(h.metadata["t"] == "b" for h in db.search(q, where_filter=flt))
    flt["g"] = 2
    assert all(h.metadata == {"g": 2, "t": "b"} for h in db.search(q, where_filter=flt))
    assert db.count(where_filter=flt) == sum(m == {"g": 2, "t": "b"} for m in oracle.meta.values())


def test_filters_that_differ_only_in_type_are_not_confused(make_db):
    db = make_db(dim=2, metric="euclidean")
    db.add_many(["bool", "int", "float", "str"], [[1, 0]] * 4,
                [{"v": True}, {"v": 1}, {"v": 2.5}, {"v": "1"}])
    for _ in range(2):
        assert {h.id for h in db.search([1, 0], where_filter={"v": True})} == {"bool"}
        assert {h.id for h in db.search([1, 0], where_filter={"v": 1})} == {"int"}
        assert {h.id for h in db.search([1, 0], where_filter={"v": 1.0})} == {"int"}
        assert {h.id for h in db.search([1, 0], where_filter={"v": "1"})} == {"str"}
        assert {h.id for h in db.search([1, 0], where_filter={"v": {"$in": (1, 2.5)}})} == {
            "int", "float"}
        assert {h.id for h in db.search([1, 0], where_filter={"v": {"$in": [True]}})} == {"bool"}


def test_dict_subclasses_and_key_order_give_the_same_answers(pair):
    db, _, _ = pair
    q = _near_queries()[3]
    a = db.search(q, where_filter={"g": 1, "t": "a"})
    b = db.search(q, where_filter={"t": "a", "g": 1})
    c = db.search(q, where_filter=collections.OrderedDict([("g", 1), ("t", "a")]))
    assert a == b == c


def test_invalid_filters_still_raise_every_time(pair):
    db, _, _ = pair
    q = _near_queries()[0]
    for _ in range(2):
        with pytest.raises(ValueError):
            db.search(q, where_filter={"g": {"$gt": "x"}})
        with pytest.raises(ValueError):
            db.search(q, where_filter={"g": float("nan")})
        with pytest.raises(ValueError):
            db.search(q, where_filter={"g": {"$bogus": 1}})


def test_search_result_metadata_is_converted_once_per_result(pair):
    db, _, _ = pair
    (hit,) = db.search(_near_queries()[0], k=1, where_filter={"t": "a"})
    assert hit.metadata is hit.metadata
    assert hit[2] is hit.metadata
    hit.metadata["extra"] = 1  # the caller's own dict
    assert hit.metadata["extra"] == 1
    (again,) = db.search(_near_queries()[0], k=1, where_filter={"t": "a"})
    assert "extra" not in again.metadata
    assert isinstance(hit, herondb.SearchResult)


def test_large_filters_are_answered_without_being_kept(pair):
    db, oracle, _ = pair
    q = _near_queries()[0]
    flt = {"t": {"$in": ["a"] + [f"x{i}" for i in range(2000)]}}  # a key over 4 KiB
    for _ in range(2):
        hits = db.search(q, k=10, where_filter=flt)
        assert [h.id for h in hits] == oracle.nearest(q, lambda m: m.get("t") == "a")
