#!/usr/bin/env python3
"""Retrieval quality of vector, BM25 and hybrid search on labeled tasks built
offline from the benchmark corpus (the docstring chunks of
benchmarks/datasets.py, embedded with all-MiniLM-L6-v2).

Tasks, built by re-reading the standard library's function and method
docstrings and mapping their chunks to the corpus:

1. identifier: the words of a function's qualified name
   (``email.message.Message.get_payload`` -> "email message message get
   payload"); relevant: the corpus chunks of that function's docstring.
2. continuation: a docstring's first chunk (its first sentence, or first
   short paragraph); relevant: the docstring's other chunks. The query chunk
   itself is in the corpus and is removed from every result list.

Metrics: MRR@10 and recall@10 (the share of a query's relevant chunks in
its top 10), for vector-only (``search``), BM25-only (``search_text``),
hybrid RRF and hybrid weighted (alpha 0.5), each hybrid with its default
candidates per side. The corpus is the first N base chunks whose embeddings
exist (the MiniLM shards are built in order).

Usage: python benchmarks/bench_text_quality.py [--queries 400] [--out PATH]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Set, Tuple

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "python"))


def _bench_datasets() -> Any:
    """benchmarks/datasets.py under its own name (it would shadow the PyPI
    package "datasets" that sentence-transformers may import)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("herondb_bench_datasets", HERE / "datasets.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


D = _bench_datasets()

K = 10


def name_words(qualname: str) -> str:
    parts = re.split(r"[._]+", qualname)
    words: List[str] = []
    for p in parts:
        words += re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", p)
    return " ".join(w.lower() for w in words if w)


def functions_with_docstrings() -> List[Tuple[str, List[str]]]:
    """(qualified name, docstring chunks) of every stdlib function and method."""
    root = Path(D.sysconfig.get_paths()["stdlib"])
    out = []
    for path, (src, tree) in zip(D.stdlib_files(), D._parse_sources(D.stdlib_files())):
        if tree is None:
            continue
        rel = path.relative_to(root).with_suffix("")
        module = ".".join(p for p in rel.parts if p != "__init__")

        def walk(node: ast.AST, prefix: str) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.ClassDef):
                    walk(child, f"{prefix}.{child.name}")
                elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    doc = ast.get_docstring(child, clean=True)
                    if doc:
                        chunks = [c for c in D.split_into_chunks(doc) if D._plausible_text(c)]
                        out.append((f"{prefix}.{child.name}", chunks))

        walk(tree, module)
    return out


def build_tasks(base: List[str], n_queries: int) -> Dict[str, List[Dict[str, Any]]]:
    index = {t: i for i, t in enumerate(base)}
    ident, cont = [], []
    for qualname, chunks in functions_with_docstrings():
        ids = [index[c] for c in chunks if c in index]
        if not ids:
            continue
        if "test" not in qualname.lower() and len(qualname.split(".")) >= 2:
            ident.append({"query": name_words(qualname), "relevant": sorted(set(ids)),
                          "exclude": None, "name": qualname})
        if chunks and chunks[0] in index:
            rest = sorted(set(ids) - {index[chunks[0]]})
            if rest:
                cont.append({"query": chunks[0], "relevant": rest, "exclude": index[chunks[0]],
                             "name": qualname})
    rng = random.Random(3)
    # One query per distinct text (overloads share docstrings).
    out = {}
    for name, tasks in (("identifier", ident), ("continuation", cont)):
        seen: Set[str] = set()
        uniq = [t for t in tasks if not (t["query"] in seen or seen.add(t["query"]))]
        out[name] = rng.sample(uniq, min(n_queries, len(uniq)))
    return out


def metrics(ranked: List[List[int]], tasks: List[Dict[str, Any]]) -> Dict[str, float]:
    mrr = rec = 0.0
    for ids, t in zip(ranked, tasks):
        ids = [i for i in ids if i != t["exclude"]][:K]
        rel = set(t["relevant"])
        for rank, i in enumerate(ids, 1):
            if i in rel:
                mrr += 1 / rank
                break
        rec += len(rel & set(ids)) / len(rel)
    return {"mrr@10": mrr / len(tasks), "recall@10": rec / len(tasks)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    import herondb

    folder = D.cache_root() / "minilm-stdlib"
    data = json.loads((folder / "texts.json").read_text())
    if (folder / "base.npy").exists():
        vecs = np.load(folder / "base.npy")
    else:
        shards = sorted((folder / "shards").glob("shard_*.npy"))
        vecs = np.concatenate([np.load(s) for s in shards])[: len(data["base"])]
    n = len(vecs)
    base = data["base"][:n]
    D.log(f"corpus: the first {n} chunks (embedded)")
    tasks = build_tasks(base, args.queries)
    D.log({k: len(v) for k, v in tasks.items()})
    embedder = D.Embedder.load(threads=2)
    work = tempfile.mkdtemp(prefix="bench_text_quality_")
    report: Dict[str, Any] = {"corpus_chunks": n, "k": K, "tasks": {}}
    try:
        db = herondb.Database(os.path.join(work, "db"), dim=vecs.shape[1])
        db.add_many([str(i) for i in range(n)], vecs, [{"text": t} for t in base])
        db.create_text_index("text")
        for name, ts in tasks.items():
            queries = [t["query"] for t in ts]
            qv = embedder.encode(queries, 64)
            runs = {
                "vector": [db.search(qv[i], k=K + 1) for i in range(len(ts))],
                "bm25": [db.search_text(q, k=K + 1) for q in queries],
                "hybrid_rrf": db.hybrid_search_many(qv, queries, k=K + 1),
                "hybrid_weighted": db.hybrid_search_many(qv, queries, k=K + 1,
                                                         fusion="weighted", alpha=0.5),
            }
            report["tasks"][name] = {
                "queries": len(ts),
                "example": {"query": ts[0]["query"], "function": ts[0]["name"]},
                **{m: metrics([[int(r.id) for r in hits] for hits in res], ts)
                   for m, res in runs.items()},
            }
            D.log(f"{name}: {report['tasks'][name]}")
        db.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report, indent=2))
    if args.out:
        Path(args.out + ".json").write_text(json.dumps(report, indent=2) + "\n")
        lines = [f"# Retrieval quality on {n} docstring chunks (MiniLM + BM25)", "",
                 "| task | queries | method | MRR@10 | recall@10 |", "|---|---|---|---|---|"]
        for name, r in report["tasks"].items():
            for m in ("vector", "bm25", "hybrid_rrf", "hybrid_weighted"):
                lines.append(f"| {name} | {r['queries']} | {m} | {r[m]['mrr@10']:.3f} | "
                             f"{r[m]['recall@10']:.3f} |")
        Path(args.out + ".md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
