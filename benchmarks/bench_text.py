#!/usr/bin/env python3
"""BM25 text search: herondb against tantivy, bm25s, zvec and LanceDB.

Corpus: the 100,000 docstring/comment chunks the vector benchmarks embed
(``python benchmarks/datasets.py minilm`` caches them in
~/.cache/herondb-bench/minilm-stdlib/texts.json). Two query sets:

* ``long``: the 1,000 held-out chunks (about 12 words each, OR semantics);
* ``short``: three words drawn (seeded) from each held-out chunk.

For each system: index build time (wall and process CPU) and single-query
top-10 QPS, queries issued one after another from one Python thread, each
returning the ids of its hits. English analysis as close as each allows:

* herondb: Unicode words, case folding, 33 English stop words, Porter2.
* tantivy: tokenizer ``en_stem`` (simple tokenizer, lower case, Snowball
  English stemmer; no stop words), BM25 with its own k1=1.2, b=0.75;
  queries through ``parse_query_lenient`` (OR of the terms).
* bm25s: its regex tokenizer, English stop words, PyStemmer English
  (Snowball = Porter2), method "lucene", k1=1.2, b=0.75; query tokenization
  in Python counts toward its query time.
* zvec: FTS index, tokenizer ``standard`` with ``lowercase`` and
  ``stemmer`` filters (no stop words), ``match_string`` (OR).
* LanceDB: native FTS index (``use_tantivy=False``), English stemming,
  stop words removed, lower case.

Also: hybrid latency (``hybrid_search`` vs ``search`` + ``search_text`` one
after the other) when the MiniLM embeddings are present, and (``--quality``)
bench_text_quality.py's labeled tasks.

Usage:  python benchmarks/bench_text.py [--systems herondb,tantivy,...]
        [--n 100000] [--out benchmarks/results/text-minilm-100k]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "python"))


def _bench_datasets() -> Any:
    """benchmarks/datasets.py under its own name (LanceDB imports the PyPI
    package "datasets", which the file name would shadow)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("herondb_bench_datasets", HERE / "datasets.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


cache_root = _bench_datasets().cache_root

K = 10


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime


def load_texts() -> Dict[str, Any]:
    path = cache_root() / "minilm-stdlib" / "texts.json"
    if not path.exists():
        sys.exit(f"{path} is missing: run python benchmarks/datasets.py minilm first")
    return json.loads(path.read_text())


def query_sets(queries: List[str]) -> Dict[str, List[str]]:
    rng = random.Random(7)
    short = []
    for q in queries:
        words = [w for w in re.findall(r"[A-Za-z]{3,}", q)]
        short.append(" ".join(rng.sample(words, min(3, len(words)))) if words else q)
    return {"long": queries, "short": short}


# --------------------------------------------------------------------------- systems


class System:
    name = ""

    def build(self, texts: List[str], workdir: str) -> None:
        raise NotImplementedError

    def search(self, query: str) -> List[int]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class Herondb(System):
    name = "herondb"

    def __init__(self) -> None:
        import herondb

        self.herondb = herondb
        self.add_seconds = 0.0

    def build(self, texts: List[str], workdir: str) -> None:
        db = self.herondb.Database(os.path.join(workdir, "db"), dim=8, metric="euclidean")
        vecs = np.random.default_rng(0).random((len(texts), 8), dtype=np.float32)
        t = time.perf_counter()
        db.add_many([str(i) for i in range(len(texts))], vecs, [{"text": x} for x in texts])
        self.add_seconds = time.perf_counter() - t
        self.build_start = (time.perf_counter(), cpu_seconds())
        db.create_text_index("text")
        self.db = db

    def search(self, query: str) -> List[int]:
        try:
            return [int(r.id) for r in self.db.search_text(query, k=K)]
        except ValueError:  # empty query
            return []

    def close(self) -> None:
        self.db.close()


class Tantivy(System):
    name = "tantivy"

    def build(self, texts: List[str], workdir: str) -> None:
        import tantivy

        sb = tantivy.SchemaBuilder()
        sb.add_text_field("text", stored=False, tokenizer_name="en_stem")
        sb.add_integer_field("id", stored=True, indexed=False, fast=True)
        self.index = tantivy.Index(sb.build(), path=workdir)
        w = self.index.writer(heap_size=256 << 20, num_threads=1)
        for i, t in enumerate(texts):
            w.add_document(tantivy.Document(id=i, text=t))
        w.commit()
        w.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()

    def search(self, query: str) -> List[int]:
        q, _errors = self.index.parse_query_lenient(query, ["text"])
        hits = self.searcher.search(q, K).hits
        return [self.searcher.doc(addr)["id"][0] for _score, addr in hits]


class Bm25s(System):
    name = "bm25s"

    def build(self, texts: List[str], workdir: str) -> None:
        import bm25s
        import Stemmer

        self.bm25s = bm25s
        self.stemmer = Stemmer.Stemmer("english")
        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=self.stemmer, show_progress=False)
        self.retriever = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
        self.retriever.index(tokens, show_progress=False)
        self.vocab = tokens.vocab

    def search(self, query: str) -> List[int]:
        toks = self.bm25s.tokenize([query], stopwords="en", stemmer=self.stemmer,
                                   show_progress=False, return_ids=False)
        words = [w for w in toks[0] if w in self.vocab]
        if not words:
            return []
        docs, scores = self.retriever.retrieve([words], k=K, show_progress=False, n_threads=1)
        return [int(d) for d, s in zip(docs[0], scores[0]) if s > 0]


