"""where_filter semantics (api-decisions D7, D8, D17) against a pure-Python oracle.

The oracle below restates D7 independently of the C++ code: dotted paths
through dicts only, a missing field matches only $ne/$nin/$exists:false,
numbers compare by value (1 == 1.0) but bools are not numbers, equality is
structural, ranges never match non-numbers. Hypothesis generates metadata and
filters; every answer of count / search / search_many must agree with it, on a
small database (exact scan) and on one large enough for the HNSW graph.
"""

from __future__ import annotations

import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import herondb

from conftest import BRUTE_FORCE_SLOTS

# --------------------------------------------------------------------------- #
# Oracle
# --------------------------------------------------------------------------- #

MISSING = object()


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def resolve(meta, path):
    v = meta
    for part in path.split("."):
        if not isinstance(v, dict) or part not in v:
            return MISSING
        v = v[part]
    return v


def equal(a, b):
    if is_num(a) and is_num(b):
        return a == b  # Python compares int and float exactly
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    return False


def has_ops(x):
    return isinstance(x, dict) and any(k.startswith("$") for k in x)


def match_ops(v, ops):
    for op, x in ops.items():
        present = v is not MISSING
        if op == "$eq":
            ok = present and equal(v, x)
        elif op == "$ne":
            ok = not (present and equal(v, x))
        elif op == "$in":
            ok = present and any(equal(v, i) for i in x)
        elif op == "$nin":
            ok = not (present and any(equal(v, i) for i in x))
        elif op in ("$gt", "$gte", "$lt", "$lte"):
            ok = present and is_num(v) and {
                "$gt": v > x, "$gte": v >= x, "$lt": v < x, "$lte": v <= x}[op]
        elif op == "$exists":
            ok = present == x
        elif op == "$not":
            ok = not match_ops(v, x)
        elif op == "$and":
            ok = all(match_ops(v, o) for o in x)
        elif op == "$or":
            ok = any(match_ops(v, o) for o in x)
        else:
            raise AssertionError(op)
        if not ok:
            return False
    return True


def matches(flt, meta):
    for key, x in flt.items():
        if key == "$and":
            ok = all(matches(f, meta) for f in x)
        elif key == "$or":
            ok = any(matches(f, meta) for f in x)
        elif key == "$not":
            ok = not matches(x, meta)
        elif has_ops(x):
            ok = match_ops(resolve(meta, key), x)
        else:
            v = resolve(meta, key)
            ok = v is not MISSING and equal(v, x)
        if not ok:
            return False
    return True


# --------------------------------------------------------------------------- #
# Strategies: small pools so that values collide (1 / 1.0 / True / "1").
# --------------------------------------------------------------------------- #

KEYS = ["a", "b", "c"]
PATHS = ["a", "b", "c", "a.b", "b.c", "a.b.c", "zz"]
LONG = "L" * 300  # longer than the index keys strings (MetaIndex::kMaxIndexedString)

scalars = st.sampled_from(
    [None, True, False, 0, 1, -1, 2, 1.0, 0.0, -0.0, 1.5, 2.5, 2**53 + 1, float(2**53),
     "", "x", "y", "1", LONG])
containers = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.sampled_from(KEYS), inner,
                                                                max_size=2),
    max_leaves=3)
# Mostly scalars, so that generated filters select a real share of records.
values = st.one_of(scalars, scalars, scalars, containers)
metadata = st.none() | st.dictionaries(st.sampled_from(KEYS), values, max_size=3)
numbers = st.sampled_from([0, 1, -1, 2, 1.0, 1.5, 2.5, -0.5, 2**53, float(2**53)])


