"""ShardedDatabase: one logical vector database spread over N herondb databases.

Layout of a sharded database directory::

    <path>/SHARDS.json      the manifest (written last, replaced atomically)
    <path>/shard-0000/      an ordinary herondb database
    <path>/shard-0001/
    ...

Each record lives in exactly one shard, chosen from its id by
:func:`shard_for_id`: the BLAKE2b digest with an 8-byte digest size (not a
truncated 64-byte digest) of the id's UTF-8 bytes, read as a little-endian
unsigned integer, modulo the shard count. The function is fixed by its name and version in the manifest
(``"blake2b64-mod"``, version 1), so every process, Python version and machine
routes an id the same way (Python's ``hash()`` is salted per process and is
never used).

Contract:

- single-record calls (``add``, ``upsert``, ``update``, ``delete``, ``get``)
  touch one shard and keep every guarantee of :class:`herondb.Database`;
- batch calls are validated as a whole in Python before anything is written
  (types, lengths, duplicate ids across the batch, dimensions, NaN/Inf,
  zero vectors under cosine, ids that already exist for ``add_many``), then
  each shard applies its part as one all-or-nothing call. A batch that spans
  shards is atomic per shard, not across shards: a crash, or an I/O error in
  one shard, can leave some shards with their part applied and others without;
- searches run on every shard at once (a thread pool; the compiled calls
  release the GIL) and the per-shard top-k lists are merged into the global
  top-k. Distances are computed by each shard exactly as one database computes
  them, so an exact search over the shards returns the same records and the
  same distances as an exact search over one database holding everything.

The manifest holds the parameters (dim, metric, m, ef_construction,
quantize), the shard count, the routing function and the per-shard record
counts as of the last ``save()``/``compact()``/``close()`` (informational:
after a crash the write-ahead logs may hold more). It carries a SHA-256
checksum of its own content and is replaced by write-to-temporary, fsync,
rename, fsync of the directory. A directory with shard folders but no manifest
is an incomplete build and is never opened as a database.
"""

from __future__ import annotations

import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Optional,
    Sequence,
    Type,
    Tuple,
    TypeVar,
    cast,
)

import numpy as np

from . import _core
from ._typing import Filter, Matrix, Metadata, Metadatas, PathLike, Record, Vector
from ._shard_format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST_NAME,
    MAX_SHARDS,
    ROUTING_NAME,
    ROUTING_VERSION,
    STAGING_DIR,
    check_metadata_value,
    describe_path,
    fsync_dir,
    is_plain_database,
    merge_top_k,
    plain_error,
    read_manifest,
    shard_dir_name,
    shard_for_id,
    write_manifest,
)
from ._text_search import (
    _check_filter,
    _hybrid_args,
    _need_int,
    _need_str,
    _need_str_list,
    _opt_str,
)
from .database import Database
from .errors import CorruptionError

# Database's default number of candidates per side of a hybrid search
# (max(2k, this)); kept in step with the core's kDefaultHybridCandidates.
_HYBRID_CANDIDATES = 50

T = TypeVar("T")

SearchResult = _core.SearchResult

# ------------------------------------------------------------------- validation


def _check_positive_int(name: str, value: Any) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return value


def _check_ids(ids: Any) -> List[str]:
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
        raise TypeError(f"ids must be a sequence of str, got {type(ids).__name__}")
    out = list(ids)
    for i in out:
        if not isinstance(i, str):
            raise TypeError(f"id must be a str, got {type(i).__name__}")
    return out


def _check_metadatas(metadatas: Any, n: int) -> Optional[List[Optional[Metadata]]]:
    if metadatas is None:
        return None
    if isinstance(metadatas, (str, bytes, dict)) or not isinstance(metadatas, Iterable):
        raise TypeError(f"metadatas must be a sequence of dict or None, got {type(metadatas).__name__}")
    out = list(metadatas)
    if len(out) != n:
        raise ValueError(f"got {n} ids but {len(out)} metadatas")
    for md in out:
        if md is None:
            continue
        if not isinstance(md, dict):
            raise TypeError(f"metadata must be a dict or None, got {type(md).__name__}")
        check_metadata_value(md, "metadata")
    return out


