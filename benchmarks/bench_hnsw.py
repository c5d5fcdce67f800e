#!/usr/bin/env python3
"""Foundation HNSW benchmark: herondb against hnswlib on the same data and parameters.

Both systems index the same vectors (by default the 100k x 384 all-MiniLM-L6-v2
stdlib set from ``datasets.py``) with M=16 and ef_construction=200, building on
two threads. For every ef_search in the sweep the script measures recall@10
against exact ground truth and queries per second in two modes:

* ``single``: one query per Python call, on one thread, 1000 calls in a loop;
* ``batch``: all queries in one call (herondb ``search_many``; hnswlib
  ``knn_query`` with ``num_threads``).

Each system runs in its own child process (the same script in ``--worker``
mode), so its peak resident memory can be read from ``/proc/self/status``
(VmHWM) against a baseline taken after the data is loaded. The parent gathers
the children's numbers, writes ``benchmarks/results/<name>.json`` and ``.md``,
and prints the headline ratios: herondb/hnswlib single-query QPS at
recall@10 >= 0.95 and the build-throughput ratio.

Usage::

    python benchmarks/bench_hnsw.py                       # both systems, MiniLM 100k
    python benchmarks/bench_hnsw.py --systems hnswlib     # one system only
    python benchmarks/bench_hnsw.py --dataset synthetic --n 20000 --dim 64 --name smoke
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import datasets  # noqa: E402  (sibling module, found through the path above)

DEFAULT_EFS = (10, 16, 24, 32, 48, 64, 96, 128, 200)
SYSTEMS = ("herondb", "hnswlib")
K = 10
TARGET_RECALL = 0.95

HERONDB_HINT = (
    "herondb is not importable. Build and install the package from the repository root\n"
    "(e.g. `pip install .`), then re-run; or pass --systems hnswlib to skip it."
)
HNSWLIB_HINT = "hnswlib is not installed: pip install hnswlib"


# --------------------------------------------------------------------------- #
# Process memory
# --------------------------------------------------------------------------- #


def proc_status_kib(field: str) -> int:
    """A ``/proc/self/status`` memory field (VmRSS, VmHWM, ...) in KiB; 0 if unavailable."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    if field == "VmHWM":
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return 0


def dir_size_bytes(path: Path) -> int:
    """Total size of the regular files under ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- #
# Adapters: a tiny common interface over the two libraries
# --------------------------------------------------------------------------- #


@dataclass
class Adapter:
    """Build and query callables for one system, plus a few descriptive facts."""

    name: str
    version: str
    build: Callable[[np.ndarray], None]
    search_one: Callable[[np.ndarray, int], Any]
    search_batch: Callable[[np.ndarray, int], Any]
    ids_of_one: Callable[[Any], list[int]]
    ids_of_batch: Callable[[Any], list[list[int]]]
    extra: Callable[[], dict[str, Any]]
    close: Callable[[], None]


def import_system(system: str) -> Any:
    """Import a system's Python module, or stop with a message that says what to install."""
    import importlib

    try:
        return importlib.import_module(system)
    except ImportError as exc:
        hint = HERONDB_HINT if system == "herondb" else HNSWLIB_HINT
        raise SystemExit(f"error: {exc}\n{hint}") from exc


def package_version(module: Any, dist: str) -> str:
    """Installed version of a distribution, falling back to the module's ``__version__``."""
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return str(getattr(module, "__version__", "unknown"))


