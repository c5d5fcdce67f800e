"""The ``herondb`` command line: inspect, search, import, export, migrate, compact, verify and recover.

Installed as the ``herondb`` console script and runnable as ``python -m herondb``.
Every command takes ``--json`` (one JSON document on stdout instead of text) and
``--quiet`` (no progress display). Commands that only read open the database
read-only, so they work while another process is writing to it.

Exit codes: 0 success, 1 the operation failed (missing or damaged database,
bad data, I/O error; the reason is printed on stderr, and as ``{"ok": false,
"error": ...}`` on stdout with ``--json``), 2 the command line was wrong.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import math
import os
import shutil
import sys
import time
from typing import Any, Dict, Iterator, List, Optional, Sequence, TextIO, Tuple

import numpy as np
import numpy.typing as npt

from . import _vctrs
from ._progress import ProgressBar, Spinner
from .database import Database
from .errors import CorruptionError, HeronDBError

_CURRENT_FILE = "CURRENT"
_IMPORT_BATCH = 10_000
_SEARCH_BATCH = 256

# -------------------------------------------------------------------- errors


class CliError(Exception):
    """A failure to report to the user with exit status 1 (no traceback)."""


class UsageError(Exception):
    """A command-line mistake found after parsing; reported with exit status 2."""


# ------------------------------------------------------------------- helpers


def _database_exists(path: str) -> bool:
    return os.path.isfile(os.path.join(path, _CURRENT_FILE))


def _open(path: str, *, read_only: bool) -> Database:
    """Open an existing database; a missing one is a CliError, not a new database."""
    if not os.path.isdir(path):
        raise CliError(f"no herondb database at {path!r} (no such directory)")
    if not _database_exists(path) and _vctrs.holds_vctrs(path):
        raise CliError(f"{path!r} holds a vctrs database: run `herondb migrate {path}` first")
    if not _database_exists(path) and not any(
            glob.glob(os.path.join(glob.escape(path), pattern))
            for pattern in ("snapshot-*.hdb", "wal-*.log")):
        raise CliError(f"no herondb database at {path!r} (no {_CURRENT_FILE} file)")
    # Database files without a valid CURRENT: Database raises CorruptionError
    # (pointing at `herondb recover`).
    if read_only:
        return Database(path, read_only=True)
    return Database(path)


def _disk_usage(path: str) -> Tuple[int, int]:
    files = 0
    size = 0
    for entry in os.scandir(path):
        if entry.is_file(follow_symlinks=False):
            files += 1
            size += entry.stat(follow_symlinks=False).st_size
    return files, size


def _human_bytes(n: int) -> str:
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    value = float(n)
    step = 0
    while value >= 1024 and step < len(units) - 1:
        value /= 1024
        step += 1
    return f"{n} B" if step == 0 else f"{value:.1f} {units[step]}"


class Output:
    """Where a command's result goes: text lines, or one JSON document."""

    def __init__(self, as_json: bool, quiet: bool, stream: TextIO) -> None:
        self.as_json = as_json
        self.quiet = quiet
        self.stream = stream

    def line(self, text: str = "") -> None:
        """Print a text line (suppressed in --json mode)."""
        if not self.as_json:
            print(text, file=self.stream)

    def document(self, doc: Any) -> None:
        """Print the JSON result (only in --json mode)."""
        if self.as_json:
            json.dump(doc, self.stream, indent=2, ensure_ascii=False)
            self.stream.write("\n")

    def progress(self, total: int, label: str) -> ProgressBar:
        """A progress bar on stderr, shown only on a terminal and without --quiet."""
        return ProgressBar(total, label, enabled=not self.quiet)

    def spinner(self, label: str) -> Spinner:
        """A spinner on stderr for one long call, same rules as :meth:`progress`."""
        return Spinner(label, enabled=not self.quiet)


def _print_mapping(out: Output, mapping: Dict[str, Any]) -> None:
    width = max((len(k) for k in mapping), default=0)
    for key, value in mapping.items():
        out.line(f"{key:<{width}}  {value}")


# --------------------------------------------------------------- info, stats


