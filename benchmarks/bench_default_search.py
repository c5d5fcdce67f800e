"""Default search (ef_search=None) on different data: recall@10, QPS, the ef
the database calibrated for itself, and what calibration costs.

Data sets: uniform random vectors, Gaussian clusters, and whatever of
benchmarks/datasets.py's cached sets exist (synthetic mixture, MiniLM).
Recall is against exact neighbours by numpy over held-out queries (cosine for
MiniLM, euclidean for the rest). For comparison the same run measures the old
fixed default (ef_search=64).

    PYTHONPATH=python python benchmarks/bench_default_search.py [--n 20000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

import herondb

CACHE = Path.home() / ".cache" / "herondb-bench"


def exact_top(data: np.ndarray, queries: np.ndarray, k: int, metric: str = "euclidean") -> np.ndarray:
    if metric == "cosine":
        data = data / np.maximum(np.linalg.norm(data, axis=1, keepdims=True), 1e-30)
        queries = queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-30)
    out = np.empty((len(queries), k), dtype=np.int64)
    norms = (data.astype(np.float64) ** 2).sum(1)
    for i in range(0, len(queries), 64):
        q = queries[i : i + 64].astype(np.float64)
        d = norms[None, :] - 2 * q @ data.T.astype(np.float64)
        out[i : i + 64] = np.argsort(d, axis=1, kind="stable")[:, :k]
    return out


def recall(db: herondb.Database, queries: np.ndarray, truth: np.ndarray, ef) -> tuple[float, float]:
    k = truth.shape[1]
    hit = 0
    t = time.perf_counter()
    results = [db.search(q, k=k, ef_search=ef) for q in queries]
    qps = len(queries) / (time.perf_counter() - t)
    for row, res in zip(truth, results):
        hit += len(set(row.tolist()) & {int(h.id) for h in res})
    return hit / truth.size, qps


def metric_for(name: str) -> str:
    """MiniLM sentence embeddings are compared by cosine (as users store them);
    every other set by euclidean distance."""
    return "cosine" if name.startswith("minilm") else "euclidean"


def datasets(n: int, dim: int, nq: int, max_n: int = 200_000):
    rng = np.random.default_rng(0)
    yield "uniform", rng.random((n, dim), dtype=np.float32), rng.random((nq, dim), dtype=np.float32)
    centers = rng.normal(0, 3, (50, dim)).astype(np.float32)

    def blobs(m):
        return centers[rng.integers(0, 50, m)] + rng.normal(0, 1, (m, dim)).astype(np.float32)

    yield "gaussian clusters (50)", blobs(n), blobs(nq)
    for folder in sorted(CACHE.glob("*")):
        base, qs = folder / "base.npy", folder / "queries.npy"
        if base.exists() and qs.exists() and np.load(base, mmap_mode="r").shape[0] <= max_n:
            yield folder.name, np.load(base).astype(np.float32), np.load(qs)[:nq].astype(np.float32)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--only", default="", help="run only the data sets whose name contains this")
    ap.add_argument("--max-n", type=int, default=200_000, help="skip cached sets with more rows")
    args = ap.parse_args()
    print(
        "| data | n x dim | default ef | sample recall | exact scan | recall@10 default | "
        "QPS default | recall@10 ef=64 | QPS ef=64 | calibration s | build s | save s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, data, queries in datasets(args.n, args.dim, args.queries, args.max_n):
        if args.only not in name:
            continue
        metric = metric_for(name)
        truth = exact_top(data, queries, 10, metric)
        with tempfile.TemporaryDirectory() as d:
            db = herondb.Database(d, dim=data.shape[1], metric=metric)
            t = time.perf_counter()
            db.add_many([str(i) for i in range(len(data))], data)
            build = time.perf_counter() - t
            t = time.perf_counter()
            db.save()
            save = time.perf_counter() - t
            st = db.stats()
            r_def, q_def = recall(db, queries, truth, None)
            r_64, q_64 = recall(db, queries, truth, 64)
            print(
                f"| {name} ({metric}) | {len(data)} x {data.shape[1]} | {st['ef_search_default']} | "
                f"{st['ef_search_default_recall']} | {st['uses_brute_force']} | {r_def:.3f} | "
                f"{q_def:.0f} | {r_64:.3f} | {q_64:.0f} | "
                f"{st['ef_search_default_calibration_seconds']:.2f} | {build:.1f} | {save:.2f} |",
                flush=True,
            )
            db.close()


if __name__ == "__main__":
    main()