def make_hnswlib(dim: int, n: int, metric: str, m: int, efc: int, threads: int) -> Adapter:
    """hnswlib with the given parameters; single queries pinned to one thread."""
    hnswlib = import_system("hnswlib")
    space = {"cosine": "cosine", "euclidean": "l2"}[metric]
    index = hnswlib.Index(space=space, dim=dim)
    index.init_index(max_elements=n, ef_construction=efc, M=m, random_seed=100)
    state: dict[str, int] = {"ef": -1}

    def set_ef(ef: int) -> None:
        if state["ef"] != ef:
            index.set_ef(ef)
            state["ef"] = ef

    def build(base: np.ndarray) -> None:
        index.add_items(base, np.arange(len(base)), num_threads=threads)

    def search_one(q: np.ndarray, ef: int) -> Any:
        set_ef(ef)
        return index.knn_query(q, k=K, num_threads=1)[0]

    def search_batch(qs: np.ndarray, ef: int) -> Any:
        set_ef(ef)
        return index.knn_query(qs, k=K, num_threads=threads)[0]

    return Adapter(
        name="hnswlib",
        version=package_version(hnswlib, "hnswlib"),
        build=build,
        search_one=search_one,
        search_batch=search_batch,
        ids_of_one=lambda res: [int(x) for x in np.asarray(res).reshape(-1)],
        ids_of_batch=lambda res: np.asarray(res).astype(np.int64).tolist(),
        extra=lambda: {"element_count": index.get_current_count()},
        close=lambda: None,
    )


def make_herondb(dim: int, metric: str, m: int, efc: int, workdir: Path, batch: int,
                 ids: list[str]) -> Adapter:
    """herondb through its public Python API, in a fresh database directory.

    Build threads are not part of the API; the machine has two cores and the
    worker's environment carries HERONDB_NUM_THREADS/OMP_NUM_THREADS.
    """
    herondb = import_system("herondb")
    path = workdir / "herondb-bench-db"
    if path.exists():
        shutil.rmtree(path)
    db = herondb.Database(str(path), dim=dim, metric=metric, m=m, ef_construction=efc)

    def build(base: np.ndarray) -> None:
        step = batch if batch > 0 else len(base)
        for lo in range(0, len(base), step):
            db.add_many(ids[lo:lo + step], base[lo:lo + step])

    def search_one(q: np.ndarray, ef: int) -> Any:
        return db.search(q, k=K, ef_search=ef)

    def search_batch(qs: np.ndarray, ef: int) -> Any:
        return db.search_many(qs, k=K, ef_search=ef)

    def extra() -> dict[str, Any]:
        info: dict[str, Any] = {}
        try:
            info["stats"] = db.stats()
        except Exception as exc:  # diagnostics only; never fail the run over them
            info["stats_error"] = repr(exc)
        if hasattr(db, "save"):
            t0 = time.perf_counter()
            try:
                db.save()
                info["save_seconds"] = round(time.perf_counter() - t0, 3)
            except Exception as exc:
                info["save_error"] = repr(exc)
        info["disk_bytes"] = dir_size_bytes(path) if path.exists() else None
        return info

    def close() -> None:
        if hasattr(db, "close"):
            try:
                db.close()
            except Exception:
                pass
        shutil.rmtree(path, ignore_errors=True)

    return Adapter(
        name="herondb",
        version=package_version(herondb, "herondb"),
        build=build,
        search_one=search_one,
        search_batch=search_batch,
        ids_of_one=lambda res: [int(r.id) for r in res],
        ids_of_batch=lambda res: [[int(r.id) for r in row] for row in res],
        extra=extra,
        close=close,
    )


# --------------------------------------------------------------------------- #
# Measurement
# --------------------------------------------------------------------------- #


def recall_at_k(found: Sequence[Sequence[int]], gt: np.ndarray, k: int = K) -> float:
    """Mean fraction of the true k nearest neighbours present in the returned k ids."""
    hits = 0
    for row, truth in zip(found, gt[:, :k]):
        hits += len(set(int(x) for x in row[:k]) & set(truth.tolist()))
    return hits / (k * len(gt))


