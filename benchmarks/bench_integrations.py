#!/usr/bin/env python3
"""Ingest cost of the LangChain and LlamaIndex integrations against the plain API.

Adds the same N documents (default 10,000 x 384-d, unit-length random
vectors, a few metadata fields and a short text each) to a fresh herondb
database four ways, in the same process and run:

* ``plain``: ``Database.add_many(ids, vectors, metadatas)``, the metadata
  already holding the text (what the LangChain store writes);
* ``langchain``: ``HeronDBVectorStore.add_documents(docs, ids=...)`` with an
  Embeddings object that looks the precomputed vectors up (so embedding
  costs nothing and the figure is the integration's own overhead);
* ``plain-llama-layout``: ``add_many`` of the exact records the LlamaIndex
  store writes (LlamaIndex's metadata layout: the node as JSON under
  ``_node_content``, the ref-doc ids, the text);
* ``llama-index``: ``HeronDBVectorStore.add(nodes)`` with nodes that carry
  their embeddings.

Each way runs ``--repeats`` times, interleaved, each into a new database in a
temporary directory; the median wall and process CPU time are reported with
the ratio to ``plain``. Because a shared machine makes wall times noisy, each
integration also runs with the database writes replaced by no-ops: that
"conversion-only" time is the integration's own cost, measured directly.
Not run by CI. Goal (issue 13): each integration <= 1.3x ``plain``.

    python benchmarks/bench_integrations.py --n 10000 --dim 384 --repeats 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import numpy as np

import herondb

RESULTS = Path(__file__).resolve().parent / "results"


def corpus(n: int, dim: int, seed: int = 7) -> Dict[str, Any]:
    rng = np.random.default_rng(seed)
    vecs = rng.normal(size=(n, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    words = ["file", "read", "parse", "thread", "hash", "socket", "json", "path", "queue", "time"]
    texts = [f"doc {i}: " + " ".join(words[(i * 7 + j) % len(words)] for j in range(12)) for i in range(n)]
    metas = [{"source": f"m{i % 50}.py", "n": i, "top": words[i % len(words)]} for i in range(n)]
    ids = [f"doc-{i}" for i in range(n)]
    return {"ids": ids, "vecs": vecs, "texts": texts, "metas": metas}


def time_into_fresh_db(fn: Callable[[str], None]) -> Tuple[float, float]:
    """(wall seconds, process CPU seconds of all threads) of ``fn`` on a new database path."""
    root = tempfile.mkdtemp(prefix="herondb-bench-integ-")
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        fn(os.path.join(root, "db"))
        return time.perf_counter() - t0, time.process_time() - c0
    finally:
        shutil.rmtree(root, ignore_errors=True)


def conversion_only(fn: Callable[[str], None]) -> float:
    """Seconds ``fn`` spends outside the database writes (the integration's own work).

    ``upsert_many`` and ``add_many`` are replaced by no-ops for the call, so
    what is left is building the records: documents/nodes to ids, vectors
    and metadata. Measured single-threaded, so it is robust to machine load.
    """
    saved = {name: getattr(herondb.Database, name) for name in ("upsert_many", "add_many")}
    try:
        for name in saved:
            setattr(herondb.Database, name, lambda self, ids, vectors, metadatas=None: None)
        return time_into_fresh_db(fn)[1]
    finally:
        for name, real in saved.items():
            setattr(herondb.Database, name, real)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--name", default=None, help="results file stem (default integrations-<n>)")
    args = ap.parse_args()

    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    import langchain_core
    import llama_index.core
    from llama_index.core.schema import MetadataMode, TextNode
    from llama_index.core.vector_stores.utils import node_to_metadata_dict

    from herondb.langchain import HeronDBVectorStore as LCStore
    from herondb.llama_index import HeronDBVectorStore as LIStore

    data = corpus(args.n, args.dim)
    ids, vecs, texts, metas = data["ids"], data["vecs"], data["texts"], data["metas"]
    row_of = {t: i for i, t in enumerate(texts)}
    vec_lists = vecs.tolist()  # what a real embedding model hands LangChain: lists of floats

    class Lookup(Embeddings):
        def embed_documents(self, batch: List[str]) -> List[List[float]]:
            return [vec_lists[row_of[t]] for t in batch]

        def embed_query(self, text: str) -> List[float]:
            return vec_lists[row_of[text]]

    plain_metas = [{**m, "page_content": t} for m, t in zip(metas, texts)]
    docs = [Document(page_content=t, metadata=m) for t, m in zip(texts, metas)]
    nodes = [TextNode(text=t, id_=i, metadata=m, embedding=v) for i, t, m, v in zip(ids, texts, metas, vec_lists)]
    llama_metas = []
    for node in nodes:
        meta = node_to_metadata_dict(node, remove_text=True, flat_metadata=False)
        meta["text"] = node.get_content(metadata_mode=MetadataMode.NONE)
        llama_metas.append(meta)
    dim = args.dim

    def plain(path: str) -> None:
        with herondb.Database(path, dim=dim) as db:
            db.add_many(ids, vecs, plain_metas)

    def langchain(path: str) -> None:
        store = LCStore(Lookup(), path, dim=dim)
        store.add_documents(docs, ids=ids)
        store.__exit__(None, None, None)

    def plain_llama_layout(path: str) -> None:
        with herondb.Database(path, dim=dim) as db:
            db.add_many(ids, vecs, llama_metas)

    def llama(path: str) -> None:
        store = LIStore(path, dim=dim)
        store.add(nodes)
        store.persist()
        store.close()

    ways = {"plain": plain, "langchain": langchain, "plain-llama-layout": plain_llama_layout, "llama-index": llama}
    times: Dict[str, List[float]] = {w: [] for w in ways}
    cpu: Dict[str, List[float]] = {w: [] for w in ways}
    conv: Dict[str, List[float]] = {w: [] for w in ("langchain", "llama-index")}
    for rep in range(args.repeats):
        for name, fn in ways.items():
            wall, used = time_into_fresh_db(fn)
            times[name].append(wall)
            cpu[name].append(used)
        for name in conv:
            conv[name].append(conversion_only(ways[name]))
        print(f"repeat {rep + 1}: " + ", ".join(f"{w} {times[w][-1]:.2f}s" for w in ways)
              + "; conversion only: " + ", ".join(f"{w} {conv[w][-1]:.2f}s" for w in conv), flush=True)

    med = {w: statistics.median(t) for w, t in times.items()}
    med_cpu = {w: statistics.median(t) for w, t in cpu.items()}
    med_conv = {w: statistics.median(t) for w, t in conv.items()}
    out = {
        "n": args.n,
        "dim": args.dim,
        "repeats": args.repeats,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load average at the end "
                   f"{os.getloadavg()[0]:.1f}",
        "versions": {"herondb": herondb.__version__, "langchain-core": langchain_core.__version__,
                     "llama-index-core": llama_index.core.__version__},
        "seconds": times,
        "cpu_seconds": cpu,
        "conversion_seconds": conv,
        "median_seconds": med,
        "median_cpu_seconds": med_cpu,
        "median_conversion_seconds": med_conv,
        "ratio_to_plain": {w: med[w] / med["plain"] for w in ways},
        "cpu_ratio_to_plain": {w: med_cpu[w] / med_cpu["plain"] for w in ways},
        "conversion_over_plain_wall": {w: med_conv[w] / med["plain"] for w in conv},
        "ratio_llama_to_its_layout": med["llama-index"] / med["plain-llama-layout"],
    }
    default_stem = f"integrations-{args.n // 1000}k" if args.n % 1000 == 0 else f"integrations-{args.n}"
    stem = args.name or default_stem
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(json.dumps(out, indent=2) + "\n")
    lines = [
        f"Ingest through the integrations, {args.n:,} x {args.dim} documents, median of {args.repeats} "
        f"(interleaved, fresh database each, save included); {out['machine']}",
        "",
        "| way | wall s | x plain | CPU s | CPU x plain | conversion-only CPU s | docs/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for w in ways:
        c = f"{med_conv[w]:.2f}" if w in med_conv else "-"
        lines.append(f"| {w} | {med[w]:.2f} | {med[w] / med['plain']:.2f} | {med_cpu[w]:.2f} | "
                     f"{med_cpu[w] / med_cpu['plain']:.2f} | {c} | {args.n / med[w]:,.0f} |")
    lines += ["", f"llama-index vs add_many of its own records (wall): {out['ratio_llama_to_its_layout']:.2f}x",
              "conversion-only = the integration's own work (database writes replaced by no-ops), "
              "single-threaded; as a share of plain's wall time: "
              + ", ".join(f"{w} {v:.1%}" for w, v in out["conversion_over_plain_wall"].items()),
              f"versions: {out['versions']}"]
    (RESULTS / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
