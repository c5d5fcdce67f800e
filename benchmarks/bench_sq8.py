#!/usr/bin/env python3
"""SQ8 benchmark: herondb float32 vs herondb quantized search (and faiss IndexHNSWSQ).

One herondb index is built once; every ef_search in the sweep is then measured
twice on the same graph and queries, with quantized search off (float32
traversal) and on (SQ8 codes for traversal, exact float32 re-ranking of the
final ef candidates). For each: recall@10 against exact ground truth and
single-query QPS (one query per Python call, one thread). If ``import faiss``
works, faiss ``IndexHNSWSQ`` (8-bit, same M and efConstruction, same efSearch
values) is measured the same way for reference; its distances are the
quantized ones (no re-ranking).

Data (``--data``): a folder as written by ``benchmarks/datasets.py`` holding
``base.npy`` and ``queries.npy`` (float32) and optionally
``gt_<metric>.npy`` (exact neighbour ids, one row per query). Without
``--data`` the MiniLM folder ``~/.cache/herondb-bench/minilm-stdlib`` is used
when complete, else a small synthetic Gaussian mixture is generated in
process. Ground truth is recomputed with numpy whenever it is missing or
``--n`` truncates the base set.

Not run by CI. Usage::

    python benchmarks/bench_sq8.py                          # MiniLM if cached, else synthetic
    python benchmarks/bench_sq8.py --data ~/.cache/herondb-bench/synthetic-n20000-d384-c100-s0-q1000 \\
        --metric euclidean --queries 200 --efs 16,32,64
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_MINILM = Path(os.environ.get("HERONDB_BENCH_CACHE", Path.home() / ".cache/herondb-bench"))


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def exact_top_k(base: np.ndarray, queries: np.ndarray, k: int, metric: str) -> np.ndarray:
    """Exact neighbour ids (D2 semantics), in blocks of queries to bound memory."""
    b = base.astype(np.float32)
    if metric == "cosine":
        b = b / np.linalg.norm(b, axis=1, keepdims=True)
    sq = (b * b).sum(axis=1)
    out = np.empty((len(queries), k), dtype=np.int64)
    for start in range(0, len(queries), 256):
        q = queries[start:start + 256].astype(np.float32)
        if metric == "cosine":
            score = -(q @ b.T)
        elif metric == "euclidean":
            score = sq[None, :] - 2.0 * (q @ b.T)
        else:
            score = -(q @ b.T)
        part = np.argpartition(score, k, axis=1)[:, :k]
        order = np.take_along_axis(score, part, axis=1).argsort(axis=1, kind="stable")
        out[start:start + len(q)] = np.take_along_axis(part, order, axis=1)
    return out


def load_data(args: argparse.Namespace) -> tuple[str, np.ndarray, np.ndarray, Optional[np.ndarray]]:
    folder: Optional[Path] = Path(args.data).expanduser() if args.data else None
    if folder is None:
        minilm = DEFAULT_MINILM / "minilm-stdlib"
        if (minilm / "base.npy").is_file() and (minilm / "queries.npy").is_file():
            folder = minilm
    if folder is not None:
        base = np.load(folder / "base.npy", mmap_mode="r")
        queries = np.load(folder / "queries.npy")
        gt_path = folder / f"gt_{args.metric}.npy"
        gt = np.load(gt_path) if gt_path.is_file() else None
        name = folder.name
    else:
        log("no cached dataset: generating a synthetic Gaussian mixture (20000 x 128)")
        rng = np.random.default_rng(0)
        centres = rng.standard_normal((100, 128))
        labels = rng.integers(0, 100, size=20000 + args.queries)
        pts = (centres[labels] + 0.35 * rng.standard_normal((len(labels), 128))).astype(np.float32)
        base, queries, gt, name = pts[:20000], pts[20000:], None, "synthetic-20000x128"
    n = min(args.n or len(base), len(base))
    if n < len(base):
        gt = None
    base = np.ascontiguousarray(base[:n], dtype=np.float32)
    queries = np.ascontiguousarray(queries[: args.queries], dtype=np.float32)
    if gt is None:
        log(f"computing exact {args.metric} ground truth for {len(queries)} queries over {n}")
        gt = exact_top_k(base, queries, 10, args.metric)
    return f"{name}[:{n}]", base, queries, gt[: len(queries), :10]


def measure(search: Callable[[np.ndarray], list[int]], queries: np.ndarray,
            gt: np.ndarray) -> tuple[float, float]:
    """(recall@10, single-query QPS) over all queries."""
    for q in queries[:20]:  # warm-up
        search(q)
    hits = 0
    t0 = time.perf_counter()
    results = [search(q) for q in queries]
    elapsed = time.perf_counter() - t0
    for got, truth in zip(results, gt):
        hits += len(set(got) & set(truth.tolist()))
    return hits / (10 * len(queries)), len(queries) / elapsed


def bench_herondb(args, base, queries, gt, efs) -> list[dict]:
    import herondb

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        db = herondb.Database(os.path.join(tmp, "db"), dim=base.shape[1], metric=args.metric,
                              m=args.m, ef_construction=args.ef_construction)
        ids = [str(i) for i in range(len(base))]
        t0 = time.perf_counter()
        for start in range(0, len(base), 10000):
            db.add_many(ids[start:start + 10000], base[start:start + 10000])
        log(f"herondb build: {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        db.enable_quantized_search()
        log(f"herondb SQ8 train+encode: {time.perf_counter() - t0:.2f} s; "
            f"codes {db.stats()['memory_quantized_bytes'] / 2**20:.1f} MiB vs float32 "
            f"{db.stats()['memory_vectors_bytes'] / 2**20:.1f} MiB")
        for ef in efs:
            for quantized in (False, True):
                if quantized:
                    db.enable_quantized_search()
                else:
                    db.disable_quantized_search()
                recall, qps = measure(
                    lambda q: [int(h.id) for h in db.search(q, k=10, ef_search=ef)], queries, gt)
                rows.append({"system": "herondb-sq8" if quantized else "herondb-f32", "ef": ef,
                             "recall": recall, "qps": qps})
                log(f"  {rows[-1]['system']:<12} ef={ef:<4} recall@10={recall:.4f} qps={qps:,.0f}")
        db.close()
    return rows


def bench_faiss(args, base, queries, gt, efs) -> list[dict]:
    try:
        import faiss
    except ImportError:
        log("faiss not importable (pip install faiss-cpu): skipping IndexHNSWSQ")
        return []
    faiss.omp_set_num_threads(1)
    b, qs = base, queries
    if args.metric == "cosine":
        b = b / np.linalg.norm(b, axis=1, keepdims=True)
        qs = qs / np.linalg.norm(qs, axis=1, keepdims=True)
    metric = faiss.METRIC_L2 if args.metric == "euclidean" else faiss.METRIC_INNER_PRODUCT
    index = faiss.IndexHNSWSQ(base.shape[1], faiss.ScalarQuantizer.QT_8bit, args.m, metric)
    index.hnsw.efConstruction = args.ef_construction
    faiss.omp_set_num_threads(args.build_threads)
    t0 = time.perf_counter()
    index.train(np.ascontiguousarray(b, dtype=np.float32))
    index.add(np.ascontiguousarray(b, dtype=np.float32))
    log(f"faiss IndexHNSWSQ build: {time.perf_counter() - t0:.1f} s")
    faiss.omp_set_num_threads(1)
    rows = []
    for ef in efs:
        index.hnsw.efSearch = ef

        def search(q, index=index):
            _, ids = index.search(q[None, :], 10)
            return ids[0].tolist()

        recall, qps = measure(search, np.ascontiguousarray(qs, dtype=np.float32), gt)
        rows.append({"system": "faiss-hnswsq8", "ef": ef, "recall": recall, "qps": qps})
        log(f"  {'faiss-hnswsq8':<12} ef={ef:<4} recall@10={recall:.4f} qps={qps:,.0f}")
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", help="dataset folder (base.npy, queries.npy, gt_<metric>.npy)")
    p.add_argument("--metric", default="cosine", choices=("cosine", "euclidean", "dot_product"))
    p.add_argument("--n", type=int, default=0, help="use the first N base vectors (0: all)")
    p.add_argument("--queries", type=int, default=1000)
    p.add_argument("--efs", default="10,16,32,64,128")
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=200)
    p.add_argument("--build-threads", type=int, default=2, help="faiss build threads")
    p.add_argument("--no-faiss", action="store_true")
    args = p.parse_args()
    efs = [int(x) for x in args.efs.split(",") if x]
    name, base, queries, gt = load_data(args)
    log(f"dataset {name}: {base.shape[0]} x {base.shape[1]}, {len(queries)} queries, "
        f"metric {args.metric}")
    rows = bench_herondb(args, base, queries, gt, efs)
    if not args.no_faiss:
        rows += bench_faiss(args, base, queries, gt, efs)
    print(f"\n{name}, metric {args.metric}, M={args.m}, ef_construction={args.ef_construction}, "
          f"k=10, single-query QPS on one thread\n")
    print("| system | ef_search | recall@10 | QPS |")
    print("|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['system']} | {r['ef']} | {r['recall']:.4f} | {r['qps']:,.0f} |")


if __name__ == "__main__":
    main()
