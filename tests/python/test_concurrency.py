"""Several Python threads searching at once, and a writer thread beside reader threads.

No timing assertions: these tests check that concurrent calls neither crash nor return
inconsistent results."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import herondb

from conftest import clustered, ref_distances

N_READERS = 4


def _run_threads(targets):
    """Start every target at once (barrier), join them, re-raise the first failure."""
    errors = []
    barrier = threading.Barrier(len(targets))

    def wrap(fn):
        def runner():
            try:
                barrier.wait(timeout=30)
                fn()
            except BaseException as e:  # noqa: BLE001 - reported to the main thread
                errors.append(e)
        return runner

    threads = [threading.Thread(target=wrap(fn)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive(), "a thread did not finish"
    if errors:
        raise errors[0]


def _key(hits):
    return [(h.id, h.distance, h.metadata) for h in hits]


@pytest.mark.parametrize("n", [500, 3000], ids=["exact-scan", "hnsw"])
def test_parallel_searches_from_several_threads_match_sequential_results(make_db, n):
    rng = np.random.default_rng(3)
    db = make_db(dim=16, metric="cosine")
    data, centers = clustered(rng, n, 16)
    db.add_many([f"v{i}" for i in range(n)], data, [{"i": i} for i in range(n)])
    queries = (centers[rng.integers(0, len(centers), 40)] + rng.normal(size=(40, 16))).astype(
        np.float32)
    expected = [_key(db.search(q, k=10)) for q in queries]

    def reader(seed):
        def run():
            order = np.random.default_rng(seed).permutation(len(queries))
            for _ in range(3):
                for qi in order:
                    assert _key(db.search(queries[qi], k=10)) == expected[qi]
        return run

    _run_threads([reader(s) for s in range(N_READERS)])


def test_parallel_search_many_from_several_threads_match_sequential_results(make_db):
    rng = np.random.default_rng(4)
    db = make_db(dim=16, metric="euclidean")
    data, _ = clustered(rng, 2500, 16)
    db.add_many([f"v{i}" for i in range(2500)], data)
    queries = rng.normal(size=(64, 16)).astype(np.float32) * 4
    expected = [_key(h) for h in db.search_many(queries, k=5)]

    def reader():
        for _ in range(5):
            assert [_key(h) for h in db.search_many(queries, k=5)] == expected

    _run_threads([reader for _ in range(N_READERS)])


def test_parallel_gets_and_reads_from_several_threads(make_db):
    rng = np.random.default_rng(5)
    db = make_db(dim=8, metric="euclidean")
    data = rng.normal(size=(300, 8)).astype(np.float32)
    db.add_many([f"v{i}" for i in range(300)], data, [{"i": i} for i in range(300)])

    def reader():
        for _ in range(3):
            for i in range(300):
                vec, meta = db.get(f"v{i}")
                assert vec == [float(x) for x in data[i]]
                assert meta == {"i": i}
            assert len(db) == 300
            assert len(db.ids()) == 300
            assert db.stats()["num_vectors"] == 300

    _run_threads([reader for _ in range(N_READERS)])


def test_writer_beside_readers_is_safe_and_every_search_is_consistent(make_db):
    rng = np.random.default_rng(6)
    dim = 12
    db = make_db(dim=dim, metric="euclidean")
    # Stable vectors that never change; the writer adds enough to cross the graph threshold.
    stable, _ = clustered(rng, 1500, dim)
    db.add_many([f"s{i}" for i in range(1500)], stable, [{"s": i} for i in range(1500)])
    pool = clustered(rng, 1200, dim)[0]
    toggle_a = np.full(dim, 1.0, dtype=np.float32)
    toggle_b = np.full(dim, -1.0, dtype=np.float32)
    db.add("toggle", toggle_a, {"v": "A"})

    vector_of = {f"s{i}": stable[i] for i in range(1500)}
    vector_of.update({f"w{j}": pool[j] for j in range(len(pool))})
    done = threading.Event()
    reader_checks = [0] * N_READERS

    def writer():
        try:
            batch = 40
            for start in range(0, len(pool), batch):
                ids = [f"w{j}" for j in range(start, start + batch)]
                db.add_many(ids, pool[start:start + batch], [{"w": j} for j in
                                                             range(start, start + batch)])
                # delete a few of the previous batch, re-add one of them later
                if start >= batch:
                    prev = range(start - batch, start - batch + 5)
                    assert db.delete_many([f"w{j}" for j in prev]) == 5
                    db.add(f"w{start - batch}", pool[start - batch], {"w": start - batch})
                if (start // batch) % 2:
                    db.update("toggle", vector=toggle_b, metadata={"v": "B"})
                else:
                    db.upsert("toggle", toggle_a, {"v": "A"})
        finally:
            done.set()

    def reader(index):
        def run():
            r = np.random.default_rng(100 + index)
            while not done.is_set() or reader_checks[index] < 20:
                q = stable[r.integers(0, 1500)] + r.normal(size=dim).astype(np.float32) * 0.1
                hits = db.search(q, k=10)
                assert len(hits) == 10
                ids = [h.id for h in hits]
                assert len(set(ids)) == 10, "duplicate ids in one result"
                dists = [h.distance for h in hits]
                assert dists == sorted(dists)
                for h in hits:
                    if h.id == "toggle":
                        want = toggle_a if h.metadata == {"v": "A"} else toggle_b
                        assert h.metadata in ({"v": "A"}, {"v": "B"})
                    else:
                        want = vector_of[h.id]
                        if h.id.startswith("s"):
                            assert h.metadata == {"s": int(h.id[1:])}
                        else:
                            assert h.metadata == {"w": int(h.id[1:])}
                    exact = float(ref_distances("euclidean", q, want)[0])
                    assert h.distance == pytest.approx(exact, rel=1e-4, abs=1e-4)
                vec, meta = db.get("toggle")
                assert (vec, meta) in (
                    ([1.0] * dim, {"v": "A"}),
                    ([-1.0] * dim, {"v": "B"}),
                ), "vector and metadata of one id must change together"
                assert db.get("s7")[0] == [float(x) for x in stable[7]]
                n = len(db)
                assert 1501 <= n <= 1501 + len(pool)
                reader_checks[index] += 1
        return run

    _run_threads([writer] + [reader(i) for i in range(N_READERS)])
    assert all(c >= 20 for c in reader_checks)

    # Final state is exactly what the writer did.
    batch = 40
    expected_w = set(range(len(pool)))
    for start in range(batch, len(pool), batch):
        expected_w -= set(range(start - batch + 1, start - batch + 5))
    assert {i for i in db.ids() if i.startswith("w")} == {f"w{j}" for j in expected_w}
    assert len(db) == 1500 + 1 + len(expected_w)
    assert db.total_slots == len(db) + db.deleted_count
    assert db.stats()["uses_brute_force"] is False
    verify = getattr(db, "_verify", None)
    if verify is not None:
        assert verify() == ""

    # And the graph built under concurrent reads still finds the true neighbours.
    live_ids = db.ids()
    live = np.stack([toggle_a if i == "toggle" else vector_of[i] for i in live_ids])
    found = 0
    queries = stable[rng.integers(0, 1500, 40)] + rng.normal(size=(40, dim)).astype(np.float32)
    for q in queries:
        truth = {live_ids[j] for j in np.argsort(ref_distances("euclidean", q, live))[:10]}
        found += len(truth & {h.id for h in db.search(q, k=10)})
    assert found / 400 >= 0.9


def test_concurrent_writers_from_several_threads_all_land(make_db):
    rng = np.random.default_rng(7)
    db = make_db(dim=8, metric="euclidean")
    per_thread = 300
    data = rng.normal(size=(N_READERS, per_thread, 8)).astype(np.float32)

    def writer(t):
        def run():
            for j in range(0, per_thread, 30):
                db.add_many([f"t{t}-{k}" for k in range(j, j + 30)], data[t, j:j + 30])
            for k in range(0, per_thread, 3):
                db.upsert(f"t{t}-{k}", data[t, k], {"up": True})
        return run

    _run_threads([writer(t) for t in range(N_READERS)])
    assert len(db) == N_READERS * per_thread
    for t in range(N_READERS):
        for k in (0, 1, 150, 299):
            vec, meta = db.get(f"t{t}-{k}")
            assert vec == [float(x) for x in data[t, k]]
            assert meta == ({"up": True} if k % 3 == 0 else None)
    verify = getattr(db, "_verify", None)
    if verify is not None:
        assert verify() == ""


def test_searches_run_safely_beside_saves_and_compactions(tmp_path):
    rng = np.random.default_rng(21)
    db = herondb.Database(str(tmp_path / "db"), dim=16)
    vecs = rng.standard_normal((4000, 16)).astype(np.float32)
    db.add_many([f"s{i}" for i in range(4000)], vecs)
    stop = threading.Event()
    errors: list = []

    def reader():
        q = rng.standard_normal(16).astype(np.float32)
        while not stop.is_set():
            try:
                hits = db.search(q, k=5)
                assert len(hits) == 5
                assert all(h.distance <= hits[-1].distance for h in hits)
            except Exception as e:  # noqa: BLE001 - collected for the assertion below
                errors.append(e)
                return

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for round_ in range(4):
            db.delete_many([f"s{i}" for i in range(round_, 4000, 7)])
            db.add_many([f"n{round_}-{i}" for i in range(200)], rng.standard_normal((200, 16)))
            db.save()
            db.compact()
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[:3]
    assert db.deleted_count == 0
    db.verify()
    db.close()
