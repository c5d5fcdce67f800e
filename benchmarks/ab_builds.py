"""A/B of two builds of herondb's core on the same saved index, in one run.

Each build is a folder holding a ``herondb`` package whose ``_core`` is the
build under test (the package is imported through PYTHONPATH in a child
process, so the two never share a process). The index is built once (by the
first build) and saved; every round then opens the same files with each
build in turn, alternating which goes first, and measures single-query
search (``Database.search``, k=10) at fixed ``ef_search`` values: wall and
CPU time per query, and recall@10 against the data set's exact neighbours.
Medians over rounds are reported with the ratio B/A. The on-disk format
must be the same for both builds (it is what is being compared).

    python benchmarks/ab_builds.py --a /tmp/ab/base --b /tmp/ab/new \\
        --dataset synthetic --rounds 5
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def load(dataset: str) -> Any:
    sys.path.insert(0, str(HERE))
    import datasets  # noqa: PLC0415

    if dataset == "synthetic":
        return datasets.load_synthetic(100_000, 128, metric="euclidean")
    if dataset == "minilm":
        return datasets.load_minilm(build=False)
    raise SystemExit(f"unknown dataset {dataset}")


def child_build(args: argparse.Namespace) -> None:
    import herondb  # noqa: PLC0415

    ds = load(args.dataset)
    db = herondb.Database(args.path, dim=ds.base.shape[1], metric=ds.metric, m=16,
                          ef_construction=200)
    t0 = time.perf_counter()
    db.add_many([str(i) for i in range(len(ds.base))], ds.base)
    build_s = time.perf_counter() - t0
    db.save()
    db.close()
    print(json.dumps({"build_s": build_s}))


def child_measure(args: argparse.Namespace) -> None:
    import numpy as np  # noqa: PLC0415

    import herondb  # noqa: PLC0415

    ds = load(args.dataset)
    db = herondb.Database(args.path)
    if args.sq8:
        db.enable_quantized_search()
    queries = np.ascontiguousarray(ds.queries, dtype=np.float32)
    nq = min(len(queries), args.queries)
    gt = ds.gt[:nq, :10]
    for i in range(min(nq, 200)):  # warm the caches and the page tables
        db.search(queries[i], k=10, ef_search=64)
    out: dict[str, Any] = {}
    for ef in args.ef:
        ids = []
        w0, c0 = time.perf_counter(), time.process_time()
        for i in range(nq):
            ids.append(db.search(queries[i], k=10, ef_search=ef))
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        hits = 0
        for i, res in enumerate(ids):
            truth = set(int(x) for x in gt[i])
            hits += sum(1 for r in res if int(r.id) in truth)
        out[str(ef)] = {"qps_wall": nq / wall, "qps_cpu": nq / cpu, "recall": hits / (nq * 10)}
    db.close()
    print(json.dumps(out))


def run_child(pkg: str, mode: str, args: argparse.Namespace) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=pkg, OMP_NUM_THREADS="1")
    cmd = [sys.executable, __file__, "--child", mode, "--dataset", args.dataset, "--path",
           args.path, "--queries", str(args.queries), "--ef", *map(str, args.ef)]
    if args.sq8:
        cmd.append("--sq8")
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a", help="folder with the baseline herondb package")
    ap.add_argument("--b", help="folder with the candidate herondb package")
    ap.add_argument("--dataset", choices=["synthetic", "minilm"], default="synthetic")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--ef", type=int, nargs="+", default=[16, 32, 64])
    ap.add_argument("--sq8", action="store_true", help="search with SQ8 quantization")
    ap.add_argument("--path", help="where the saved index lives (default: in the cache)")
    ap.add_argument("--child", choices=["build", "measure"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.path is None:
        sys.path.insert(0, str(HERE))
        import datasets  # noqa: PLC0415

        args.path = str(datasets.cache_root() / f"ab-{args.dataset}-m16-efc200")
    if args.child == "build":
        child_build(args)
        return
    if args.child == "measure":
        child_measure(args)
        return
    if not Path(args.path).exists():
        print(f"building {args.path} with A:", run_child(args.a, "build", args), flush=True)
    rows: dict[str, dict[str, list[dict[str, float]]]] = {"A": {}, "B": {}}
    for r in range(args.rounds):
        order = [("A", args.a), ("B", args.b)] if r % 2 == 0 else [("B", args.b), ("A", args.a)]
        for name, pkg in order:
            res = run_child(pkg, "measure", args)
            for ef, v in res.items():
                rows[name].setdefault(ef, []).append(v)
            print(f"round {r} {name}: " + "  ".join(
                f"ef{ef} {v['qps_wall']:.0f}/s cpu {v['qps_cpu']:.0f}/s r{v['recall']:.4f}"
                for ef, v in res.items()), flush=True)
    print(f"\n{args.dataset}{' sq8' if args.sq8 else ''}: medians over {args.rounds} rounds")
    print("ef   A qps(wall)  B qps(wall)  B/A   A qps(cpu)  B qps(cpu)  B/A   recall A / B")
    for ef in map(str, args.ef):
        def med(name: str, key: str) -> float:
            return statistics.median(x[key] for x in rows[name][ef])
        aw, bw, ac, bc = med("A", "qps_wall"), med("B", "qps_wall"), med("A", "qps_cpu"), \
            med("B", "qps_cpu")
        print(f"{ef:>3} {aw:11.0f} {bw:12.0f} {bw / aw:5.3f} {ac:11.0f} {bc:11.0f} {bc / ac:5.3f}"
              f"   {med('A', 'recall'):.4f} / {med('B', 'recall'):.4f}")


if __name__ == "__main__":
    main()
