"""search / search_many: distances per D2, ordering, k, ef_search, max_distance (D8),
exact scan on small collections and HNSW recall on larger ones."""

from __future__ import annotations

import numpy as np
import pytest

import herondb
from conftest import BRUTE_FORCE_SLOTS, METRICS, clustered, ref_distances


def _build(make_db, rng, metric, n, dim):
    db = make_db(dim=dim, metric=metric)
    data, centers = clustered(rng, n, dim)
    db.add_many([f"v{i}" for i in range(n)], data, [{"row": i} for i in range(n)])
    return db, data, centers


def _check_exact(metric, db, data, query, k):
    """The hits are exactly the k nearest by numpy, with D2 distances, ascending."""
    hits = db.search(query, k=k)
    ref = ref_distances(metric, query, data)
    expected_k = min(k, len(data))
    assert len(hits) == expected_k
    got = np.array([h.distance for h in hits])
    assert np.all(np.diff(got) >= 0), "results must be sorted ascending"
    # Each reported distance is the true distance of that id.
    for h in hits:
        row = int(h.id[1:])
        assert h.distance == pytest.approx(ref[row], rel=1e-5, abs=1e-5)
        assert h.metadata == {"row": row}
    # The distances are the k smallest ones (robust against exact ties).
    np.testing.assert_allclose(got, np.sort(ref)[:expected_k], rtol=1e-5, atol=1e-5)
    assert len({h.id for h in hits}) == len(hits)


# --- distances per D2 -------------------------------------------------------------------


def test_cosine_distance_is_one_minus_cosine_similarity(make_db):
    db = make_db(dim=2, metric="cosine")
    db.add("same", [2.0, 0.0])
    db.add("orth", [0.0, 5.0])
    db.add("opp", [-3.0, 0.0])
    db.add("diag", [1.0, 1.0])
    hits = {h.id: h.distance for h in db.search([1.0, 0.0], k=4)}
    assert hits["same"] == pytest.approx(0.0, abs=1e-6)
    assert hits["orth"] == pytest.approx(1.0, abs=1e-6)
    assert hits["opp"] == pytest.approx(2.0, abs=1e-6)
    assert hits["diag"] == pytest.approx(1.0 - np.sqrt(0.5), abs=1e-6)


def test_euclidean_distance_is_true_distance_not_squared(make_db):
    db = make_db(dim=3, metric="euclidean")
    db.add("p", [3.0, 4.0, 0.0])
    db.add("q", [1.0, 2.0, 2.0])
    hits = {h.id: h.distance for h in db.search([0.0, 0.0, 0.0], k=2)}
    assert hits["p"] == pytest.approx(5.0, abs=1e-6)
    assert hits["q"] == pytest.approx(3.0, abs=1e-6)


def test_dot_product_distance_is_negative_dot(make_db):
    db = make_db(dim=3, metric="dot")
    db.add("a", [1.0, 2.0, 3.0])
    db.add("b", [-1.0, 0.0, 0.5])
    hits = db.search([2.0, 1.0, 1.0], k=2)
    assert [h.id for h in hits] == ["a", "b"]
    assert hits[0].distance == pytest.approx(-7.0, abs=1e-6)
    assert hits[1].distance == pytest.approx(1.5, abs=1e-6)


def test_distance_is_a_python_float(db):
    db.add("a", [1.0] * 8)
    (hit,) = db.search([1.0] * 8, k=1)
    assert type(hit.distance) is float


@pytest.mark.parametrize("metric", METRICS)
def test_small_collection_search_is_exact_against_numpy(make_db, rng, metric):
    db, data, _ = _build(make_db, rng, metric, n=300, dim=16)
    assert db.stats()["uses_brute_force"] is True
    queries = rng.normal(size=(20, 16)).astype(np.float32) * 4
    for q in queries:
        _check_exact(metric, db, data, q, k=10)