@st.composite
def field_ops(draw, depth=0):
    ops = {}
    for _ in range(draw(st.integers(1, 2))):
        choices = ["$eq", "$ne", "$in", "$nin", "$gt", "$gte", "$lt", "$lte", "$exists"]
        if depth < 1:
            choices += ["$not", "$and", "$or"]
        op = draw(st.sampled_from(choices))
        if op in ("$eq", "$ne"):
            ops[op] = draw(values)
        elif op in ("$in", "$nin"):
            ops[op] = draw(st.lists(values, max_size=3))
        elif op in ("$gt", "$gte", "$lt", "$lte"):
            ops[op] = draw(numbers)
        elif op == "$exists":
            ops[op] = draw(st.booleans())
        elif op == "$not":
            ops[op] = draw(field_ops(depth + 1))
        else:
            ops[op] = draw(st.lists(field_ops(depth + 1), min_size=1, max_size=2))
    return ops


@st.composite
def filters(draw, depth=0):
    flt = {}
    for _ in range(draw(st.integers(0 if depth == 0 else 1, 2))):
        kind = draw(st.sampled_from(["eq", "ops", "ops", "ops", "not", "and", "or"] if depth < 2
                                    else ["eq", "ops"]))
        if kind == "eq":
            v = draw(values)
            flt[draw(st.sampled_from(PATHS))] = {"$eq": v} if isinstance(v, dict) else v
        elif kind == "ops":
            flt[draw(st.sampled_from(PATHS))] = draw(field_ops())
        elif kind == "not":
            flt["$not"] = draw(filters(depth + 1))
        else:
            flt["$" + kind] = draw(st.lists(filters(depth + 1), min_size=1, max_size=2))
    return flt


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #


def fill(db, metas, seed=0):
    rng = np.random.default_rng(seed)
    vecs = rng.normal(size=(len(metas), db.dim)).astype(np.float32)
    ids = [f"r{i}" for i in range(len(metas))]
    db.add_many(ids, vecs, metas)
    return ids, vecs


def check_against_oracle(db, flt, id_meta, queries, k=7, id_vec=None):
    """count/search/search_many agree with the oracle; with id_vec (an exact-scan
    database, euclidean) the distances must be the exact k smallest of the matches."""
    expected = {i for i, m in id_meta.items() if matches(flt, m)}
    assert db.count(where_filter=flt) == len(expected), flt
    for q in queries:
        hits = db.search(q, k=k, where_filter=flt)
        assert len(hits) == min(k, len(expected)), flt
        assert {h.id for h in hits} <= expected, flt
        assert [h.distance for h in hits] == sorted(h.distance for h in hits)
        if id_vec is not None and expected:
            d = sorted(float(np.linalg.norm(id_vec[i].astype(np.float64) - q)) for i in expected)
            assert [h.distance for h in hits] == pytest.approx(d[:k], rel=1e-4, abs=1e-4), flt
    many = db.search_many(np.asarray(queries), k=k, where_filter=flt)
    for hits in many:
        assert len(hits) == min(k, len(expected)), flt
        assert {h.id for h in hits} <= expected, flt


@pytest.fixture(scope="module")
def big_db():
    """A graph-searched database, metadata drawn from a pool of colliding values."""
    rng = np.random.default_rng(99)
    pool = [None, {}, {"a": 1}, {"a": 1.0}, {"a": True}, {"a": "1"}, {"a": None},
            {"a": {"b": 2}}, {"a": {"b": 2.5, "c": "x"}}, {"b": [1, 2]}, {"b": {"c": 0}},
            {"a": 0, "b": "y"}, {"a": -1, "c": False}, {"c": LONG}, {"c": [LONG]},
            {"a": {"b": {"c": 1}}}, {"b": 2**53 + 1}, {"b": float(2**53)}]
    # Broad filters match more than the planner scans exactly (4096), so the
    # filtered graph walk (and its D8 fallback) is exercised too.
    n = max(BRUTE_FORCE_SLOTS, 4096) * 3
    metas = [pool[int(i)] for i in rng.integers(0, len(pool), size=n)]
    with tempfile.TemporaryDirectory() as d:
        db = herondb.Database(d + "/big", dim=16, metric="euclidean")
        ids, _ = fill(db, metas, seed=1)
        # Deletes and metadata updates must reach the index too.
        for i in range(0, n, 11):
            db.delete(ids[i])
        for i in range(5, n, 13):
            if ids[i] in db:
                db.update(ids[i], metadata={"a": 1, "b": "upd"})
        id_meta = {i: db.get(i)[1] for i in db.ids()}
        yield db, id_meta
        db.close()


