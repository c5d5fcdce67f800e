#!/usr/bin/env python3
"""SQ8 benchmark: herondb float32 vs herondb quantized search, faiss IndexHNSWSQ,
and the memory that search keeps resident when the float32 pages start cold.

Speed and recall (default mode)
    One herondb database is built once and saved (``--db``; reused when it
    exists), so every measurement runs on the same graph. For every ef_search
    in the sweep, ``--rounds`` rounds each time float32 search (quantized
    search off) and quantized search (SQ8 codes for the traversal, exact
    float32 re-ranking of the code-distance candidates within 3 estimated
    error sds of the k-th, at least k+2) over the whole query set, one query per Python call on one
    thread, alternating which mode goes first; the table reports the median
    QPS of the rounds and the ratio of the medians. Recall@10 is against the
    exact ground truth (deterministic, so one pass). faiss ``IndexHNSWSQ``
    (QT_8bit, same M and efConstruction, same efSearch, one thread; no
    re-ranking, its distances are the quantized ones) runs in the same
    process when ``import faiss`` works. ``--rerank S,E[;S,E...]`` adds
    quantized rows with other re-rank bounds (S sds, floor k+E); ``S<0``
    means "re-rank every ef candidate".

Memory (``--memory``)
    Runs one fresh child process per mode (``f32``: the database opened and
    quantized search switched off, so the codes are dropped; ``sq8``: opened
    with its saved codes mapped). Each child opens the saved database, makes
    the snapshot file's pages cold (``posix_fadvise(POSIX_FADV_DONTNEED)`` on
    the snapshot after opening: opening reads every section to check its
    crc32c, which leaves the file in the page cache; the advice evicts the
    pages no process maps, and our vector and code blocks have no page
    mapped yet), checks with ``mincore`` that the vector block is (nearly)
    uncached, runs the query set once at ``--memory-ef``, and reads
    ``/proc/self/smaps``: the Rss of the vector-block mapping, of the
    code-block mapping, of anonymous memory (graph, ids, heap) and the
    process total, after 0, 100, 250, 500 and all queries. Both blocks are
    mappings of the snapshot file: the larger is the vector block, the other
    the codes; where the build copies the codes into memory at open instead,
    the code block counts as fully resident (stats' memory_quantized_bytes)
    and is also part of the anon Rss. The f32 child opens a database saved
    with quantize=True, whose vector block is mapped (a build that loads an
    unquantized database's vectors into memory at open makes float32 mode
    fully resident from the start, which only raises its side).

Memory limit (``--memory-limit``, root and cgroup v1 memory only)
    What search must keep resident, shown under pressure: each mode runs in
    a fresh child inside its own memory cgroup whose limit is the f32
    child's process memory without the float block, plus 0.45x the float32
    search data (float block + graph). Clean file pages (re-ranked float
    rows) are reclaimed when the limit is hit; anonymous memory cannot be
    (no swap). The child cycles the queries ``--memory-limit-passes`` times
    (each pass capped at ``--memory-limit-seconds``) and reports QPS of the
    last pass, recall and major page faults. f32
    search needs every float page, so under this limit it re-reads them from
    disk; SQ8 search should run at its unconstrained speed.

Data: ``base.npy``/``queries.npy``/``gt_<metric>.npy`` from ``--data``, or the
MiniLM folder ``~/.cache/herondb-bench/minilm-stdlib``. Not run by CI.
Usage::

    python benchmarks/bench_sq8.py --db ~/.cache/herondb-bench/dev-sq8-minilm --json out.json
    python benchmarks/bench_sq8.py --db ~/.cache/herondb-bench/dev-sq8-minilm --memory
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import mmap
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Optional

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_CACHE = Path(os.environ.get("HERONDB_BENCH_CACHE", Path.home() / ".cache/herondb-bench"))


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---- data -------------------------------------------------------------------


def exact_top_k(base: np.ndarray, queries: np.ndarray, k: int, metric: str) -> np.ndarray:
    """Exact neighbour ids (D2 semantics), in blocks of queries to bound memory."""
    b = base.astype(np.float32)
    if metric == "cosine":
        b = b / np.linalg.norm(b, axis=1, keepdims=True)
    sq = (b * b).sum(axis=1)
    out = np.empty((len(queries), k), dtype=np.int64)
    for start in range(0, len(queries), 256):
        q = queries[start:start + 256].astype(np.float32)
        score = sq[None, :] - 2.0 * (q @ b.T) if metric == "euclidean" else -(q @ b.T)
        part = np.argpartition(score, k, axis=1)[:, :k]
        order = np.take_along_axis(score, part, axis=1).argsort(axis=1, kind="stable")
        out[start:start + len(q)] = np.take_along_axis(part, order, axis=1)
    return out


def load_data(args: argparse.Namespace, need_base: bool = True):
    folder = Path(args.data).expanduser() if args.data else DEFAULT_CACHE / "minilm-stdlib"
    base = np.load(folder / "base.npy", mmap_mode="r")
    queries = np.ascontiguousarray(np.load(folder / "queries.npy")[: args.queries], np.float32)
    gt_path = folder / f"gt_{args.metric}.npy"
    gt = np.load(gt_path)[: len(queries), :10] if gt_path.is_file() else None
    if gt is None:
        log(f"computing exact {args.metric} ground truth for {len(queries)} queries")
        gt = exact_top_k(np.asarray(base), queries, 10, args.metric)
    if need_base:
        base = np.ascontiguousarray(base, dtype=np.float32)
    return folder.name, base, queries, gt


# ---- herondb database -------------------------------------------------------


def open_or_build(args, base: Optional[np.ndarray]):
    import herondb

    path = Path(args.db).expanduser()
    if (path / "CURRENT").is_file():
        return herondb.Database(str(path), read_only=False)
    log(f"building {path} (once; reused by later runs)")
    db = herondb.Database(str(path), dim=base.shape[1], metric=args.metric, m=args.m,
                          ef_construction=args.ef_construction, quantize=True)
    ids = [str(i) for i in range(len(base))]
    t0 = time.perf_counter()
    for start in range(0, len(base), 10000):
        db.add_many(ids[start:start + 10000], base[start:start + 10000])
    log(f"herondb build: {time.perf_counter() - t0:.1f} s")
    db.save()
    return db


def run_queries(search: Callable[[np.ndarray], list], queries: np.ndarray) -> tuple[list, float]:
    t0 = time.perf_counter()
    results = [search(q) for q in queries]
    return results, len(queries) / (time.perf_counter() - t0)


def recall_of(results: list, gt: np.ndarray) -> float:
    hits = sum(len(set(got) & set(truth.tolist())) for got, truth in zip(results, gt))
    return hits / (10 * len(gt))


def bench_speed(args, base, queries, gt, efs) -> list[dict]:
    db = open_or_build(args, base)
    reranks = [tuple(float(x) for x in r.split(",")) for r in args.rerank.split(";") if r]
    # Warm everything (float block, codes, graph) so no round pays first faults.
    db.enable_quantized_search()
    db.disable_quantized_search()
    rows = []

    def herondb_search(ef):
        return lambda q: [int(h.id) for h in db.search(q, k=10, ef_search=ef)]

    def set_mode(quantized: bool, rerank: Optional[tuple] = None) -> None:
        if quantized:
            db.enable_quantized_search()
            s_, e = rerank if rerank else (3.0, 2)
            db._set_quantized_rerank(s_ if s_ >= 0 else 1e30, int(e))
        else:
            db.disable_quantized_search()

    for ef in efs:
        qps: dict[str, list[float]] = {"herondb-f32": [], "herondb-sq8": []}
        recall = {}
        for rnd in range(args.rounds):
            order = (False, True) if rnd % 2 == 0 else (True, False)
            for quantized in order:
                name = "herondb-sq8" if quantized else "herondb-f32"
                set_mode(quantized)
                s = herondb_search(ef)
                for q in queries[:50]:
                    s(q)
                res, rate = run_queries(s, queries)
                qps[name].append(rate)
                recall.setdefault(name, recall_of(res, gt))
        for name in ("herondb-f32", "herondb-sq8"):
            rows.append({"system": name, "ef": ef, "recall": recall[name],
                         "qps": statistics.median(qps[name]), "qps_rounds": qps[name]})
        ratio = rows[-1]["qps"] / rows[-2]["qps"]
        rows[-1]["qps_ratio_vs_f32"] = ratio
        log(f"  ef={ef:<4} recall f32 {recall['herondb-f32']:.4f} sq8 {recall['herondb-sq8']:.4f}"
            f"  QPS f32 {rows[-2]['qps']:,.0f} sq8 {rows[-1]['qps']:,.0f}  x{ratio:.2f}"
            f"  rounds f32 {[round(x) for x in qps['herondb-f32']]}"
            f" sq8 {[round(x) for x in qps['herondb-sq8']]}")
        for rr in reranks:
            set_mode(True, rr)
            res, rate = run_queries(herondb_search(ef), queries)
            rows.append({"system": f"herondb-sq8-rerank{rr[0]:g},{rr[1]:g}", "ef": ef,
                         "recall": recall_of(res, gt), "qps": rate})
            log(f"    rerank {rr}: recall {rows[-1]['recall']:.4f} qps {rate:,.0f} (one pass)")
    db.close()
    return rows


def bench_faiss(args, base, queries, gt, efs) -> list[dict]:
    try:
        import faiss
    except ImportError:
        log("faiss not importable (pip install faiss-cpu): skipping IndexHNSWSQ")
        return []
    b, qs = base, queries
    if args.metric == "cosine":
        b = b / np.linalg.norm(b, axis=1, keepdims=True)
        qs = qs / np.linalg.norm(qs, axis=1, keepdims=True)
    b = np.ascontiguousarray(b, dtype=np.float32)
    qs = np.ascontiguousarray(qs, dtype=np.float32)
    metric = faiss.METRIC_L2 if args.metric == "euclidean" else faiss.METRIC_INNER_PRODUCT
    index = faiss.IndexHNSWSQ(base.shape[1], faiss.ScalarQuantizer.QT_8bit, args.m, metric)
    index.hnsw.efConstruction = args.ef_construction
    faiss.omp_set_num_threads(args.build_threads)
    t0 = time.perf_counter()
    index.train(b)
    index.add(b)
    log(f"faiss IndexHNSWSQ build: {time.perf_counter() - t0:.1f} s")
    faiss.omp_set_num_threads(1)
    rows = []
    for ef in efs:
        index.hnsw.efSearch = ef

        def search(q, index=index):
            return index.search(q[None, :], 10)[1][0].tolist()

        for q in qs[:50]:
            search(q)
        rates, res = [], None
        for _ in range(args.rounds):
            res, rate = run_queries(search, qs)
            rates.append(rate)
        rows.append({"system": "faiss-hnswsq8", "ef": ef, "recall": recall_of(res, gt),
                     "qps": statistics.median(rates), "qps_rounds": rates})
        log(f"  faiss ef={ef:<4} recall {rows[-1]['recall']:.4f} QPS {rows[-1]['qps']:,.0f}")
    return rows


# ---- memory -----------------------------------------------------------------

def snapshot_path(db_path: Path) -> Path:
    snaps = sorted(db_path.glob("snapshot-*.hdb"))
    if not snaps:
        raise SystemExit(f"{db_path}: no snapshot (save the database first)")
    return snaps[-1]


def smaps_by_mapping() -> list[dict]:
    """Every mapping of /proc/self/smaps: start, end, offset, path, rss (bytes)."""
    out, cur = [], None
    with open("/proc/self/smaps") as f:
        for line in f:
            head = line.split()
            if "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
                lo, hi = (int(x, 16) for x in head[0].split("-"))
                cur = {"start": lo, "end": hi, "offset": int(head[2], 16),
                       "path": head[5] if len(head) > 5 else "", "rss": 0}
                out.append(cur)
            elif head[0] == "Rss:" and cur is not None:
                cur["rss"] = int(head[1]) * 1024
    return out


def mincore_resident(start: int, length: int) -> int:
    """Bytes of [start, start+length) in the page cache / resident (mincore)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    page = mmap.PAGESIZE
    npages = (length + page - 1) // page
    vec = (ctypes.c_ubyte * npages)()
    if libc.mincore(ctypes.c_void_p(start), ctypes.c_size_t(length), vec) != 0:
        return -1
    return sum(v & 1 for v in vec) * page


