#!/usr/bin/env python3
"""HNSW benchmark: herondb against hnswlib (and faiss, usearch, vctrs, chromadb) on the same data.

All systems index the same vectors (by default the 100k x 384 all-MiniLM-L6-v2
stdlib set from ``datasets.py``) with M=16 and ef_construction=200, building on
two threads. For every ef_search in the sweep the script measures recall@10
against exact ground truth and queries per second in two modes:

* ``single``: one query per Python call, on one thread, 1000 calls in a loop;
* ``batch``: all queries in one call (herondb ``search_many``; hnswlib
  ``knn_query`` with ``num_threads``).

Systems: ``herondb``, ``hnswlib``, ``faiss-hnsw-flat`` (IndexHNSWFlat),
``faiss-hnsw-sq8`` (IndexHNSWSQ, 8-bit scalar quantizer), ``usearch`` (f32),
``vctrs`` and ``chromadb`` (PersistentClient). After the sweeps each system
saves its index where it can; the folder size is the disk footprint and the
time to open it again (in the same process, warm page cache) is the open time.
With ``--rounds R`` every system runs R times in its own process, in rotated
order, and the report shows medians plus the per-round values.

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
    python benchmarks/bench_hnsw.py --systems herondb hnswlib usearch --rounds 3 --plots docs/img
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import subprocess
import statistics
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
SYSTEMS = ("herondb", "herondb-sq8", "hnswlib", "faiss-hnsw-flat", "faiss-hnsw-sq8", "usearch",
           "vctrs", "chromadb")
K = 10
TARGET_RECALL = 0.95
DEFAULT_EF = 64  # herondb's default ef_search

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
# Adapters: a tiny common interface over the libraries
# --------------------------------------------------------------------------- #


@dataclass
class Adapter:
    """Build and query callables for one system, plus a few descriptive facts.

    ``save`` writes the index to its on-disk form and returns the folder or file
    whose size is the disk footprint; ``open`` loads that form again and returns
    an object to keep alive until the timing is read. Both are None for systems
    (or builds) without persistence. ``threads`` switches the number of threads
    a library uses internally (faiss OpenMP); None where threads are per call.
    """

    name: str
    version: str
    build: Callable[[np.ndarray], None]
    search_one: Callable[[np.ndarray, int], Any]
    search_batch: Callable[[np.ndarray, int], Any]
    ids_of_one: Callable[[Any], list[int]]
    ids_of_batch: Callable[[Any], list[list[int]]]
    extra: Callable[[], dict[str, Any]]
    close: Callable[[], None]
    save: Optional[Callable[[], Path]] = None
    open: Optional[Callable[[], Any]] = None
    threads: Optional[Callable[[int], None]] = None


HINTS = {
    "herondb": HERONDB_HINT,
    "hnswlib": HNSWLIB_HINT,
    "faiss": "faiss is not installed: pip install faiss-cpu",
    "usearch": "usearch is not installed: pip install usearch",
    "vctrs": "vctrs is not installed: pip install vctrs",
    "chromadb": "chromadb is not installed: pip install chromadb",
}


def import_system(module_name: str) -> Any:
    """Import a system's Python module, or stop with a message that says what to install."""
    import importlib

    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise SystemExit(f"error: {exc}\n{HINTS.get(module_name, '')}") from exc


def package_version(module: Any, dist: str) -> str:
    """Installed version of a distribution, falling back to the module's ``__version__``."""
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return str(getattr(module, "__version__", "unknown"))


