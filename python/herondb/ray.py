"""herondb on Ray: build, read, batch-search and serve sharded databases.

Install with ``pip install herondb[ray]``. Everything here works on a
:class:`~herondb.ShardedDatabase` directory (see ``herondb.sharded``) that
every Ray worker can reach under the same path (a shared filesystem; see
docs/scale-out.md for object-store copies):

- :class:`HeronDBDatasink`: ``ds.write_datasink(HeronDBDatasink(path, dim=...,
  num_shards=N, ...))`` builds the shards on the cluster's workers;
- :func:`read_herondb`: a Dataset of ``id``, ``vector``, ``metadata``, one
  read task per shard;
- :class:`HeronDBSearcher`: a callable class for ``map_batches`` that
  searches a dataset of query vectors (each actor opens the shards read-only);
- :class:`HeronDBService`: one read-only Ray actor per shard (or several
  replicas), with ``search`` / ``search_many`` / ``search_text`` /
  ``hybrid_search`` fanned out and merged.

How the datasink builds (and why a failure never leaves a manifest pointing
at a half-built shard):

1. ``on_write_start`` (driver) checks the target: a path holding a plain
   database, a complete sharded database or foreign files is a ValueError;
   leftovers of an earlier build that never wrote its manifest are removed.
2. Every write task routes its rows to shards with the same stable hash as
   ``ShardedDatabase`` and writes them to its own staging folder
   (``<path>/.herondb-staging/<job>/<task>-<attempt>/``, a fresh folder per
   attempt). No two tasks share a file, so nothing is locked and a retried
   task never sees a half-written attempt: only the folders returned by
   tasks that succeeded are used.
3. ``on_write_complete`` (driver) launches one Ray task per shard, which adds
   that shard's staged rows to a new database in a scratch folder, saves it,
   and renames it into place as ``shard-NNNN`` (an attempt that died is
   replaced whole by the retry). When every shard is built, the driver writes
   the manifest (the commit point) and removes the staging folder.
4. ``on_write_failed`` removes what the job wrote. Without a manifest the
   folder is an incomplete build that ``ShardedDatabase`` refuses to open.
"""

from __future__ import annotations

import importlib
import itertools
import json
import os
import shutil
import threading
import uuid
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, cast

import numpy as np

import ray
from ray.data import Datasink, Datasource, ReadTask
from ray.data.block import Block, BlockAccessor, BlockMetadata

from . import _core
from .database import Database
from .sharded import ShardedDatabase, fuse_hybrid, hybrid_plan, sum_text_stats
from ._shard_format import (
    MANIFEST_NAME,
    MAX_SHARDS,
    ROUTING_NAME,
    ROUTING_VERSION,
    STAGING_DIR,
    FORMAT_NAME,
    FORMAT_VERSION,
    check_metadata_value,
    fsync_dir,
    describe_path,
    merge_top_k,
    read_manifest,
    shard_dir_name,
    shard_for_id,
    write_manifest,
)

SearchResult = _core.SearchResult

# Rows handed to one add_many call while a shard is built.
_BUILD_CHUNK_ROWS = 100_000


# ------------------------------------------------------------------ helpers


def _require_sharded(path: str, what: str) -> Dict[str, Any]:
    kind = describe_path(path)
    if kind == "plain":
        raise ValueError(
            f"{path!r} holds a plain herondb database, not a sharded one: {what} works on "
            "sharded databases (herondb.ShardedDatabase or HeronDBDatasink builds them)"
        )
    if kind != "sharded":
        raise ValueError(f"no sharded herondb database at {path!r} ({MANIFEST_NAME} is missing)")
    return read_manifest(path)


def _to_python(value: Any) -> Any:
    """A Ray/numpy/pyarrow cell as plain Python (numpy scalars and arrays become numbers and lists)."""
    if isinstance(value, np.ndarray):
        return [_to_python(v) for v in value.tolist()] if value.dtype == object else value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _to_python(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_python(v) for v in value]
    return value