def _as_matrix(vectors: Any, n: int, dim: int, metric: str, ids: Sequence[str]) -> np.ndarray:
    """The batch as a C-contiguous float32 (n, dim) array, checked as Database checks it."""
    if isinstance(vectors, (str, bytes)):
        raise TypeError(f"vectors must be numeric, got {type(vectors).__name__}")
    try:
        arr = np.asarray(vectors)
    except ValueError:
        # Ragged rows: find the first row of the wrong length and name it.
        rows = list(vectors)
        for rid, row in zip(ids, rows):
            if len(row) != dim:
                raise ValueError(
                    f"vector of id {rid!r} has dimension {len(row)}, expected {dim}"
                ) from None
        raise
    if arr.size == 0 and n == 0:
        return np.zeros((0, dim), dtype=np.float32)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.floating)
        or np.issubdtype(arr.dtype, np.integer)
    ) or arr.dtype == np.bool_:
        raise TypeError(f"vectors must be numeric, got an array of {arr.dtype}")
    if arr.ndim == 1:
        raise TypeError("vectors must be a 2-D array or a list of vectors, got a 1-D array")
    if arr.ndim != 2:
        raise ValueError(f"vectors must be a 2-D array of shape (n, {dim}), got shape {arr.shape}")
    if arr.shape[0] != n:
        raise ValueError(f"got {n} ids but {arr.shape[0]} vectors")
    if arr.shape[1] != dim:
        raise ValueError(f"vector dimension mismatch: expected {dim}, got {arr.shape[1]}")
    out = np.ascontiguousarray(arr, dtype=np.float32)
    finite = np.isfinite(out).all(axis=1)
    if not finite.all():
        bad = int(np.flatnonzero(~finite)[0])
        raise ValueError(f"vector of id {ids[bad]!r} contains NaN or Inf")
    if metric == "cosine" and n:
        zero = ~out.any(axis=1)
        if zero.any():
            bad = int(np.flatnonzero(zero)[0])
            raise ValueError(f"vector of id {ids[bad]!r} is all zeros (no direction under cosine)")
    return out


# ---------------------------------------------------------------- hybrid fusion


def hybrid_plan(
    query: Any,
    k: Any,
    field: Any,
    where_filter: Any,
    ef_search: Any,
    fusion: Any,
    rrf_k: Any,
    alpha: Any,
    candidates: Any,
) -> Tuple[int, int]:
    """Check hybrid_search's arguments as Database does; return (candidates, ef) per side.

    A database takes ``candidates`` (default ``max(2k, 50)``, at least ``k``)
    from each side, the vector side searched with ``ef = max(candidates,
    ef_search or DEFAULT_EF_SEARCH)``.
    """
    if not isinstance(query, str):
        raise TypeError(f"query must be a str, got {type(query).__name__}")
    if not query.strip():
        raise ValueError("query must be a non-empty string")
    _hybrid_args(k, field, where_filter, ef_search, fusion, rrf_k, alpha, candidates)
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if candidates is not None and candidates < 1:
        raise ValueError("candidates must be >= 1")
    if ef_search is not None and ef_search < 1:
        raise ValueError(f"ef_search must be >= 1, got {ef_search}")
    cand = max(k, candidates if candidates is not None else max(2 * k, _HYBRID_CANDIDATES))
    ef = max(cand, ef_search if ef_search is not None else int(_core.DEFAULT_EF_SEARCH))
    return cand, ef


def fuse_hybrid(
    vec: Sequence[Any], txt: Sequence[Any], k: int, fusion: str, rrf_k: float, alpha: float
) -> List[SearchResult]:
    """Fuse a vector list and a text list (both best first) as Database.hybrid_search does.

    ``"rrf"``: a record scores ``sum(1 / (rrf_k + rank))`` over the lists it
    is in (rank from 1). ``"weighted"``: each list's scores (the negated
    distances) are min-max normalized to [0, 1] (all equal: 1) and weighted
    ``alpha`` (vector) and ``1 - alpha`` (text). Best first, ties by the
    smaller id; ``distance`` is the negated fused score, as float32.
    """
    score: Dict[str, float] = {}
    meta: Dict[str, Any] = {}
    if fusion == "rrf":
        for hits in (vec, txt):
            for rank, r in enumerate(hits, 1):
                score[r.id] = score.get(r.id, 0.0) + 1.0 / (float(rrf_k) + float(rank))
                meta.setdefault(r.id, r.metadata)
    else:
        for hits, weight in ((vec, float(alpha)), (txt, 1.0 - float(alpha))):
            if not hits:
                continue
            hi = -hits[0].distance
            lo = -hits[-1].distance
            for r in hits:
                s = -r.distance
                score[r.id] = score.get(r.id, 0.0) + weight * ((s - lo) / (hi - lo) if hi > lo else 1.0)
                meta.setdefault(r.id, r.metadata)
    ranked = sorted(score.items(), key=lambda item: (-item[1], item[0]))[:k]
    return [SearchResult(i, -float(np.float32(v)), meta[i]) for i, v in ranked]