def _unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (returned as is when they already are)."""
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    if np.all(np.abs(norms - 1.0) < 1e-4):
        return x
    return np.ascontiguousarray(x / np.maximum(norms, 1e-30), dtype=np.float32)


def make_hnswlib(dim: int, n: int, metric: str, m: int, efc: int, threads: int,
                 workdir: Path) -> Adapter:
    """hnswlib with the given parameters; single queries pinned to one thread."""
    hnswlib = import_system("hnswlib")
    space = {"cosine": "cosine", "euclidean": "l2"}[metric]
    index = hnswlib.Index(space=space, dim=dim)
    index.init_index(max_elements=n, ef_construction=efc, M=m, random_seed=100)
    state: dict[str, int] = {"ef": -1}
    path = workdir / "hnswlib.bin"

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

    def save() -> Path:
        index.save_index(str(path))
        return path

    def open_() -> Any:
        other = hnswlib.Index(space=space, dim=dim)
        other.load_index(str(path), max_elements=n)
        return other

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
        save=save,
        open=open_,
    )


def make_faiss(kind: str, dim: int, metric: str, m: int, efc: int, threads: int,
               workdir: Path) -> Adapter:
    """faiss IndexHNSWFlat (``kind='flat'``) or IndexHNSWSQ with 8-bit codes (``'sq'``).

    Cosine is inner product over unit vectors (queries are normalised per call
    when they are not unit length already). Threads are OpenMP threads: the
    given count for build and batches, one for single queries.
    """
    faiss = import_system("faiss")
    mt = faiss.METRIC_INNER_PRODUCT if metric == "cosine" else faiss.METRIC_L2
    if kind == "flat":
        index = faiss.IndexHNSWFlat(dim, m, mt)
    else:
        index = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_8bit, m, mt)
    index.hnsw.efConstruction = efc
    state: dict[str, Any] = {"ef": -1, "index": index}
    path = workdir / f"faiss-{kind}.index"
    prep = _unit_rows if metric == "cosine" else (lambda x: x)

    def set_ef(ef: int) -> None:
        if state["ef"] != ef:
            index.hnsw.efSearch = ef
            state["ef"] = ef

    def build(base: np.ndarray) -> None:
        faiss.omp_set_num_threads(threads)
        xb = prep(base)
        if not index.is_trained:
            index.train(xb)
        index.add(xb)

    def search_one(q: np.ndarray, ef: int) -> Any:
        set_ef(ef)
        return index.search(prep(q.reshape(1, -1)), K)[1]

    def search_batch(qs: np.ndarray, ef: int) -> Any:
        set_ef(ef)
        return index.search(prep(qs), K)[1]

    def save() -> Path:
        faiss.write_index(index, str(path))
        return path

    def open_() -> Any:
        return faiss.read_index(str(path))

    name = "faiss-hnsw-flat" if kind == "flat" else "faiss-hnsw-sq8"
    return Adapter(
        name=name,
        version=package_version(faiss, "faiss-cpu"),
        build=build,
        search_one=search_one,
        search_batch=search_batch,
        ids_of_one=lambda res: [int(x) for x in np.asarray(res).reshape(-1)],
        ids_of_batch=lambda res: np.asarray(res).astype(np.int64).tolist(),
        extra=lambda: {"ntotal": int(index.ntotal)},
        close=lambda: None,
        save=save,
        open=open_,
        threads=faiss.omp_set_num_threads,
    )


def make_usearch(dim: int, metric: str, m: int, efc: int, threads: int,
                 workdir: Path) -> Adapter:
    """usearch with float32 storage (its default may pick f16/bf16), M as connectivity."""
    usearch = import_system("usearch")
    from usearch.index import Index

    kind = {"cosine": "cos", "euclidean": "l2sq"}[metric]
    index = Index(ndim=dim, metric=kind, dtype="f32", connectivity=m, expansion_add=efc,
                  expansion_search=64)
    state: dict[str, int] = {"ef": 64}
    path = workdir / "usearch.index"

    def set_ef(ef: int) -> None:
        if state["ef"] != ef:
            index.expansion_search = ef
            state["ef"] = ef

    def build(base: np.ndarray) -> None:
        index.add(np.arange(len(base), dtype=np.uint64), base, threads=threads)

    def search_one(q: np.ndarray, ef: int) -> Any:
        set_ef(ef)
        return index.search(q, K, threads=1).keys

    def search_batch(qs: np.ndarray, ef: int) -> Any:
        set_ef(ef)
        return index.search(qs, K, threads=threads).keys

    def save() -> Path:
        index.save(str(path))
        return path

    def open_() -> Any:
        return Index.restore(str(path))

    return Adapter(
        name="usearch",
        version=package_version(usearch, "usearch"),
        build=build,
        search_one=search_one,
        search_batch=search_batch,
        ids_of_one=lambda res: [int(x) for x in np.asarray(res).reshape(-1)],
        ids_of_batch=lambda res: np.asarray(res).astype(np.int64).tolist(),
        extra=lambda: {"size": len(index), "dtype": str(index.dtype)},
        close=lambda: None,
        save=save,
        open=open_,
    )


def make_vctrs_like(module_name: str, dim: int, metric: str, m: int, efc: int, workdir: Path,
                    batch: int, ids: list[str], quantize: bool = False,
                    name: Optional[str] = None) -> Adapter:
    """herondb or vctrs (same Python API) through the public API, in a fresh directory.

    ``quantize=True`` (herondb-sq8) creates the database with SQ8 codes: the
    graph walk reads 1-byte codes and the final candidates are re-ranked with
    exact float32 distances, so recall is measured on exact results.

    Build threads are not part of the API; both use every hardware thread (two
    on the reference machine), and the worker's environment carries
    HERONDB_NUM_THREADS/OMP_NUM_THREADS/RAYON_NUM_THREADS.
    """
    mod = import_system(module_name)
    path = workdir / f"{module_name}-bench-db"
    if path.exists():
        shutil.rmtree(path)
    extra_args = {"quantize": True} if quantize else {}
    db = mod.Database(str(path), dim=dim, metric=metric, m=m, ef_construction=efc, **extra_args)
    persistent = {"ok": True}

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
        return info

    def save() -> Path:
        db.save()
        # One writer per database (herondb holds a lock): close before the
        # open-time measurement opens it again.
        if hasattr(db, "close"):
            db.close()
        return path

    def open_() -> Any:
        other = mod.Database(str(path))
        len(other)  # touch it so lazily opened state is counted
        return other

    def close() -> None:
        if hasattr(db, "close"):
            try:
                db.close()
            except Exception:
                pass
        shutil.rmtree(path, ignore_errors=True)

    return Adapter(
        name=name or module_name,
        version=package_version(mod, module_name),
        build=build,
        search_one=search_one,
        search_batch=search_batch,
        ids_of_one=lambda res: [int(r.id) for r in res],
        ids_of_batch=lambda res: [[int(r.id) for r in row] for row in res],
        extra=extra,
        close=close,
        save=save if persistent["ok"] else None,
        open=open_,
    )


def make_chromadb(dim: int, metric: str, m: int, efc: int, threads: int, workdir: Path,
                  ids: list[str]) -> Adapter:
    """chromadb PersistentClient with an HNSW configuration matching the others.

    Vectors go in through ``collection.add`` in chunks of the client's maximum
    batch size; ef_search is changed with ``collection.modify``.
    """
    chromadb = import_system("chromadb")
    from chromadb.config import Settings

    path = workdir / "chroma"
    settings = Settings(anonymized_telemetry=False, allow_reset=True)
    client = chromadb.PersistentClient(path=str(path), settings=settings)
    space = {"cosine": "cosine", "euclidean": "l2"}[metric]
    col = client.create_collection(
        "bench", embedding_function=None,
        configuration={"hnsw": {"space": space, "max_neighbors": m, "ef_construction": efc,
                                "ef_search": 64, "num_threads": threads}})
    state: dict[str, Any] = {"ef": 64, "col": col, "client": client}

    def set_ef(ef: int) -> None:
        # collection.modify() stores the new ef_search, but an HNSW segment that is
        # already loaded keeps the old one (chromadb 1.5: recall does not move).
        # Dropping the client's cached system and reopening makes it take effect;
        # this happens on the first, untimed, pass of each ef.
        if state["ef"] != ef:
            state["col"].modify(configuration={"hnsw": {"ef_search": ef}})
            state["client"].clear_system_cache()
            state["client"] = chromadb.PersistentClient(path=str(path), settings=settings)
            state["col"] = state["client"].get_collection("bench")
            state["ef"] = ef

    def build(base: np.ndarray) -> None:
        step = client.get_max_batch_size()
        for lo in range(0, len(base), step):
            col.add(ids=ids[lo:lo + step], embeddings=base[lo:lo + step])

    def search_one(q: np.ndarray, ef: int) -> Any:
        set_ef(ef)
        return state["col"].query(query_embeddings=q.reshape(1, -1), n_results=K,
                                  include=[])["ids"]

    def search_batch(qs: np.ndarray, ef: int) -> Any:
        set_ef(ef)
        return state["col"].query(query_embeddings=qs, n_results=K, include=[])["ids"]

    def save() -> Path:
        return path  # PersistentClient writes as it goes

    def open_() -> Any:
        other = chromadb.PersistentClient(path=str(path), settings=settings)
        c = other.get_collection("bench")
        c.query(query_embeddings=np.zeros((1, dim), dtype=np.float32) + 0.1, n_results=1,
                include=[])  # the HNSW segment is loaded on first use
        return other

    return Adapter(
        name="chromadb",
        version=package_version(chromadb, "chromadb"),
        build=build,
        search_one=search_one,
        search_batch=search_batch,
        ids_of_one=lambda res: [int(x) for x in res[0]],
        ids_of_batch=lambda res: [[int(x) for x in row] for row in res],
        extra=lambda: {"count": state["col"].count()},
        close=lambda: None,
        save=save,
        open=open_,
    )


def make_adapter(system: str, args: argparse.Namespace, dim: int, n: int, metric: str,
                 workdir: Path, str_ids: list[str]) -> Adapter:
    """The adapter for one entry of SYSTEMS."""
    m, efc, threads = args.m, args.ef_construction, args.threads
    if system == "hnswlib":
        return make_hnswlib(dim, n, metric, m, efc, threads, workdir)
    if system in ("herondb", "vctrs"):
        return make_vctrs_like(system, dim, metric, m, efc, workdir, args.herondb_batch, str_ids)
    if system == "herondb-sq8":
        return make_vctrs_like("herondb", dim, metric, m, efc, workdir, args.herondb_batch, str_ids,
                               quantize=True, name="herondb-sq8")
    if system == "faiss-hnsw-flat":
        return make_faiss("flat", dim, metric, m, efc, threads, workdir)
    if system == "faiss-hnsw-sq8":
        return make_faiss("sq", dim, metric, m, efc, threads, workdir)
    if system == "usearch":
        return make_usearch(dim, metric, m, efc, threads, workdir)
    if system == "chromadb":
        return make_chromadb(dim, metric, m, efc, threads, workdir, str_ids)
    raise ValueError(system)


MODULE_OF = {"herondb": "herondb", "herondb-sq8": "herondb", "hnswlib": "hnswlib", "faiss-hnsw-flat": "faiss",
             "faiss-hnsw-sq8": "faiss", "usearch": "usearch", "vctrs": "vctrs",
             "chromadb": "chromadb"}


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
        best = best_cpu = float("inf")
        for _ in range(repeats):
            c0 = time.process_time()
            t0 = time.perf_counter()
            for q in qlist:
                ad.search_one(q, ef)
            best = min(best, time.perf_counter() - t0)
            best_cpu = min(best_cpu, time.process_time() - c0)
        # qps_cpu: queries per second of process CPU time. On a loaded machine it is
        # less disturbed than wall-clock QPS (time spent waiting for a core is left out).
        rows.append({"ef": ef, "recall": recall, "qps": len(qlist) / best,
                     "qps_cpu": len(qlist) / max(best_cpu, 1e-9),
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
        best = best_cpu = float("inf")
        for _ in range(repeats):
            c0 = time.process_time()
            t0 = time.perf_counter()
            ad.search_batch(queries, ef)
            best = min(best, time.perf_counter() - t0)
            best_cpu = min(best_cpu, time.process_time() - c0)
        # qps_cpu here is per CPU-second summed over all threads (work, not speed).
        rows.append({"ef": ef, "recall": recall, "qps": len(queries) / best,
                     "qps_cpu": len(queries) / max(best_cpu, 1e-9)})
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
    import_system(MODULE_OF[args.worker])  # fail early; keep import costs out of the baseline
    ds = load_dataset(args)
    base = np.ascontiguousarray(ds.base, dtype=np.float32)
    queries = np.ascontiguousarray(ds.queries, dtype=np.float32)
    n, dim = base.shape
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="herondb-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    str_ids = [str(i) for i in range(n)] if args.worker in ("herondb", "herondb-sq8", "vctrs",
                                                            "chromadb") \
        else []

    # Baseline: interpreter, library, input vectors and ids are resident; the index is not.
    gc.collect()
    rss0, hwm0 = proc_status_kib("VmRSS"), proc_status_kib("VmHWM")
    ad = make_adapter(args.worker, args, dim, n, ds.metric, workdir, str_ids)
    log(f"{ad.name} {ad.version}: building {n} x {dim} ({ds.metric}), "
        f"M={args.m}, ef_construction={args.ef_construction}, threads={args.threads}")
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    ad.build(base)
    build_s = time.perf_counter() - t0
    build_cpu_s = time.process_time() - cpu0
    rss_built, hwm_built = proc_status_kib("VmRSS"), proc_status_kib("VmHWM")
    log(f"{ad.name} build: {build_s:.1f}s = {n / build_s:,.0f} vectors/s "
        f"(CPU {build_cpu_s:.1f}s), peak +{(hwm_built - hwm0) / 1024:.0f} MiB")
    extra = ad.extra()

    if ad.threads:
        ad.threads(1)
    single = sweep_single(ad, queries, ds.gt, args.ef, args.repeats)
    if ad.threads:
        ad.threads(args.threads)
    batch = sweep_batch(ad, queries, ds.gt, args.ef, args.repeats)
    hwm_end = proc_status_kib("VmHWM")

    persistence: dict[str, Any] = {}
    if ad.save is not None:
        try:
            t0 = time.perf_counter()
            target = ad.save()
            persistence["save_seconds"] = time.perf_counter() - t0
            persistence["disk_bytes"] = (dir_size_bytes(target) if target.is_dir()
                                         else target.stat().st_size)
            if ad.open is not None:
                gc.collect()
                t0 = time.perf_counter()
                handle = ad.open()
                persistence["open_seconds"] = time.perf_counter() - t0
                del handle
        except NotImplementedError as exc:
            persistence["error"] = f"not implemented: {str(exc).splitlines()[0][:160]}"
        except Exception as exc:  # a failed save/open is a finding, not a crash
            persistence["error"] = repr(exc)[:300]
        log(f"{ad.name} persistence: {persistence}")
    ad.close()
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        "system": ad.name,
        "version": ad.version,
        "n": n,
        "dim": dim,
        "build_seconds": build_s,
        "build_cpu_seconds": build_cpu_s,
        "build_vectors_per_s": n / build_s,
        "memory": {
            "baseline_rss_mib": rss0 / 1024,
            "baseline_hwm_mib": hwm0 / 1024,
            "peak_during_build_delta_mib": (hwm_built - hwm0) / 1024,
            "rss_after_build_delta_mib": (rss_built - rss0) / 1024,
            "peak_overall_delta_mib": (hwm_end - hwm0) / 1024,
        },
        "persistence": persistence,
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
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def fmt(x: Optional[float], spec: str) -> str:
    return "n/a" if x is None else format(x, spec)


def _median(xs: Sequence[float]) -> float:
    return float(statistics.median(xs))


def _median_opt(xs: Sequence[Optional[float]]) -> Optional[float]:
    vals = [x for x in xs if x is not None]
    return float(statistics.median(vals)) if vals else None


def aggregate(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median over rounds of one system's measurements, with the per-round values kept."""
    first = runs[0]
    out: dict[str, Any] = {k: first[k] for k in ("system", "version", "n", "dim", "extra")}
    out["rounds"] = len(runs)
    bps = [r["build_vectors_per_s"] for r in runs]
    out["build_vectors_per_s"] = _median(bps)
    out["build_vectors_per_s_all"] = bps
    out["build_seconds"] = _median([r["build_seconds"] for r in runs])
    out["build_cpu_seconds"] = _median([r.get("build_cpu_seconds", 0.0) for r in runs])
    out["build_vectors_per_cpu_s"] = _median([r["n"] / max(r.get("build_cpu_seconds", 0.0), 1e-9)
                                              for r in runs])
    out["memory"] = {key: _median([r["memory"][key] for r in runs]) for key in first["memory"]}
    pers: dict[str, Any] = {}
    for key in ("save_seconds", "disk_bytes", "open_seconds"):
        v = _median_opt([r.get("persistence", {}).get(key) for r in runs])
        if v is not None:
            pers[key] = v
    errs = {r.get("persistence", {}).get("error") for r in runs} - {None}
    if errs:
        pers["error"] = sorted(errs)[0]
    out["persistence"] = pers
    for mode in ("single", "batch"):
        rows = []
        for i, row in enumerate(first[mode]):
            qps = [r[mode][i]["qps"] for r in runs]
            rec = [r[mode][i]["recall"] for r in runs]
            rows.append({"ef": row["ef"], "recall": _median(rec), "qps": _median(qps),
                         "qps_all": qps, "recall_all": rec,
                         "spread": (max(qps) - min(qps)) / _median(qps)})
            if "qps_cpu" in row:
                rows[-1]["qps_cpu"] = _median([r[mode][i]["qps_cpu"] for r in runs])
        out[mode] = rows
    return out