def _stack_vectors(column: Any, ids: Sequence[str], dim: int, name: str) -> np.ndarray:
    """A vector column (a 2-D array, or an object array of 1-D arrays/lists) as float32 (n, dim)."""
    arr = np.asarray(column) if not isinstance(column, np.ndarray) else column
    if arr.dtype == object or arr.ndim == 1:
        rows = list(arr)
        for rid, row in zip(ids, rows):
            if row is None:
                raise ValueError(f"row {rid!r} has no vector (column {name!r} is null)")
            length = len(row)
            if length != dim:
                raise ValueError(
                    f"row {rid!r} has a vector of dimension {length} in column {name!r}, expected {dim}"
                )
        arr = np.stack([np.asarray(r, dtype=np.float32) for r in rows]) if rows else np.zeros((0, dim))
    if arr.ndim != 2 or arr.shape[1] != dim:
        got = arr.shape[1] if arr.ndim == 2 else arr.shape
        raise ValueError(f"column {name!r} holds vectors of dimension {got}, expected {dim}")
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"column {name!r} must hold numeric vectors, got {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=np.float32)


def _missing_columns(available: Iterable[str], wanted: Iterable[str]) -> List[str]:
    have = set(available)
    return [c for c in wanted if c not in have]


def _remove_tree(path: str) -> None:
    if os.path.isdir(path):
        shutil.rmtree(path)


# ------------------------------------------------------------------ datasink


def _build_shard_remote(sink: "HeronDBDatasink", shard: int, chunk_dirs: List[str]) -> Tuple[int, int, int]:
    return sink.build_shard(shard, chunk_dirs)


