"""AsyncDatabase: the Database API as coroutines that never block the loop (D21)."""

from __future__ import annotations

import asyncio
import inspect
import json
import time

import numpy as np
import pytest

import herondb
from herondb import AsyncDatabase, Database, SearchResult


def run(coro):
    return asyncio.run(coro)


def rows(n, dim, seed=0):
    return np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "adb")


# --------------------------------------------------------------- opening


def test_open_classmethod_creates_a_database(path):
    async def main():
        db = await AsyncDatabase.open(path, dim=8, metric="l2", m=8, ef_construction=40)
        try:
            assert isinstance(db, AsyncDatabase)
            assert (db.dim, db.metric) == (8, "euclidean")
            assert db.database.m == 8 and db.database.ef_construction == 40
            assert db.deleted_count == 0 and db.total_slots == 0
            assert db.quantized_search is False
            assert db.path == path and not db.closed
        finally:
            await db.close()
        assert db.closed

    run(main())


def test_constructor_opens_synchronously(path):
    db = AsyncDatabase(path, dim=4)
    assert db.dim == 4 and db.metric == "cosine"
    run(db.close())


def test_open_errors_are_raised_from_the_await(path):
    async def main():
        with pytest.raises(ValueError):
            await AsyncDatabase.open(path, dim=4, metric="manhattan")
        with pytest.raises(ValueError):
            await AsyncDatabase.open(path)  # no database and no dim

    run(main())


def test_wrap_shares_an_open_database(path):
    sync_db = Database(path, dim=4)
    adb = AsyncDatabase.wrap(sync_db)
    assert adb.database is sync_db

    async def main():
        await adb.add("a", [1.0, 0.0, 0.0, 0.0])

    run(main())
    assert "a" in sync_db
    sync_db.close()
    assert adb.closed


def test_wrap_rejects_other_objects():
    with pytest.raises(TypeError):
        AsyncDatabase.wrap(object())  # type: ignore[arg-type]


def test_exported_from_package():
    assert herondb.AsyncDatabase is AsyncDatabase


# -------------------------------------------------------- every method works


def test_write_and_read_methods_round_trip(path):
    async def main():
        async with await AsyncDatabase.open(path, dim=4, metric="euclidean") as db:
            await db.add("a", [1.0, 0.0, 0.0, 0.0], {"k": "a"})
            await db.upsert("b", [0.0, 1.0, 0.0, 0.0])
            await db.upsert("b", [0.0, 2.0, 0.0, 0.0], {"k": "b"})
            await db.add_many(["c", "d"], [[0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]],
                              [{"k": "c"}, None])
            await db.upsert_many(["d", "e"], np.eye(4, dtype=np.float32)[[3, 0]] * 3,
                                 [{"k": "d"}, {"k": "e"}])
            await db.update("a", metadata={"k": "A"})
            assert await db.get("a") == ([1.0, 0.0, 0.0, 0.0], {"k": "A"})
            assert await db.get("b") == ([0.0, 2.0, 0.0, 0.0], {"k": "b"})
            assert len(db) == 5 and await db.contains("e") and not await db.contains("zz")
            assert "e" in db and "zz" not in db
            assert db.count() == 5
            assert db.count({"k": {"$in": ["A", "b"]}}) == 2
            assert sorted(db.ids()) == ["a", "b", "c", "d", "e"]
            assert db.stats()["num_vectors"] == 5

            hits = await db.search([1.0, 0.0, 0.0, 0.0], k=2)
            assert all(isinstance(h, SearchResult) for h in hits)
            assert hits[0].id == "a" and hits[0].distance == pytest.approx(0.0)
            hits = await db.search([1.0, 0.0, 0.0, 0.0], k=5, ef_search=50,
                                   where_filter={"k": "e"}, max_distance=10.0)
            assert [h.id for h in hits] == ["e"]
            many = await db.search_many([[1.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0]], k=1)
            assert [[h.id for h in r] for r in many] == [["a"], ["b"]]

            assert await db.delete("c") is True
            assert await db.delete("c") is False
            assert await db.delete_many(["d", "e", "nope"]) == 2
            assert sorted(db.ids()) == ["a", "b"]
            assert db.deleted_count == 3

    run(main())