@pytest.mark.parametrize("metric", METRICS)
def test_small_collection_search_with_k_equal_n_ranks_everything_exactly(make_db, rng, metric):
    db, data, _ = _build(make_db, rng, metric, n=64, dim=8)
    q = rng.normal(size=8).astype(np.float32)
    _check_exact(metric, db, data, q, k=64)


# Not dot product: there a longer vector can beat the query itself.
@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_searching_a_stored_vector_finds_itself_first(make_db, rng, metric):
    db, data, _ = _build(make_db, rng, metric, n=200, dim=16)
    for row in (0, 57, 199):
        hit = db.search(data[row], k=1)[0]
        assert hit.id == f"v{row}"
        assert hit.distance == pytest.approx(0.0, abs=1e-5)


def test_search_accepts_keyword_arguments_and_default_k_is_10(db, rng):
    db.add_many([f"v{i}" for i in range(30)], rng.normal(size=(30, 8)).astype(np.float32))
    assert len(db.search([1.0] * 8)) == 10
    assert len(db.search(vector=[1.0] * 8, k=3, ef_search=20, max_distance=None)) == 3


# --- HNSW (more than 2048 slots) -------------------------------------------------------


@pytest.fixture(scope="module", params=METRICS)
def large_db(request, tmp_path_factory):
    metric = request.param
    rng = np.random.default_rng(99)
    n, dim = 3000, 16
    data, centers = clustered(rng, n, dim, n_clusters=24)
    db = herondb.Database(str(tmp_path_factory.mktemp(f"large_{metric}")), dim=dim, metric=metric)
    db.add_many([f"v{i}" for i in range(n)], data, [{"row": i} for i in range(n)])
    labels = rng.integers(0, len(centers), size=60)
    queries = (centers[labels] + rng.normal(size=(60, dim))).astype(np.float32)
    yield metric, db, data, queries
    db.close()


def _recall_at_10(metric, db, data, queries, **kw):
    found = 0
    for q in queries:
        truth = set(np.argsort(ref_distances(metric, q, data), kind="stable")[:10].tolist())
        got = {int(h.id[1:]) for h in db.search(q, k=10, **kw)}
        found += len(truth & got)
    return found / (10 * len(queries))


def test_large_collection_uses_the_graph(large_db):
    _, db, _, _ = large_db
    assert db.total_slots > BRUTE_FORCE_SLOTS
    assert db.stats()["uses_brute_force"] is False


def test_large_collection_recall_at_10_is_at_least_0_9_with_default_ef_search(large_db):
    metric, db, data, queries = large_db
    assert _recall_at_10(metric, db, data, queries) >= 0.9


def test_large_collection_reported_distances_are_exact_and_sorted(large_db):
    metric, db, data, queries = large_db
    for q in queries[:20]:
        hits = db.search(q, k=10)
        assert len(hits) == 10
        ref = ref_distances(metric, q, data)
        dists = [h.distance for h in hits]
        assert dists == sorted(dists)
        for h in hits:
            row = int(h.id[1:])
            assert h.distance == pytest.approx(ref[row], rel=1e-5, abs=1e-5)
            assert h.metadata == {"row": row}


def test_large_collection_k_larger_than_ef_default_returns_k_distinct_results(large_db):
    _, db, _, queries = large_db
    hits = db.search(queries[0], k=200)
    assert len(hits) == 200
    assert len({h.id for h in hits}) == 200


def test_ef_search_smaller_than_k_is_raised_to_k(large_db):
    _, db, _, queries = large_db
    for q in queries[:10]:
        low = db.search(q, k=40, ef_search=1)
        same = db.search(q, k=40, ef_search=40)
        assert len(low) == 40
        assert [h.id for h in low] == [h.id for h in same]


def test_higher_ef_search_does_not_lower_recall_below_threshold(large_db):
    metric, db, data, queries = large_db
    assert _recall_at_10(metric, db, data, queries, ef_search=200) >= 0.95