def qps_at_ef(rows: list[dict[str, Any]], ef: int) -> Optional[dict[str, Any]]:
    for row in rows:
        if row["ef"] == ef:
            return row
    return None


def compare(results: dict[str, Any], raw: dict[str, list[dict[str, Any]]],
            default_ef: int) -> dict[str, Any]:
    """herondb against every other system: QPS ratios at recall >= target and at one ef."""
    ok = {s: r for s, r in results.items() if "error" not in r}
    out: dict[str, Any] = {"at_recall": {}, "vs": {}}
    for s, r in ok.items():
        out["at_recall"][s] = {mode: qps_at_recall(r[mode]) for mode in ("single", "batch")}
    if "herondb" not in ok:
        return out
    h = ok["herondb"]
    for s, r in ok.items():
        if s == "herondb":
            continue
        c: dict[str, Any] = {}
        for mode in ("single", "batch"):
            a, b = out["at_recall"]["herondb"][mode], out["at_recall"][s][mode]
            he, oe = qps_at_ef(h[mode], default_ef), qps_at_ef(r[mode], default_ef)
            c[mode] = {
                "ratio_interpolated": ratio(a["interpolated"], b["interpolated"]),
                "ratio_smallest_ef": ratio(a["smallest_ef"], b["smallest_ef"]),
                "herondb_ef": a["ef"], "other_ef": b["ef"],
                f"ratio_at_ef{default_ef}": ratio(he["qps"], oe["qps"]) if he and oe else None,
                f"recall_at_ef{default_ef}": [he["recall"], oe["recall"]] if he and oe else None,
            }
            # Same-round ratios: both workers ran back to back, so machine load is shared.
            per_round = []
            for hr, orr in zip(raw.get("herondb", []), raw.get(s, [])):
                x = ratio(qps_at_recall(hr[mode])["interpolated"],
                          qps_at_recall(orr[mode])["interpolated"])
                if x is not None:
                    per_round.append(x)
            c[mode]["ratio_interpolated_per_round"] = per_round
            if mode == "single" and all("qps_cpu" in x for x in h[mode] + r[mode]):
                cpu_rows = lambda rows: [{**x, "qps": x["qps_cpu"]} for x in rows]  # noqa: E731
                c[mode]["ratio_interpolated_cpu"] = ratio(
                    qps_at_recall(cpu_rows(h[mode]))["interpolated"],
                    qps_at_recall(cpu_rows(r[mode]))["interpolated"])
        c["build_ratio"] = ratio(h["build_vectors_per_s"], r["build_vectors_per_s"])
        c["build_ratio_cpu"] = ratio(h.get("build_vectors_per_cpu_s"),
                                     r.get("build_vectors_per_cpu_s"))
        c["build_ratio_per_round"] = [
            hr["build_vectors_per_s"] / orr["build_vectors_per_s"]
            for hr, orr in zip(raw.get("herondb", []), raw.get(s, []))]
        out["vs"][s] = c
    return out