def open_in_mode(args):
    """The saved database opened in the child's mode (f32: quantized search
    off, so the codes are dropped; sq8: its saved codes, re-rank bound
    --memory-rerank)."""
    import herondb

    db = herondb.Database(str(Path(args.db).expanduser()))
    if args.memory_child == "f32":
        db.disable_quantized_search()
    else:
        db.enable_quantized_search()  # no-op: the codes were restored from the snapshot
        s_, e = (float(x) for x in args.memory_rerank.split(","))
        db._set_quantized_rerank(s_ if s_ >= 0 else 1e30, int(e))
    return db


def evict_from_page_cache(path: Path) -> None:
    """Drops the file's pages that no process maps (POSIX_FADV_DONTNEED)."""
    fd = os.open(path, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)


def memory_child(args) -> dict:
    name, _, queries, gt = load_data(args, need_base=False)
    snap = snapshot_path(Path(args.db).expanduser())
    db = open_in_mode(args)
    st = db.stats()
    vec_bytes, code_bytes = st["memory_vectors_bytes"], st["memory_quantized_bytes"]
    snap_str = str(snap)
    if args.memory_advice_normal:
        # Undo the library's MADV_RANDOM hint on the vector block (to show
        # what read-ahead around each re-rank fault would cost).
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        m = max((m for m in smaps_by_mapping() if m["path"] == snap_str),
                key=lambda m: m["end"] - m["start"])
        libc.madvise(ctypes.c_void_p(m["start"]), ctypes.c_size_t(m["end"] - m["start"]), 0)
    evict_from_page_cache(snap)

    def blocks() -> dict:
        maps = sorted((m for m in smaps_by_mapping() if m["path"] == snap_str),
                      key=lambda m: m["end"] - m["start"], reverse=True)
        # The largest mapping of the snapshot is the vector block; the only
        # other one (quantized mode) is the code block. A code block copied
        # into memory at open (newer builds load it unless told to map it)
        # is no snapshot mapping: it is all resident, inside the anon Rss.
        vec, code = maps[:1], maps[1:]
        code_rss = sum(m["rss"] for m in code)
        if not code and args.memory_child == "sq8":
            code_rss = code_bytes
        total = sum(m["rss"] for m in smaps_by_mapping())
        anon = sum(m["rss"] for m in smaps_by_mapping() if m["path"] in ("", "[heap]"))
        v = vec[0] if vec else None
        return {
            "rss_total": total,
            "rss_vector_block": sum(m["rss"] for m in vec),
            "rss_code_block": code_rss,
            "code_block_mapped": bool(code),
            "rss_anon": anon,
            "vector_block_cached": mincore_resident(v["start"], vec_bytes) if v else -1,
            "snapshot_mappings": len(maps),
        }

    snaps = {"after_open": blocks()}
    ef = args.memory_ef
    hits = 0
    for i, q in enumerate(queries):
        got = [int(h.id) for h in db.search(q, k=10, ef_search=ef)]
        hits += len(set(got) & set(gt[i].tolist()))
        if i + 1 in (100, 250, 500) and i + 1 < len(queries):
            snaps[f"after_{i + 1}"] = blocks()
    snaps[f"after_{len(queries)}"] = blocks()
    # A second pass, pages now resident: the unconstrained speed.
    t0 = time.perf_counter()
    for q in queries:
        db.search(q, k=10, ef_search=ef)
    qps = len(queries) / (time.perf_counter() - t0)
    out = {"mode": args.memory_child, "ef": ef, "queries": len(queries), "qps": qps,
           "recall": hits / (10 * len(queries)), "vector_bytes": vec_bytes,
           "code_bytes": code_bytes, "graph_bytes": st["memory_graph_bytes"],
           "uses_quantized_search": st["uses_quantized_search"], "snapshots": snaps}
    db.close()
    return out


