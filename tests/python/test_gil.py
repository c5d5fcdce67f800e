"""GIL discipline: a call that waits for the database's lock (here behind a
long compact in another thread) lets every other Python thread run, and
AsyncDatabase never blocks its event loop. The bounds are relative to the
compact's own duration in the same run (a stall as long as the compact is
the defect; a few scheduler ticks are noise)."""

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


class Compacting:
    """Runs db.compact() in a thread (after deleting a few ids so that it
    rebuilds), timing it."""

    def __init__(self, db: Database, ids, round_: int):
        db.delete_many(ids[round_ * 50:(round_ + 1) * 50])
        self.started = threading.Event()
        self.seconds = 0.0
        self.thread = threading.Thread(target=self._run, args=(db,))

    def _run(self, db):
        self.started.set()
        t = time.perf_counter()
        db.compact()
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


def test_threads_waiting_behind_compact_do_not_freeze_other_threads(big):
    db, ids = big
    calls = {
        "len": lambda: len(db), "in": lambda: "v9999" in db, "ids": db.ids,
        "deleted_count": lambda: db.deleted_count, "total_slots": lambda: db.total_slots,
        "count": db.count, "stats": db.stats, "get": lambda: db.get("v9999"),
        "search": lambda: db.search(np.ones(DIM, dtype=np.float32), k=3),
        "repr": lambda: repr(db),
    }
    waited = {}

    def waiter(name):
        t = time.perf_counter()
        calls[name]()
        waited[name] = time.perf_counter() - t

    with Compacting(db, ids, 0) as compact:
        waiters = [threading.Thread(target=waiter, args=(name,)) for name in calls]
        worst, last = 0.0, time.perf_counter()  # a freeze inside start() counts too
        for w in waiters:
            w.start()
        while compact.running():
            now = time.perf_counter()
            worst, last = max(worst, now - last), now
            sum(range(200))  # a little Python work per tick
        for w in waiters:
            w.join()
    # This thread kept running while the others waited for the compact.
    assert compact.seconds > 0.2, "the compact is too short to measure anything"
    slow = {name for name, s in waited.items() if s > compact.seconds / 3}
    assert slow >= set(calls) - {"repr"}, ("these calls did not wait", waited)
    assert waited["repr"] < compact.seconds / 3  # repr never waits
    assert worst < compact.seconds / 3, (worst, compact.seconds, waited)


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
        # Every member, while the compact holds the database's lock.
        assert len(adb) > 0 and adb.deleted_count >= 0 and adb.total_slots >= len(adb)
        assert adb.dim == DIM and adb.metric == "cosine" and not adb.closed
        assert adb.quantized_search in (True, False) and "AsyncDatabase" in repr(adb)
        assert adb.path and adb.read_only is False
        results = await asyncio.gather(
            adb.count(), adb.ids(), adb.stats(), adb.contains("v9999"), adb.get("v9999"),
            adb.search(np.ones(DIM, dtype=np.float32), k=3))
        await adb.enable_quantized_search()
        await adb.disable_quantized_search()
        await tick
        return max(gaps), results

    with Compacting(db, ids, 1) as compact:
        worst, results = asyncio.run(main(compact))
    assert results[0] == len(db)
    assert compact.seconds > 0.2, "the compact is too short to measure anything"
    assert worst < compact.seconds / 3, (worst, compact.seconds)