class HeronDBDatasink(Datasink[Dict[str, Any]]):
    """A Ray Data datasink that writes a dataset into a new sharded herondb database.

    ``ds.write_datasink(HeronDBDatasink(path, dim=384, num_shards=8,
    id_column="id", vector_column="embedding", metadata_columns=["title"]))``.
    Each row becomes one record: its id (a str column), its vector (a list or
    tensor column of length ``dim``) and a metadata dict made of the
    ``metadata_columns`` (a null cell is stored as ``None``; no columns: no
    metadata), or taken whole from ``metadata_column`` (a column of dicts,
    as :func:`read_herondb` gives; the named ``metadata_columns`` are added
    to it). Ids must be unique across the dataset (a repeat fails the
    job). ``path`` must be reachable by every worker under the same name.

    The shards are built by Ray tasks, one per shard, after every write task
    has staged its rows; ``build_remote_args`` are their ``ray.remote``
    options (default ``{"num_cpus": 1}``; herondb's own thread pool uses
    every core of the node while a graph is built). The manifest is written
    only after every shard is complete: a failed job leaves no manifest.
    """

    def __init__(
        self,
        path: "str | os.PathLike[str]",
        *,
        dim: int,
        num_shards: int,
        id_column: str = "id",
        vector_column: str = "vector",
        metadata_columns: Optional[Sequence[str]] = None,
        metadata_column: Optional[str] = None,
        metric: Optional[str] = None,
        m: Optional[int] = None,
        ef_construction: Optional[int] = None,
        quantize: bool = False,
        build_remote_args: Optional[Dict[str, Any]] = None,
    ) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
        for name, value in (("dim", dim), ("num_shards", num_shards), ("m", m),
                            ("ef_construction", ef_construction)):
            if value is None and name in ("m", "ef_construction"):
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int, got {type(value).__name__}")
            if value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value}")
        if num_shards > MAX_SHARDS:
            raise ValueError(f"num_shards must be at most {MAX_SHARDS}, got {num_shards}")
        for name, column in (("id_column", id_column), ("vector_column", vector_column)):
            if not isinstance(column, str):
                raise TypeError(f"{name} must be a str, got {type(column).__name__}")
        if metadata_columns is None:
            metadata_columns = []
        if isinstance(metadata_columns, str) or not all(isinstance(c, str) for c in metadata_columns):
            raise TypeError("metadata_columns must be a list of column names (str)")
        if metadata_column is not None and not isinstance(metadata_column, str):
            raise TypeError(f"metadata_column must be a str, got {type(metadata_column).__name__}")
        if metric is not None and not isinstance(metric, str):
            raise TypeError(f"metric must be a str, got {type(metric).__name__}")
        if not isinstance(quantize, bool):
            raise TypeError(f"quantize must be a bool, got {type(quantize).__name__}")
        self.path = os.path.abspath(os.fspath(path))
        self.dim = dim
        self.num_shards = num_shards
        self.id_column = id_column
        self.vector_column = vector_column
        self.metadata_columns = list(metadata_columns)
        self.metadata_column = metadata_column
        self.metric = _core._canonical_metric(metric) if metric is not None else "cosine"
        self.m = m
        self.ef_construction = ef_construction
        self.quantize = quantize
        self.build_remote_args = dict(build_remote_args or {"num_cpus": 1})
        self.job = uuid.uuid4().hex[:12]

    def _columns(self) -> List[str]:
        extra = [self.metadata_column] if self.metadata_column else []
        return [self.id_column, self.vector_column, *self.metadata_columns, *extra]

    # -- layout
    @property
    def _staging(self) -> str:
        return os.path.join(self.path, STAGING_DIR)

    @property
    def _job_dir(self) -> str:
        return os.path.join(self._staging, self.job)

    def get_name(self) -> str:
        return "HeronDB"

    # -- driver: start
    def on_write_start(self, schema: Optional[Any] = None) -> None:
        """Check the target folder and clear what an earlier failed build left."""
        kind = describe_path(self.path)
        if kind == "plain":
            raise ValueError(
                f"{self.path!r} holds a plain herondb database: HeronDBDatasink writes a new "
                "sharded database and never overwrites one; choose an empty path"
            )
        if kind == "sharded":
            raise ValueError(
                f"{self.path!r} already holds a sharded herondb database; remove it "
                "(herondb.sharded.destroy) or choose another path"
            )
        if kind == "other":
            raise ValueError(f"{self.path!r} is not empty and not a herondb build folder; choose an empty path")
        if schema is not None and getattr(schema, "names", None) is not None:
            missing = _missing_columns(schema.names, self._columns())
            if missing:
                raise ValueError(
                    f"column {missing[0]!r} is not in the dataset (columns: {', '.join(schema.names)})"
                )
        if kind == "incomplete":
            # Shard folders and staging of a build that never wrote its manifest.
            for name in os.listdir(self.path):
                _remove_tree(os.path.join(self.path, name))
        os.makedirs(self._job_dir, exist_ok=True)
        self._owns_path = True

    # -- workers: stage rows
    def write(self, blocks: Iterable[Block], ctx: Any) -> Dict[str, Any]:
        """Route the task's rows to shards and stage them in a folder of its own."""
        task_dir = os.path.join(
            self._job_dir, f"task-{getattr(ctx, 'task_idx', 0):06d}-{uuid.uuid4().hex[:8]}"
        )
        os.makedirs(task_dir)
        per_shard_ids: List[List[str]] = [[] for _ in range(self.num_shards)]
        per_shard_meta: List[List[Optional[Dict[str, Any]]]] = [[] for _ in range(self.num_shards)]
        per_shard_vecs: List[List[np.ndarray]] = [[] for _ in range(self.num_shards)]
        rows = 0
        for block in blocks:
            accessor = BlockAccessor.for_block(block)
            if accessor.num_rows() == 0:
                continue
            batch = accessor.to_batch_format("numpy")
            missing = _missing_columns(batch.keys(), self._columns())
            if missing:
                raise ValueError(
                    f"column {missing[0]!r} is not in the dataset (columns: {', '.join(batch.keys())})"
                )
            ids: List[str] = []
            for value in batch[self.id_column]:
                value = _to_python(value)
                if not isinstance(value, str):
                    raise TypeError(
                        f"column {self.id_column!r} must hold str ids, got {type(value).__name__} ({value!r})"
                    )
                ids.append(value)
            vectors = _stack_vectors(batch[self.vector_column], ids, self.dim, self.vector_column)
            bad = ~np.isfinite(vectors).all(axis=1)
            if bad.any():
                raise ValueError(f"row {ids[int(np.flatnonzero(bad)[0])]!r} has a vector with NaN or Inf")
            metas: List[Optional[Dict[str, Any]]]
            if self.metadata_columns or self.metadata_column:
                columns = [(c, batch[c]) for c in self.metadata_columns]
                whole = batch[self.metadata_column] if self.metadata_column else None
                metas = []
                for r, rid in enumerate(ids):
                    meta: Optional[Dict[str, Any]] = None
                    if whole is not None:
                        value = _to_python(whole[r])
                        if value is not None and not isinstance(value, dict):
                            raise TypeError(
                                f"row {rid!r}: column {self.metadata_column!r} must hold a dict "
                                f"or null, got {type(value).__name__}"
                            )
                        meta = value
                    if columns:
                        meta = dict(meta or {})
                        meta.update({c: _to_python(col[r]) for c, col in columns})
                    if meta is None:
                        metas.append(None)
                        continue
                    try:
                        check_metadata_value(meta, "metadata")
                    except (TypeError, ValueError) as e:
                        raise type(e)(f"row {rid!r}: {e}") from None
                    metas.append(meta)
            else:
                metas = [None] * len(ids)
            shard_of = np.fromiter((shard_for_id(i, self.num_shards) for i in ids), np.int64, len(ids))
            for r, rid in enumerate(ids):
                s = int(shard_of[r])
                per_shard_ids[s].append(rid)
                per_shard_meta[s].append(metas[r])
            for s in np.unique(shard_of):
                per_shard_vecs[int(s)].append(vectors[shard_of == s])
            rows += len(ids)
        counts: Dict[int, int] = {}
        for s in range(self.num_shards):
            if not per_shard_ids[s]:
                continue
            base = os.path.join(task_dir, shard_dir_name(s))
            np.save(base + ".npy", np.concatenate(per_shard_vecs[s]))
            with open(base + ".json", "w", encoding="utf-8") as f:
                json.dump({"ids": per_shard_ids[s], "metadatas": per_shard_meta[s]}, f)
            counts[s] = len(per_shard_ids[s])
        return {"dir": task_dir, "rows": rows, "counts": counts}

    # -- workers: build one shard
    def build_shard(self, shard: int, task_dirs: List[str]) -> Tuple[int, int, int]:
        """Build shard ``shard`` from the staged rows; returns (records, m, ef_construction).

        Runs as a Ray task. Idempotent: a scratch folder of an earlier attempt
        and a shard folder it renamed into place are replaced whole.
        """
        name = shard_dir_name(shard)
        final = os.path.join(self.path, name)
        scratch = os.path.join(self._job_dir, "build-" + name)
        _remove_tree(scratch)
        os.makedirs(self._job_dir, exist_ok=True)
        db = Database(
            scratch,
            dim=self.dim,
            metric=self.metric,
            m=self.m,
            ef_construction=self.ef_construction,
            quantize=self.quantize,
        )
        try:
            pending_ids: List[str] = []
            pending_meta: List[Optional[Dict[str, Any]]] = []
            pending_vecs: List[np.ndarray] = []

            def flush() -> None:
                if pending_ids:
                    db.add_many(pending_ids, np.concatenate(pending_vecs), pending_meta)
                    pending_ids.clear()
                    pending_meta.clear()
                    pending_vecs.clear()

            for task_dir in task_dirs:
                base = os.path.join(task_dir, name)
                if not os.path.exists(base + ".json"):
                    continue
                with open(base + ".json", encoding="utf-8") as f:
                    staged = json.load(f)
                pending_ids.extend(staged["ids"])
                pending_meta.extend(staged["metadatas"])
                pending_vecs.append(np.load(base + ".npy"))
                if len(pending_ids) >= _BUILD_CHUNK_ROWS:
                    flush()
            flush()
            db.save()
            result = (len(db), db.m, db.ef_construction)
        finally:
            db.close()
        _remove_tree(final)
        os.rename(scratch, final)
        fsync_dir(self.path)
        return result

    # -- driver: commit
    def on_write_complete(self, write_result: Any) -> None:
        """Build every shard (one Ray task each), then write the manifest, then clear staging."""
        returns = getattr(write_result, "write_returns", write_result)
        task_dirs = sorted(r["dir"] for r in returns if r)
        build = ray.remote(**{"max_retries": 3, **self.build_remote_args})(_build_shard_remote)
        built = ray.get([build.remote(self, s, task_dirs) for s in range(self.num_shards)])
        counts = [b[0] for b in built]
        staged = sum(r["rows"] for r in returns if r)
        if sum(counts) != staged:
            raise RuntimeError(f"built {sum(counts)} records from {staged} staged rows")
        write_manifest(
            self.path,
            {
                "format": FORMAT_NAME,
                "format_version": FORMAT_VERSION,
                "dim": self.dim,
                "metric": self.metric,
                "m": built[0][1],
                "ef_construction": built[0][2],
                "quantize": self.quantize,
                "num_shards": self.num_shards,
                "routing": {"name": ROUTING_NAME, "version": ROUTING_VERSION},
                "shard_counts": counts,
            },
        )
        _remove_tree(self._staging)

    def on_write_failed(self, error: Exception) -> None:
        """Remove what this job wrote (best effort); no manifest was written."""
        # Only a job that passed on_write_start's checks cleans up: never
        # touch a folder that was refused (a plain database, foreign files).
        if not getattr(self, "_owns_path", False):
            return
        if os.path.exists(os.path.join(self.path, MANIFEST_NAME)):
            return
        try:
            _remove_tree(self._staging)
            for name in os.listdir(self.path):
                if name.startswith("shard-"):
                    _remove_tree(os.path.join(self.path, name))
        except OSError:
            pass