def sum_text_stats(parts: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """Sum several shards' corpus statistics of one query (``Database._text_stats``).

    N, the total length and each term's df add up over disjoint shards, so
    the sum is what one database holding every shard's records scores with.
    """
    num_docs = total_len = 0
    df: Dict[str, int] = {}
    for st in parts:
        num_docs += st["num_docs"]
        total_len += st["total_len"]
        for term, c in st["df"].items():
            df[term] = df.get(term, 0) + c
    return {"num_docs": num_docs, "total_len": total_len, "df": df}


# ------------------------------------------------------------------ the class


class ShardedDatabase:
    """A vector database split over N ordinary herondb databases by a hash of the id.

    ``ShardedDatabase(path, dim=384, num_shards=4)`` creates one (or opens it if
    ``path`` already holds it, checking that dim, metric and num_shards agree);
    ``ShardedDatabase(path)`` opens an existing one and detects everything from
    its manifest. The API follows :class:`herondb.Database`: mutations are
    routed to the shard that owns the id, searches and counts run on every
    shard in parallel and are merged. See the module documentation for the
    format and the guarantees.

    ``workers`` is the number of threads that call the shards at once
    (default: one per shard, at most 32; the calling thread takes the first
    shard). ``workers=1`` calls the shards one after the other on the
    calling thread: less overhead per call where shards are small or the
    caller already runs many searches at once.
    """

    def __init__(
        self,
        path: PathLike,
        dim: Optional[int] = None,
        metric: Optional[str] = None,
        m: Optional[int] = None,
        ef_construction: Optional[int] = None,
        quantize: bool = False,
        *,
        num_shards: Optional[int] = None,
        read_only: bool = False,
        sync: bool = False,
        workers: Optional[int] = None,
    ) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
        if metric is not None and not isinstance(metric, str):
            raise TypeError(f"metric must be a str, got {type(metric).__name__}")
        for name, flag in (("quantize", quantize), ("read_only", read_only), ("sync", sync)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool, got {type(flag).__name__}")
        dim = _check_positive_int("dim", dim)
        m = _check_positive_int("m", m)
        ef_construction = _check_positive_int("ef_construction", ef_construction)
        num_shards = _check_positive_int("num_shards", num_shards)
        workers = _check_positive_int("workers", workers)
        if num_shards is not None and num_shards > MAX_SHARDS:
            raise ValueError(f"num_shards must be at most {MAX_SHARDS}, got {num_shards}")
        canonical_metric = _core._canonical_metric(metric) if metric is not None else None

        self._path = os.fspath(path)
        self._read_only = read_only
        self._lock = threading.Lock()
        self._executor: Optional[ThreadPoolExecutor] = None
        self._workers = workers
        self._shards: List[Database] = []
        self._closed = False

        kind = describe_path(self._path)
        if kind == "plain":
            raise plain_error(self._path)
        if kind == "other":
            raise ValueError(
                f"{self._path!r} is not a sharded herondb database and not empty "
                f"(no {MANIFEST_NAME})"
            )
        if kind == "sharded":
            manifest = read_manifest(self._path)
            if dim is not None and dim != manifest["dim"]:
                raise ValueError(
                    f"dimension mismatch: the sharded database has dim {manifest['dim']}, got dim={dim}"
                )
            if canonical_metric is not None and canonical_metric != manifest["metric"]:
                raise ValueError(
                    f"metric mismatch: the sharded database uses {manifest['metric']!r}, "
                    f"got metric={metric!r}"
                )
            if num_shards is not None and num_shards != manifest["num_shards"]:
                raise ValueError(
                    f"num_shards mismatch: the sharded database has {manifest['num_shards']} shards, "
                    f"got num_shards={num_shards}"
                )
            self._manifest = manifest
            self._open_shards(create=False, sync=sync)
            return

        # "empty" or "incomplete": create (only with dim).
        if dim is None:
            if kind == "incomplete":
                raise ValueError(
                    f"{self._path!r} holds shard folders but no {MANIFEST_NAME}: an incomplete "
                    "sharded database (a build that did not finish); remove it and build again"
                )
            raise ValueError(f"no sharded database at {self._path!r}: pass dim=... to create one")
        if read_only:
            raise ValueError(f"no sharded database at {self._path!r} to open read-only")
        if os.path.exists(os.path.join(self._path, STAGING_DIR)):
            raise ValueError(
                f"{self._path!r} holds an unfinished herondb.ray build ({STAGING_DIR}); "
                "remove it or let the build finish"
            )
        if num_shards is None:
            raise ValueError("num_shards is required to create a sharded database")
        self._manifest = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "dim": dim,
            "metric": canonical_metric or "cosine",
            "m": m,
            "ef_construction": ef_construction,
            "quantize": quantize,
            "num_shards": num_shards,
            "routing": {"name": ROUTING_NAME, "version": ROUTING_VERSION},
            "shard_counts": [0] * num_shards,
        }
        os.makedirs(self._path, exist_ok=True)
        self._open_shards(create=True, sync=sync)

    # ------------------------------------------------------------- lifecycle

    def _open_shards(self, create: bool, sync: bool) -> None:
        man = self._manifest
        n = man["num_shards"]
        opened: List[Database] = []
        try:
            for i in range(n):
                shard_path = os.path.join(self._path, shard_dir_name(i))
                if create:
                    # An interrupted create may have left shard folders; they are
                    # reused only while they hold nothing (no acknowledged write
                    # can exist without the manifest).
                    db = Database(
                        shard_path,
                        dim=man["dim"],
                        metric=man["metric"],
                        m=man["m"],
                        ef_construction=man["ef_construction"],
                        quantize=man["quantize"],
                        sync=sync,
                    )
                    if len(db) or db.total_slots:
                        db.close()
                        raise ValueError(
                            f"{shard_path!r} already holds records but {self._path!r} has no "
                            f"{MANIFEST_NAME}: an incomplete sharded database; remove it and build again"
                        )
                else:
                    if not os.path.isdir(shard_path) or not is_plain_database(shard_path):
                        raise CorruptionError(
                            f"{shard_path}: shard {i} of {n} listed by {MANIFEST_NAME} is missing"
                        )
                    db = Database(shard_path, read_only=self._read_only, sync=sync)
                    if db.dim != man["dim"] or db.metric != man["metric"]:
                        got = (db.dim, db.metric)
                        db.close()
                        raise CorruptionError(
                            f"{shard_path}: shard has dim/metric {got}, the manifest says "
                            f"{(man['dim'], man['metric'])}"
                        )
                opened.append(db)
            if create:
                for db in opened:
                    db.save()
                # Record the effective graph parameters the shards chose.
                man["m"] = opened[0].m
                man["ef_construction"] = opened[0].ef_construction
                write_manifest(self._path, man)
        except BaseException:
            for db in opened:
                db.close()
            raise
        self._shards = opened

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError("the sharded database is closed")

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                workers = self._workers or max(1, min(len(self._shards), 32))
                self._executor = ThreadPoolExecutor(
                    max_workers=workers, thread_name_prefix="herondb-shard"
                )
            return self._executor

    def _fan_out(self, fn: Callable[[int, Database], T], shards: Optional[Sequence[int]] = None) -> List[T]:
        """Run ``fn(i, shard_i)`` on the given shards (all by default) at once; results in order.

        Every call is waited for before the first failure (in shard order) is raised.
        """
        self._check_open()
        which = list(range(len(self._shards))) if shards is None else list(shards)
        if len(which) <= 1 or self._workers == 1:
            return [fn(i, self._shards[i]) for i in which]
        # The first shard runs on the calling thread, the others on the pool.
        pool = self._pool()
        futures = [pool.submit(fn, i, self._shards[i]) for i in which[1:]]
        results: List[T] = []
        error: Optional[BaseException] = None
        try:
            results.append(fn(which[0], self._shards[which[0]]))
        except BaseException as e:  # noqa: BLE001 - re-raised below
            error = e
        for fut in futures:
            try:
                results.append(fut.result())
            except BaseException as e:  # noqa: BLE001 - re-raised below
                if error is None:
                    error = e
        if error is not None:
            raise error
        return results

    def _counts_manifest(self) -> Dict[str, Any]:
        man = dict(self._manifest)
        man["shard_counts"] = [len(db) for db in self._shards]
        return man

    def close(self) -> None:
        """Close every shard (releasing their write locks). Idempotent.

        A writable handle also rewrites the manifest's record counts first.
        """
        if self._closed:
            return
        try:
            if not self._read_only and self._shards and not any(db.closed for db in self._shards):
                man = self._counts_manifest()
                if man != self._manifest:
                    write_manifest(self._path, man)
                    self._manifest = man
        finally:
            self._closed = True
            for db in self._shards:
                db.close()
            with self._lock:
                if self._executor is not None:
                    self._executor.shutdown(wait=True)
                    self._executor = None

    def __enter__(self) -> "ShardedDatabase":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        try:
            if not self._closed and not self._read_only:
                self.save()
        finally:
            self.close()

    def __repr__(self) -> str:
        if self._closed:
            return "<herondb.ShardedDatabase (closed)>"
        return (
            f"<herondb.ShardedDatabase path={self._path!r} dim={self.dim} metric={self.metric!r} "
            f"shards={self.num_shards} vectors={len(self)}>"
        )

    # ------------------------------------------------------------ properties

    @property
    def path(self) -> str:
        """The sharded database's directory."""
        return self._path

    @property
    def dim(self) -> int:
        """The vector dimensionality."""
        return int(self._manifest["dim"])

    @property
    def metric(self) -> str:
        """``"cosine"``, ``"euclidean"`` or ``"dot_product"``."""
        return str(self._manifest["metric"])

    @property
    def m(self) -> int:
        """The HNSW M parameter of every shard."""
        self._check_open()
        return self._shards[0].m

    @property
    def ef_construction(self) -> int:
        """The HNSW build-time search width of every shard."""
        self._check_open()
        return self._shards[0].ef_construction

    @property
    def num_shards(self) -> int:
        """How many shards the database has (fixed at creation)."""
        return int(self._manifest["num_shards"])

    @property
    def shard_paths(self) -> List[str]:
        """The directory of every shard, in shard order."""
        return [os.path.join(self._path, shard_dir_name(i)) for i in range(self.num_shards)]

    @property
    def read_only(self) -> bool:
        """True when opened with ``read_only=True``."""
        return self._read_only

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has been called."""
        return self._closed

    @property
    def deleted_count(self) -> int:
        """Deleted slots not yet reclaimed, summed over the shards."""
        self._check_open()
        return sum(db.deleted_count for db in self._shards)

    @property
    def total_slots(self) -> int:
        """Allocated slots (live plus deleted), summed over the shards."""
        self._check_open()
        return sum(db.total_slots for db in self._shards)

    @property
    def quantized_search(self) -> bool:
        """Whether the shards traverse their graphs with SQ8 codes."""
        self._check_open()
        return self._shards[0].quantized_search

    def shard_for(self, id: str) -> int:
        """The index of the shard that holds (or would hold) ``id``."""
        return shard_for_id(id, self.num_shards)

    def _shard(self, id: str) -> Database:
        self._check_open()
        return self._shards[shard_for_id(id, len(self._shards))]

    # ------------------------------------------------------ single records

    def add(self, id: str, vector: Vector, metadata: Optional[Metadata] = None) -> None:
        """Add a vector under a new id, in the shard that owns the id."""
        self._shard(id).add(id, vector, metadata)

    def upsert(self, id: str, vector: Vector, metadata: Optional[Metadata] = None) -> None:
        """Insert a vector, or replace it if the id exists."""
        self._shard(id).upsert(id, vector, metadata)

    def update(self, id: str, vector: Optional[Vector] = None, metadata: Optional[Metadata] = None) -> None:
        """Replace the vector and/or metadata of an existing id."""
        self._shard(id).update(id, vector, metadata)

    def get(self, id: str) -> Record:
        """The stored vector and metadata of ``id`` (ValueError if unknown)."""
        return self._shard(id).get(id)

    def delete(self, id: str) -> bool:
        """Delete one id; True if it was there."""
        return self._shard(id).delete(id)

    def __contains__(self, id: object) -> bool:
        if not isinstance(id, str):
            return False
        try:
            shard = self._shard(id)
        except ValueError:
            if self._closed:
                raise
            return False
        return id in shard

    def __len__(self) -> int:
        self._check_open()
        return sum(len(db) for db in self._shards)

    # --------------------------------------------------------------- batches

    def _route(self, ids: Sequence[str]) -> Dict[int, List[int]]:
        """Positions of ``ids`` grouped by shard, each group in batch order."""
        n = len(self._shards)
        groups: Dict[int, List[int]] = {}
        for pos, i in enumerate(ids):
            groups.setdefault(shard_for_id(i, n), []).append(pos)
        return groups

    def _write_batch(
        self,
        method: str,
        ids: Any,
        vectors: Matrix,
        metadatas: Optional[Metadatas],
    ) -> None:
        self._check_open()
        if self._read_only:
            # Let a shard raise the same error a read-only Database raises.
            getattr(self._shards[0], method)([], np.zeros((0, self.dim), np.float32))
        id_list = _check_ids(ids)
        if method == "add_many":
            seen = set()
            for i in id_list:
                if i in seen:
                    raise ValueError(f"duplicate id {i!r} in the batch")
                seen.add(i)
        matrix = _as_matrix(vectors, len(id_list), self.dim, self.metric, id_list)
        metas = _check_metadatas(metadatas, len(id_list))
        groups = self._route(id_list)
        if method == "add_many":
            for shard, positions in groups.items():
                db = self._shards[shard]
                for pos in positions:
                    if id_list[pos] in db:
                        raise ValueError(f"id {id_list[pos]!r} already exists")

        def apply(i: int, db: Database) -> None:
            positions = groups[i]
            sub_ids = [id_list[p] for p in positions]
            sub_vecs = matrix[positions]
            sub_meta = None if metas is None else [metas[p] for p in positions]
            getattr(db, method)(sub_ids, sub_vecs, sub_meta)

        self._fan_out(apply, sorted(groups))

    def add_many(self, ids: Sequence[str], vectors: Matrix, metadatas: Optional[Metadatas] = None) -> None:
        """Insert a batch of new vectors.

        The whole batch is checked first (duplicates across the batch, ids that
        already exist, dimensions, values, metadata types): a bad batch writes
        nothing. Each shard then applies its part all-or-nothing; the shards
        are not atomic together (a crash can leave some parts applied).
        """
        self._write_batch("add_many", ids, vectors, metadatas)

    def upsert_many(self, ids: Sequence[str], vectors: Matrix, metadatas: Optional[Metadatas] = None) -> None:
        """Insert or replace a batch (the last occurrence of a repeated id wins); atomic per shard."""
        self._write_batch("upsert_many", ids, vectors, metadatas)

    def delete_many(self, ids: Sequence[str]) -> int:
        """Delete several ids; returns how many were there. Atomic per shard."""
        self._check_open()
        id_list = _check_ids(ids)
        groups = self._route(id_list)
        if not groups:
            return 0
        counts = self._fan_out(
            lambda i, db: db.delete_many([id_list[p] for p in groups[i]]), sorted(groups)
        )
        return sum(counts)

    # --------------------------------------------------------------- queries

    def search(
        self,
        vector: Vector,
        k: int = 10,
        ef_search: Optional[int] = None,
        where_filter: Optional[Filter] = None,
        max_distance: Optional[float] = None,
    ) -> List[SearchResult]:
        """The ``k`` nearest neighbours over all shards, closest first.

        Every shard returns its own top ``k`` (same ``ef_search``, filter and
        ``max_distance``); the lists are merged by distance.
        """
        self._check_open()
        if len(self._shards) == 1:
            return self._shards[0].search(vector, k, ef_search, where_filter, max_distance)
        parts = self._fan_out(
            lambda i, db: db.search(vector, k, ef_search, where_filter, max_distance)
        )
        return merge_top_k(parts, k)

    def search_many(
        self,
        vectors: Matrix,
        k: int = 10,
        ef_search: Optional[int] = None,
        where_filter: Optional[Filter] = None,
        max_distance: Optional[float] = None,
    ) -> List[List[SearchResult]]:
        """One merged result list per query vector (each shard runs the whole batch)."""
        if isinstance(vectors, list):
            try:
                vectors = np.asarray(vectors, dtype=np.float32)
            except (TypeError, ValueError):
                pass  # let the shards report the problem in their words
        self._check_open()
        if len(self._shards) == 1:
            return self._shards[0].search_many(vectors, k, ef_search, where_filter, max_distance)
        parts = self._fan_out(
            lambda i, db: db.search_many(vectors, k, ef_search, where_filter, max_distance)
        )
        return [merge_top_k(per_query, k) for per_query in zip(*parts)]

    def count(self, where_filter: Optional[Filter] = None) -> int:
        """Live vectors matching the filter (all when None), summed over the shards."""
        return sum(self._fan_out(lambda i, db: db.count(where_filter)))

    def ids(self) -> List[str]:
        """All live ids, shard by shard."""
        out: List[str] = []
        for part in self._fan_out(lambda i, db: db.ids()):
            out.extend(part)
        return out

    def stats(self) -> Dict[str, Any]:
        """Totals over the shards plus every shard's own ``stats()`` under ``"shards"``."""
        per = self._fan_out(lambda i, db: db.stats())
        return {
            "num_shards": len(per),
            "num_vectors": sum(s["num_vectors"] for s in per),
            "num_deleted": sum(s["num_deleted"] for s in per),
            "total_slots": sum(s["total_slots"] for s in per),
            "memory_vectors_bytes": sum(s["memory_vectors_bytes"] for s in per),
            "memory_graph_bytes": sum(s["memory_graph_bytes"] for s in per),
            "memory_quantized_bytes": sum(s["memory_quantized_bytes"] for s in per),
            "dim": self.dim,
            "metric": self.metric,
            "routing": dict(self._manifest["routing"]),
            "shard_counts": [s["num_vectors"] for s in per],
            "shards": per,
        }

    # ------------------------------------------------------- text and hybrid

    def create_text_index(
        self, field: str, language: str = "english", k1: float = 1.2, b: float = 0.75
    ) -> None:
        """Create the text index on ``field`` in every shard (see Database.create_text_index).

        The first shard checks the arguments (a bad call changes nothing);
        the others follow in parallel. Each shard logs its definition.
        """
        self._check_open()
        first: Any = self._shards[0]
        first.create_text_index(field, language, k1, b)
        if len(self._shards) > 1:
            self._fan_out(
                lambda i, db: cast(Any, db).create_text_index(field, language, k1, b),
                range(1, len(self._shards)),
            )

    def drop_text_index(self, field: str) -> None:
        """Drop the text index on ``field`` in every shard (ValueError when there is none)."""
        self._check_open()
        first: Any = self._shards[0]
        first.drop_text_index(field)
        if len(self._shards) > 1:
            self._fan_out(
                lambda i, db: cast(Any, db).drop_text_index(field), range(1, len(self._shards))
            )

    @property
    def text_indexes(self) -> List[str]:
        """The fields that have a text index (those of the first shard; all shards agree)."""
        self._check_open()
        return list(cast(Any, self._shards[0]).text_indexes)

    def _global_text_stats(self, queries: Sequence[str], field: Optional[str]) -> List[Dict[str, Any]]:
        """The corpus statistics of each query summed over every shard.

        Each shard reports its live documents, their total length and the df
        of each analyzed query term (``Database._text_stats``); the sums are
        exactly the statistics one database holding every record would score
        with.
        """
        parts = self._fan_out(
            lambda i, db: [cast(Any, db)._text_stats(q, field) for q in queries]
        )
        return [sum_text_stats([p[n] for p in parts]) for n in range(len(queries))]

    def search_text(
        self,
        query: str,
        k: int = 10,
        field: Optional[str] = None,
        where_filter: Optional[Filter] = None,
    ) -> List[SearchResult]:
        """BM25 text search over every shard: the same top ``k`` and scores as one database.

        Two rounds: every shard reports its corpus statistics for the query
        (document count, total length, df of each query term), then every
        shard searches with their sums, so that each scores its records
        exactly as one database holding all of them would, and the lists are
        merged by score. Records of equal score may come in another order
        than one database's (which breaks ties by insertion order). See
        docs/scale-out.md.
        """
        _need_str("query", query)
        _need_int("k", k)
        _opt_str("field", field)
        _check_filter(where_filter)
        self._check_open()
        if len(self._shards) == 1:
            return list(cast(Any, self._shards[0]).search_text(query, k, field, where_filter))
        stats = self._global_text_stats([query], field)[0]
        parts = self._fan_out(
            lambda i, db: cast(Any, db)._search_text(query, k, field, where_filter, False, stats)
        )
        return merge_top_k(parts, k)

    def hybrid_search(
        self,
        vector: Vector,
        query: str,
        k: int = 10,
        field: Optional[str] = None,
        where_filter: Optional[Filter] = None,
        ef_search: Optional[int] = None,
        fusion: str = "rrf",
        rrf_k: float = 60,
        alpha: float = 0.5,
        candidates: Optional[int] = None,
    ) -> List[SearchResult]:
        """Vector and text search fused into one ranking over all shards.

        As Database.hybrid_search, with the fusion done here on global lists:
        the vector side is the exact merge of every shard's top
        ``candidates`` (the same candidates and ``ef`` a database uses), the
        text side the exact global BM25 top ``candidates`` (every shard
        scoring with the global statistics, see :meth:`search_text`). The
        result equals Database.hybrid_search on the same records, up to the
        order of equal scores.
        """
        cand, ef = hybrid_plan(query, k, field, where_filter, ef_search, fusion, rrf_k, alpha,
                               candidates)
        self._check_open()
        stats = self._global_text_stats([query], field)[0]
        parts = self._fan_out(
            lambda i, db: (
                db.search(vector, cand, ef, where_filter),
                cast(Any, db)._search_text(query, cand, field, where_filter, False, stats),
            )
        )
        vec = merge_top_k([p[0] for p in parts], cand)
        txt = merge_top_k([p[1] for p in parts], cand)
        return fuse_hybrid(vec, txt, k, fusion, rrf_k, alpha)

    def hybrid_search_many(
        self,
        vectors: Matrix,
        queries: Sequence[str],
        k: int = 10,
        field: Optional[str] = None,
        where_filter: Optional[Filter] = None,
        ef_search: Optional[int] = None,
        fusion: str = "rrf",
        rrf_k: float = 60,
        alpha: float = 0.5,
        candidates: Optional[int] = None,
    ) -> List[List[SearchResult]]:
        """:meth:`hybrid_search` for pairs of (vector, query)."""
        queries = _need_str_list("queries", queries)
        cand, ef = hybrid_plan(queries[0] if queries else "x", k, field, where_filter, ef_search,
                               fusion, rrf_k, alpha, candidates)
        self._check_open()
        matrix = np.asarray(vectors, dtype=np.float32) if isinstance(vectors, list) else vectors
        if len(matrix) != len(queries):
            raise ValueError(f"got {len(matrix)} query vectors but {len(queries)} queries")
        if not queries:
            return []

        stats = self._global_text_stats(list(queries), field)

        def one_shard(i: int, db: Database) -> Tuple[List[List[SearchResult]], List[List[SearchResult]]]:
            vec = db.search_many(matrix, cand, ef, where_filter)
            txt = [cast(Any, db)._search_text(q, cand, field, where_filter, False, st)
                   for q, st in zip(queries, stats)]
            return vec, txt

        parts = self._fan_out(one_shard)
        out = []
        for n in range(len(queries)):
            vec = merge_top_k([p[0][n] for p in parts], cand)
            txt = merge_top_k([p[1][n] for p in parts], cand)
            out.append(fuse_hybrid(vec, txt, k, fusion, rrf_k, alpha))
        return out

    # ------------------------------------------------------------ maintenance

    def save(self) -> None:
        """Save every shard (each atomically, see Database.save), then rewrite the manifest."""
        self._fan_out(lambda i, db: db.save())
        self._write_counts()

    def compact(self) -> None:
        """Compact every shard (each rebuilds its graph and saves), then rewrite the manifest."""
        self._fan_out(lambda i, db: db.compact())
        self._write_counts()

    def _write_counts(self) -> None:
        man = self._counts_manifest()
        write_manifest(self._path, man)
        self._manifest = man

    def verify(self) -> None:
        """Check the manifest and every shard's files (CorruptionError naming the damaged one)."""
        self._check_open()
        man = read_manifest(self._path)
        if man["num_shards"] != self.num_shards or man["dim"] != self.dim or man["metric"] != self.metric:
            raise CorruptionError(
                f"{os.path.join(self._path, MANIFEST_NAME)}: no longer matches the open database"
            )
        self._fan_out(lambda i, db: db.verify())

    def enable_quantized_search(self) -> None:
        """Traverse every shard's graph with SQ8 codes."""
        self._fan_out(lambda i, db: db.enable_quantized_search())

    def disable_quantized_search(self) -> None:
        """Traverse every shard's graph with full-precision vectors."""
        self._fan_out(lambda i, db: db.disable_quantized_search())


def destroy(path: PathLike) -> None:
    """Remove a sharded database directory: the manifest first, then the shards.

    Removing the manifest first means that an interruption leaves an
    incomplete directory (never opened as a database), not a manifest that
    points at missing shards. A path that holds a plain database is a
    ValueError (nothing is removed).
    """
    p = os.fspath(path)
    kind = describe_path(p)
    if kind == "plain":
        raise plain_error(p)
    if kind == "other":
        raise ValueError(f"{p!r} is not a sharded herondb database; nothing removed")
    if kind == "empty" and not os.path.exists(p):
        return
    manifest = os.path.join(p, MANIFEST_NAME)
    if os.path.exists(manifest):
        os.unlink(manifest)
        fsync_dir(p)
    shutil.rmtree(p)


__all__ = [
    "ShardedDatabase",
    "shard_for_id",
    "shard_dir_name",
    "merge_top_k",
    "fuse_hybrid",
    "hybrid_plan",
    "sum_text_stats",
    "describe_path",
    "read_manifest",
    "write_manifest",
    "destroy",
    "MANIFEST_NAME",
    "ROUTING_NAME",
    "ROUTING_VERSION",
]
