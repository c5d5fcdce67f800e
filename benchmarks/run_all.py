#!/usr/bin/env python3
"""Run the whole herondb benchmark suite with one command.

Steps (each skips work that is already cached):

1. build the datasets into ``$HERONDB_BENCH_CACHE`` (default ~/.cache/herondb-bench):
   the 100k x 384 all-MiniLM-L6-v2 set and a 100k x 128 Gaussian mixture;
2. benchmark every system on each dataset with ``bench_hnsw.py`` (each system in
   its own process, ``--rounds`` interleaved rounds, medians reported);
3. write ``benchmarks/results/<name>.json`` and ``.md`` per dataset and the
   PNG plots under ``docs/img/``;
4. measure the exact scan against the machine's memory read bandwidth with the
   C++ program ``benchmarks/cpp/scan_bandwidth.cc`` (1M x 384, one and all
   threads) into ``benchmarks/results/scan-bandwidth<suffix>.md``, when it
   is built (``-DHERONDB_BUILD_BENCHMARKS=ON``; ``--scan-binary`` points at
   it, else ``build-dev/`` and ``build/`` are tried); skipped otherwise.

Usage::

    python benchmarks/run_all.py                    # everything, 3 rounds
    python benchmarks/run_all.py --rounds 1 --datasets synthetic
    python benchmarks/run_all.py --systems herondb hnswlib

herondb is imported from wherever Python finds it; to benchmark a development
build, put its ``python/`` folder first on ``PYTHONPATH`` (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import bench_hnsw  # noqa: E402

SUITES = {
    # name: (dataset arguments for bench_hnsw.py, result name)
    "minilm": (["--dataset", "minilm"], "hnsw-minilm-100k"),
    "synthetic": (["--dataset", "synthetic", "--n", "100000", "--dim", "128",
                   "--clusters", "100", "--metric", "euclidean"], "hnsw-synthetic-100k-128"),
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", nargs="+", choices=list(SUITES), default=list(SUITES))
    p.add_argument("--systems", nargs="+", choices=bench_hnsw.SYSTEMS,
                   default=list(bench_hnsw.SYSTEMS))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--ef", type=int, nargs="+", default=list(bench_hnsw.DEFAULT_EFS))
    p.add_argument("--plots", default=str(ROOT / "docs" / "img"))
    p.add_argument("--suffix", default="", help="appended to result names (keeps committed ones)")
    p.add_argument("--dry-run", action="store_true", help="print the commands only")
    p.add_argument("--scan-binary", default=None, help="path of the built scan_bandwidth")
    p.add_argument("--no-scan", action="store_true", help="skip the scan-bandwidth step")
    args = p.parse_args(argv)

    status = 0
    for ds in args.datasets:
        ds_args, name = SUITES[ds]
        cmd = [sys.executable, str(HERE / "bench_hnsw.py"), *ds_args, "--name", name + args.suffix,
               "--systems", *args.systems, "--rounds", str(args.rounds),
               "--repeats", str(args.repeats), "--threads", str(args.threads),
               "--ef", *[str(e) for e in args.ef], "--plots", args.plots]
        print(f"[{time.strftime('%H:%M:%S')}] {' '.join(cmd)}", file=sys.stderr, flush=True)
        if args.dry_run:
            continue
        rc = subprocess.call(cmd)
        status = status or rc
    if not args.no_scan:
        status = run_scan(args) or status
    return status


def run_scan(args: argparse.Namespace) -> int:
    """Exact scan vs memory read bandwidth (issue 7), one and all threads."""
    candidates = [Path(args.scan_binary)] if args.scan_binary else [
        ROOT / "build-dev" / "scan_bandwidth", ROOT / "build" / "scan_bandwidth"]
    binary = next((c for c in candidates if c.is_file()), None)
    if binary is None:
        print("[run_all] scan_bandwidth not built (configure with -DHERONDB_BUILD_BENCHMARKS=ON); "
              "skipping the scan step", file=sys.stderr)
        return 0
    rows = []
    for threads in sorted({1, args.threads}):
        cmd = [str(binary), "--n", "1000000", "--dim", "384", "--reps", "5",
               "--threads", str(threads)]
        print(f"[{time.strftime('%H:%M:%S')}] {' '.join(cmd)}", file=sys.stderr, flush=True)
        if args.dry_run:
            continue
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            return out.returncode
        rows.append(out.stdout.strip())
    if args.dry_run:
        return 0
    text = "\n".join([
        f"Exact scan vs memory read bandwidth, same run ({time.strftime('%Y-%m-%d')}); "
        f"`{binary.name} --n 1000000 --threads T`, best of 5 alternating rounds.", "",
        "| block | threads | read GB/s | exact scan GB/s | scan/read | scans/s |",
        "|---|---|---|---|---|---|", *rows, ""])
    (HERE / "results" / f"scan-bandwidth{args.suffix}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