CGROUP_V1 = Path("/sys/fs/cgroup/memory")


def limit_child(args) -> dict:
    """Runs inside a memory cgroup: QPS of the last pass over the queries."""
    import resource

    _, _, queries, gt = load_data(args, need_base=False)
    db = open_in_mode(args)
    evict_from_page_cache(snapshot_path(Path(args.db).expanduser()))
    ef, qps, hits, done = args.memory_ef, 0.0, 0, 0
    majflt0 = resource.getrusage(resource.RUSAGE_SELF).ru_majflt
    for _ in range(args.memory_limit_passes):
        # A pass stops after --memory-limit-seconds (a thrashing f32 search
        # would take many minutes); QPS and recall cover what it completed.
        t = time.perf_counter()
        hits = done = 0
        for i, q in enumerate(queries):
            got = [int(h.id) for h in db.search(q, k=10, ef_search=ef)]
            hits += len(set(got) & set(gt[i].tolist()))
            done += 1
            if time.perf_counter() - t > args.memory_limit_seconds:
                break
        qps = done / (time.perf_counter() - t)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"mode": args.memory_child, "qps_last_pass": qps, "queries_last_pass": done,
            "recall": hits / (10 * max(done, 1)), "major_faults": usage.ru_majflt - majflt0}


def bench_memory_limit(args, free: dict) -> dict:
    """Each mode in a memory cgroup limited to 0.45x of f32's search data."""
    f = free["f32"]
    after = f["snapshots"][f"after_{f['queries']}"]
    search_f32 = after["rss_vector_block"] + f["graph_bytes"]
    rest = after["rss_total"] - after["rss_vector_block"]
    limit = int(rest + 0.45 * search_f32)
    out = {"limit_bytes": limit, "f32_search_data_bytes": search_f32,
           "process_without_float_block_bytes": rest}
    for mode in ("f32", "sq8"):
        cg = CGROUP_V1 / f"herondb-bench-{os.getpid()}-{mode}"
        cg.mkdir()
        try:
            (cg / "memory.limit_in_bytes").write_text(str(limit))
            cmd = [sys.executable, __file__, "--db", args.db, "--memory-child", mode,
                   "--memory-limit-child", "--memory-ef", str(args.memory_ef),
                   "--queries", str(args.queries), "--metric", args.metric,
                   "--memory-rerank", args.memory_rerank,
                   "--memory-limit-passes", str(args.memory_limit_passes),
                   "--memory-limit-seconds", str(args.memory_limit_seconds)]
            if args.data:
                cmd += ["--data", args.data]
            # Join the cgroup before Python starts, so all of it is charged there.
            run = subprocess.run(["sh", "-c", f'echo $$ > {cg}/cgroup.procs && exec "$@"', "sh",
                                  *cmd], capture_output=True, text=True)
            peak = int((cg / "memory.max_usage_in_bytes").read_text())
            if run.returncode != 0:
                out[mode] = {"error": f"exit {run.returncode}: {run.stderr[-300:]}"}
            else:
                out[mode] = json.loads(run.stdout)
            out[mode]["cgroup_peak_bytes"] = peak
        finally:
            cg.rmdir()
    mib = 1 / 2**20
    print(f"\nUnder a memory limit of {limit * mib:.1f} MiB (process without the float block "
          f"{rest * mib:.1f} MiB + 0.45 x f32 search data {search_f32 * mib:.1f} MiB), "
          f"{args.memory_limit_passes} passes at ef={args.memory_ef}:\n")
    print("| mode | QPS (last pass) | unconstrained QPS | recall@10 | major faults | cgroup peak MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for mode in ("f32", "sq8"):
        r = out[mode]
        if "error" in r:
            print(f"| {mode} | {r['error']} | | | | {r['cgroup_peak_bytes'] * mib:.1f} |")
            continue
        print(f"| {mode} | {r['qps_last_pass']:,.0f} | {free[mode].get('qps', float('nan')):,.0f} | "
              f"{r['recall']:.4f} | {r['major_faults']:,} | {r['cgroup_peak_bytes'] * mib:.1f} |")
    return out


def bench_memory(args) -> dict:
    results = {}
    for mode in ("f32", "sq8"):
        cmd = [sys.executable, __file__, "--db", args.db, "--memory-child", mode,
               "--memory-ef", str(args.memory_ef), "--queries", str(args.queries),
               "--metric", args.metric, "--memory-rerank", args.memory_rerank]
        if args.memory_advice_normal:
            cmd.append("--memory-advice-normal")
        if args.data:
            cmd += ["--data", args.data]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        results[mode] = json.loads(out.stdout)
    mib = 1 / 2**20
    print(f"\nMemory after queries at ef={args.memory_ef}, sq8 re-rank {args.memory_rerank}"
          f"{', MADV_NORMAL' if args.memory_advice_normal else ''} (fresh process per mode, "
          "snapshot pages evicted with POSIX_FADV_DONTNEED after open)\n")
    for mode, r in results.items():
        print(f"{mode}: recall@10 {r['recall']:.4f}, graph {r['graph_bytes'] / 2**20:.1f} MiB")
    print("| mode | after | float block Rss MiB | code block Rss MiB | anon Rss MiB | "
          "process Rss MiB | float block cached MiB |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for mode, r in results.items():
        for when, s in r["snapshots"].items():
            print(f"| {mode} | {when.replace('after_', '')} | {s['rss_vector_block'] * mib:.1f} | "
                  f"{s['rss_code_block'] * mib:.1f} | {s['rss_anon'] * mib:.1f} | "
                  f"{s['rss_total'] * mib:.1f} | {s['vector_block_cached'] * mib:.1f} |")
    print()
    for when in results["f32"]["snapshots"]:
        if when == "after_open":
            continue
        f, s = results["f32"]["snapshots"][when], results["sq8"]["snapshots"][when]
        idx_f = f["rss_vector_block"] + f["rss_code_block"] + results["f32"]["graph_bytes"]
        idx_s = s["rss_vector_block"] + s["rss_code_block"] + results["sq8"]["graph_bytes"]
        results.setdefault("ratios", {})[when] = {
            "search_data": idx_s / idx_f,
            "vector_plus_code_blocks": (s["rss_vector_block"] + s["rss_code_block"])
            / (f["rss_vector_block"] + f["rss_code_block"]),
            "process_rss": s["rss_total"] / f["rss_total"],
        }
        r = results["ratios"][when]
        print(f"{when}: sq8/f32 search data (vector+code block Rss + graph) {r['search_data']:.3f}; "
              f"vector+code blocks {r['vector_plus_code_blocks']:.3f}; "
              f"process Rss {r['process_rss']:.3f}")
    return results


# ---- main ---------------------------------------------------------------------


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", help="dataset folder (base.npy, queries.npy, gt_<metric>.npy)")
    p.add_argument("--db", default=str(DEFAULT_CACHE / "dev-sq8-minilm-m16-efc200"),
                   help="saved herondb database (built and saved here when missing)")
    p.add_argument("--metric", default="cosine", choices=("cosine", "euclidean", "dot_product"))
    p.add_argument("--queries", type=int, default=1000)
    p.add_argument("--efs", default="16,32,64,128")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--rerank", default="", help="extra re-rank bounds 'S,E;S,E' (S<0: all ef)")
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=200)
    p.add_argument("--build-threads", type=int, default=2, help="faiss build threads")
    p.add_argument("--no-faiss", action="store_true")
    p.add_argument("--json", help="write the rows (and memory results) here")
    p.add_argument("--memory", action="store_true", help="measure resident memory instead")
    p.add_argument("--memory-ef", type=int, default=64)
    p.add_argument("--memory-rerank", default="3,2",
                   help="re-rank bound S,E of the sq8 child (default: the library's)")
    p.add_argument("--memory-advice-normal", action="store_true",
                   help="madvise(MADV_NORMAL) the vector block (undo the random-access hint)")
    p.add_argument("--memory-limit", action="store_true",
                   help="with --memory: also run each mode under a cgroup memory limit")
    p.add_argument("--memory-limit-passes", type=int, default=3)
    p.add_argument("--memory-limit-seconds", type=float, default=20.0,
                   help="cap on each pass under the limit")
    p.add_argument("--memory-child", choices=("f32", "sq8"), help=argparse.SUPPRESS)
    p.add_argument("--memory-limit-child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.memory_child:
        print(json.dumps(limit_child(args) if args.memory_limit_child else memory_child(args)))
        return
    if args.memory:
        res = bench_memory(args)
        if args.memory_limit:
            res["limit"] = bench_memory_limit(args, res)
        if args.json:
            Path(args.json).write_text(json.dumps(res, indent=1))
        return
    efs = [int(x) for x in args.efs.split(",") if x]
    name, base, queries, gt = load_data(args)
    log(f"dataset {name}: {base.shape[0]} x {base.shape[1]}, {len(queries)} queries, "
        f"metric {args.metric}, {args.rounds} interleaved rounds")
    rows = bench_speed(args, base, queries, gt, efs)
    if not args.no_faiss:
        rows += bench_faiss(args, base, queries, gt, efs)
    print(f"\n{name}, metric {args.metric}, M={args.m}, ef_construction={args.ef_construction}, "
          f"k=10, single-query QPS on one thread, median of {args.rounds} rounds\n")
    print("| system | ef_search | recall@10 | QPS | QPS / f32 |")
    print("|---|---:|---:|---:|---:|")
    f32 = {r["ef"]: r["qps"] for r in rows if r["system"] == "herondb-f32"}
    for r in sorted(rows, key=lambda r: (r["ef"], r["system"])):
        print(f"| {r['system']} | {r['ef']} | {r['recall']:.4f} | {r['qps']:,.0f} | "
              f"{r['qps'] / f32[r['ef']]:.2f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"dataset": name, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