def test_errors_propagate_through_await(path):
    async def main():
        db = await AsyncDatabase.open(path, dim=4)
        try:
            await db.add("a", [1.0, 0.0, 0.0, 0.0])
            with pytest.raises(ValueError):
                await db.add("a", [1.0, 0.0, 0.0, 0.0])  # duplicate
            with pytest.raises(ValueError):
                await db.get("missing")
            with pytest.raises(ValueError):
                await db.search([1.0, 0.0], k=1)  # wrong dimension
            with pytest.raises(ValueError):
                await db.update("a")  # neither vector nor metadata
            with pytest.raises(TypeError):
                await db.add(3, [1.0, 0.0, 0.0, 0.0])  # type: ignore[arg-type]
            with pytest.raises(ValueError):
                db.count({"k": {"$bogus": 1}})
        finally:
            await db.close()

    run(main())


def test_count_ids_stats_and_quantized_switches_are_synchronous_as_in_the_reference(path):
    # A vctrs program's `n = adb.count()` keeps working (api-reference,
    # api-decisions D21).
    db = AsyncDatabase(path, dim=4)
    try:
        assert db.count() == 0 and db.ids() == [] and db.stats()["num_vectors"] == 0
        for name in ("count", "ids", "stats", "enable_quantized_search",
                     "disable_quantized_search", "__contains__", "__len__"):
            assert not inspect.iscoroutinefunction(getattr(AsyncDatabase, name)), name
        assert db.disable_quantized_search() is None
        assert db.quantized_search is False
    finally:
        run(db.close())


def test_enable_quantized_search_switches_the_flag(path):
    db = AsyncDatabase(path, dim=4)
    try:
        assert db.enable_quantized_search() is None
        assert db.quantized_search is True
        db.disable_quantized_search()
        assert db.quantized_search is False
    finally:
        run(db.close())


def test_async_quantized_switches_run_in_a_worker_thread(path):
    db = AsyncDatabase(path, dim=4)
    try:
        run(db.add_many(["a", "b"], np.eye(4, dtype=np.float32)[:2]))
        assert run(db.enable_quantized_search_async()) is None
        assert db.quantized_search is True
        assert run(db.disable_quantized_search_async()) is None
        assert db.quantized_search is False
    finally:
        run(db.close())


def test_in_on_an_async_database_answers_like_contains(path):
    db = AsyncDatabase(path, dim=4)
    try:
        run(db.add("a", [1.0, 0.0, 0.0, 0.0]))
        assert "a" in db and "b" not in db and 3 not in db
        assert run(db.contains("a")) is True and run(db.contains("b")) is False
    finally:
        run(db.close())


def test_repr_mentions_the_wrapped_database(path):
    db = AsyncDatabase(path, dim=4)
    assert "AsyncDatabase" in repr(db)
    run(db.close())


# ------------------------------------------------- the loop keeps running


async def _ticks_during(coro_factory):
    """Run a ticker beside one awaited call; return (ticks inside the call, call seconds)."""
    stamps = []
    stop = asyncio.Event()

    async def ticker():
        while not stop.is_set():
            stamps.append(time.perf_counter())
            await asyncio.sleep(0.002)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    start = time.perf_counter()
    await coro_factory()
    end = time.perf_counter()
    stop.set()
    await task
    return sum(1 for s in stamps if start < s < end), end - start


def test_event_loop_keeps_running_during_a_long_add_many(path):
    data = rows(5000, 64, seed=1)  # past the exact-scan limit, so a real graph build

    async def main():
        db = await AsyncDatabase.open(path, dim=64)
        try:
            ticks, seconds = await _ticks_during(
                lambda: db.add_many([f"v{i}" for i in range(len(data))], data)
            )
            assert len(db) == len(data)
        finally:
            await db.close()
        return ticks, seconds

    ticks, seconds = run(main())
    assert seconds > 0.05, "the call was too quick to prove anything"
    assert ticks >= 5, f"the ticker advanced only {ticks} times in {seconds:.2f}s"


