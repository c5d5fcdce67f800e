"""Plumbing shared by the LangChain and LlamaIndex vector stores.

Neither framework is imported here: this module only knows herondb. It holds
the database a store works on (opened by path, handed over as a
:class:`Database` or :class:`AsyncDatabase`, or taken from a :class:`Client`
collection), creates it on the first write when its dimension was not known
up front (with the text index asked for before that), and provides the few
helpers both stores need (all ids matching a filter, the stored vectors of a
list of ids, exact distances).

Contract: a store that opened the database itself closes it in ``close()``;
a database handed in stays open (its owner closes it). Creation happens at
most once, under a lock, so concurrent first writes from several threads or
tasks open one database.
"""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ._typing import Filter, PathLike
from .async_database import AsyncDatabase
from .client import Client
from .database import Database


def _has_database_files(path: str) -> bool:
    """True when ``path`` is a non-empty directory (a database to open, or damage to report)."""
    return os.path.isdir(path) and any(True for _ in os.scandir(path))


class DatabaseHandle:
    """The database behind one vector store, opened now or on its first write.

    Exactly one of ``path``, ``database`` or ``client`` (with
    ``collection_name``) must be given. ``dim`` is needed to create a new
    database; without it, creation waits for the first write, whose vectors
    tell the dimension. ``metric``, ``m``, ``ef_construction`` and
    ``quantize`` are used only when creating.
    """

    def __init__(
        self,
        *,
        path: Optional[PathLike] = None,
        database: Optional[Any] = None,
        client: Optional[Client] = None,
        collection_name: Optional[str] = None,
        dim: Optional[int] = None,
        metric: Optional[str] = None,
        m: Optional[int] = None,
        ef_construction: Optional[int] = None,
        quantize: bool = False,
    ) -> None:
        given = [name for name, v in (("path", path), ("database", database), ("client", client)) if v is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of path=, database= or client= (with collection_name=); "
                f"got {', '.join(given) if given else 'none'}"
            )
        if (client is None) != (collection_name is None):
            raise ValueError("client= and collection_name= go together")
        if client is not None and not isinstance(client, Client):
            raise TypeError(f"client must be a herondb.Client, got {type(client).__name__}")
        if path is not None and not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
        self._path = os.fspath(path) if path is not None else None
        self._client = client
        self._collection = collection_name
        self._create_args: Dict[str, Any] = {
            "metric": metric,
            "m": m,
            "ef_construction": ef_construction,
            "quantize": quantize,
        }
        self._metric_hint = metric
        self._lock = threading.Lock()
        self._pending_text_index: Optional[Dict[str, Any]] = None
        self._db: Optional[Database] = None
        self._adb: Optional[AsyncDatabase] = None
        self._owned = False
        if database is not None:
            if isinstance(database, AsyncDatabase):
                database = database.database
            if not isinstance(database, Database):
                raise TypeError(
                    f"database must be a herondb.Database or AsyncDatabase, got {type(database).__name__}"
                )
            self._set(database, owned=False)
        elif client is not None:
            assert collection_name is not None
            if collection_name in client:
                self._set(client.get_collection(collection_name), owned=False)
            elif dim is not None:
                self._set(client.create_collection(collection_name, dim, **self._create_args), owned=False)
        else:
            assert self._path is not None
            if dim is not None or _has_database_files(self._path):
                self._set(Database(self._path, dim=dim, **self._create_args), owned=True)

    def _set(self, db: Database, *, owned: bool) -> None:
        self._db = db
        self._adb = AsyncDatabase.wrap(db)
        self._owned = owned

    # ---------------------------------------------------------------- access

    @property
    def database(self) -> Optional[Database]:
        """The open database, or None while it has not been created yet."""
        return self._db

    @property
    def metric(self) -> str:
        """The database's metric (the one it will be created with, before that)."""
        if self._db is not None:
            return self._db.metric
        return metric_name(self._metric_hint)

    def existing(self) -> Optional[Database]:
        """The database if it exists; raises if it was closed."""
        db = self._db
        if db is not None and db.closed:
            raise ValueError("the vector store's herondb database is closed")
        return db

    def existing_async(self) -> Optional[AsyncDatabase]:
        """The AsyncDatabase view of :meth:`existing`."""
        return self._adb if self.existing() is not None else None

    def for_write(self, dim: int) -> Database:
        """The database, created with dimension ``dim`` if it does not exist yet."""
        db = self.existing()
        if db is not None:
            return db
        with self._lock:
            if self._db is None:
                if self._client is not None:
                    assert self._collection is not None
                    if self._collection in self._client:  # made meanwhile through the same Client
                        collection = self._client.get_collection(self._collection)
                    else:
                        collection = self._client.create_collection(self._collection, dim, **self._create_args)
                    self._set(collection, owned=False)
                else:
                    assert self._path is not None
                    self._set(Database(self._path, dim=dim, **self._create_args), owned=True)
                created = self._db
                assert created is not None
                pending, self._pending_text_index = self._pending_text_index, None
                if pending is not None:
                    ensure_text_index(created, **pending)
            assert self._db is not None
            return self._db

    def create_text_index(self, field: str, language: str, k1: float, b: float) -> None:
        """Give ``field`` a text index now, or right after the database is created."""
        with self._lock:
            db = self._db
            if db is None:
                self._pending_text_index = {"field": field, "language": language, "k1": k1, "b": b}
                return
        ensure_text_index(db, field=field, language=language, k1=k1, b=b)

    def text_field_ready(self, field: str) -> Optional[Database]:
        """The database if ``field`` has a text index; None before the database exists.

        Raises ValueError (pointing at ``create_text_index``) when the
        database exists but ``field`` is not text-indexed.
        """
        db = self.existing()
        if db is None:
            return None
        if field not in db.text_indexes:
            raise ValueError(
                f"keyword and hybrid search need a text index on {field!r}: call the store's "
                "create_text_index() (or Database.create_text_index) first"
            )
        return db

    async def afor_write(self, dim: int) -> AsyncDatabase:
        """:meth:`for_write` for coroutines: creating the database runs in a worker thread."""
        if self.existing() is None:
            await asyncio.to_thread(self.for_write, dim)
        assert self._adb is not None
        return self._adb

    def close(self) -> None:
        """Close the database if this handle opened it; idempotent."""
        db, owned = self._db, self._owned
        if db is not None and owned and not db.closed:
            db.close()