def _mib(x: Optional[float]) -> str:
    return "n/a" if x is None else f"{x / 2**20:,.1f}"


def render_markdown(report: dict[str, Any]) -> str:
    """Human-readable tables of one benchmark run."""
    res = report["results"]
    cfg = report["config"]
    env = report["environment"]
    systems = [s for s in res if "error" not in res[s]]
    lines = [
        f"# HNSW benchmark: {report['name']}",
        "",
        f"Dataset: {cfg['dataset']} ({cfg['n']:,} x {cfg['dim']}, {cfg['metric']}), "
        f"{cfg['n_queries']:,} queries, recall@{K} against exact ground truth. "
        f"M={cfg['m']}, ef_construction={cfg['ef_construction']}, build and batch threads="
        f"{cfg['threads']}, single queries on one thread. Each system runs in its own process; "
        f"{cfg['rounds']} round(s), systems interleaved (rotated order) per round; within a "
        f"round each ef is timed {cfg['repeats']} times after a warm-up pass and the best pass "
        f"is kept; tables show the median over rounds.",
        "",
        f"Machine: {env['cpu']} ({env['cpus']} CPUs), Python {env['python']}, "
        f"{env['platform']}, commit {env['git_commit']}, {env['date']}"
        + (f", load average before the run {env['loadavg']}" if env.get("loadavg") else "")
        + ".",
        "",
        "## Build, memory, disk",
        "",
        "| system | version | build s | vectors/s (median) | vectors/s per round "
        "| vectors per CPU-second | peak RSS in build, MiB over baseline | RSS after build, MiB "
        "| disk MiB | open s |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for s in systems:
        r = res[s]
        mem, pers = r["memory"], r.get("persistence", {})
        per_round = ", ".join(f"{x:,.0f}" for x in r["build_vectors_per_s_all"])
        open_s = fmt(pers.get("open_seconds"), ".3f") if "error" not in pers \
            else "n/a (" + pers["error"][:60] + ")"
        lines.append(
            f"| {s} | {r['version']} | {r['build_seconds']:.1f} | "
            f"{r['build_vectors_per_s']:,.0f} | {per_round} | "
            f"{r.get('build_vectors_per_cpu_s', 0):,.0f} | "
            f"{mem['peak_during_build_delta_mib']:.0f} | {mem['rss_after_build_delta_mib']:.0f} | "
            f"{_mib(pers.get('disk_bytes'))} | {open_s} |")
    for s, r in res.items():
        if "error" in r:
            lines.append(f"| {s} | - | failed: {r['error'].splitlines()[0][:120]} "
                         f"| | | | | | | |")
    for mode, title in (("single", "Single queries (one Python call per query, one thread)"),
                        ("batch", f"Batch queries (all queries in one call, "
                                  f"{cfg['threads']} threads)")):
        lines += ["", f"## {title}", "", "recall@10 / QPS (median over rounds)", ""]
        lines += ["| ef |" + "".join(f" {s} |" for s in systems),
                  "|---:|" + "---:|" * len(systems)]
        for i, ef in enumerate(cfg["ef"]):
            cells = "".join(f" {res[s][mode][i]['recall']:.4f} / {res[s][mode][i]['qps']:,.0f} |"
                            for s in systems)
            lines.append(f"| {ef} |{cells}")
        if mode == "single" and all("qps_cpu" in res[s][mode][0] for s in systems):
            lines += ["", "Single queries per second of process CPU time (recall as above; "
                          "less disturbed by other load on the machine than wall-clock QPS):",
                      "", "| ef |" + "".join(f" {s} |" for s in systems),
                      "|---:|" + "---:|" * len(systems)]
            for i, ef in enumerate(cfg["ef"]):
                lines.append(f"| {ef} |" + "".join(f" {res[s][mode][i]['qps_cpu']:,.0f} |"
                                                   for s in systems))
        spreads = {s: max(row["spread"] for row in res[s][mode]) for s in systems}
        lines += ["", "Largest spread between rounds ((max - min) / median QPS over the ef "
                      "sweep): " + ", ".join(f"{s} {v:.0%}" for s, v in spreads.items()) + "."]
    cmp_ = report.get("comparison", {})
    lines += ["", f"## QPS at recall@10 >= {TARGET_RECALL}", "",
              "Linear interpolation in recall between the two swept ef values around the "
              "target; 'ef' is the smallest swept ef that reaches it.", "",
              "| system | single ef | single QPS | batch ef | batch QPS |",
              "|---|---:|---:|---:|---:|"]
    for s, per_mode in cmp_.get("at_recall", {}).items():
        a, b = per_mode["single"], per_mode["batch"]
        lines.append(f"| {s} | {a['ef'] or 'never'} | {fmt(a['interpolated'], ',.0f')} | "
                     f"{b['ef'] or 'never'} | {fmt(b['interpolated'], ',.0f')} |")
    if cmp_.get("vs"):
        d = cfg["default_ef"]
        lines += ["", "## herondb relative to each system (>1 means herondb is faster)", "",
                  f"| vs | single QPS ratio at recall {TARGET_RECALL} | per round "
                  f"| same, CPU-time QPS "
                  f"| batch QPS ratio at recall {TARGET_RECALL} | single ratio at ef={d} "
                  f"| batch ratio at ef={d} | build throughput ratio | per round "
                  f"| build, per CPU-second |",
                  "|---|---:|---|---:|---:|---:|---:|---:|---|---:|"]
        for s, c in cmp_["vs"].items():
            pr = ", ".join(f"{x:.2f}" for x in c["single"]["ratio_interpolated_per_round"])
            br = ", ".join(f"{x:.2f}" for x in c["build_ratio_per_round"])
            lines.append(
                f"| {s} | {fmt(c['single']['ratio_interpolated'], '.2f')} | {pr} | "
                f"{fmt(c['single'].get('ratio_interpolated_cpu'), '.2f')} | "
                f"{fmt(c['batch']['ratio_interpolated'], '.2f')} | "
                f"{fmt(c['single'][f'ratio_at_ef{d}'], '.2f')} | "
                f"{fmt(c['batch'][f'ratio_at_ef{d}'], '.2f')} | "
                f"{fmt(c['build_ratio'], '.2f')} | {br} | "
                f"{fmt(c.get('build_ratio_cpu'), '.2f')} |")
    lines.append("")
    return "\n".join(lines)


def run_parent(args: argparse.Namespace) -> int:
    """Run every requested system in its own worker process and write the report."""
    ds = load_dataset(args)  # builds the cache once, before any worker starts
    n, dim = ds.base.shape
    cfg = {"dataset": ds.name, "n": int(n), "dim": int(dim), "metric": ds.metric,
           "n_queries": int(len(ds.queries)), "m": args.m,
           "ef_construction": args.ef_construction, "threads": args.threads,
           "ef": list(args.ef), "repeats": args.repeats, "rounds": args.rounds,
           "herondb_batch": args.herondb_batch, "k": K, "default_ef": DEFAULT_EF}
    del ds
    env_info = environment()
    raw: dict[str, list[dict[str, Any]]] = {s: [] for s in args.systems}
    errors: dict[str, dict[str, Any]] = {}
    for rnd in range(args.rounds):
        shift = rnd % len(args.systems)
        order = list(args.systems[shift:]) + list(args.systems[:shift])
        for system in order:
            if system in errors:
                continue
            with tempfile.TemporaryDirectory(prefix="herondb-bench-",
                                             dir=args.tmpdir) as tmp:
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
                for var in ("OMP_NUM_THREADS", "HERONDB_NUM_THREADS", "RAYON_NUM_THREADS"):
                    env.setdefault(var, str(args.threads))
                log(f"round {rnd + 1}/{args.rounds}: starting worker for {system}")
                try:
                    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True,
                                          timeout=args.timeout)
                    rc, stdout = proc.returncode, proc.stdout
                except subprocess.TimeoutExpired:
                    rc, stdout = -1, f"worker timed out after {args.timeout}s"
                if rc == 0 and out.is_file():
                    raw[system].append(json.loads(out.read_text()))
                else:
                    msg = (stdout or "").strip() or f"worker exited with {rc}"
                    log(f"{system} failed: {msg}")
                    errors[system] = {"error": msg, "returncode": rc}

    results: dict[str, Any] = {}
    for s in args.systems:
        if raw[s]:
            results[s] = aggregate(raw[s])
        elif s in errors:
            results[s] = errors[s]
    report: dict[str, Any] = {"name": args.name, "config": cfg, "environment": env_info,
                              "results": results, "raw": raw}
    report["comparison"] = compare(results, raw, DEFAULT_EF)

    print(write_report(report, args.plots))
    vs = report["comparison"].get("vs", {}).get("hnswlib")
    if vs:
        print(f"at recall >= {TARGET_RECALL}: herondb single-query QPS / hnswlib single-query QPS"
              f" = {fmt(vs['single']['ratio_interpolated'], '.2f')} (interpolated), "
              f"{fmt(vs['single']['ratio_smallest_ef'], '.2f')} (smallest ef)")
        print(f"build throughput herondb / hnswlib = {fmt(vs['build_ratio'], '.2f')}")
    for s, r in results.items():
        if "error" in r:
            print(f"\n{s} was not benchmarked:\n{r['error']}", file=sys.stderr)
    return 0 if any("error" not in r for r in results.values()) else 1