class Zvec(System):
    name = "zvec"

    def build(self, texts: List[str], workdir: str) -> None:
        import zvec

        self.zvec = zvec
        schema = zvec.CollectionSchema(name="c", fields=[zvec.FieldSchema(
            "text", zvec.DataType.STRING,
            index_param=zvec.FtsIndexParam(tokenizer_name="standard",
                                           filters=["lowercase", "stemmer"]))])
        self.col = zvec.create_and_open(os.path.join(workdir, "c"), schema)
        for lo in range(0, len(texts), 1000):
            self.col.insert([zvec.Doc(id=str(i), fields={"text": texts[i]})
                             for i in range(lo, min(len(texts), lo + 1000))])
        try:
            self.col.optimize()
        except Exception:  # noqa: BLE001 (older versions have no optimize())
            pass

    def search(self, query: str) -> List[int]:
        res = self.col.query(self.zvec.Query(field_name="text", fts=self.zvec.Fts(match_string=query)),
                             topk=K, output_fields=[])
        return [int(d.id) for d in res]


class Lance(System):
    name = "lancedb"

    def build(self, texts: List[str], workdir: str) -> None:
        import lancedb
        import pyarrow as pa

        db = lancedb.connect(workdir)
        table = pa.table({"id": pa.array(range(len(texts)), pa.int64()), "text": texts})
        self.tbl = db.create_table("t", data=table)
        self.tbl.create_fts_index("text", use_tantivy=False, language="English", stem=True,
                                  remove_stop_words=True, lower_case=True)

    def search(self, query: str) -> List[int]:
        from lancedb.query import MatchQuery

        # A MatchQuery, so quotes and operators in the text are plain words.
        rows = (self.tbl.search(MatchQuery(query, "text"), query_type="fts").limit(K)
                .select(["id"]).to_arrow())
        return rows.column("id").to_pylist()


SYSTEMS: Dict[str, Callable[[], System]] = {
    "herondb": Herondb, "tantivy": Tantivy, "bm25s": Bm25s, "zvec": Zvec, "lancedb": Lance,
}


def run_system(name: str, texts: List[str], qsets: Dict[str, List[str]]) -> Dict[str, Any]:
    sys_ = SYSTEMS[name]()
    workdir = tempfile.mkdtemp(prefix=f"bench_text_{name}_")
    out: Dict[str, Any] = {"system": name}
    try:
        t0, c0 = time.perf_counter(), cpu_seconds()
        sys_.build(texts, workdir)
        t1, c1 = time.perf_counter(), cpu_seconds()
        if isinstance(sys_, Herondb):
            # The text index alone (the records were added before).
            t0, c0 = sys_.build_start
            out["add_many_seconds"] = sys_.add_seconds
        out["build_seconds"] = t1 - t0
        out["build_cpu_seconds"] = c1 - c0
        results: Dict[str, List[List[int]]] = {}
        for qname, qs in qsets.items():
            for q in qs[:50]:  # warm up
                sys_.search(q)
            t = time.perf_counter()
            c = cpu_seconds()
            res = [sys_.search(q) for q in qs]
            dt, dc = time.perf_counter() - t, cpu_seconds() - c
            out[f"qps_{qname}"] = len(qs) / dt
            out[f"cpu_qps_{qname}"] = len(qs) / dc if dc > 0 else None
            results[qname] = res
        out["_results"] = results
    finally:
        sys_.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return out


def agreement(a: List[List[int]], b: List[List[int]]) -> float:
    """Mean overlap of two systems' top-10 sets."""
    tot = 0.0
    for x, y in zip(a, b):
        if x or y:
            tot += len(set(x) & set(y)) / max(len(x), len(y))
        else:
            tot += 1
    return tot / len(a)


