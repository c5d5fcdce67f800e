#!/usr/bin/env python3
"""Sharded BM25 against one database's BM25 (ShardedDatabase.search_text).

Every shard scores with the corpus statistics summed over all shards
(document count, total length, each query term's df), so the merged ranking
should be exactly the ranking of one database holding every document. This
checks it on the text chunks of the MiniLM benchmark corpus (``texts.json``
of benchmarks/datasets.py, which is written before any embedding is done):

    python benchmarks/bench_sharded_text.py --n 20000 --shards 2 4 8

Queries: ``--queries`` word triples drawn (fixed seed) from the held-out query
chunks. Reported per shard count: overlap@10 with the single database's
top 10, the share of queries whose top-10 list is identical, the share whose
top-1 is the same, the largest relative difference of the scores rank by
rank, the share of returned records whose one-database score is the score
one database has at that rank (equal up to the order of tied scores, which
one database breaks by insertion order), and the mean query latency against one database's in the same run
(the sharded search takes two rounds over the shards: statistics, then
search). Writes benchmarks/results/sharded-text-<n>.{json,md}.
Not run by CI.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import datasets  # noqa: E402

import herondb  # noqa: E402


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=20_000)
    p.add_argument("--shards", type=int, nargs="+", default=[2, 4, 8])
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)

    texts_path = datasets.minilm_dir() / "texts.json"
    if not texts_path.exists():
        print(f"{texts_path} is missing: run python benchmarks/datasets.py minilm --corpus-only "
              "(or the full build)", file=sys.stderr)
        return 1
    texts = json.loads(texts_path.read_text())
    corpus: List[str] = texts["base"][: args.n]
    rng = random.Random(args.seed)
    queries: List[str] = []
    for chunk in texts["queries"]:
        words = [w for w in chunk.split() if w.isalpha() and len(w) > 3]
        if len(words) >= 3:
            queries.append(" ".join(rng.sample(words, 3)))
        if len(queries) == args.queries:
            break

    work = Path(tempfile.mkdtemp(prefix="bench-sharded-text-"))
    ids = [str(i) for i in range(len(corpus))]
    vecs = np.random.default_rng(0).normal(size=(len(corpus), 4)).astype(np.float32)
    metas = [{"text": t} for t in corpus]
    rows: List[Dict[str, Any]] = []
    try:
        single = herondb.Database(work / "single", dim=4)
        single.add_many(ids, vecs, metas)
        single.create_text_index("text")
        t0 = time.perf_counter()
        want_hits = [single.search_text(q, k=10) for q in queries]
        single_ms = (time.perf_counter() - t0) * 1000 / len(queries)
        want = [[r.id for r in h] for h in want_hits]
        # Every matching document's one-database score (to tell ties apart
        # from differences).
        every = [{r.id: r.distance for r in single.search_text(q, k=len(corpus))} for q in queries]
        for n in args.shards:
            db = herondb.ShardedDatabase(work / f"s{n}", dim=4, num_shards=n)
            db.add_many(ids, vecs, metas)
            db.create_text_index("text")
            t0 = time.perf_counter()
            got_hits = [db.search_text(q, k=10) for q in queries]
            sharded_ms = (time.perf_counter() - t0) * 1000 / len(queries)
            got = [[r.id for r in h] for h in got_hits]
            db.close()
            pairs = [(w, g) for w, g in zip(want, got) if w]
            rel = [abs(g.distance - w.distance) / max(abs(w.distance), 1e-12)
                   for wh, gh in zip(want_hits, got_hits) for w, g in zip(wh, gh)]
            same_len = all(len(w) == len(g) for w, g in zip(want_hits, got_hits))
            # A returned id is right up to ties when its one-database score is
            # the score one database has at that rank.
            tie_ok = [g.id in e and e[g.id] == w.distance
                      for e, wh, gh in zip(every, want_hits, got_hits) for w, g in zip(wh, gh)]
            rows.append({
                "shards": n,
                "queries": len(pairs),
                "overlap_at_10": sum(len(set(w) & set(g)) / len(w) for w, g in pairs) / len(pairs),
                "identical_top10": sum(w == g for w, g in pairs) / len(pairs),
                "same_top1": sum(w[0] == g[0] for w, g in pairs) / len(pairs),
                "same_lengths": same_len,
                "equal_up_to_ties": sum(tie_ok) / max(1, len(tie_ok)),
                "max_rel_score_diff": max(rel) if rel else 0.0,
                "single_ms": single_ms,
                "sharded_ms": sharded_ms,
            })
            print(rows[-1], file=sys.stderr)
        single.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    out = HERE / "results"
    stem = f"sharded-text-{args.n // 1000}k"
    meta = {"n": len(corpus), "queries": len(queries), "seed": args.seed,
            "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    (out / f"{stem}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    lines = [
        f"# Sharded BM25 vs one database: {len(corpus):,} docstring chunks",
        "",
        f"{len(queries)} three-word queries from held-out chunks; k=10; every shard scores "
        "with the statistics summed over all shards and the lists are merged by score "
        "(ShardedDatabase.search_text). Latency: mean ms per query, one thread of queries, "
        "same run, this machine.",
        "",
        "| shards | docs per shard | overlap@10 with one database | identical top-10 lists | "
        "same top-1 | results equal up to ties | max rel. score diff | ms/query sharded | "
        "ms/query one database |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['shards']} | {len(corpus) // r['shards']:,} | {r['overlap_at_10']:.3f} | "
                     f"{r['identical_top10']:.3f} | {r['same_top1']:.3f} | {r['equal_up_to_ties']:.3f} | "
                     f"{r['max_rel_score_diff']:.1e} | {r['sharded_ms']:.3f} | {r['single_ms']:.3f} |")
    (out / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