# ---------------------------------------------------------------- datasource


class HeronDBDatasource(Datasource):
    """A Ray Data datasource over a sharded herondb database: one read task per shard.

    Rows have ``id`` (str), ``vector`` (float32, length dim) and ``metadata``
    (the stored dict, or None). Each task opens its shard read-only and emits
    blocks of up to ``rows_per_block`` rows.
    """

    def __init__(self, path: "str | os.PathLike[str]", *, rows_per_block: int = 10_000) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
        if isinstance(rows_per_block, bool) or not isinstance(rows_per_block, int) or rows_per_block < 1:
            raise ValueError(f"rows_per_block must be a positive integer, got {rows_per_block!r}")
        self.path = os.path.abspath(os.fspath(path))
        self.manifest = _require_sharded(self.path, "read_herondb")
        self.rows_per_block = rows_per_block

    def get_name(self) -> str:
        return "HeronDB"

    def estimate_inmemory_data_size(self) -> Optional[int]:
        return int(sum(self.manifest["shard_counts"]) * (4 * self.manifest["dim"] + 64))

    def get_read_tasks(
        self, parallelism: int, per_task_row_limit: Optional[int] = None, data_context: Any = None
    ) -> List[ReadTask]:
        tasks = []
        dim = self.manifest["dim"]
        for s in range(self.manifest["num_shards"]):
            shard_path = os.path.join(self.path, shard_dir_name(s))
            count = self.manifest["shard_counts"][s]
            meta = _block_metadata(count * (4 * dim + 64))
            tasks.append(ReadTask(_shard_reader(shard_path, self.rows_per_block), meta))
        return tasks