def test_event_loop_keeps_running_during_a_long_search_many(path):
    data = rows(4000, 64, seed=2)
    queries = rows(6000, 64, seed=3)

    async def main():
        db = await AsyncDatabase.open(path, dim=64)
        try:
            await db.add_many([f"v{i}" for i in range(len(data))], data)
            holder = {}

            async def search():
                holder["r"] = await db.search_many(queries, k=10, ef_search=200)

            ticks, seconds = await _ticks_during(search)
            assert len(holder["r"]) == len(queries)
        finally:
            await db.close()
        return ticks, seconds

    ticks, seconds = run(main())
    assert seconds > 0.05, "the call was too quick to prove anything"
    assert ticks >= 5, f"the ticker advanced only {ticks} times in {seconds:.2f}s"


def test_concurrent_searches_with_gather(path):
    data = rows(500, 16, seed=4)

    async def main():
        db = await AsyncDatabase.open(path, dim=16, metric="euclidean")
        try:
            await db.add_many([f"v{i}" for i in range(len(data))], data)
            results = await asyncio.gather(*(db.search(data[i], k=1) for i in range(50)))
            return [r[0].id for r in results]
        finally:
            await db.close()

    assert run(main()) == [f"v{i}" for i in range(50)]


# -------------------------------------------- persistence (needs durable storage)


def test_async_with_saves_and_closes(path):
    async def main():
        async with AsyncDatabase(path, dim=4) as db:
            await db.add("a", [1.0, 2.0, 3.0, 4.0], {"x": 1})
        assert db.closed
        reopened = await AsyncDatabase.open(path)
        try:
            assert reopened.dim == 4
            assert await reopened.get("a") == ([1.0, 2.0, 3.0, 4.0], {"x": 1})
        finally:
            await reopened.close()

    run(main())


def test_save_compact_verify_export_import(path, tmp_path):
    export = str(tmp_path / "export.json")

    async def main():
        db = await AsyncDatabase.open(path, dim=4)
        try:
            await db.add_many(["a", "b", "c"], np.eye(4, dtype=np.float32)[:3] + 0.5)
            await db.delete("b")
            await db.save()
            await db.compact()
            assert db.deleted_count == 0 and len(db) == 2
            await db.verify()
            await db.export_json(export, pretty=True)
        finally:
            await db.close()
        with open(export) as f:
            doc = json.load(f)
        assert doc["dim"] == 4 and sorted(r["id"] for r in doc["vectors"]) == ["a", "c"]
        other = await AsyncDatabase.open(str(tmp_path / "other"), dim=4)
        try:
            await other.import_json(export)
            assert sorted(other.ids()) == ["a", "c"]
        finally:
            await other.close()

    run(main())


def test_open_read_only_and_sync_keywords(path):
    async def main():
        async with await AsyncDatabase.open(path, dim=4, sync=True) as db:
            await db.add("a", [1.0, 0.0, 0.0, 0.0])
        ro = await AsyncDatabase.open(path, read_only=True)
        try:
            assert ro.read_only is True
            assert ro.ids() == ["a"]
            with pytest.raises(ValueError):
                await ro.add("b", [0.0, 1.0, 0.0, 0.0])
        finally:
            await ro.close()

    run(main())


def test_calls_after_close_raise_value_error(path):
    async def main():
        db = await AsyncDatabase.open(path, dim=4)
        await db.close()
        assert db.closed
        with pytest.raises(ValueError, match="closed"):
            await db.search([1.0, 0.0, 0.0, 0.0])
        with pytest.raises(ValueError, match="closed"):
            await db.add("a", [1.0, 0.0, 0.0, 0.0])
        with pytest.raises(ValueError, match="closed"):
            db.count()
        with pytest.raises(ValueError, match="closed"):
            "a" in db  # noqa: B015
        with pytest.raises(ValueError, match="closed"):
            len(db)
        await db.close()  # idempotent

    run(main())


def test_wrapping_a_client_collection(tmp_path):
    with herondb.Client(str(tmp_path / "root")) as client:
        adb = AsyncDatabase.wrap(client.create_collection("c", dim=4))

        async def main():
            await adb.add("a", [0.0, 1.0, 0.0, 0.0])
            return await adb.search([0.0, 1.0, 0.0, 0.0], k=1)

        assert run(main())[0].id == "a"
        assert client.get_collection("c").ids() == ["a"]