def test_search_many_on_large_collection_matches_single_searches(large_db):
    _, db, _, queries = large_db
    batch = db.search_many(queries[:15], k=7)
    assert len(batch) == 15
    for q, hits in zip(queries[:15], batch):
        single = db.search(q, k=7)
        assert [(h.id, h.distance) for h in hits] == [(h.id, h.distance) for h in single]


# --- k, empty database, max_distance -----------------------------------------------------


def test_k_greater_than_n_returns_all_vectors(db, rng):
    db.add_many(["a", "b", "c"], rng.normal(size=(3, 8)).astype(np.float32))
    hits = db.search(rng.normal(size=8).astype(np.float32), k=100)
    assert sorted(h.id for h in hits) == ["a", "b", "c"]


def test_k_greater_than_live_count_after_deletes_returns_only_live_vectors(db, rng):
    db.add_many([f"v{i}" for i in range(6)], rng.normal(size=(6, 8)).astype(np.float32))
    db.delete_many(["v1", "v3"])
    hits = db.search([1.0] * 8, k=10)
    assert sorted(h.id for h in hits) == ["v0", "v2", "v4", "v5"]


@pytest.mark.parametrize("metric", METRICS)
def test_empty_database_search_returns_empty_list(make_db, metric):
    db = make_db(dim=8, metric=metric)
    assert db.search([1.0] * 8, k=5) == []


def test_search_after_deleting_everything_returns_empty_list(db):
    db.add_many(["a", "b"], [[1.0] * 8, [2.0] * 8])
    db.delete_many(["a", "b"])
    assert db.search([1.0] * 8) == []


def test_empty_database_search_many_returns_one_empty_list_per_query(db):
    assert db.search_many([[1.0] * 8, [2.0] * 8], k=3) == [[], []]


def test_max_distance_keeps_only_results_within_threshold(make_db):
    db = make_db(dim=2, metric="euclidean")
    for d in range(1, 8):
        db.add(f"d{d}", [float(d), 0.0])
    hits = db.search([0.0, 0.0], k=10, max_distance=3.5)
    assert [h.id for h in hits] == ["d1", "d2", "d3"]
    assert all(h.distance <= 3.5 for h in hits)


def test_max_distance_is_inclusive(make_db):
    db = make_db(dim=2, metric="euclidean")
    db.add("five", [3.0, 4.0])
    db.add("six", [6.0, 0.0])
    hits = db.search([0.0, 0.0], k=10, max_distance=5.0)
    assert [h.id for h in hits] == ["five"]
    assert hits[0].distance == 5.0


def test_max_distance_still_respects_k(make_db):
    db = make_db(dim=2, metric="euclidean")
    for d in range(1, 8):
        db.add(f"d{d}", [float(d), 0.0])
    hits = db.search([0.0, 0.0], k=2, max_distance=100.0)
    assert [h.id for h in hits] == ["d1", "d2"]


def test_max_distance_below_every_distance_returns_empty_list(make_db):
    db = make_db(dim=2, metric="euclidean")
    db.add("a", [1.0, 0.0])
    assert db.search([0.0, 0.0], max_distance=0.5) == []
    assert db.search([0.0, 0.0], max_distance=-1.0) == []


def test_max_distance_works_with_negative_dot_product_distances(make_db):
    db = make_db(dim=2, metric="dot")
    db.add("strong", [10.0, 0.0])
    db.add("weak", [1.0, 0.0])
    db.add("against", [-1.0, 0.0])
    hits = db.search([1.0, 0.0], k=10, max_distance=-5.0)
    assert [h.id for h in hits] == ["strong"]


def test_max_distance_on_large_collection_filters_hnsw_results(large_db):
    metric, db, data, queries = large_db
    q = queries[0]
    unfiltered = db.search(q, k=20)
    threshold = unfiltered[9].distance
    filtered = db.search(q, k=20, max_distance=threshold)
    assert all(h.distance <= threshold for h in filtered)
    assert [h.id for h in filtered] == [h.id for h in unfiltered if h.distance <= threshold]