def _block_metadata(size_bytes: int) -> BlockMetadata:
    # The manifest's counts are as of the last save: give Ray no row count.
    try:
        return BlockMetadata(num_rows=None, size_bytes=size_bytes, exec_stats=None, input_files=None)
    except TypeError:  # older Ray: BlockMetadata also takes a schema
        return BlockMetadata(  # type: ignore[call-arg]
            num_rows=None, size_bytes=size_bytes, schema=None, input_files=None, exec_stats=None
        )


def _shard_reader(shard_path: str, rows_per_block: int) -> Any:
    def read() -> Iterator[Any]:
        pd = importlib.import_module("pandas")

        db = Database(shard_path, read_only=True)
        try:
            ids = db.ids()
            for start in range(0, len(ids), rows_per_block):
                chunk = ids[start : start + rows_per_block]
                vectors = []
                metadatas = []
                for i in chunk:
                    vec, meta = db.get(i)
                    vectors.append(np.asarray(vec, dtype=np.float32))
                    metadatas.append(meta)
                yield pd.DataFrame({"id": chunk, "vector": vectors, "metadata": metadatas})
        finally:
            db.close()

    return read


def read_herondb(
    path: "str | os.PathLike[str]", *, rows_per_block: int = 10_000, **read_args: Any
) -> "ray.data.Dataset":
    """A Ray Dataset of every record of a sharded herondb database (``id``, ``vector``, ``metadata``).

    One read task per shard, each opening its shard read-only; extra keyword
    arguments go to ``ray.data.read_datasource`` (``ray_remote_args``, ...).
    A path holding a plain database or nothing is a ValueError.
    """
    dataset: ray.data.Dataset = ray.data.read_datasource(
        HeronDBDatasource(path, rows_per_block=rows_per_block), **read_args
    )
    return dataset