# --------------------------------------------------------------------------- #
# Generated semantics
# --------------------------------------------------------------------------- #


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(metas=st.lists(metadata, min_size=0, max_size=25), flts=st.lists(filters(), min_size=1,
                                                                         max_size=4))
def test_generated_filters_agree_with_oracle_on_small_db(metas, flts):
    with tempfile.TemporaryDirectory() as d:
        db = herondb.Database(d + "/db", dim=4, metric="euclidean")
        ids, vecs = fill(db, metas) if metas else ([], np.zeros((0, 4), np.float32))
        id_meta = dict(zip(ids, metas))
        id_vec = dict(zip(ids, vecs))
        queries = np.random.default_rng(3).normal(size=(2, 4)).astype(np.float32)
        for flt in flts:
            check_against_oracle(db, flt, id_meta, queries, id_vec=id_vec)
        db.close()


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(flt=filters())
def test_generated_filters_agree_with_oracle_on_graph_sized_db(big_db, flt):
    db, id_meta = big_db
    queries = np.random.default_rng(4).normal(size=(2, 16)).astype(np.float32)
    check_against_oracle(db, flt, id_meta, queries, k=10)


# --------------------------------------------------------------------------- #
# Each operator, by example
# --------------------------------------------------------------------------- #

RECORDS = {
    "red1": {"color": "red", "n": 1, "tags": ["x", "y"], "info": {"size": 3, "ok": True}},
    "red2": {"color": "red", "n": 1.0, "flag": True},
    "blue": {"color": "blue", "n": 2.5, "flag": 1, "info": {"size": 7}},
    "nul": {"color": None, "n": "1", "flag": False},
    "bare": None,
    "empty": {},
}


@pytest.fixture
def rec_db(make_db):
    db = make_db(dim=4, metric="euclidean")
    ids = list(RECORDS)
    vecs = np.eye(4, dtype=np.float32)[np.arange(len(ids)) % 4] + np.arange(len(ids))[:, None]
    db.add_many(ids, vecs.astype(np.float32), [RECORDS[i] for i in ids])
    return db


def found(db, flt):
    return sorted(h.id for h in db.search([0.0] * 4, k=100, where_filter=flt))


@pytest.mark.parametrize("flt, expected", [
    ({}, ["bare", "blue", "empty", "nul", "red1", "red2"]),
    ({"color": "red"}, ["red1", "red2"]),
    ({"color": {"$eq": "red"}}, ["red1", "red2"]),
    ({"color": None}, ["nul"]),
    ({"color": {"$ne": "red"}}, ["bare", "blue", "empty", "nul"]),
    ({"color": {"$in": ["blue", None]}}, ["blue", "nul"]),
    ({"color": {"$nin": ["red"]}}, ["bare", "blue", "empty", "nul"]),
    ({"n": 1}, ["red1", "red2"]),                       # 1 == 1.0
    ({"n": 1.0}, ["red1", "red2"]),
    ({"flag": True}, ["red2"]),                         # True != 1
    ({"flag": 1}, ["blue"]),
    ({"n": {"$gt": 1}}, ["blue"]),
    ({"n": {"$gte": 1}}, ["blue", "red1", "red2"]),     # "1" is not a number
    ({"n": {"$lt": 2.5}}, ["red1", "red2"]),
    ({"n": {"$lte": 2.5, "$gt": 1.0}}, ["blue"]),
    ({"flag": {"$gte": 0}}, ["blue"]),                  # bools are not numbers
    ({"flag": {"$exists": True}}, ["blue", "nul", "red2"]),
    ({"flag": {"$exists": False}}, ["bare", "empty", "red1"]),
    ({"info.size": {"$gt": 5}}, ["blue"]),
    ({"info.ok": True}, ["red1"]),
    ({"info": {"size": 7}}, ["blue"]),                  # plain dict: equality
    ({"tags": ["x", "y"]}, ["red1"]),                   # lists compare whole
    ({"tags": "x"}, []),                                # no "contains" rule
    ({"$and": [{"color": "red"}, {"flag": {"$exists": True}}]}, ["red2"]),
    ({"$or": [{"color": "blue"}, {"n": "1"}]}, ["blue", "nul"]),
    ({"$not": {"color": "red"}}, ["bare", "blue", "empty", "nul"]),
    ({"n": {"$not": {"$gt": 1}}}, ["bare", "empty", "nul", "red1", "red2"]),
    ({"color": "red", "n": {"$gt": 0}}, ["red1", "red2"]),
])
def test_operator_examples(rec_db, flt, expected):
    assert found(rec_db, flt) == expected
    assert rec_db.count(where_filter=flt) == len(expected)
    assert rec_db.count(flt) == len(expected)