def metric_name(metric: Optional[str]) -> str:
    """The canonical name herondb gives ``metric`` (None means cosine)."""
    if metric is None:
        return "cosine"
    name = metric.lower()
    return {"l2": "euclidean", "dot": "dot_product"}.get(name, name)


# ------------------------------------------------------------------ helpers


def as_matrix(vectors: Sequence[Sequence[float]]) -> np.ndarray:
    """Embeddings as one float32 (n, dim) array (what add_many takes without copying)."""
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim != 2:
        raise ValueError(f"embeddings must form an (n, dim) matrix, got shape {arr.shape}")
    return arr


def ids_matching(db: Database, where: Filter) -> List[str]:
    """Every live id whose metadata matches ``where``.

    herondb has no "list ids by filter" call, so this is a filtered search
    with ``k`` equal to the number of matches: herondb guarantees
    ``min(k, matches)`` results for a filtered search (D8), so it returns all
    of them. The probe vector's direction does not matter.
    """
    n = db.count(where)
    if n == 0:
        return []
    probe = np.ones(db.dim, dtype=np.float32)
    return [r.id for r in db.search(probe, k=n, where_filter=where)]


def get_records(db: Database, ids: Sequence[str]) -> List[Tuple[str, List[float], Optional[Dict[str, Any]]]]:
    """``(id, vector, metadata)`` of each id that exists, in the given order.

    Unknown ids (and ids deleted meanwhile) are skipped, never an error.
    """
    out: List[Tuple[str, List[float], Optional[Dict[str, Any]]]] = []
    seen = set()
    for rid in ids:
        if rid in seen:
            continue
        seen.add(rid)
        if rid not in db:
            continue
        try:
            vec, meta = db.get(rid)
        except ValueError:
            if db.closed:
                raise
            continue  # deleted between the check and the get
        out.append((rid, vec, meta))
    return out


def distances(metric: str, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """herondb's distance (api-decisions D2) of ``query`` to every row, in float64."""
    q = np.asarray(query, dtype=np.float64)
    x = np.asarray(rows, dtype=np.float64)
    if metric == "cosine":
        norms = np.linalg.norm(x, axis=1) * np.linalg.norm(q)
        out = 1.0 - (x @ q) / np.where(norms == 0, 1.0, norms)
    elif metric == "euclidean":
        out = np.sqrt(((x - q) ** 2).sum(axis=1))
    elif metric == "dot_product":
        out = -(x @ q)
    else:
        raise ValueError(f"unknown metric {metric!r}")
    return np.asarray(out, dtype=np.float64)


def ensure_text_index(db: Database, *, field: str, language: str, k1: float, b: float) -> None:
    """Create a text index on ``field`` unless it has one (an existing one is kept as it is)."""
    if field not in db.text_indexes:
        db.create_text_index(field, language, k1, b)


__all__ = [
    "DatabaseHandle",
    "metric_name",
    "as_matrix",
    "ids_matching",
    "get_records",
    "distances",
    "ensure_text_index",
]