# ----------------------------------------------------------- batch retrieval


class HeronDBSearcher:
    """A callable class for ``Dataset.map_batches``: the top-k of every query row.

    ``queries.map_batches(HeronDBSearcher, fn_constructor_kwargs={"path": p,
    "k": 10}, concurrency=4, batch_size=256)``. Each actor opens the sharded
    database read-only once. Output: every input column plus
    ``result_ids`` (list of str per row), ``result_distances`` (list of
    float) and, with ``include_metadata=True``, ``result_metadata``.
    ``ef_search``, ``where_filter`` and ``max_distance`` are those of
    :meth:`ShardedDatabase.search`.
    """

    def __init__(
        self,
        path: "str | os.PathLike[str]",
        *,
        k: int = 10,
        vector_column: str = "vector",
        ef_search: Optional[int] = None,
        where_filter: Optional[Dict[str, Any]] = None,
        max_distance: Optional[float] = None,
        include_metadata: bool = False,
    ) -> None:
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be >= 1, got {k!r}")
        _require_sharded(os.fspath(path), "HeronDBSearcher")
        self.db = ShardedDatabase(path, read_only=True)
        self.k = k
        self.vector_column = vector_column
        self.ef_search = ef_search
        self.where_filter = where_filter
        self.max_distance = max_distance
        self.include_metadata = include_metadata

    def __call__(self, batch: Dict[str, Any]) -> Dict[str, Any]:
        if self.vector_column not in batch:
            raise ValueError(
                f"column {self.vector_column!r} is not in the dataset (columns: {', '.join(batch)})"
            )
        n = len(batch[self.vector_column])
        ids = [f"row {r}" for r in range(n)]
        vectors = _stack_vectors(batch[self.vector_column], ids, self.db.dim, self.vector_column)
        results = self.db.search_many(vectors, self.k, self.ef_search, self.where_filter, self.max_distance)
        out = dict(batch)
        out["result_ids"] = _object_column([[r.id for r in res] for res in results])
        out["result_distances"] = _object_column(
            [np.asarray([r.distance for r in res], dtype=np.float64) for res in results]
        )
        if self.include_metadata:
            out["result_metadata"] = _object_column([[r.metadata for r in res] for res in results])
        return out


def _object_column(values: List[Any]) -> np.ndarray:
    col = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        col[i] = v
    return col


# ------------------------------------------------------------------- serving


