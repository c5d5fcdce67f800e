"""A writer for the text-index crash test: creates a database with a text
index and applies random mutations (and index creation/drops), printing
"ack N" (flushed) after call N returned. Run as
``python text_crash_worker.py PATH SEED COUNT``; the test kills it."""

from __future__ import annotations

import random
import sys

import numpy as np

import herondb

WORDS = ("gzip zlib compress compression files file data stream streams running run fox dogs "
         "the and of index vector").split()


def text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 12)))


def main() -> None:
    path, seed, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    db = herondb.Database(path, dim=4)
    print("open", flush=True)
    ids = [f"k{i}" for i in range(500)]
    db.add_many(ids, np.random.default_rng(seed).random((500, 4)), [{"t": text(rng)} for _ in ids])
    db.create_text_index("t")
    print("ack 0", flush=True)
    live = set(ids)
    nxt = 500
    for n in range(1, count + 1):
        kind = rng.choice(["add", "add_many", "upsert", "update", "delete", "delete_many",
                           "save", "compact", "index"])
        some = sorted(live)
        if kind == "add":
            db.add(f"k{nxt}", [rng.random() for _ in range(4)], {"t": text(rng)})
            live.add(f"k{nxt}")
            nxt += 1
        elif kind == "add_many":
            new = [f"k{nxt + i}" for i in range(rng.randrange(1, 800))]
            nxt += len(new)
            db.add_many(new, np.random.default_rng(nxt).random((len(new), 4)),
                        [{"t": text(rng), "u": text(rng)} for _ in new])
            live.update(new)
        elif kind == "upsert":
            i = rng.choice(some) if some and rng.random() < 0.5 else f"k{nxt}"
            nxt += 1
            db.upsert(i, [rng.random() for _ in range(4)], {"t": text(rng)})
            live.add(i)
        elif kind == "update" and some:
            db.update(rng.choice(some), metadata=rng.choice([{"t": text(rng)}, {"x": 1}]))
        elif kind == "delete" and some:
            i = rng.choice(some)
            db.delete(i)
            live.discard(i)
        elif kind == "delete_many" and some:
            gone = rng.sample(some, min(len(some), rng.randrange(1, 300)))
            db.delete_many(gone)
            live.difference_update(gone)
        elif kind == "save":
            db.save()
        elif kind == "compact":
            db.compact()
        elif kind == "index":
            if "u" in db.text_indexes:
                db.drop_text_index("u")
            else:
                db.create_text_index("u", language="none")
        print(f"ack {n}", flush=True)
    db.close()


if __name__ == "__main__":
    main()