# --------------------------------------------------------------------------- #
# Errors
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("flt, named", [
    ({"a": {"$foo": 1}}, "$foo"),
    ({"$foo": [{"a": 1}]}, "$foo"),
    ({"$and": {"a": 1}}, "$and"),
    ({"$or": []}, "$or"),
    ({"$not": [1]}, "$not"),
    ({"a": {"$in": 5}}, "$in"),
    ({"a": {"$nin": "xy"}}, "$nin"),
    ({"a": {"$exists": 1}}, "$exists"),
    ({"a": {"$gt": "5"}}, "$gt"),
    ({"a": {"$gte": None}}, "$gte"),
    ({"a": {"$lt": True}}, "$lt"),
    ({"a": {"$lte": [1]}}, "$lte"),
    ({"a": {"$eq": 1, "b": 2}}, "b"),
])
def test_malformed_filter_is_value_error_naming_it(rec_db, flt, named):
    for call in (lambda: rec_db.search([0.0] * 4, where_filter=flt),
                 lambda: rec_db.search_many([[0.0] * 4], where_filter=flt),
                 lambda: rec_db.count(where_filter=flt)):
        with pytest.raises(ValueError) as ei:
            call()
        assert named in str(ei.value)


@pytest.mark.parametrize("flt", [[("a", 1)], "a == 1", 5, {"a", "b"}])
def test_where_filter_not_a_dict_is_type_error(rec_db, flt):
    with pytest.raises(TypeError):
        rec_db.search([0.0] * 4, where_filter=flt)
    with pytest.raises(TypeError):
        rec_db.search_many([[0.0] * 4], where_filter=flt)
    with pytest.raises(TypeError):
        rec_db.count(where_filter=flt)


def test_error_in_filter_changes_nothing(rec_db):
    before = rec_db.count()
    with pytest.raises(ValueError):
        rec_db.count(where_filter={"a": {"$bogus": 1}})
    assert rec_db.count() == before
    assert found(rec_db, {"color": "red"}) == ["red1", "red2"]


# --------------------------------------------------------------------------- #
# count, search_many, max_distance, D8, empty database, mutations
# --------------------------------------------------------------------------- #


def test_count_with_filter_follows_mutations(rec_db):
    assert rec_db.count({"color": "red"}) == 2
    rec_db.update("blue", metadata={"color": "red"})
    assert rec_db.count({"color": "red"}) == 3
    assert rec_db.count({"color": "blue"}) == 0
    rec_db.delete("red1")
    assert rec_db.count({"color": "red"}) == 2
    rec_db.upsert("red1", [1.0, 2.0, 3.0, 4.0], {"color": "green"})
    assert rec_db.count({"color": "red"}) == 2
    assert rec_db.count({"color": "green"}) == 1
    # update with a vector only keeps the metadata, and its index entries.
    rec_db.update("red1", [4.0, 3.0, 2.0, 1.0])
    assert rec_db.count({"color": "green"}) == 1
    assert found(rec_db, {"color": "green"}) == ["red1"]