class _ShardActor:
    """One shard, opened read-only, answering searches (the body of a Ray actor)."""

    def __init__(self, shard_path: str, expected_dim: int) -> None:
        self.db = Database(shard_path, read_only=True)
        if self.db.dim != expected_dim:
            raise ValueError(f"{shard_path}: dim {self.db.dim}, the manifest says {expected_dim}")

    def ready(self) -> int:
        return len(self.db)

    def search(self, *args: Any) -> List[Any]:
        return self.db.search(*args)

    def search_many(self, *args: Any) -> List[List[Any]]:
        return self.db.search_many(*args)

    def count(self, where_filter: Any) -> int:
        return self.db.count(where_filter)

    def text_stats(self, query: str, field: Any) -> Dict[str, Any]:
        """The shard's corpus statistics of ``query`` (summed by the caller)."""
        return dict(cast(Any, self.db)._text_stats(query, field))

    def search_text(
        self, query: str, k: int, field: Any, where_filter: Any, stats: Dict[str, Any]
    ) -> List[Any]:
        """The shard's BM25 top ``k`` scored with the global statistics ``stats``."""
        return list(cast(Any, self.db)._search_text(query, k, field, where_filter, False, stats))

    def hybrid_parts(
        self, vector: Any, query: str, cand: int, ef: int, field: Any, where_filter: Any,
        stats: Dict[str, Any],
    ) -> Tuple[List[Any], List[Any]]:
        """The shard's two candidate lists of a hybrid search (fused by the caller)."""
        return (
            self.db.search(vector, cand, ef, where_filter),
            self.search_text(query, cand, field, where_filter, stats),
        )

    def close(self) -> None:
        self.db.close()