def cmd_info(args: argparse.Namespace, out: Output) -> int:
    """Summarize a database: shape, settings, sizes."""
    db = _open(args.path, read_only=True)
    try:
        files, size = _disk_usage(args.path)
        info: Dict[str, Any] = {
            "path": os.path.abspath(args.path),
            "dim": db.dim,
            "metric": db.metric,
            "m": db.m,
            "ef_construction": db.ef_construction,
            "vectors": len(db),
            "deleted": db.deleted_count,
            "total_slots": db.total_slots,
            "quantized_search": db.quantized_search,
            "text_indexes": db.text_indexes,
            "files": files,
            "disk_bytes": size,
        }
    finally:
        db.close()
    if out.as_json:
        out.document(info)
    else:
        shown = dict(info)
        shown["disk_bytes"] = f"{size:,} ({_human_bytes(size)})"
        shown["vectors"] = f"{info['vectors']:,}"
        _print_mapping(out, shown)
    return 0


def cmd_stats(args: argparse.Namespace, out: Output) -> int:
    """Print the index statistics of Database.stats()."""
    db = _open(args.path, read_only=True)
    try:
        stats = db.stats()
    finally:
        db.close()
    if out.as_json:
        out.document(stats)
    else:
        _print_mapping(out, stats)
    return 0


# -------------------------------------------------------------------- search