def test_search_many_with_filter_matches_single_searches(make_db, rng):
    db = make_db(dim=8, metric="cosine")
    n = BRUTE_FORCE_SLOTS + 1000
    vecs = rng.normal(size=(n, 8)).astype(np.float32)
    db.add_many([f"v{i}" for i in range(n)], vecs, [{"m": i % 10} for i in range(n)])
    qs = rng.normal(size=(6, 8)).astype(np.float32)
    flt = {"m": {"$in": [3, 7]}}
    many = db.search_many(qs, k=5, where_filter=flt)
    assert len(many) == 6
    for q, hits in zip(qs, many):
        single = db.search(q, k=5, where_filter=flt)
        assert [h.id for h in hits] == [h.id for h in single]
        assert all(h.metadata["m"] in (3, 7) for h in hits)


def test_max_distance_with_filter(make_db, rng):
    db = make_db(dim=4, metric="euclidean")
    pts = np.array([[float(i), 0, 0, 0] for i in range(20)], dtype=np.float32)
    db.add_many([f"p{i}" for i in range(20)], pts, [{"even": i % 2 == 0} for i in range(20)])
    hits = db.search([0.0] * 4, k=10, where_filter={"even": True}, max_distance=6.5)
    assert [h.id for h in hits] == ["p0", "p2", "p4", "p6"]
    many = db.search_many([[0.0] * 4], k=10, where_filter={"even": False}, max_distance=6.5)
    assert [h.id for h in many[0]] == ["p1", "p3", "p5"]


@pytest.mark.parametrize("n_match", [0, 1, 7, 25, 400])
def test_restrictive_filter_never_returns_fewer_than_min_k_matches(make_db, rng, n_match):
    db = make_db(dim=16, metric="cosine")
    n = 6000
    vecs, _ = clustered_local(rng, n, 16)
    flags = np.zeros(n, dtype=bool)
    flags[rng.choice(n, size=n_match, replace=False)] = True
    db.add_many([f"v{i}" for i in range(n)], vecs, [{"hit": bool(f)} for f in flags])
    for q in rng.normal(size=(5, 16)).astype(np.float32):
        for k in (1, 10, 50):
            hits = db.search(q, k=k, where_filter={"hit": True})
            assert len(hits) == min(k, n_match)
            assert all(h.metadata == {"hit": True} for h in hits)


def clustered_local(rng, n, dim, clusters=12):
    centers = rng.normal(size=(clusters, dim)) * 4.0
    labels = rng.integers(0, clusters, size=n)
    return (centers[labels] + rng.normal(size=(n, dim))).astype(np.float32), labels


def test_filter_on_empty_database(db):
    assert db.search([1.0] * 8, k=5, where_filter={"a": 1}) == []
    assert db.search_many([[1.0] * 8] * 2, k=5, where_filter={"a": {"$ne": 1}}) == [[], []]
    assert db.count(where_filter={"a": {"$exists": False}}) == 0
    assert db.count(where_filter={}) == 0


def test_filtered_recall_on_clustered_data(make_db, rng):
    """recall@10 >= 0.95 against an exact scan of the matching set, per selectivity."""
    n, dim = 12000, 24
    vecs, labels = clustered_local(rng, n, dim, clusters=30)
    r = rng.integers(0, 1000, size=n)
    db = make_db(dim=dim, metric="euclidean")
    db.add_many([str(i) for i in range(n)], vecs,
                [{"r": int(x), "cluster": int(c)} for x, c in zip(r, labels)])
    qs = (vecs[rng.choice(n, 30, replace=False)] + rng.normal(size=(30, dim)) * 0.5).astype(
        np.float32)
    for below in (500, 100, 10, 1):
        mask = r < below
        idx = np.nonzero(mask)[0]
        hit = want = 0
        results = db.search_many(qs, k=10, where_filter={"r": {"$lt": below}})
        for q, hits in zip(qs, results):
            d = np.sqrt(((vecs[idx] - q) ** 2).sum(axis=1))
            truth = {str(i) for i in idx[np.argsort(d, kind="stable")[:10]]}
            assert len(hits) == min(10, len(idx))
            hit += len(truth & {h.id for h in hits})
            want += len(truth)
        assert hit / want >= 0.95, (below, hit / want)