def sweep_single(ad: Adapter, queries: np.ndarray, gt: np.ndarray, efs: Sequence[int],
                 repeats: int) -> list[dict[str, Any]]:
    """Per ef: one untimed pass (warm-up, gives recall), then the best of ``repeats`` timed passes."""
    rows = []
    qlist = [np.ascontiguousarray(q) for q in queries]
    for ef in efs:
        found = [ad.ids_of_one(ad.search_one(q, ef)) for q in qlist]
        recall = recall_at_k(found, gt)
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            for q in qlist:
                ad.search_one(q, ef)
            best = min(best, time.perf_counter() - t0)
        rows.append({"ef": ef, "recall": recall, "qps": len(qlist) / best,
                     "mean_latency_us": best / len(qlist) * 1e6})
        log(f"{ad.name} single ef={ef:<4d} recall@10={recall:.4f} qps={len(qlist) / best:,.0f}")
    return rows


def sweep_batch(ad: Adapter, queries: np.ndarray, gt: np.ndarray, efs: Sequence[int],
                repeats: int) -> list[dict[str, Any]]:
    """Like :func:`sweep_single` but the whole query matrix goes in one call."""
    rows = []
    for ef in efs:
        found = ad.ids_of_batch(ad.search_batch(queries, ef))
        recall = recall_at_k(found, gt)
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            ad.search_batch(queries, ef)
            best = min(best, time.perf_counter() - t0)
        rows.append({"ef": ef, "recall": recall, "qps": len(queries) / best})
        log(f"{ad.name} batch  ef={ef:<4d} recall@10={recall:.4f} qps={len(queries) / best:,.0f}")
    return rows


