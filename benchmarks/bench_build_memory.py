#!/usr/bin/env python3
"""Build peak memory: herondb (Database.add_many) against hnswlib (add_items).

Each system builds the same float32 data in its own subprocess. The figures
are measured over the loaded data: the baseline is the resident set once the
interpreter, the library, the vectors and the ids are in memory; the report
gives the peak (VmHWM) and the resident set after the build, each minus that
baseline, in MiB (bench_hnsw.py's proc_status_kib). Not run by CI.

    python benchmarks/bench_build_memory.py --n 100000 --dim 384
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_hnsw import proc_status_kib  # noqa: E402


def worker(args: argparse.Namespace) -> dict:
    data = np.random.default_rng(0).standard_normal((args.n, args.dim), dtype=np.float32)
    if args.system == "herondb":
        import herondb

        ids = [str(i) for i in range(args.n)]
        tmp = tempfile.mkdtemp(prefix="herondb-mem-")
        gc.collect()
        rss0 = proc_status_kib("VmRSS")
        # Start the peak here: the data's own generation may have peaked above.
        Path("/proc/self/clear_refs").write_text("5")
        hwm0 = proc_status_kib("VmHWM")
        db = herondb.Database(os.path.join(tmp, "db"), dim=args.dim, metric="cosine", m=args.m,
                              ef_construction=args.ef_construction)
        step = args.batch or args.n
        for lo in range(0, args.n, step):
            db.add_many(ids[lo:lo + step], data[lo:lo + step])
    else:
        import hnswlib

        labels = np.arange(args.n)
        gc.collect()
        rss0 = proc_status_kib("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")
        hwm0 = proc_status_kib("VmHWM")
        index = hnswlib.Index(space="cosine", dim=args.dim)
        index.init_index(max_elements=args.n, M=args.m, ef_construction=args.ef_construction)
        index.add_items(data, labels)
    rss1, hwm1 = proc_status_kib("VmRSS"), proc_status_kib("VmHWM")
    return {"system": args.system, "n": args.n, "dim": args.dim,
            "baseline_mib": rss0 / 1024, "hwm_at_baseline_mib": hwm0 / 1024,
            "peak_over_data_mib": (hwm1 - rss0) / 1024,
            "rss_after_build_over_data_mib": (rss1 - rss0) / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--m", type=int, default=16)
    ap.add_argument("--ef-construction", type=int, default=200)
    ap.add_argument("--batch", type=int, default=0, help="herondb add_many batch (0: one call)")
    ap.add_argument("--systems", default="herondb,hnswlib")
    ap.add_argument("--system", help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help="write the JSON results here")
    args = ap.parse_args()
    if args.system:
        print(json.dumps(worker(args)))
        return
    results = []
    for system in args.systems.split(","):
        cmd = [sys.executable, __file__, "--system", system, "--n", str(args.n), "--dim",
               str(args.dim), "--m", str(args.m), "--ef-construction", str(args.ef_construction),
               "--batch", str(args.batch)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), flush=True)
    print()
    print("| system | peak over the data (MiB) | RSS after the build over the data (MiB) |")
    print("| --- | --- | --- |")
    for r in results:
        print(f"| {r['system']} | {r['peak_over_data_mib']:.0f} | "
              f"{r['rss_after_build_over_data_mib']:.0f} |")
    if args.out:
        Path(args.out).write_text(json.dumps({"config": vars(args), "results": results}, indent=1))


if __name__ == "__main__":
    main()
