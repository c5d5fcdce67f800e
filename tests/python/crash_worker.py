"""A writer for the crash tests: applies a deterministic sequence of
mutations to a database and prints "ack N" (flushed) after call N returned.

Run as ``python crash_worker.py PATH SEED COUNT [sync]``; the test kills it with
SIGKILL at a random moment. ``make_ops`` and ``apply`` let the test replay
the same sequence on a plain-Python model.
"""

from __future__ import annotations

import random
import struct
import sys
from typing import Any

DIM = 16


def _f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def _vec(rng: random.Random) -> list[float]:
    return [_f32(rng.uniform(-1, 1)) for _ in range(DIM)]


def _meta(rng: random.Random) -> Any:
    if rng.random() < 0.2:
        return None
    return {"n": rng.randrange(1000), "s": rng.choice(["a", "b", "é"]), "l": [rng.random()]}


def make_ops(seed: int, count: int) -> list[tuple]:
    """The operations of one trial; the first fills the database."""
    rng = random.Random(seed)
    live: set[str] = set()
    next_id = 0
    ops: list[tuple] = []

    def fresh() -> str:
        nonlocal next_id
        next_id += 1
        return f"k{next_id}"

    first = [fresh() for _ in range(2500)]
    ops.append(("add_many", first, [_vec(rng) for _ in first], [_meta(rng) for _ in first]))
    live.update(first)
    for _ in range(count):
        kind = rng.choice(["add", "add_many", "upsert", "upsert_many", "update", "delete",
                           "delete_many", "save", "compact"])
        some = sorted(live)
        if kind == "add":
            i = fresh()
            ops.append(("add", i, _vec(rng), _meta(rng)))
            live.add(i)
        elif kind == "add_many":
            ids = [fresh() for _ in range(rng.randrange(1, 200))]
            ops.append(("add_many", ids, [_vec(rng) for _ in ids], [_meta(rng) for _ in ids]))
            live.update(ids)
        elif kind == "upsert":
            i = rng.choice(some) if some and rng.random() < 0.5 else fresh()
            ops.append(("upsert", i, _vec(rng), _meta(rng)))
            live.add(i)
        elif kind == "upsert_many":
            ids = [rng.choice(some) if some and rng.random() < 0.5 else fresh()
                   for _ in range(rng.randrange(1, 100))]
            ops.append(("upsert_many", ids, [_vec(rng) for _ in ids], [_meta(rng) for _ in ids]))
            live.update(ids)
        elif kind == "update" and some:
            i = rng.choice(some)
            vec = _vec(rng) if rng.random() < 0.5 else None
            meta = _meta(rng) if vec is None or rng.random() < 0.5 else None
            if vec is None and meta is None:
                meta = {"forced": 1}
            ops.append(("update", i, vec, meta))
        elif kind == "delete" and some:
            i = rng.choice(some)
            ops.append(("delete", i))
            live.discard(i)
        elif kind == "delete_many" and some:
            ids = rng.sample(some, min(len(some), rng.randrange(1, 300)))
            ops.append(("delete_many", ids))
            live.difference_update(ids)
        elif kind in ("save", "compact"):
            ops.append((kind,))
    return ops


def apply(model: dict, op: tuple) -> None:
    """Applies one operation to a model: id -> (vector, metadata)."""
    kind = op[0]
    if kind == "add" or kind == "upsert":
        model[op[1]] = (op[2], op[3])
    elif kind == "add_many" or kind == "upsert_many":
        for i, v, m in zip(op[1], op[2], op[3]):
            model[i] = (v, m)
    elif kind == "update":
        old_v, old_m = model[op[1]]
        model[op[1]] = (op[2] if op[2] is not None else old_v,
                        op[3] if op[3] is not None else old_m)
    elif kind == "delete":
        model.pop(op[1], None)
    elif kind == "delete_many":
        for i in op[1]:
            model.pop(i, None)


def run(db: Any, op: tuple) -> None:
    kind = op[0]
    if kind in ("add", "upsert"):
        getattr(db, kind)(op[1], op[2], op[3])
    elif kind in ("add_many", "upsert_many"):
        getattr(db, kind)(op[1], op[2], op[3])
    elif kind == "update":
        db.update(op[1], vector=op[2], metadata=op[3])
    elif kind in ("delete", "delete_many"):
        getattr(db, kind)(op[1])
    else:
        getattr(db, kind)()


def main() -> None:
    import herondb

    path, seed, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    sync = len(sys.argv) > 4 and sys.argv[4] == "sync"  # fsync every write (group commit)
    db = herondb.Database(path, dim=DIM, metric="euclidean", sync=sync)
    print("open", flush=True)
    for n, op in enumerate(make_ops(seed, count)):
        run(db, op)
        print(f"ack {n}", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    main()
