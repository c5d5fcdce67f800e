#!/usr/bin/env python3
"""hybrid_search latency against its two sides run one after the other.

Database.hybrid_search runs its vector side and its text side at once on two
threads of the database's pool (when the pool is not busy with another
call). This measures, in one run on one database (the MiniLM vectors and
docstring texts of benchmarks/datasets.py, the embedded prefix when the
embedding is not finished), the mean latency of:

- ``search(k=50)`` and ``search_text(k=50)`` alone (the candidates each side
  of a k=10 hybrid search takes),
- the two one after the other (their sum),
- ``hybrid_search(k=10)`` (both sides plus the fusion).

    python benchmarks/bench_hybrid_concurrent.py --n 40000 --repeats 3

Writes benchmarks/results/hybrid-concurrent.{json,md}. Not run by CI.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import datasets  # noqa: E402

import herondb  # noqa: E402

K = 10
CAND = max(2 * K, 50)


def load(n: int) -> Optional[tuple]:
    folder = datasets.minilm_dir()
    texts = json.loads((folder / "texts.json").read_text())
    if (folder / "base.npy").exists():
        base = np.load(folder / "base.npy")[:n]
        return base, np.load(folder / "queries.npy"), texts["queries"], texts["base"][: len(base)]
    shards = sorted((folder / "shards").glob("shard_*.npy"))
    if not shards:
        return None
    emb = np.concatenate([np.load(p) for p in shards])[: min(n + 1000, len(texts["base"]))]
    base, queries = emb[:-1000], emb[-1000:]
    return base, queries, texts["base"][len(base) : len(emb)], texts["base"][: len(base)]


def mean_ms(fn: Callable[[int], Any], nq: int) -> float:
    for i in range(min(50, nq)):
        fn(i)
    t = time.perf_counter()
    for i in range(nq):
        fn(i)
    return (time.perf_counter() - t) / nq * 1000


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=40_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    data = load(args.n)
    if data is None:
        print("no MiniLM embeddings: run python benchmarks/datasets.py minilm", file=sys.stderr)
        return 1
    base, queries, qtexts, texts = data
    nq = len(queries)
    workdir = tempfile.mkdtemp(prefix="bench_hybrid_concurrent_")
    rows: List[Dict[str, float]] = []
    try:
        db = herondb.Database(os.path.join(workdir, "db"), dim=base.shape[1])
        db.add_many([str(i) for i in range(len(base))], base, [{"text": t} for t in texts])
        db.create_text_index("text")
        # Interleaved repeats, so that load changes on this shared machine
        # touch every figure alike; the median of the repeats is reported.
        for _ in range(args.repeats):
            rows.append({
                "search_ms": mean_ms(lambda i: db.search(queries[i], k=CAND), nq),
                "search_text_ms": mean_ms(lambda i: db.search_text(qtexts[i], k=CAND), nq),
                "one_after_the_other_ms": mean_ms(
                    lambda i: (db.search(queries[i], k=CAND), db.search_text(qtexts[i], k=CAND)), nq),
                "hybrid_search_ms": mean_ms(lambda i: db.hybrid_search(queries[i], qtexts[i], k=K), nq),
            })
            print(rows[-1], file=sys.stderr)
        db.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    med = {key: float(np.median([r[key] for r in rows])) for key in rows[0]}
    meta = {"n": len(base), "queries": nq, "repeats": args.repeats, "cpus": os.cpu_count(),
            "load_average": list(os.getloadavg()),
            "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    out = HERE / "results"
    (out / "hybrid-concurrent.json").write_text(json.dumps({"meta": meta, "median": med, "rows": rows},
                                                           indent=1))
    lines = [
        f"# hybrid_search vs its two sides one after the other: {len(base):,} MiniLM vectors + texts",
        "",
        f"{nq} queries (vector + text), k={K}, {CAND} candidates per side; mean ms per query, "
        f"one Python thread; median of {args.repeats} interleaved repeats; {os.cpu_count()} CPUs, "
        f"load average at the end {meta['load_average'][0]:.1f}.",
        "",
        "| search(k=50) | search_text(k=50) | both, one after the other | hybrid_search(k=10) | "
        "hybrid / sum | hybrid / slower side |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {med['search_ms']:.3f} | {med['search_text_ms']:.3f} | {med['one_after_the_other_ms']:.3f} "
        f"| {med['hybrid_search_ms']:.3f} | {med['hybrid_search_ms'] / med['one_after_the_other_ms']:.2f} "
        f"| {med['hybrid_search_ms'] / max(med['search_ms'], med['search_text_ms']):.2f} |",
    ]
    (out / "hybrid-concurrent.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
