"""A writer for the sharded crash tests (run as a subprocess and killed with SIGKILL).

``python sharded_crash_worker.py loop PATH BATCHES ROWS``
    creates a 4-shard database and adds BATCHES batches of ROWS records each
    with ``add_many`` (ids ``b<batch>-<row>``, spread over every shard);
    prints ``ack B`` (flushed) after batch B returned. The test kills it at a
    random moment.

``python sharded_crash_worker.py stall PATH``
    creates a 4-shard database, then runs one cross-shard ``add_many`` in which
    the last shard's part never starts: that shard's handle waits until every
    other shard holds its part, then kills the process. This is the worst
    case of a crash in the middle of a batch that spans shards.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any

import numpy as np

import herondb

DIM = 16
SHARDS = 4


def batch(b: int, rows: int) -> tuple[list[str], np.ndarray, list[dict[str, Any]]]:
    rng = np.random.default_rng(b)
    ids = [f"b{b}-{r}" for r in range(rows)]
    return ids, rng.normal(size=(rows, DIM)).astype(np.float32), [{"b": b, "r": r} for r in range(rows)]


def loop(path: str, batches: int, rows: int) -> None:
    db = herondb.ShardedDatabase(path, dim=DIM, num_shards=SHARDS)
    for b in range(batches):
        db.add_many(*batch(b, rows))
        print(f"ack {b}", flush=True)
    time.sleep(60)


class _StallThenDie:
    """Stands in for the last shard: waits for the other shards' parts, then dies."""

    def __init__(self, others: list[Any], parts: list[list[str]]) -> None:
        self.others = others
        self.parts = parts

    def __contains__(self, id: object) -> bool:
        return False  # the batch's pre-check: nothing of it is here yet

    def add_many(self, *args: Any, **kwargs: Any) -> None:
        while not all(all(i in db for i in part) for db, part in zip(self.others, self.parts)):
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGKILL)


def stall(path: str) -> None:
    db = herondb.ShardedDatabase(path, dim=DIM, num_shards=SHARDS)
    ids, vecs, metas = batch(0, 400)
    parts: list[list[str]] = [[] for _ in range(SHARDS)]
    for i in ids:
        parts[db.shard_for(i)].append(i)
    real = db._shards  # the test reaches inside on purpose
    real[SHARDS - 1] = _StallThenDie(real[: SHARDS - 1], parts[: SHARDS - 1])  # type: ignore[call-overload]
    print("ready", flush=True)
    db.add_many(ids, vecs, metas)
    print("returned", flush=True)  # never reached


if __name__ == "__main__":
    if sys.argv[1] == "loop":
        loop(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        stall(sys.argv[2])