def hybrid_latency(texts: Dict[str, Any], n: int) -> Optional[Dict[str, Any]]:
    folder = cache_root() / "minilm-stdlib"
    import herondb

    if (folder / "base.npy").exists():
        base = np.load(folder / "base.npy")[:n]
        queries = np.load(folder / "queries.npy")
        qtexts = texts["queries"]
        note = f"{len(base)} MiniLM vectors, the 1000 held-out queries"
    else:
        # The embeddings are still being built (shards in corpus order): the
        # embedded prefix, its last 1000 chunks as queries (vector and text).
        shards = sorted((folder / "shards").glob("shard_*.npy"))
        if not shards:
            return None
        emb = np.concatenate([np.load(p) for p in shards])[: min(n, len(texts["base"]))]
        base, queries = emb[:-1000], emb[-1000:]
        qtexts = texts["base"][len(base) : len(emb)]
        note = (f"{len(base)} MiniLM vectors (the embedded prefix of the corpus); queries: the "
                f"next 1000 chunks' vectors and texts")
    workdir = tempfile.mkdtemp(prefix="bench_text_hybrid_")
    try:
        db = herondb.Database(os.path.join(workdir, "db"), dim=base.shape[1])
        db.add_many([str(i) for i in range(len(base))], base,
                    [{"text": t} for t in texts["base"][: len(base)]])
        db.create_text_index("text")
        out: Dict[str, Any] = {"data": note}
        for name, fn in (
            ("search", lambda i: db.search(queries[i], k=K)),
            ("search_text", lambda i: db.search_text(qtexts[i], k=K)),
            ("search_then_search_text",
             lambda i: (db.search(queries[i], k=max(2 * K, 50)),
                        db.search_text(qtexts[i], k=max(2 * K, 50)))),
            ("hybrid_search", lambda i: db.hybrid_search(queries[i], qtexts[i], k=K)),
        ):
            for i in range(50):
                fn(i)
            t = time.perf_counter()
            for i in range(len(queries)):
                fn(i)
            out[f"{name}_ms"] = (time.perf_counter() - t) / len(queries) * 1000
        t = time.perf_counter()
        db.hybrid_search_many(queries, list(qtexts), k=K)
        out["hybrid_search_many_ms_per_query"] = (time.perf_counter() - t) / len(queries) * 1000
        db.close()
        return out
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--out", default=None, help="write OUT.json and OUT.md")
    ap.add_argument("--no-hybrid", action="store_true")
    args = ap.parse_args()
    data = load_texts()
    texts = data["base"][: args.n]
    qsets = query_sets(data["queries"])
    rows = []
    for name in args.systems.split(","):
        print(f"# {name} ...", flush=True)
        try:
            row = run_system(name, texts, qsets)
        except Exception as e:  # noqa: BLE001 (a peer that fails is reported, not fatal)
            row = {"system": name, "error": f"{type(e).__name__}: {e}"}
        print({k: v for k, v in row.items() if not k.startswith("_")}, flush=True)
        rows.append(row)
    ref = next((r for r in rows if r["system"] == "herondb" and "_results" in r), None)
    for r in rows:
        if ref and "_results" in r:
            for qname in qsets:
                r[f"top10_agreement_with_herondb_{qname}"] = agreement(
                    r["_results"][qname], ref["_results"][qname])
    hybrid = None if args.no_hybrid else hybrid_latency(data, args.n)
    report = {
        "corpus": f"{len(texts)} docstring chunks ({sum(map(len, texts)) / 1e6:.1f} MB)",
        "queries": {k: len(v) for k, v in qsets.items()},
        "k": K,
        "cpus": os.cpu_count(),
        "loadavg_at_end": os.getloadavg(),
        "systems": [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows],
        "hybrid": hybrid,
    }
    print(json.dumps(report, indent=2))
    if args.out:
        Path(args.out + ".json").write_text(json.dumps(report, indent=2) + "\n")
        Path(args.out + ".md").write_text(markdown(report))


def markdown(rep: Dict[str, Any]) -> str:
    lines = [f"# BM25 top-{rep['k']}: {rep['corpus']}", "",
             f"Queries: {rep['queries']}; {rep['cpus']} CPUs; load average at the end "
             f"{rep['loadavg_at_end']}.", "",
             "QPS: queries per second of one Python thread, wall clock and per second of "
             "process CPU time (the CPU figure is the one to compare on a loaded machine).", "",
             "| system | build s (wall) | build s (CPU) | QPS long (wall / CPU) | "
             "QPS short (wall / CPU) | top-10 agreement with herondb (long / short) |",
             "|---|---|---|---|---|---|"]
    for r in rep["systems"]:
        if "error" in r:
            lines.append(f"| {r['system']} | failed: {r['error']} | | | | |")
            continue
        lines.append(
            f"| {r['system']} | {r['build_seconds']:.2f} | {r['build_cpu_seconds']:.2f} | "
            f"{r['qps_long']:.0f} / {r['cpu_qps_long']:.0f} | "
            f"{r['qps_short']:.0f} / {r['cpu_qps_short']:.0f} | "
            f"{r.get('top10_agreement_with_herondb_long', 1):.2f} / "
            f"{r.get('top10_agreement_with_herondb_short', 1):.2f} |")
    if rep.get("hybrid"):
        lines += ["", "Hybrid (herondb, MiniLM vectors + the same texts), mean ms per query:", ""]
        lines += [f"- {k}: {v:.3f}" if isinstance(v, float) else f"- {k}: {v}"
                  for k, v in rep["hybrid"].items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
