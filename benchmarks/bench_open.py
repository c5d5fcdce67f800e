#!/usr/bin/env python3
"""Open-time benchmark: how long a fresh process takes to open a saved
database and answer its first query, for herondb, vctrs and zvec (PyPI
`zvec`, an in-process C++ vector database: HNSW with the same M and
ef_construction, cosine, one INT64 field "n" like the others' metadata),
plus disk bytes per vector. Not run by CI.

    python benchmarks/bench_open.py --n 100000 --dim 384
    python benchmarks/bench_open.py --n 1000000 --dim 384 --ef-construction 40

Databases are built once into $HERONDB_BENCH_CACHE/open-<n>x<dim>-<efc>/
(default ~/.cache/herondb-bench) and reused. Each open is measured in a new
process, `--repeats` times (median reported), with the page cache warm (the
build just wrote the files) and, where possible (root), also cold: the
file pages are dropped with posix_fadvise(DONTNEED) before the run.
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

import numpy as np

CACHE = Path(os.environ.get("HERONDB_BENCH_CACHE", Path.home() / ".cache" / "herondb-bench"))

# Per system: the import, the open of `path` and the first query of `q`
# (a float32 numpy vector), as Python statements.
OPEN_SNIPPET = {
    "herondb": ("from herondb import Database", "db = Database(path)",
                "r = db.search(q, k=10)"),
    "vctrs": ("from vctrs import Database", "db = Database(path)", "r = db.search(q, k=10)"),
    "zvec": ("import zvec", "db = zvec.open(path)",
             "r = db.query(zvec.Query(field_name='v', vector=q.tolist()), topk=10)"),
}


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def drop_cache(path: Path) -> None:
    for p in path.rglob("*"):
        if p.is_file():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def build(system: str, path: Path, data: np.ndarray, m: int, efc: int) -> float:
    if (path / ".built").exists():
        return float((path / ".built").read_text())
    import shutil

    shutil.rmtree(path, ignore_errors=True)
    if system == "zvec":
        seconds = build_zvec(path, data, m, efc)
        (path / ".built").write_text(str(seconds))
        return seconds
    mod = __import__(system)
    t = time.perf_counter()
    db = mod.Database(str(path), dim=data.shape[1], metric="cosine", m=m, ef_construction=efc)
    ids = [f"doc-{i}" for i in range(len(data))]
    step = 50_000
    for s in range(0, len(data), step):
        db.add_many(ids[s:s + step], data[s:s + step], [{"n": i} for i in range(s, min(s + step, len(data)))])
    db.save()
    seconds = time.perf_counter() - t
    del db
    (path / ".built").write_text(str(seconds))
    return seconds


def build_zvec(path: Path, data: np.ndarray, m: int, efc: int) -> float:
    """A zvec collection at `path/c` (zvec wants to create the folder itself)."""
    import zvec

    path.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    schema = zvec.CollectionSchema(
        name="c",
        fields=[zvec.FieldSchema("n", zvec.DataType.INT64)],
        vectors=[zvec.VectorSchema("v", zvec.DataType.VECTOR_FP32, data.shape[1],
                                   index_param=zvec.HnswIndexParam(
                                       metric_type=zvec.MetricType.COSINE, m=m,
                                       ef_construction=efc))])
    col = zvec.create_and_open(str(path / "c"), schema)
    step = 1_000  # zvec's largest write batch is 1024
    for s in range(0, len(data), step):
        docs = [zvec.Doc(id=f"doc-{i}", fields={"n": i}, vectors={"v": data[i].tolist()})
                for i in range(s, min(s + step, len(data)))]
        col.insert(docs)
    col.optimize()
    col.flush()
    seconds = time.perf_counter() - t
    del col
    return seconds


def time_open(system: str, path: Path, dim: int) -> dict:
    imp, opn, query = OPEN_SNIPPET[system]
    target = path / "c" if system == "zvec" else path
    script = f"""
import time, resource, numpy as np
path = {str(target)!r}
q = np.ones({dim}, dtype=np.float32)
t0 = time.perf_counter()
{imp}
t1 = time.perf_counter()
{opn}
t2 = time.perf_counter()
{query}
t3 = time.perf_counter()
rss = int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0]) * 1024
print(t1 - t0, t2 - t1, t3 - t2, len(r), rss)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    imp, opn, first, nres, rss = out.stdout.split()
    return {"import_s": float(imp), "open_s": float(opn), "first_query_s": float(first),
            "results": int(nres), "rss_bytes": int(rss)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--m", type=int, default=16)
    ap.add_argument("--ef-construction", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--systems", default="herondb,vctrs,zvec")
    ap.add_argument("--out", default=None, help="write the JSON results here")
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    data = rng.standard_normal((args.n, args.dim), dtype=np.float32)
    results = {}
    for system in args.systems.split(","):
        try:
            __import__(system)
        except ImportError as e:
            print(f"{system}: not installed ({e})")
            continue
        path = CACHE / f"open-{system}-{args.n}x{args.dim}-m{args.m}-efc{args.ef_construction}"
        build_s = build(system, path, data, args.m, args.ef_construction)
        disk = dir_bytes(path)
        warm = [time_open(system, path, args.dim) for _ in range(args.repeats)]
        cold = []
        if os.geteuid() == 0:
            for _ in range(args.repeats):
                drop_cache(path)
                cold.append(time_open(system, path, args.dim))
        med = lambda rs, k: statistics.median(r[k] for r in rs) if rs else None  # noqa: E731
        results[system] = {
            "build_s": build_s,
            "disk_bytes": disk,
            "disk_bytes_per_vector": disk / args.n,
            "warm_open_s": med(warm, "open_s"),
            "warm_open_plus_first_query_s": med(warm, "open_s") + med(warm, "first_query_s"),
            "cold_open_plus_first_query_s": (med(cold, "open_s") + med(cold, "first_query_s")) if cold else None,
            "rss_after_first_query_mib": med(warm, "rss_bytes") / 2**20,
        }
        print(system, json.dumps(results[system], indent=1), flush=True)
    print()
    print(f"| system | open + first query, warm (ms) | cold (ms) | disk bytes / vector | RSS after (MiB) |")
    print("| --- | --- | --- | --- | --- |")
    for s, r in results.items():
        cold = f"{r['cold_open_plus_first_query_s'] * 1e3:.1f}" if r["cold_open_plus_first_query_s"] else "n/a"
        print(f"| {s} | {r['warm_open_plus_first_query_s'] * 1e3:.1f} | {cold} | "
              f"{r['disk_bytes_per_vector']:.0f} | {r['rss_after_first_query_mib']:.0f} |")
    if args.out:
        Path(args.out).write_text(json.dumps({"config": vars(args), "results": results}, indent=1))


if __name__ == "__main__":
    main()
