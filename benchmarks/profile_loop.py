#!/usr/bin/env python3
"""A minimal build-then-query loop for profilers (perf, py-spy, callgrind).

Builds one system's index over the first ``--n`` MiniLM vectors (or a synthetic
set), then runs single queries in a loop for ``--seconds`` at one ef_search.
Phases are printed with timestamps so a profile can be cut to one of them
(``--phase build`` or ``--phase search`` skips the other's timing loop).

Usage::

    perf record -g -o /tmp/h.data -- python benchmarks/profile_loop.py herondb --n 100000
    python benchmarks/profile_loop.py hnswlib --n 20000 --seconds 5
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import datasets  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("system", choices=("herondb", "hnswlib"))
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--ef", type=int, default=64)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--mode", choices=("single", "batch"), default="single")
    args = p.parse_args()

    ds = datasets.load_minilm(build=False, mmap=True)
    base = np.ascontiguousarray(ds.base[: args.n], dtype=np.float32)
    queries = np.ascontiguousarray(ds.queries, dtype=np.float32)
    n, dim = base.shape
    t0 = time.perf_counter()
    if args.system == "herondb":
        import herondb

        db = herondb.Database("/tmp/herondb-profile-db", dim=dim, metric="cosine", m=16,
                              ef_construction=200)
        db.add_many([str(i) for i in range(n)], base)

        def one(q: np.ndarray) -> object:
            return db.search(q, k=10, ef_search=args.ef)

        def many(qs: np.ndarray) -> object:
            return db.search_many(qs, k=10, ef_search=args.ef)
    else:
        import hnswlib

        index = hnswlib.Index(space="cosine", dim=dim)
        index.init_index(max_elements=n, ef_construction=200, M=16, random_seed=100)
        index.add_items(base, np.arange(n), num_threads=args.threads)
        index.set_ef(args.ef)

        def one(q: np.ndarray) -> object:
            return index.knn_query(q, k=10, num_threads=1)

        def many(qs: np.ndarray) -> object:
            return index.knn_query(qs, k=10, num_threads=args.threads)
    build = time.perf_counter() - t0
    print(f"[{time.strftime('%H:%M:%S')}] build {n} in {build:.1f}s ({n / build:,.0f}/s)",
          flush=True)
    qlist = list(queries)
    done = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < args.seconds:
        if args.mode == "single":
            for q in qlist:
                one(q)
        else:
            many(queries)
        done += len(qlist)
    dt = time.perf_counter() - t0
    print(f"[{time.strftime('%H:%M:%S')}] {args.mode} ef={args.ef}: {done} queries in {dt:.1f}s "
          f"= {done / dt:,.0f} QPS", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
