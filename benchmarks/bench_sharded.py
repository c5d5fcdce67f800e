#!/usr/bin/env python3
"""Sharded herondb on one machine: 1, 2 and 4 shards against one plain Database.

    python benchmarks/bench_sharded.py                       # MiniLM 100k x 384 (cached)
    python benchmarks/bench_sharded.py --dataset synthetic   # Gaussian mixture 100k x 128

For every configuration (a plain ``Database`` and a ``ShardedDatabase`` of each
shard count) in one process: the build time (one ``add_many`` of the whole set,
then ``save()``), single-query QPS (one Python call per query) and batch QPS
(one ``search_many`` of all queries) at each ``ef_search``, recall@10 against
the exact ground truth, and the overlap@10 with the plain database's results at
the same ef. Searches are timed in ``--rounds`` rounds with the configurations
interleaved (best of ``--repeats`` passes per round, median over rounds), so
every figure compares runs made in the same conditions. Results go to
benchmarks/results/sharded-<dataset>.{json,md}. Not run by CI.

If the MiniLM set is not cached, ``--dataset minilm`` falls back to the
synthetic set and says so in the output (``--no-fallback`` to fail instead).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import datasets  # noqa: E402

import herondb  # noqa: E402

K = 10


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def load(args: argparse.Namespace) -> tuple[datasets.Dataset, str]:
    note = ""
    if args.dataset == "minilm":
        try:
            ds = datasets.load_minilm(build=False)
            return ds, note
        except FileNotFoundError:
            if args.no_fallback:
                raise
            note = ("the MiniLM 100k set was not cached when this ran; these figures are "
                    "for the synthetic Gaussian mixture instead")
            log("MiniLM not cached: falling back to synthetic 100k x 128")
    ds = datasets.load_synthetic(args.n, args.dim, metric="cosine")
    return ds, note


def recall(found: Sequence[Sequence[str]], truth: np.ndarray) -> float:
    hits = sum(len({int(i) for i in row[:K]} & set(t[:K].tolist())) for row, t in zip(found, truth))
    return hits / (K * len(truth))


def overlap(a: Sequence[Sequence[str]], b: Sequence[Sequence[str]]) -> float:
    hits = sum(len(set(x[:K]) & set(y[:K])) for x, y in zip(a, b))
    return hits / (K * len(a))


def build(kind: int, path: Path, base: np.ndarray, metric: str, m: int,
          efc: int) -> tuple[Any, float, float]:
    """(database, build seconds, build CPU seconds of the process: all threads)."""
    ids = [str(i) for i in range(len(base))]
    t0 = time.perf_counter()
    c0 = time.process_time()
    if kind < 0:  # the same shards as abs(kind), searched one after the other
        db0 = herondb.ShardedDatabase(path.parent / f"db-{-kind}", read_only=True, workers=1)
        return db0, 0.0, 0.0
    if kind == 0:
        db: Any = herondb.Database(path, dim=base.shape[1], metric=metric, m=m, ef_construction=efc)
    else:
        db = herondb.ShardedDatabase(path, dim=base.shape[1], metric=metric, m=m,
                                     ef_construction=efc, num_shards=kind)
    db.add_many(ids, base)
    db.save()
    return db, time.perf_counter() - t0, time.process_time() - c0


def time_single(db: Any, queries: np.ndarray, ef: int, repeats: int) -> tuple[float, float]:
    """(QPS, queries per CPU-second of the process), best of ``repeats`` passes."""
    best = best_cpu = float("inf")
    qs = [np.ascontiguousarray(q) for q in queries]
    for _ in range(repeats):
        c0 = time.process_time()
        t0 = time.perf_counter()
        for q in qs:
            db.search(q, K, ef)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return len(qs) / best, len(qs) / max(best_cpu, 1e-9)


def time_batch(db: Any, queries: np.ndarray, ef: int, repeats: int) -> tuple[float, float]:
    best = best_cpu = float("inf")
    for _ in range(repeats):
        c0 = time.process_time()
        t0 = time.perf_counter()
        db.search_many(queries, K, ef)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return len(queries) / best, len(queries) / max(best_cpu, 1e-9)


def name_of(kind: int) -> str:
    if kind < 0:
        return f"{-kind} shards, workers=1"
    return "plain Database" if kind == 0 else f"{kind} shard{'s' if kind > 1 else ''}"


def git_commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: List[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", choices=("minilm", "synthetic"), default="minilm")
    p.add_argument("--no-fallback", action="store_true")
    p.add_argument("--n", type=int, default=100_000, help="synthetic: points")
    p.add_argument("--dim", type=int, default=128, help="synthetic: dims")
    p.add_argument("--shards", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--sequential", type=int, nargs="*", default=[4],
                   help="also search these shard counts with workers=1 (no thread pool)")
    p.add_argument("--ef", type=int, nargs="+", default=[16, 32, 64, 128])
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=200)
    p.add_argument("--queries", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--name", default=None, help="results file stem (default sharded-<dataset>)")
    p.add_argument("--workdir", default=None)
    args = p.parse_args(argv)

    ds, note = load(args)
    base = np.ascontiguousarray(ds.base, dtype=np.float32)
    queries = np.ascontiguousarray(ds.queries[: args.queries], dtype=np.float32)
    gt = ds.gt[: args.queries]
    log(f"{ds.name}: {base.shape[0]} x {base.shape[1]}, {len(queries)} queries, metric {ds.metric}")
    load_before = os.getloadavg()

    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench-sharded-"))
    kinds = [0] + list(args.shards) + [-s for s in args.sequential]
    dbs: Dict[int, Any] = {}
    builds: Dict[int, float] = {}
    build_cpu: Dict[int, float] = {}
    try:
        for kind in kinds:
            path = work / f"db-{kind}"
            if kind >= 0:
                shutil.rmtree(path, ignore_errors=True)
            log(f"building {name_of(kind)}")
            dbs[kind], builds[kind], build_cpu[kind] = build(kind, path, base, ds.metric, args.m,
                                                             args.ef_construction)
            log(f"  {builds[kind]:.1f} s, {build_cpu[kind]:.1f} CPU-s")

        found: Dict[tuple[int, int], List[List[str]]] = {}
        for kind in kinds:
            for ef in args.ef:
                res = dbs[kind].search_many(queries, K, ef)
                found[(kind, ef)] = [[r.id for r in row] for row in res]
                single = [[r.id for r in dbs[kind].search(q, K, ef)] for q in queries[:50]]
                assert single == found[(kind, ef)][:50], "search and search_many disagree"

        single: Dict[tuple[int, int], List[float]] = {}
        batch: Dict[tuple[int, int], List[float]] = {}
        single_cpu: Dict[tuple[int, int], List[float]] = {}
        batch_cpu: Dict[tuple[int, int], List[float]] = {}
        for rnd in range(args.rounds):
            order = kinds[rnd % len(kinds):] + kinds[: rnd % len(kinds)]
            for kind in order:
                for ef in args.ef:
                    qps, cpu = time_single(dbs[kind], queries, ef, args.repeats)
                    single.setdefault((kind, ef), []).append(qps)
                    single_cpu.setdefault((kind, ef), []).append(cpu)
                    qps, cpu = time_batch(dbs[kind], queries, ef, args.repeats)
                    batch.setdefault((kind, ef), []).append(qps)
                    batch_cpu.setdefault((kind, ef), []).append(cpu)
                log(f"round {rnd + 1}: {name_of(kind)} timed")

        rows = []
        for kind in kinds:
            for ef in args.ef:
                rows.append({
                    "config": name_of(kind),
                    "shards": kind,
                    "ef": ef,
                    "recall_at_10": recall(found[(kind, ef)], gt),
                    "overlap_with_plain_at_10": overlap(found[(kind, ef)], found[(0, ef)]),
                    "qps_single": statistics.median(single[(kind, ef)]),
                    "qps_batch": statistics.median(batch[(kind, ef)]),
                    "qps_single_cpu": statistics.median(single_cpu[(kind, ef)]),
                    "qps_batch_cpu": statistics.median(batch_cpu[(kind, ef)]),
                    "qps_single_rounds": single[(kind, ef)],
                    "qps_batch_rounds": batch[(kind, ef)],
                })
    finally:
        for kind in sorted(dbs, reverse=False):
            dbs[kind].close()
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)

    meta = {
        "dataset": ds.name,
        "n": int(base.shape[0]),
        "dim": int(base.shape[1]),
        "metric": ds.metric,
        "queries": int(len(queries)),
        "m": args.m,
        "ef_construction": args.ef_construction,
        "rounds": args.rounds,
        "repeats": args.repeats,
        "note": note,
        "machine": f"{platform.processor() or platform.machine()} ({os.cpu_count()} CPUs), "
                   f"Python {platform.python_version()}, {platform.platform()}",
        "commit": git_commit(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }
    build_rows = [{"config": name_of(k), "shards": k, "build_s": builds[k],
                   "build_cpu_s": build_cpu[k],
                   "vectors_per_s": base.shape[0] / builds[k],
                   "vectors_per_cpu_s": base.shape[0] / build_cpu[k]} for k in kinds if k >= 0]
    stem = args.name or f"sharded-{'minilm-100k' if not note and args.dataset == 'minilm' else 'synthetic'}"
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps({"meta": meta, "build": build_rows, "search": rows}, indent=1))
    (out / f"{stem}.md").write_text(render(meta, build_rows, rows, kinds, args.ef))
    log(f"wrote {out / stem}.json and .md")
    print(render(meta, build_rows, rows, kinds, args.ef))
    return 0


def render(meta: Dict[str, Any], build_rows: List[Dict[str, Any]], rows: List[Dict[str, Any]],
           kinds: List[int], efs: List[int]) -> str:
    lines = [f"# Sharded herondb on one machine: {meta['dataset']}", ""]
    if meta["note"]:
        lines += [f"**Note:** {meta['note']}.", ""]
    lines += [
        f"{meta['n']:,} x {meta['dim']} ({meta['metric']}), {meta['queries']:,} queries, k=10, "
        f"M={meta['m']}, ef_construction={meta['ef_construction']}. All configurations built and "
        f"searched in one process; searches timed in {meta['rounds']} rounds with the "
        f"configurations interleaved, best of {meta['repeats']} passes per round, median over rounds.",
        "",
        f"Machine: {meta['machine']}; commit {meta['commit']}, {meta['date']}; load average "
        f"{meta['load_before']} before, {meta['load_after']} after (the machine is shared: "
        "compare rows with each other, not with other result files).",
        "",
        "## Build (one add_many of the whole set, then save)",
        "",
        "| configuration | build s | vectors/s | build CPU-s (all threads) | vectors per CPU-second | "
        "CPU vs plain |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    plain_cpu = build_rows[0]["build_cpu_s"]
    for b in build_rows:
        lines.append(f"| {b['config']} | {b['build_s']:.1f} | {b['vectors_per_s']:,.0f} | "
                     f"{b['build_cpu_s']:.1f} | {b['vectors_per_cpu_s']:,.0f} | "
                     f"{b['build_cpu_s'] / plain_cpu:.2f}x |")
    lines += ["", "## Recall", "",
              "recall@10 vs exact ground truth / overlap@10 with the plain database's results "
              "at the same ef (the same for single and batch queries)", "",
              "| ef | " + " | ".join(name_of(k) for k in kinds) + " |",
              "|---:|" + "---:|" * len(kinds)]
    for ef in efs:
        cells = []
        for k in kinds:
            r = next(x for x in rows if x["shards"] == k and x["ef"] == ef)
            cells.append(f"{r['recall_at_10']:.4f} / {r['overlap_with_plain_at_10']:.3f}")
        lines.append(f"| {ef} | " + " | ".join(cells) + " |")
    for title, key in (("Single queries (one Python call per query)", "qps_single"),
                       ("Batch (one search_many of all queries)", "qps_batch")):
        lines += ["", f"## {title}", "",
                  "QPS (wall clock) / queries per CPU-second of the process (all threads; "
                  "less disturbed by other load than wall-clock QPS, and the measure of the "
                  "work a query costs)",
                  "", "| ef | " + " | ".join(name_of(k) for k in kinds) + " |",
                  "|---:|" + "---:|" * len(kinds)]
        for ef in efs:
            cells = []
            for k in kinds:
                r = next(x for x in rows if x["shards"] == k and x["ef"] == ef)
                cells.append(f"{r[key]:,.0f} / {r[key + '_cpu']:,.0f}")
            lines.append(f"| {ef} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