def load_queries(path: str) -> Tuple["npt.NDArray[np.float32]", bool]:
    """Read query vectors from a .npy or .json file.

    Returns a 2-D float32 array and whether the file held a single vector (a
    1-D array or a flat JSON list) rather than a batch.
    """
    lower = path.lower()
    try:
        if lower.endswith(".npy"):
            raw: Any = np.load(path, allow_pickle=False)
        elif lower.endswith(".json"):
            with open(path, encoding="utf-8") as f:
                raw = json.load(f)
        else:
            raise UsageError(f"--query file {path!r} must end in .npy or .json")
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read queries from {path!r}: {exc}") from exc
    try:
        arr = np.asarray(raw, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise CliError(f"{path!r} does not hold numeric vectors: {exc}") from exc
    if arr.ndim == 1:
        if arr.size == 0:
            raise CliError(f"{path!r} holds an empty vector")
        return arr.reshape(1, -1), True
    if arr.ndim == 2 and arr.shape[0] > 0:
        return arr, False
    raise CliError(
        f"{path!r} must hold one vector or a non-empty list of vectors, got shape {arr.shape}"
    )


def _hit(r: Any) -> Dict[str, Any]:
    return {"id": r.id, "distance": r.distance, "metadata": r.metadata}


def _text_search(args: argparse.Namespace, db: Database, where: Optional[Dict[str, Any]],
                 queries: Optional["npt.NDArray[np.float32]"]) -> List[List[Any]]:
    """--text alone (BM25) or with --query (hybrid, the same text for every vector)."""
    if queries is None:
        return [db.search_text(args.text, k=args.k, field=args.field, where_filter=where)]
    return db.hybrid_search_many(
        queries, [args.text] * len(queries), k=args.k, field=args.field, where_filter=where,
        ef_search=args.ef, fusion=args.fusion, rrf_k=args.rrf_k, alpha=args.alpha,
        candidates=args.candidates,
    )


def cmd_search(args: argparse.Namespace, out: Output) -> int:
    """Run one or many k-NN queries from a file, a text query, or both (hybrid)."""
    if args.query is None and args.text is None:
        raise UsageError("search needs --query FILE, --text WORDS, or both (hybrid search)")
    if args.text is not None and args.max_distance is not None:
        raise UsageError("--max-distance applies to vector search only, not with --text")
    where: Optional[Dict[str, Any]] = None
    if args.filter is not None:
        try:
            where = json.loads(args.filter)
        except ValueError as exc:
            raise UsageError(f"--filter is not valid JSON: {exc}") from exc
        if not isinstance(where, dict):
            raise UsageError("--filter must be a JSON object, e.g. '{\"lang\": \"en\"}'")
    if args.query is None:
        queries, single = None, True
    else:
        queries, single = load_queries(args.query)
    db = _open(args.path, read_only=True)
    results: List[List[Any]] = []
    try:
        start = time.perf_counter()
        if args.text is not None:
            try:
                results = _text_search(args, db, where, queries)
            except (ValueError, TypeError) as exc:
                raise CliError(str(exc)) from exc
        else:
            assert queries is not None
            if queries.shape[1] != db.dim:
                raise CliError(f"query dimension {queries.shape[1]} does not match the "
                               f"database's dimension {db.dim}")
            with out.progress(len(queries), "searching") as bar:
                for lo in range(0, len(queries), _SEARCH_BATCH):
                    chunk = queries[lo : lo + _SEARCH_BATCH]
                    results.extend(
                        db.search_many(chunk, k=args.k, ef_search=args.ef, where_filter=where,
                                       max_distance=args.max_distance)
                    )
                    bar.update(len(chunk))
        seconds = time.perf_counter() - start
    finally:
        db.close()
    if out.as_json:
        out.document(
            {
                "k": args.k,
                "queries": len(results),
                "seconds": seconds,
                "results": [[_hit(r) for r in hits] for hits in results],
            }
        )
        return 0
    for qi, hits in enumerate(results):
        if not single:
            out.line(f"query {qi}:")
        if not hits:
            out.line("  (no results)")
        for rank, r in enumerate(hits, 1):
            meta = "" if r.metadata is None else "  " + json.dumps(r.metadata, ensure_ascii=False)
            out.line(f"{rank:>4}  {r.distance:10.6f}  {r.id}{meta}")
    out.line(f"{len(results)} quer{'y' if len(results) == 1 else 'ies'} in {seconds * 1000:.1f} ms")
    return 0


# -------------------------------------------------------------------- import


def json_export_header(path: str) -> Tuple[Optional[int], Optional[str]]:
    """The ``dim`` and ``metric`` of a JSON export, read without loading its records.

    Scans the top-level object's keys from the start of the file; when
    ``records`` comes before ``dim``/``metric`` (or the head is unusual) it falls
    back to parsing the whole file.
    """
    decoder = json.JSONDecoder()
    found: Dict[str, Any] = {}
    try:
        with open(path, encoding="utf-8") as f:
            head = f.read(1 << 20)
    except OSError as exc:
        raise CliError(f"cannot read {path!r}: {exc}") from exc

    def skip_ws(i: int) -> int:
        while i < len(head) and head[i] in " \t\r\n":
            i += 1
        return i

    try:
        i = skip_ws(0)
        if i >= len(head) or head[i] != "{":
            raise CliError(f"{path!r} is not a herondb JSON export (expected a JSON object)")
        i += 1
        while len(found) < 2:
            i = skip_ws(i)
            if head[i] == "}":
                break
            key, i = decoder.raw_decode(head, i)
            i = skip_ws(i)
            if head[i] != ":":
                raise ValueError("expected ':'")
            i = skip_ws(i + 1)
            if head[i] in "[{":
                if key in ("dim", "metric"):
                    raise ValueError("unexpected container")
                raise LookupError  # a big value (records) first: take the slow path
            value, i = decoder.raw_decode(head, i)
            if key in ("dim", "metric"):
                found[key] = value
            i = skip_ws(i)
            if head[i] == ",":
                i += 1
    except (LookupError, ValueError):
        found = {}
        try:
            with open(path, encoding="utf-8") as f:
                whole = json.load(f)
        except (OSError, ValueError) as exc:
            raise CliError(f"{path!r} is not valid JSON: {exc}") from exc
        if not isinstance(whole, dict):
            raise CliError(f"{path!r} is not a herondb JSON export (expected a JSON object)")
        found = {k: whole[k] for k in ("dim", "metric") if k in whole}
    dim = found.get("dim")
    metric = found.get("metric")
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int)):
        raise CliError(f"{path!r}: 'dim' must be an integer, got {dim!r}")
    if metric is not None and not isinstance(metric, str):
        raise CliError(f"{path!r}: 'metric' must be a string, got {metric!r}")
    return dim, metric