def test_search_many_applies_max_distance_to_every_query(make_db):
    db = make_db(dim=2, metric="euclidean")
    for d in range(1, 6):
        db.add(f"d{d}", [float(d), 0.0])
    out = db.search_many([[0.0, 0.0], [5.0, 0.0]], k=10, max_distance=1.5)
    assert [h.id for h in out[0]] == ["d1"]
    assert sorted(h.id for h in out[1]) == ["d4", "d5"]


# --- search_many ----------------------------------------------------------------------


@pytest.mark.parametrize("metric", METRICS)
def test_search_many_matches_individual_searches(make_db, rng, metric):
    db, data, _ = _build(make_db, rng, metric, n=150, dim=8)
    queries = rng.normal(size=(12, 8)).astype(np.float32)
    for batch_input in (queries, queries.tolist()):
        batch = db.search_many(batch_input, k=5)
        assert isinstance(batch, list) and len(batch) == 12
        for q, hits in zip(queries, batch):
            single = db.search(q, k=5)
            assert [(h.id, h.distance, h.metadata) for h in hits] == [
                (h.id, h.distance, h.metadata) for h in single
            ]


def test_search_many_with_empty_batch_returns_empty_list(db):
    db.add("a", [1.0] * 8)
    assert db.search_many([], k=3) == []
    assert db.search_many(np.empty((0, 8), dtype=np.float32), k=3) == []


def test_search_many_default_k_is_10(db, rng):
    db.add_many([f"v{i}" for i in range(20)], rng.normal(size=(20, 8)).astype(np.float32))
    (hits,) = db.search_many([[1.0] * 8])
    assert len(hits) == 10


# --- results reflect mutations ----------------------------------------------------------


def test_search_never_returns_deleted_ids(db, rng):
    data = rng.normal(size=(50, 8)).astype(np.float32)
    db.add_many([f"v{i}" for i in range(50)], data)
    db.delete_many([f"v{i}" for i in range(0, 50, 2)])
    for q in data:
        hits = db.search(q, k=50)
        assert len(hits) == 25
        assert all(int(h.id[1:]) % 2 == 1 for h in hits)


def test_search_on_large_collection_with_deletes_returns_k_live_results(make_db, rng):
    db, data, _ = _build(make_db, rng, "euclidean", n=2600, dim=8)
    deleted = {f"v{i}" for i in range(0, 2600, 3)}
    assert db.delete_many(sorted(deleted)) == len(deleted)
    assert db.stats()["uses_brute_force"] is False
    live = np.array([i for i in range(2600) if f"v{i}" not in deleted])
    for q in data[:20]:
        hits = db.search(q, k=10)
        assert len(hits) == 10
        assert not ({h.id for h in hits} & deleted)
        ref = ref_distances("euclidean", q, data[live])
        assert hits[0].distance == pytest.approx(np.min(ref), rel=1e-5, abs=1e-5)


def test_search_reflects_updated_vector(make_db):
    db = make_db(dim=2, metric="euclidean")
    db.add("a", [0.0, 0.0])
    db.add("b", [10.0, 10.0])
    assert db.search([9.0, 9.0], k=1)[0].id == "b"
    db.update("a", vector=[9.0, 9.0])
    hit = db.search([9.0, 9.0], k=1)[0]
    assert hit.id == "a"
    assert hit.distance == pytest.approx(0.0, abs=1e-6)


def test_search_returns_current_metadata_after_update(db):
    db.add("a", [1.0] * 8, {"v": 1})
    db.update("a", metadata={"v": 2})
    assert db.search([1.0] * 8, k=1)[0].metadata == {"v": 2}


def test_search_with_zero_query_is_allowed_for_euclidean_and_dot(make_db):
    for metric in ("euclidean", "dot"):
        db = make_db(dim=2, metric=metric)
        db.add("a", [3.0, 4.0])
        (hit,) = db.search([0.0, 0.0], k=1)
        assert hit.distance == pytest.approx(5.0 if metric == "euclidean" else 0.0, abs=1e-6)