def write_report(report: dict[str, Any], plots_dir: Optional[str]) -> str:
    """Write ``results/<name>.json`` and ``.md`` (and plots when asked); return the markdown."""
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / f"{report['name']}.json").write_text(json.dumps(report, indent=2) + "\n")
    md = render_markdown(report)
    (out_dir / f"{report['name']}.md").write_text(md)
    if plots_dir:
        try:
            import plots

            for path in plots.plot_report(report, Path(plots_dir)):
                log(f"wrote {path}")
        except ImportError as exc:
            log(f"no plots: {exc}")
    return md


def merge_reports(paths: Sequence[str], name: str, plots_dir: Optional[str]) -> int:
    """Combine reports of separate runs on the same dataset and parameters into one.

    Used when some systems ran with more rounds than others (e.g. herondb and
    hnswlib three times, the rest once); the merged report says so per system.
    """
    reports = [json.loads(Path(p).read_text()) for p in paths]
    base = dict(reports[0])
    for key in ("dataset", "n", "dim", "metric", "m", "ef_construction", "threads", "ef"):
        vals = {json.dumps(r["config"][key]) for r in reports}
        if len(vals) > 1:
            raise SystemExit(f"cannot merge: config {key} differs: {vals}")
    results: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    for r in reports:
        results.update(r["results"])
        raw.update(r.get("raw", {}))
    base["name"] = name
    base["results"] = results
    base["raw"] = raw
    base["config"] = dict(reports[0]["config"])
    base["config"]["rounds"] = " / ".join(
        f"{'+'.join(r['results'])}: {r['config']['rounds']}" for r in reports)
    base["merged_from"] = [{"name": r["name"], "environment": r["environment"],
                            "systems": list(r["results"])} for r in reports]
    base["comparison"] = compare(results, raw, DEFAULT_EF)
    print(write_report(base, plots_dir))
    return 0


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--systems", nargs="+", choices=SYSTEMS, default=["herondb", "hnswlib"],
                   help=f"any of {', '.join(SYSTEMS)} (default: herondb hnswlib)")
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
    p.add_argument("--rounds", type=int, default=1,
                   help="worker processes per system, interleaved; medians are reported")
    p.add_argument("--plots", default=None,
                   help="folder for PNG plots (e.g. docs/img); none when omitted")
    p.add_argument("--tmpdir", default=None, help="parent folder for the workers' index files")
    p.add_argument("--herondb-batch", type=int, default=0,
                   help="add_many batch size for herondb (0 = everything in one call)")
    p.add_argument("--timeout", type=int, default=3600, help="seconds allowed per worker")
    p.add_argument("--merge", nargs="+", metavar="REPORT_JSON",
                   help="merge finished reports (same dataset/parameters) into --name")
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
    if args.merge:
        return merge_reports(args.merge, args.name, args.plots)
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