def log(msg: str) -> None:
    """Timestamped progress line on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def load_dataset(args: argparse.Namespace) -> datasets.Dataset:
    """The dataset named on the command line (building it into the cache if needed)."""
    if args.dataset == "minilm":
        return datasets.load_minilm(build=True)
    return datasets.load_synthetic(args.n, args.dim, args.clusters, args.seed,
                                   metric=args.metric)


def run_worker(args: argparse.Namespace) -> dict[str, Any]:
    """Benchmark one system in this process and return its measurements."""
    import_system(args.worker)  # fail early, and keep import costs out of the baseline
    ds = load_dataset(args)
    base = np.ascontiguousarray(ds.base, dtype=np.float32)
    queries = np.ascontiguousarray(ds.queries, dtype=np.float32)
    n, dim = base.shape
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="herondb-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    str_ids = [str(i) for i in range(n)] if args.worker == "herondb" else []

    # Baseline: interpreter, library, input vectors and ids are resident; the index is not.
    gc.collect()
    rss0, hwm0 = proc_status_kib("VmRSS"), proc_status_kib("VmHWM")
    if args.worker == "hnswlib":
        ad = make_hnswlib(dim, n, ds.metric, args.m, args.ef_construction, args.threads)
    else:
        ad = make_herondb(dim, ds.metric, args.m, args.ef_construction, workdir,
                          args.herondb_batch, str_ids)
    log(f"{ad.name} {ad.version}: building {n} x {dim} ({ds.metric}), "
        f"M={args.m}, ef_construction={args.ef_construction}, threads={args.threads}")
    t0 = time.perf_counter()
    ad.build(base)
    build_s = time.perf_counter() - t0
    rss_built, hwm_built = proc_status_kib("VmRSS"), proc_status_kib("VmHWM")
    log(f"{ad.name} build: {build_s:.1f}s = {n / build_s:,.0f} vectors/s, "
        f"peak +{(hwm_built - hwm0) / 1024:.0f} MiB")
    extra = ad.extra()

    single = sweep_single(ad, queries, ds.gt, args.ef, args.repeats)
    batch = sweep_batch(ad, queries, ds.gt, args.ef, args.repeats)
    hwm_end = proc_status_kib("VmHWM")
    ad.close()
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        "system": ad.name,
        "version": ad.version,
        "n": n,
        "dim": dim,
        "build_seconds": build_s,
        "build_vectors_per_s": n / build_s,
        "memory": {
            "baseline_rss_mib": rss0 / 1024,
            "baseline_hwm_mib": hwm0 / 1024,
            "peak_during_build_delta_mib": (hwm_built - hwm0) / 1024,
            "rss_after_build_delta_mib": (rss_built - rss0) / 1024,
            "peak_overall_delta_mib": (hwm_end - hwm0) / 1024,
        },
        "extra": extra,
        "single": single,
        "batch": batch,
    }


# --------------------------------------------------------------------------- #
# Parent: orchestrate workers, compare, report
# --------------------------------------------------------------------------- #


def qps_at_recall(rows: list[dict[str, Any]], target: float = TARGET_RECALL
                  ) -> dict[str, Optional[float]]:
    """QPS where recall first reaches ``target``, two ways.

    ``smallest_ef``: QPS of the smallest swept ef with recall >= target.
    ``interpolated``: QPS linearly interpolated in recall between that ef and
    the one before it (equal to ``smallest_ef`` when the first ef already
    reaches the target). Both are None when no ef reaches the target.
    """
    rows = sorted(rows, key=lambda r: r["ef"])
    for i, row in enumerate(rows):
        if row["recall"] >= target:
            if i == 0 or row["recall"] == rows[i - 1]["recall"]:
                interp = row["qps"]
            else:
                lo, hi = rows[i - 1], row
                frac = (target - lo["recall"]) / (hi["recall"] - lo["recall"])
                interp = lo["qps"] + frac * (hi["qps"] - lo["qps"])
            return {"ef": row["ef"], "smallest_ef": row["qps"], "interpolated": interp}
    return {"ef": None, "smallest_ef": None, "interpolated": None}


def ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    """a / b, or None when either is missing."""
    return a / b if a is not None and b else None


def environment() -> dict[str, Any]:
    """Machine and software facts worth keeping next to the numbers."""
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    commit = ""
    try:
        commit = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        pass
    return {"cpu": cpu, "cpus": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "platform": platform.platform(), "git_commit": commit,
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}


def fmt(x: Optional[float], spec: str) -> str:
    return "n/a" if x is None else format(x, spec)


def render_markdown(report: dict[str, Any]) -> str:
    """Human-readable tables of one benchmark run."""
    res = report["results"]
    systems = [s for s in ("herondb", "hnswlib") if s in res and "error" not in res[s]]
    cfg = report["config"]
    lines = [
        f"# HNSW benchmark: {report['name']}",
        "",
        f"Dataset: {cfg['dataset']} ({cfg['n']} x {cfg['dim']}, {cfg['metric']}), "
        f"{cfg['n_queries']} queries, recall@{K} against exact ground truth. "
        f"M={cfg['m']}, ef_construction={cfg['ef_construction']}, build threads={cfg['threads']}, "
        f"best of {cfg['repeats']} timed passes after a warm-up pass.",
        "",
        f"Machine: {report['environment']['cpu']} ({report['environment']['cpus']} CPUs), "
        f"Python {report['environment']['python']}, commit {report['environment']['git_commit']}, "
        f"{report['environment']['date']}.",
        "",
        "## Build and memory",
        "",
        "| system | version | build s | vectors/s | peak RSS during build (MiB over baseline) "
        "| RSS after build (MiB over baseline) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for s in systems:
        r = res[s]
        mem = r["memory"]
        lines.append(f"| {s} | {r['version']} | {r['build_seconds']:.1f} | "
                     f"{r['build_vectors_per_s']:,.0f} | {mem['peak_during_build_delta_mib']:.0f} | "
                     f"{mem['rss_after_build_delta_mib']:.0f} |")
    for s, r in res.items():
        if "error" in r:
            lines.append(f"| {s} | - | failed: {r['error'].splitlines()[0][:120]} | | | |")
    for mode, title in (("single", "Single queries (one Python call per query, one thread)"),
                        ("batch", f"Batch queries (one call, {cfg['threads']} threads)")):
        lines += ["", f"## {title}", ""]
        header = "| ef |" + "".join(f" {s} recall@10 | {s} QPS |" for s in systems)
        lines += [header, "|---:|" + "---:|---:|" * len(systems)]
        for i, ef in enumerate(cfg["ef"]):
            cells = "".join(f" {res[s][mode][i]['recall']:.4f} | {res[s][mode][i]['qps']:,.0f} |"
                            for s in systems)
            lines.append(f"| {ef} |{cells}")
    cmp_ = report.get("comparison", {})
    if cmp_ and "single" not in cmp_:
        lines += ["", f"## QPS at recall@10 >= {TARGET_RECALL}", ""]
        for key, per_mode in cmp_.items():
            for mode, c in per_mode.items():
                lines.append(f"- {key.split('_at_')[0]} {mode}: smallest ef={c['ef']}, "
                             f"QPS {fmt(c['smallest_ef'], ',.0f')} "
                             f"(interpolated {fmt(c['interpolated'], ',.0f')})")
    elif cmp_:
        lines += ["", f"## herondb vs hnswlib", ""]
        for mode in ("single", "batch"):
            c = cmp_.get(mode)
            if c:
                lines.append(
                    f"- {mode}: at recall@10 >= {TARGET_RECALL}: herondb/hnswlib QPS = "
                    f"{fmt(c['ratio_interpolated'], '.2f')} (interpolated), "
                    f"{fmt(c['ratio_smallest_ef'], '.2f')} (smallest ef reaching it: herondb "
                    f"ef={c['herondb']['ef']}, hnswlib ef={c['hnswlib']['ef']})")
        lines.append(f"- build throughput herondb/hnswlib = {fmt(cmp_.get('build_ratio'), '.2f')}")
    lines.append("")
    return "\n".join(lines)


def run_parent(args: argparse.Namespace) -> int:
    """Run every requested system in its own worker process and write the report."""
    ds = load_dataset(args)  # builds the cache once, before any worker starts
    n, dim = ds.base.shape
    cfg = {"dataset": ds.name, "n": int(n), "dim": int(dim), "metric": ds.metric,
           "n_queries": int(len(ds.queries)), "m": args.m,
           "ef_construction": args.ef_construction, "threads": args.threads,
           "ef": list(args.ef), "repeats": args.repeats, "herondb_batch": args.herondb_batch,
           "k": K}
    del ds
    results: dict[str, Any] = {}
    for system in args.systems:
        with tempfile.TemporaryDirectory(prefix="herondb-bench-") as tmp:
            out = Path(tmp) / "result.json"
            cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", system,
                   "--worker-out", str(out), "--workdir", str(Path(tmp) / "work"),
                   "--dataset", args.dataset, "--n", str(args.n), "--dim", str(args.dim),
                   "--clusters", str(args.clusters), "--seed", str(args.seed),
                   "--metric", args.metric, "--m", str(args.m),
                   "--ef-construction", str(args.ef_construction),
                   "--threads", str(args.threads), "--repeats", str(args.repeats),
                   "--herondb-batch", str(args.herondb_batch),
                   "--ef", *[str(e) for e in args.ef]]
            env = dict(os.environ)
            env.setdefault("OMP_NUM_THREADS", str(args.threads))
            env.setdefault("HERONDB_NUM_THREADS", str(args.threads))
            log(f"starting worker for {system}")
            proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True,
                                  timeout=args.timeout)
            if proc.returncode == 0 and out.is_file():
                results[system] = json.loads(out.read_text())
            else:
                msg = (proc.stdout or "").strip() or f"worker exited with {proc.returncode}"
                log(f"{system} failed: {msg}")
                results[system] = {"error": msg, "returncode": proc.returncode}

    report: dict[str, Any] = {"name": args.name, "config": cfg, "environment": environment(),
                              "results": results}
    ok = {s: r for s, r in results.items() if "error" not in r}
    if "herondb" in ok and "hnswlib" in ok:
        comparison: dict[str, Any] = {}
        for mode in ("single", "batch"):
            h, l = qps_at_recall(ok["herondb"][mode]), qps_at_recall(ok["hnswlib"][mode])
            comparison[mode] = {
                "herondb": h, "hnswlib": l,
                "ratio_interpolated": ratio(h["interpolated"], l["interpolated"]),
                "ratio_smallest_ef": ratio(h["smallest_ef"], l["smallest_ef"]),
            }
        comparison["build_ratio"] = ratio(ok["herondb"]["build_vectors_per_s"],
                                          ok["hnswlib"]["build_vectors_per_s"])
        report["comparison"] = comparison
    else:
        report["comparison"] = {}
        for s, r in ok.items():
            report["comparison"][f"{s}_at_recall_{TARGET_RECALL}"] = {
                mode: qps_at_recall(r[mode]) for mode in ("single", "batch")}

    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / f"{args.name}.json").write_text(json.dumps(report, indent=2) + "\n")
    md = render_markdown(report)
    (out_dir / f"{args.name}.md").write_text(md)
    print(md)
    if "comparison" in report and "single" in report["comparison"]:
        c = report["comparison"]
        print(f"at recall >= {TARGET_RECALL}: herondb single-query QPS / hnswlib single-query QPS"
              f" = {fmt(c['single']['ratio_interpolated'], '.2f')} (interpolated), "
              f"{fmt(c['single']['ratio_smallest_ef'], '.2f')} (smallest ef)")
        print(f"build throughput herondb / hnswlib = {fmt(c['build_ratio'], '.2f')}")
    for s, r in results.items():
        if "error" in r:
            print(f"\n{s} was not benchmarked:\n{r['error']}", file=sys.stderr)
    return 0 if ok else 1


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS))
    p.add_argument("--name", default=None,
                   help="result file stem under benchmarks/results (default: hnsw-<dataset>)")
    p.add_argument("--dataset", choices=("minilm", "synthetic"), default="minilm")
    p.add_argument("--n", type=int, default=100_000, help="synthetic: number of base vectors")
    p.add_argument("--dim", type=int, default=128, help="synthetic: dimension")
    p.add_argument("--clusters", type=int, default=100, help="synthetic: mixture components")
    p.add_argument("--seed", type=int, default=0, help="synthetic: random seed")
    p.add_argument("--metric", choices=("euclidean", "cosine"), default="euclidean",
                   help="synthetic: metric (MiniLM is always cosine)")
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=200)
    p.add_argument("--threads", type=int, default=2, help="build and batch-search threads")
    p.add_argument("--ef", type=int, nargs="+", default=list(DEFAULT_EFS))
    p.add_argument("--repeats", type=int, default=3, help="timed passes per ef; best is kept")
    p.add_argument("--herondb-batch", type=int, default=0,
                   help="add_many batch size for herondb (0 = everything in one call)")
    p.add_argument("--timeout", type=int, default=3600, help="seconds allowed per worker")
    p.add_argument("--worker", choices=SYSTEMS, help=argparse.SUPPRESS)
    p.add_argument("--worker-out", help=argparse.SUPPRESS)
    p.add_argument("--workdir", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.name is None:
        args.name = "hnsw-minilm-100k" if args.dataset == "minilm" else \
            f"hnsw-synthetic-{args.n}x{args.dim}"
    return args


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    if args.worker:
        try:
            result = run_worker(args)
        except SystemExit as exc:
            # Missing library: say why on stdout so the parent can report it.
            print(str(exc.code) if exc.code is not None else "worker stopped")
            return 2
        Path(args.worker_out).write_text(json.dumps(result))
        return 0
    return run_parent(args)


if __name__ == "__main__":
    sys.exit(main())