class HeronDBService:
    """A serving handle: one read-only Ray actor per shard (times ``replicas_per_shard``).

    ``svc = HeronDBService(path)`` starts the actors and waits until every
    shard is open; ``svc.search(vector, k=10)`` sends the query to one
    replica of every shard at once and merges the per-shard top-k exactly as
    :class:`ShardedDatabase` does. Replicas of a shard are used in turn.
    The handle holds only actor handles, so it can be passed to Ray tasks,
    actors or Serve deployments. ``actor_options`` are the actors'
    ``ray.remote`` options (default ``{"num_cpus": 1}``). ``shutdown()``
    stops the actors.

    The actors see the database as it was when they opened it (as any
    read-only handle does); start a new service to serve a rebuilt database.
    """

    def __init__(
        self,
        path: "str | os.PathLike[str]",
        *,
        replicas_per_shard: int = 1,
        actor_options: Optional[Dict[str, Any]] = None,
    ) -> None:
        if isinstance(replicas_per_shard, bool) or not isinstance(replicas_per_shard, int) or replicas_per_shard < 1:
            raise ValueError(f"replicas_per_shard must be a positive integer, got {replicas_per_shard!r}")
        self.path = os.path.abspath(os.fspath(path))
        manifest = _require_sharded(self.path, "HeronDBService")
        self.dim = int(manifest["dim"])
        self.metric = str(manifest["metric"])
        self.num_shards = int(manifest["num_shards"])
        actor_cls = ray.remote(**(actor_options or {"num_cpus": 1}))(_ShardActor)
        self._replicas: List[List[Any]] = [
            [
                actor_cls.remote(os.path.join(self.path, shard_dir_name(s)), self.dim)
                for _ in range(replicas_per_shard)
            ]
            for s in range(self.num_shards)
        ]
        self._turn = itertools.count()
        self._turn_lock = threading.Lock()
        try:
            ray.get([a.ready.remote() for reps in self._replicas for a in reps])
        except BaseException:
            self.shutdown()
            raise

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        del state["_turn"], state["_turn_lock"]
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._turn = itertools.count()
        self._turn_lock = threading.Lock()

    def _pick(self) -> List[Any]:
        with self._turn_lock:
            turn = next(self._turn)
        return [reps[turn % len(reps)] for reps in self._replicas]

    def _check_k(self, k: Any) -> None:
        if isinstance(k, bool) or not isinstance(k, int):
            raise TypeError(f"k must be an int, got {type(k).__name__}")
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")

    def search(
        self,
        vector: Any,
        k: int = 10,
        ef_search: Optional[int] = None,
        where_filter: Optional[Dict[str, Any]] = None,
        max_distance: Optional[float] = None,
    ) -> List[Any]:
        """The merged top-k of every shard (see :meth:`ShardedDatabase.search`)."""
        self._check_k(k)
        refs = [a.search.remote(vector, k, ef_search, where_filter, max_distance) for a in self._pick()]
        return merge_top_k(ray.get(refs), k)

    def search_many(
        self,
        vectors: Any,
        k: int = 10,
        ef_search: Optional[int] = None,
        where_filter: Optional[Dict[str, Any]] = None,
        max_distance: Optional[float] = None,
    ) -> List[List[Any]]:
        """One merged result list per query vector."""
        self._check_k(k)
        if isinstance(vectors, list):
            try:
                vectors = np.asarray(vectors, dtype=np.float32)
            except (TypeError, ValueError):
                pass
        refs = [a.search_many.remote(vectors, k, ef_search, where_filter, max_distance) for a in self._pick()]
        parts = ray.get(refs)
        return [merge_top_k(per_query, k) for per_query in zip(*parts)]

    def search_text(
        self,
        query: str,
        k: int = 10,
        field: Optional[str] = None,
        where_filter: Optional[Dict[str, Any]] = None,
    ) -> List[Any]:
        """BM25 search on every shard, merged (see :meth:`ShardedDatabase.search_text`)."""
        self._check_k(k)
        actors = self._pick()
        stats = self._text_stats(actors, query, field)
        refs = [a.search_text.remote(query, k, field, where_filter, stats) for a in actors]
        return merge_top_k(ray.get(refs), k)

    @staticmethod
    def _text_stats(actors: List[Any], query: str, field: Optional[str]) -> Dict[str, Any]:
        """The global corpus statistics of ``query``: every shard's, summed."""
        if not isinstance(query, str):
            raise TypeError(f"query must be a str, got {type(query).__name__}")
        return sum_text_stats(ray.get([a.text_stats.remote(query, field) for a in actors]))

    def hybrid_search(
        self,
        vector: Any,
        query: str,
        k: int = 10,
        field: Optional[str] = None,
        where_filter: Optional[Dict[str, Any]] = None,
        ef_search: Optional[int] = None,
        fusion: str = "rrf",
        rrf_k: float = 60,
        alpha: float = 0.5,
        candidates: Optional[int] = None,
    ) -> List[Any]:
        """Hybrid search fused over every shard (see :meth:`ShardedDatabase.hybrid_search`)."""
        cand, ef = hybrid_plan(query, k, field, where_filter, ef_search, fusion, rrf_k, alpha,
                               candidates)
        actors = self._pick()
        stats = self._text_stats(actors, query, field)
        refs = [a.hybrid_parts.remote(vector, query, cand, ef, field, where_filter, stats)
                for a in actors]
        parts = ray.get(refs)
        vec = merge_top_k([p[0] for p in parts], cand)
        txt = merge_top_k([p[1] for p in parts], cand)
        return fuse_hybrid(vec, txt, k, fusion, rrf_k, alpha)

    def count(self, where_filter: Optional[Dict[str, Any]] = None) -> int:
        """Live records matching the filter, over every shard."""
        return int(sum(ray.get([a.count.remote(where_filter) for a in self._pick()])))

    def shutdown(self) -> None:
        """Stop every actor (idempotent)."""
        for reps in getattr(self, "_replicas", []):
            for actor in reps:
                ray.kill(actor)
        self._replicas = []


__all__ = [
    "HeronDBDatasink",
    "HeronDBDatasource",
    "HeronDBSearcher",
    "HeronDBService",
    "read_herondb",
    "STAGING_DIR",
]
