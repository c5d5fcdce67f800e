"""GIL discipline and maintenance beside readers.

A call that waits for the database's lock (here behind a long batch in
another thread, a writer's exclusive section) lets every other Python thread
run; readers never wait for maintenance (a compact rebuilding the graph in
another thread), so AsyncDatabase's synchronous members never block its
event loop. The bounds are relative to the long call's own duration in the
same run (a stall as long as that call is the defect; a few scheduler ticks
are noise)."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest

from herondb import AsyncDatabase, Database

N, DIM = 12000, 16


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("gil") / "db")
    db = Database(path, dim=DIM, ef_construction=60)
    data = np.random.default_rng(7).standard_normal((N, DIM)).astype(np.float32)
    ids = [f"v{i}" for i in range(N)]
    db.add_many(ids, data)
    yield db, ids
    db.close()


class Background:
    """Runs fn() in a thread, timing it."""

    def __init__(self, fn):
        self.started = threading.Event()
        self.seconds = 0.0
        self.thread = threading.Thread(target=self._run, args=(fn,))

    def _run(self, fn):
        self.started.set()
        t = time.perf_counter()
        fn()
        self.seconds = time.perf_counter() - t

    def __enter__(self):
        self.thread.start()
        self.started.wait()
        time.sleep(0.05)  # let it take the database's lock
        return self

    def __exit__(self, *exc):
        self.thread.join()

    def running(self) -> bool:
        return self.thread.is_alive()


def compacting(db: Database, ids, round_: int) -> Background:
    """A compact that rebuilds (a few ids of round_ deleted first)."""
    db.delete_many(ids[round_ * 50:(round_ + 1) * 50])
    return Background(db.compact)


def reader_calls(db):
    return {
        "len": lambda: len(db), "in": lambda: "v9999" in db, "ids": db.ids,
        "deleted_count": lambda: db.deleted_count, "total_slots": lambda: db.total_slots,
        "count": db.count, "stats": db.stats, "get": lambda: db.get("v9999"),
        "search": lambda: db.search(np.ones(DIM, dtype=np.float32), k=3),
        "repr": lambda: repr(db),
    }


def run_waiters(calls, long_call):
    """Starts one thread per call while long_call runs; returns (seconds each
    call took, the longest gap this thread saw between two of its ticks)."""
    waited = {}

    def waiter(name):
        t = time.perf_counter()
        calls[name]()
        waited[name] = time.perf_counter() - t

    waiters = [threading.Thread(target=waiter, args=(name,)) for name in calls]
    worst, last = 0.0, time.perf_counter()  # a freeze inside start() counts too
    for w in waiters:
        w.start()
    while long_call.running():
        now = time.perf_counter()
        worst, last = max(worst, now - last), now
        sum(range(200))  # a little Python work per tick
    for w in waiters:
        w.join()
    return waited, worst


def test_threads_waiting_behind_a_long_batch_do_not_freeze_other_threads(big):
    db, ids = big
    calls = reader_calls(db)
    data = np.random.default_rng(8).standard_normal((N, DIM)).astype(np.float32)
    with Background(lambda: db.upsert_many(ids[1000:], data[1000:])) as batch:
        waited, worst = run_waiters(calls, batch)
    # This thread kept running while the others waited for the batch.
    assert batch.seconds > 0.2, "the batch is too short to measure anything"
    slow = {name for name, s in waited.items() if s > batch.seconds / 3}
    assert slow >= set(calls) - {"repr", "deleted_count", "total_slots", "len"}, (
        "these calls did not wait", waited)
    assert waited["repr"] < batch.seconds / 3  # repr never waits
    assert worst < batch.seconds / 3, (worst, batch.seconds, waited)


def test_readers_do_not_wait_for_a_compact(big):
    db, ids = big
    calls = reader_calls(db)
    before = len(db)
    with compacting(db, ids, 0) as compact:
        waited, worst = run_waiters(calls, compact)
    assert compact.seconds > 0.2, "the compact is too short to measure anything"
    slow = {name: s for name, s in waited.items() if s > compact.seconds / 3}
    assert not slow, ("these calls waited for the compact", slow, compact.seconds)
    assert worst < compact.seconds / 3, (worst, compact.seconds, waited)
    assert db.count() == len(db) == before - 50 and db.deleted_count == 0


def test_async_database_never_blocks_the_loop_during_compact(big):
    db, ids = big
    adb = AsyncDatabase.wrap(db)

    async def main(compact):
        gaps = []

        async def ticker():
            last = time.perf_counter()
            while compact.running():
                await asyncio.sleep(0.002)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        tick = asyncio.create_task(ticker())
        await asyncio.sleep(0.01)  # the ticker is running
        # Every member, while the compact runs; the synchronous ones (as the
        # reference lists them) straight on the loop.
        assert len(adb) > 0 and adb.deleted_count >= 0 and adb.total_slots >= len(adb)
        assert adb.dim == DIM and adb.metric == "cosine" and not adb.closed
        assert adb.quantized_search in (True, False) and "AsyncDatabase" in repr(adb)
        assert adb.path and adb.read_only is False
        during = compact.running()
        n, live, there = adb.count(), adb.ids(), "v9999" in adb
        stats = adb.stats()
        results = await asyncio.gather(
            adb.contains("v9999"), adb.get("v9999"),
            adb.search(np.ones(DIM, dtype=np.float32), k=3))
        await adb.enable_quantized_search_async()
        await adb.disable_quantized_search_async()
        await tick
        return max(gaps), during, (n, live, there, stats), results

    before = len(db)
    with compacting(db, ids, 1) as compact:
        worst, during, (n, live, there, stats), results = asyncio.run(main(compact))
    assert during, "the compact ended before the calls ran"
    assert n == len(live) == stats["num_vectors"] and there and results[0] is True
    assert len(db) == before - 50 == n
    assert compact.seconds > 0.2, "the compact is too short to measure anything"
    assert worst < compact.seconds / 3, (worst, compact.seconds)