def load_ids(path: str) -> List[str]:
    """Ids from a .json file (a list of strings) or a text file (one id per line)."""
    try:
        if path.lower().endswith(".json"):
            with open(path, encoding="utf-8") as f:
                ids = json.load(f)
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise CliError(f"{path!r} must hold a JSON list of strings")
            return ids
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read ids from {path!r}: {exc}") from exc
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline ends the last line; it adds no id
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def load_metadatas(path: str) -> List[Optional[Dict[str, Any]]]:
    """Metadata from a JSON list, or JSON Lines (one object or ``null`` per line)."""
    try:
        with open(path, encoding="utf-8") as f:
            if path.lower().endswith(".json"):
                metas = json.load(f)
            else:
                metas = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read metadata from {path!r}: {exc}") from exc
    if not isinstance(metas, list) or not all(m is None or isinstance(m, dict) for m in metas):
        raise CliError(f"{path!r} must hold one JSON object (or null) per vector")
    return metas


def _validate_rows(vectors: "npt.NDArray[Any]", metric: str, path: str) -> None:
    for lo in range(0, len(vectors), _IMPORT_BATCH):
        chunk = np.asarray(vectors[lo : lo + _IMPORT_BATCH], dtype=np.float64)
        bad = ~np.isfinite(chunk).all(axis=1)
        if bad.any():
            row = lo + int(np.argmax(bad))
            raise CliError(f"{path!r}: row {row} contains NaN or infinity")
        if metric == "cosine":
            zero = ~chunk.any(axis=1)
            if zero.any():
                row = lo + int(np.argmax(zero))
                raise CliError(f"{path!r}: row {row} is all zeros, which has no cosine direction")


def cmd_import(args: argparse.Namespace, out: Output) -> int:
    """Import a JSON export, or a .npy matrix with an ids file."""
    if args.npy is not None:
        return _import_npy(args, out)
    if args.file is None:
        raise UsageError("give a JSON FILE to import, or --npy VECTORS.npy --ids IDS")
    if args.ids is not None or args.metadata is not None:
        raise UsageError("--ids and --metadata go with --npy")
    if _database_exists(args.path):
        new_dim, new_metric = None, None
    else:
        dim, metric = json_export_header(args.file)
        new_dim = args.dim if args.dim is not None else dim
        new_metric = args.metric if args.metric is not None else metric
        if new_dim is None:
            raise CliError(f"{args.file!r} has no 'dim'; pass --dim to create the database")
    with _import_target(args.path, args.dim, args.metric, new_dim, new_metric) as (db, created):
        before = len(db)
        start = time.perf_counter()
        with out.spinner(f"importing {os.path.basename(args.file)}"):
            db.import_json(args.file)
        seconds = time.perf_counter() - start
        after = len(db)
    return _report_import(out, args.path, created=created, before=before, after=after,
                          records=None, seconds=seconds)


_DATABASE_FILE_PATTERNS = ("CURRENT", "CURRENT.tmp", "LOCK", "snapshot-*.hdb", "wal-*.log")


@contextlib.contextmanager
def _import_target(
    path: str,
    dim_flag: Optional[int],
    metric_flag: Optional[str],
    new_dim: Optional[int],
    new_metric: Optional[str],
) -> Iterator[Tuple[Database, bool]]:
    """Open the database to import into, creating it if needed; yields (db, created).

    On success the database is saved and closed. If the import fails, a
    database this call created is removed again (its files, and its directory
    when the call made that too), so a failed import leaves no empty database
    behind; an existing database is closed as it is (the failed call changed
    nothing in it).
    """
    dir_existed = os.path.lexists(path)
    created = not _database_exists(path)
    if created:
        if new_dim is None:
            raise CliError(f"no database at {path!r}; pass --dim to create one")
        db = Database(path, dim=new_dim, metric=new_metric)
    else:
        # --dim/--metric given for an existing database are checked against it.
        db = Database(path, dim=dim_flag, metric=metric_flag)
    try:
        yield db, created
    except BaseException:
        db.close()
        if created:
            if not dir_existed:
                shutil.rmtree(path, ignore_errors=True)
            else:
                for pattern in _DATABASE_FILE_PATTERNS:
                    for leftover in glob.glob(os.path.join(glob.escape(path), pattern)):
                        with contextlib.suppress(OSError):
                            os.remove(leftover)
        raise
    db.__exit__(None, None, None)  # the Database's own "save and close"


