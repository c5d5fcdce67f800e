"""SQ8 quantized search: quantize=True, enable/disable_quantized_search, the
quantized_search property and stats, and search behaviour while quantized
(every metric, search_many, filters, deletes, upserts/updates) with distances
that stay exact against a numpy reference."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import herondb
from conftest import BRUTE_FORCE_SLOTS, METRICS, clustered, ref_distances

N, DIM = 9000, 16  # above BRUTE_FORCE_SLOTS, so searches walk the graph


@pytest.fixture(scope="module", params=METRICS)
def qdb(request, tmp_path_factory):
    """A quantize=True database per metric: 9000 clustered vectors with a
    'group' field in {0, 1, 2}, plus queries near the cluster centres."""
    metric = request.param
    rng = np.random.default_rng(2024)
    data, centers = clustered(rng, N, DIM, n_clusters=24)
    db = herondb.Database(
        str(tmp_path_factory.mktemp(f"sq8_{metric}")),
        dim=DIM,
        metric=metric,
        m=12,
        ef_construction=64,
        quantize=True,
    )
    db.add_many([f"v{i}" for i in range(N)], data, [{"group": i % 3} for i in range(N)])
    labels = rng.integers(0, len(centers), size=40)
    queries = (centers[labels] + rng.normal(size=(40, DIM))).astype(np.float32)
    yield metric, db, data, queries
    db.close()


def _recall(metric, db, data, queries, ef_search):
    found = 0
    for q in queries:
        truth = set(np.argsort(ref_distances(metric, q, data), kind="stable")[:10].tolist())
        got = {int(h.id[1:]) for h in db.search(q, k=10, ef_search=ef_search)}
        found += len(truth & got)
    return found / (10 * len(queries))


def _assert_exact(metric, hits, q, data):
    ref = ref_distances(metric, q, data)
    dists = [h.distance for h in hits]
    assert dists == sorted(dists)
    for h in hits:
        assert h.distance == pytest.approx(ref[int(h.id[1:])], rel=1e-4, abs=1e-4)


# --- switching it on and off ---------------------------------------------------------


def test_quantize_true_enables_quantized_search(make_db):
    db = make_db(dim=8, quantize=True)
    assert db.quantized_search is True


def test_default_database_is_not_quantized(db):
    assert db.quantized_search is False
    assert db.stats()["memory_quantized_bytes"] == 0


def test_enable_and_disable_toggle_the_property_and_are_idempotent(db, rng):
    db.add_many([f"v{i}" for i in range(50)], rng.normal(size=(50, 8)))
    db.enable_quantized_search()
    assert db.quantized_search is True
    db.enable_quantized_search()
    assert db.quantized_search is True
    db.disable_quantized_search()
    assert db.quantized_search is False
    db.disable_quantized_search()
    assert db.quantized_search is False


def test_enable_and_disable_are_methods_of_the_core_class():
    # The Python stubs that raised NotImplementedError are gone.
    assert "enable_quantized_search" not in vars(herondb.Database)
    assert herondb.Database.enable_quantized_search.__doc__
    assert herondb.Database.disable_quantized_search.__doc__


def test_memory_quantized_bytes_counts_one_byte_per_dimension_plus_a_term_per_row(make_db, rng):
    db = make_db(dim=32, metric="euclidean", quantize=True)
    db.add_many([f"v{i}" for i in range(100)], rng.normal(size=(100, 32)))
    assert db.stats()["memory_quantized_bytes"] == 100 * 32 + 100 * 4
    db.disable_quantized_search()
    assert db.stats()["memory_quantized_bytes"] == 0
    db.enable_quantized_search()
    assert db.stats()["memory_quantized_bytes"] == 100 * 32 + 100 * 4


def test_uses_quantized_search_is_true_whenever_it_is_enabled(make_db, rng):
    # vctrs's meaning: the setting, also while small collections scan exactly.
    db = make_db(dim=8, quantize=True)
    db.add_many([f"v{i}" for i in range(100)], rng.normal(size=(100, 8)))
    st = db.stats()
    assert st["uses_brute_force"] is True
    assert st["uses_quantized_search"] is True
    assert db.quantized_search is True
    db.disable_quantized_search()
    assert db.stats()["uses_quantized_search"] is False


@pytest.mark.parametrize("start", [False, True])
def test_quantized_search_state_survives_save_and_reopen(tmp_path, rng, start):
    path = str(tmp_path / "db")
    data = rng.normal(size=(300, 8)).astype(np.float32)
    with herondb.Database(path, dim=8, quantize=start) as db:
        db.add_many([f"v{i}" for i in range(300)], data)
    for want in (not start, start, not start):
        with herondb.Database(path) as db:
            assert db.quantized_search is (not want)
            if want:
                db.enable_quantized_search()
            else:
                db.disable_quantized_search()
        with herondb.Database(path) as db:
            assert db.quantized_search is want
            assert db.stats()["uses_quantized_search"] is want
            assert db.search(data[7], k=1)[0].id == "v7"


def test_stats_report_quantized_graph_search(qdb):
    _, db, _, _ = qdb
    st = db.stats()
    assert db.total_slots > BRUTE_FORCE_SLOTS
    assert st["uses_brute_force"] is False
    assert st["uses_quantized_search"] is True
    assert st["memory_quantized_bytes"] >= N * DIM
    assert st["memory_quantized_bytes"] < st["memory_vectors_bytes"]


def test_closed_database_rejects_enable(make_db):
    db = make_db(dim=4)
    db.close()
    with pytest.raises(ValueError):
        db.enable_quantized_search()


# --- searching while quantized ------------------------------------------------------


def test_quantized_recall_is_within_002_of_full_precision_at_the_same_ef(qdb):
    metric, db, data, queries = qdb
    # At ef near k the beam cannot absorb 8-bit noise on tightly clustered
    # directions (cosine here loses ~0.02 at ef=16, ~0.1 at ef=k=10); from
    # ef=32 on (the default is 64) the two agree within a query or two.
    for ef in (32, 64):
        quantized = _recall(metric, db, data, queries, ef)
        db.disable_quantized_search()
        try:
            full = _recall(metric, db, data, queries, ef)
        finally:
            db.enable_quantized_search()
        assert quantized >= full - 0.02, (ef, quantized, full)


def test_quantized_search_reports_exact_distances(qdb):
    metric, db, data, queries = qdb
    for q in queries[:15]:
        hits = db.search(q, k=10)
        assert len(hits) == 10
        _assert_exact(metric, hits, q, data)


def test_quantized_search_many_matches_single_searches(qdb):
    metric, db, data, queries = qdb
    many = db.search_many(queries[:10], k=5)
    assert len(many) == 10
    for q, hits in zip(queries[:10], many):
        single = db.search(q, k=5)
        assert [h.id for h in hits] == [h.id for h in single]
        assert [h.distance for h in hits] == [h.distance for h in single]
        _assert_exact(metric, hits, q, data)


def test_quantized_filtered_search_returns_only_matches_with_exact_distances(qdb):
    metric, db, data, queries = qdb
    flt = {"group": {"$in": [0, 1]}}  # 6000 matches: the graph, not the exact scan
    hits_total = 0
    for q in queries[:10]:
        hits = db.search(q, k=10, where_filter=flt)
        assert len(hits) == 10
        for h in hits:
            assert h.metadata["group"] in (0, 1)
            assert int(h.id[1:]) % 3 in (0, 1)
        _assert_exact(metric, hits, q, data)
        hits_total += len(hits)
    assert hits_total == 100


def test_quantized_search_with_selective_filter_is_exact(qdb):
    metric, db, data, queries = qdb
    q = queries[0]
    hits = db.search(q, k=5, where_filter={"group": 2})
    rows = np.arange(N)[np.arange(N) % 3 == 2]
    ref = ref_distances(metric, q, data[rows])
    expect = [f"v{rows[i]}" for i in np.argsort(ref, kind="stable")[:5]]
    assert [h.id for h in hits] == expect


@pytest.mark.parametrize("metric", METRICS)
def test_deleted_ids_never_come_back_from_quantized_search(make_db, metric):
    rng = np.random.default_rng(5)
    data, _ = clustered(rng, 3000, 12)
    db = make_db(dim=12, metric=metric, m=8, ef_construction=48, quantize=True)
    db.add_many([f"v{i}" for i in range(3000)], data)
    db.delete_many([f"v{i}" for i in range(0, 3000, 2)])
    for q in data[:20]:
        hits = db.search(q, k=10)
        assert len(hits) == 10
        assert all(int(h.id[1:]) % 2 == 1 for h in hits)


@pytest.mark.parametrize("metric", METRICS)
def test_updates_and_upserts_are_found_by_quantized_search(make_db, metric):
    rng = np.random.default_rng(6)
    data, _ = clustered(rng, 3000, 12)
    db = make_db(dim=12, metric=metric, m=8, ef_construction=48, quantize=True)
    db.add_many([f"v{i}" for i in range(3000)], data)
    # Far outside the trained ranges (its codes clamp), and under every metric
    # the best match for itself among the data.
    target = (data[2500] * 50).astype(np.float32)
    db.update("v7", vector=target)
    db.upsert("fresh", target)
    db.upsert("v9", target)
    hits = db.search(target, k=4)
    ids = [h.id for h in hits]
    assert {"v7", "v9", "fresh"} <= set(ids[:3] if metric != "cosine" else ids)
    want = float(ref_distances(metric, target, target[None, :])[0])
    for h in hits:
        if h.id in ("v7", "v9", "fresh"):
            assert h.distance == pytest.approx(want, rel=1e-4, abs=1e-4)


def test_enable_on_an_empty_database_then_grow_past_brute_force(make_db):
    rng = np.random.default_rng(8)
    data, _ = clustered(rng, 3000, 16)
    db = make_db(dim=16, metric="cosine", m=8, ef_construction=48)
    db.enable_quantized_search()
    db.add("v0", data[0])
    for start in range(1, 3000, 500):
        end = min(start + 500, 3000)
        db.add_many([f"v{i}" for i in range(start, end)], data[start:end])
    assert db.stats()["uses_quantized_search"] is True
    assert db.stats()["memory_quantized_bytes"] == 3000 * 16 + 3000 * 4
    hits = db.search(data[123], k=1)
    assert hits[0].id == "v123"
    assert hits[0].distance == pytest.approx(0.0, abs=1e-5)
    assert db._verify() == ""


# --- bounded re-rank -------------------------------------------------------------------


def test_bounded_rerank_recall_is_within_001_of_reranking_every_candidate(qdb):
    # Quantized search re-ranks only the code-distance candidates within 3
    # estimated error sds of the k-th (at least k + 2; HnswIndex::RerankCount);
    # re-ranking all ef of them (the private _set_quantized_rerank hook, for
    # benchmarks) must not find noticeably more.
    metric, db, data, queries = qdb
    for ef in (32, 64, 128):
        bounded = _recall(metric, db, data, queries, ef)
        db._set_quantized_rerank(1e30, 0)
        try:
            full = _recall(metric, db, data, queries, ef)
        finally:
            db._set_quantized_rerank(3.0, 2)
        assert bounded >= full - 0.01, (ef, bounded, full)


@pytest.mark.parametrize("k", [1, 10, 40])
def test_bounded_rerank_returns_k_exact_sorted_distances(qdb, k):
    metric, db, data, queries = qdb
    for sigmas, extra in ((0.0, 0), (3.0, 2)):
        db._set_quantized_rerank(sigmas, extra)
        try:
            for q in queries[:10]:
                hits = db.search(q, k=k, ef_search=64)
                assert len(hits) == k
                assert len({h.id for h in hits}) == k
                _assert_exact(metric, hits, q, data)
        finally:
            db._set_quantized_rerank(3.0, 2)



def _vector_block_vmflags(snapshot_dir):
    """VmFlags of the largest mapping of the database's snapshot file (the
    float32 vector block), from /proc/self/smaps."""
    best, flags, cur = -1, None, None
    with open("/proc/self/smaps") as f:
        for line in f:
            head = line.split()
            if head and "-" in head[0] and not head[0].endswith(":") and len(head) >= 5:
                lo, hi = (int(x, 16) for x in head[0].split("-"))
                path = head[5] if len(head) > 5 else ""
                cur = hi - lo if path.startswith(str(snapshot_dir)) else None
            elif head and head[0] == "VmFlags:" and cur is not None and cur > best:
                best, flags = cur, set(head[1:])
    return flags


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/smaps")
def test_vector_block_is_hinted_random_access_only_while_quantized(tmp_path):
    # A re-rank reads a few rows per query: while quantized, the mapped float32
    # block is madvise(MADV_RANDOM) ("rr") so a cold row costs one page, not
    # a read-ahead window.
    rng = np.random.default_rng(5)
    data = rng.normal(size=(3000, 64)).astype(np.float32)
    path = tmp_path / "db"
    with herondb.Database(str(path), dim=64, quantize=True) as db:
        db.add_many([str(i) for i in range(len(data))], data)
    db = herondb.Database(str(path))
    try:
        flags = _vector_block_vmflags(path)
        assert flags is not None
        assert "rr" in flags
        db.disable_quantized_search()
        assert "rr" not in _vector_block_vmflags(path)
        db.enable_quantized_search()
        assert "rr" in _vector_block_vmflags(path)
        assert len(db.search(data[0], k=5)) == 5
    finally:
        db.close()