def _import_npy(args: argparse.Namespace, out: Output) -> int:
    if args.file is not None:
        raise UsageError("give either a JSON FILE or --npy, not both")
    if args.ids is None:
        raise UsageError("--npy needs --ids IDS.txt|IDS.json")
    try:
        vectors = np.load(args.npy, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read vectors from {args.npy!r}: {exc}") from exc
    if vectors.ndim != 2 or vectors.shape[0] == 0:
        raise CliError(f"{args.npy!r} must hold a non-empty 2-D array, got shape {vectors.shape}")
    if not np.issubdtype(vectors.dtype, np.number) or np.issubdtype(vectors.dtype, np.complexfloating):
        raise CliError(f"{args.npy!r} must hold real numbers, got dtype {vectors.dtype}")
    ids = load_ids(args.ids)
    if len(ids) != len(vectors):
        raise CliError(f"{args.ids!r} has {len(ids)} ids but {args.npy!r} has {len(vectors)} vectors")
    metas: Optional[List[Optional[Dict[str, Any]]]] = None
    if args.metadata is not None:
        metas = load_metadatas(args.metadata)
        if len(metas) != len(vectors):
            raise CliError(
                f"{args.metadata!r} has {len(metas)} entries but {args.npy!r} has {len(vectors)} vectors"
            )
    new_dim = args.dim if args.dim is not None else int(vectors.shape[1])
    with _import_target(args.path, args.dim, args.metric, new_dim, args.metric) as (db, created):
        if vectors.shape[1] != db.dim:
            raise CliError(
                f"{args.npy!r} has {vectors.shape[1]}-d vectors but the database is {db.dim}-d"
            )
        # Check every row before writing any, so bad data changes nothing.
        _validate_rows(vectors, db.metric, args.npy)
        before = len(db)
        start = time.perf_counter()
        done = 0
        try:
            with out.progress(len(ids), "importing") as bar:
                for lo in range(0, len(ids), args.batch_size):
                    hi = min(lo + args.batch_size, len(ids))
                    chunk = np.ascontiguousarray(vectors[lo:hi], dtype=np.float32)
                    db.upsert_many(ids[lo:hi], chunk, None if metas is None else metas[lo:hi])
                    done = hi
                    bar.update(hi - lo)
        except (ValueError, TypeError, OSError) as exc:
            if done and not created:
                db.__exit__(None, None, None)  # keep (and save) the batches that went in
            raise CliError(
                f"import stopped after {done:,} of {len(ids):,} vectors"
                + (" (the batches before the failing one are stored)" if done and not created else "")
                + f": {exc}"
            ) from exc
        seconds = time.perf_counter() - start
        after = len(db)
    return _report_import(out, args.path, created=created, before=before, after=after,
                          records=len(ids), seconds=seconds)


def _report_import(out: Output, path: str, *, created: bool, before: int, after: int,
                   records: Optional[int], seconds: float) -> int:
    doc: Dict[str, Any] = {
        "ok": True,
        "path": os.path.abspath(path),
        "created": created,
        "vectors_before": before,
        "vectors_after": after,
        "seconds": seconds,
    }
    if records is not None:
        doc["records"] = records
    out.document(doc)
    verb = "created" if created else "updated"
    out.line(f"{verb} {path}: {before:,} -> {after:,} vectors in {seconds:.2f}s")
    return 0


# -------------------------------------------------------------------- export


def _ids_writer(path: str, ids: Sequence[str]) -> None:
    if path.lower().endswith(".json"):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(list(ids), f, ensure_ascii=False)
            f.write("\n")
        return
    for i in ids:
        if "\n" in i or "\r" in i:
            raise CliError(f"id {i!r} contains a line break; write the ids to a .json file instead")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for i in ids:
            f.write(i + "\n")


def _write_npy_export(db: Database, ids: Sequence[str], npy_path: str, meta_path: Optional[str],
                      out: Output) -> None:
    """Write row i = the vector of ids[i] as float32 .npy, and metadata as JSON Lines."""
    with contextlib.ExitStack() as stack:
        meta_file = stack.enter_context(open(meta_path, "w", encoding="utf-8")) if meta_path else None
        if not ids:  # a zero-length array cannot be memory-mapped
            with open(npy_path, "wb") as f:
                np.save(f, np.zeros((0, db.dim), dtype=np.float32))
            return
        matrix = np.lib.format.open_memmap(npy_path, mode="w+", dtype=np.float32,
                                           shape=(len(ids), db.dim))
        try:
            with out.progress(len(ids), "exporting") as bar:
                for row, i in enumerate(ids):
                    vec, meta = db.get(i)
                    matrix[row] = vec
                    if meta_file is not None:
                        meta_file.write(json.dumps(meta, ensure_ascii=False) + "\n")
                    bar.update(1)
            matrix.flush()
        finally:
            del matrix


def cmd_export(args: argparse.Namespace, out: Output) -> int:
    """Export to JSON, or to .npy + ids (+ metadata JSON Lines)."""
    if args.npy is None:
        if args.file is None:
            raise UsageError("give an output FILE, or --npy OUT.npy --ids-out IDS")
        if args.ids_out is not None or args.metadata_out is not None:
            raise UsageError("--ids-out and --metadata-out go with --npy")
    else:
        if args.file is not None:
            raise UsageError("give either an output FILE or --npy, not both")
        if args.ids_out is None:
            raise UsageError("--npy needs --ids-out IDS.txt|IDS.json (the row order of the vectors)")
        if args.pretty:
            raise UsageError("--pretty applies to JSON output only")
    json_file = str(args.file) if args.file is not None else ""
    ids_file = str(args.ids_out) if args.ids_out is not None else ""
    meta_path: Optional[str] = args.metadata_out
    db = _open(args.path, read_only=True)
    written: List[str]
    try:
        start = time.perf_counter()
        if args.npy is None:
            with out.spinner(f"exporting to {os.path.basename(json_file)}"):
                db.export_json(json_file, pretty=args.pretty)
            count = len(db)
            written = [json_file]
        else:
            ids = db.ids()
            count = len(ids)
            _write_npy_export(db, ids, args.npy, meta_path, out)
            _ids_writer(ids_file, ids)
            written = [args.npy, ids_file] + ([meta_path] if meta_path else [])
        seconds = time.perf_counter() - start
    finally:
        db.close()
    out.document({"ok": True, "vectors": count, "files": written, "seconds": seconds})
    out.line(f"exported {count:,} vectors to {', '.join(written)} in {seconds:.2f}s")
    return 0


# ------------------------------------------------------------ compact, verify


def cmd_compact(args: argparse.Namespace, out: Output) -> int:
    """Rebuild the index without deleted slots (the result is saved)."""
    db = _open(args.path, read_only=False)
    with db:
        before = {"vectors": len(db), "deleted": db.deleted_count, "total_slots": db.total_slots}
        start = time.perf_counter()
        with out.spinner("compacting"):
            db.compact()  # compact() saves its result
        seconds = time.perf_counter() - start
        after = {"vectors": len(db), "deleted": db.deleted_count, "total_slots": db.total_slots}
    out.document({"ok": True, "before": before, "after": after, "seconds": seconds})
    out.line(
        f"compacted {args.path}: {before['total_slots']:,} -> {after['total_slots']:,} slots "
        f"({before['deleted']:,} deleted reclaimed) in {seconds:.2f}s"
    )
    return 0


def cmd_verify(args: argparse.Namespace, out: Output) -> int:
    """Check every checksum and the graph invariants; exit 1 on damage."""
    start = time.perf_counter()
    try:
        db = _open(args.path, read_only=True)
        try:
            with out.spinner("verifying"):
                db.verify()
            count = len(db)
        finally:
            db.close()
    except CorruptionError as exc:
        out.document({"ok": False, "path": os.path.abspath(args.path), "error": str(exc),
                      "type": type(exc).__name__})
        print(f"herondb: DAMAGED: {args.path}: {exc}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - start
    out.document({"ok": True, "path": os.path.abspath(args.path), "vectors": count,
                  "seconds": seconds})
    out.line(f"OK: {args.path}: {count:,} vectors, all checks passed in {seconds:.2f}s")
    return 0


# ------------------------------------------------------------------- migrate


def cmd_migrate(args: argparse.Namespace, out: Output) -> int:
    """Migrate a vctrs database to herondb, in place or into DEST (vctrs files untouched)."""
    src: str = args.source
    dest: str = args.dest if args.dest is not None else src
    if not os.path.isdir(src):
        raise CliError(f"no vctrs database at {src!r} (no such directory)")
    if not _vctrs.holds_vctrs(src):
        if _database_exists(src):
            raise CliError(f"{src!r} is already a herondb database (already migrated?)")
        raise CliError(f"no vctrs database at {src!r} (no graph.vctrs or wal.vctrs)")
    bar: List[ProgressBar] = []

    def progress(done: int, total: int) -> None:
        if not bar:
            bar.append(out.progress(total, "migrating"))
        bar[0].update(done - bar[0].done)

    start = time.perf_counter()
    try:
        report = _vctrs.migrate(src, None if dest == src else dest, dim=args.dim, metric=args.metric,
                                skip_invalid=args.skip_invalid, progress=progress)
    finally:
        if bar:
            bar[0].close()
    if report is None:
        raise CliError(f"{src!r} was migrated by another process meanwhile")
    seconds = time.perf_counter() - start
    out.document({"ok": True, "source": os.path.abspath(src), "dest": os.path.abspath(dest),
                  "records": report.records, "dim": report.dim, "metric": report.metric,
                  "metric_from": report.metric_from, "quantize": report.quantize,
                  "vctrs_files": report.files, "wal_entries": report.wal_entries,
                  "skipped": report.skipped, "seconds": seconds})
    out.line(report.summary())
    return 0


def cmd_recover(args: argparse.Namespace, out: Output) -> int:
    """Rewrite a missing or damaged CURRENT to the newest generation that verifies."""
    from . import _core

    if not os.path.isdir(args.path):
        raise CliError(f"no database directory at {args.path}")
    try:
        with out.spinner("recovering"):
            result = _core._recover(args.path)
    except CorruptionError as exc:
        out.document({"ok": False, "path": os.path.abspath(args.path), "error": str(exc),
                      "type": type(exc).__name__})
        print(f"herondb recover: nothing recoverable: {exc}", file=sys.stderr)
        return 1
    gen = int(result["generation"])
    snapshot, wal = f"snapshot-{gen:06d}.hdb", f"wal-{gen:06d}.log"
    out.document({"ok": True, "path": os.path.abspath(args.path), **result,
                  "snapshot": snapshot, "wal": wal})
    if not result["changed"]:
        out.line(f"nothing to recover: {args.path}: CURRENT names generation {gen} "
                 f"({result['vectors']:,} vectors), which verifies")
        return 0
    out.line(f"CURRENT was not usable: {result['current_problem']}")
    for name, why in result["skipped"]:
        out.line(f"skipped {name}: {why}")
    out.line(f"recovered {args.path}: CURRENT now names generation {gen} ({snapshot} + {wal}, "
             f"{result['vectors']:,} vectors, database id {result['database_id']})")
    return 0


# -------------------------------------------------------------------- parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _distance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if math.isnan(value):
        raise argparse.ArgumentTypeError("expected a number, got NaN")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the ``herondb`` command."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="herondb",
        description="Inspect and maintain herondb vector databases.",
        epilog="Exit status: 0 success, 1 failure (e.g. damage found), 2 bad command line.",
    )
    parser.add_argument("--version", action="version", version=f"herondb {__version__}")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress display on stderr")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print one JSON document instead of text")
    common.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="no progress display on stderr")

    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("info", parents=[common], help="dimension, metric, settings and sizes")
    p.add_argument("path", metavar="PATH", help="database directory")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("stats", parents=[common], help="index statistics (Database.stats())")
    p.add_argument("path", metavar="PATH", help="database directory")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("search", parents=[common], help="nearest neighbours of query vectors")
    p.add_argument("path", metavar="PATH", help="database directory")
    p.add_argument("--query", default=None, metavar="FILE",
                   help=".npy (1-D or 2-D) or .json (a list, or a list of lists) of query vectors")
    p.add_argument("--text", default=None, metavar="WORDS",
                   help="BM25 text query (needs a text index); with --query: hybrid search")
    p.add_argument("--field", default=None, help="the text index to use (default: the only one)")
    p.add_argument("--fusion", choices=("rrf", "weighted"), default="rrf",
                   help="hybrid fusion (default rrf)")
    p.add_argument("--rrf-k", type=float, default=60.0, help="RRF constant (default 60)")
    p.add_argument("--alpha", type=float, default=0.5,
                   help="weighted fusion: weight of the vector side (default 0.5)")
    p.add_argument("--candidates", type=_positive_int, default=None,
                   help="hybrid: candidates per side (default max(2k, 50))")
    p.add_argument("-k", type=_positive_int, default=10, help="results per query (default 10)")
    p.add_argument("--ef", type=_positive_int, default=None,
                   help="search width ef_search (default: the database's, 64)")
    p.add_argument("--filter", metavar="JSON", default=None,
                   help="where_filter as a JSON object, e.g. '{\"lang\": \"en\"}'")
    p.add_argument("--max-distance", type=_distance, default=None, metavar="D",
                   help="drop results farther than D")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("import", parents=[common],
                       help="upsert a JSON export, or .npy vectors with their ids")
    p.add_argument("path", metavar="PATH", help="database directory (created if missing)")
    p.add_argument("file", metavar="FILE", nargs="?", default=None, help="JSON export to import")
    p.add_argument("--npy", metavar="VECTORS.npy", default=None, help="2-D array of vectors")
    p.add_argument("--ids", metavar="IDS", default=None,
                   help="ids for --npy: .json list, or text with one id per line")
    p.add_argument("--metadata", metavar="META", default=None,
                   help="metadata for --npy: .json list, or JSON Lines (one object or null per line)")
    p.add_argument("--dim", type=_positive_int, default=None,
                   help="dimension when creating the database (default: from the data)")
    p.add_argument("--metric", default=None,
                   help="metric when creating the database (default: the export's, else cosine)")
    p.add_argument("--batch-size", type=_positive_int, default=_IMPORT_BATCH,
                   help=f"vectors per write for --npy (default {_IMPORT_BATCH:,})")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", parents=[common], help="write all records to JSON or .npy")
    p.add_argument("path", metavar="PATH", help="database directory")
    p.add_argument("file", metavar="FILE", nargs="?", default=None, help="JSON file to write")
    p.add_argument("--pretty", action="store_true", help="indent the JSON")
    p.add_argument("--npy", metavar="OUT.npy", default=None, help="write the vectors as a float32 .npy")
    p.add_argument("--ids-out", metavar="IDS", default=None,
                   help="with --npy: where to write the ids (.json list, or one per line)")
    p.add_argument("--metadata-out", metavar="META.jsonl", default=None,
                   help="with --npy: write the metadata as JSON Lines")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("migrate", parents=[common],
                       help="turn a vctrs database into a herondb one (vctrs files kept)")
    p.add_argument("source", metavar="SRC", help="directory of the vctrs database")
    p.add_argument("dest", metavar="DEST", nargs="?", default=None,
                   help="directory for the herondb database (default: SRC itself)")
    p.add_argument("--dim", type=_positive_int, default=None,
                   help="only for a vctrs log without any vector: the dimension")
    p.add_argument("--metric", default=None,
                   help="only for an unsaved vctrs database (its log has no metric; default cosine)")
    p.add_argument("--skip-invalid", action="store_true",
                   help="leave out records herondb refuses (NaN vectors, zero vectors under "
                        "cosine, empty ids) instead of failing; they are listed")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("compact", parents=[common], help="reclaim deleted slots and save")
    p.add_argument("path", metavar="PATH", help="database directory")
    p.set_defaults(func=cmd_compact)

    p = sub.add_parser("verify", parents=[common],
                       help="check checksums and graph invariants (exit 1 on damage)")
    p.add_argument("path", metavar="PATH", help="database directory")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("recover", parents=[common],
                       help="rewrite a missing or damaged CURRENT from the newest good generation")
    p.add_argument("path", metavar="PATH", help="database directory")
    p.set_defaults(func=cmd_recover)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the ``herondb`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    out = Output(as_json=args.json, quiet=args.quiet, stream=sys.stdout)
    try:
        status: int = args.func(args, out)
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): stop quietly, and
        # keep the interpreter from complaining while it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except UsageError as exc:
        print(f"herondb {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except (CliError, HeronDBError, ValueError, TypeError, OSError) as exc:
        out.document({"ok": False, "error": str(exc), "type": type(exc).__name__})
        print(f"herondb {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("herondb: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
