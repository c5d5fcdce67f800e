"""AsyncDatabase: the Database API for asyncio programs.

The members the reference lists as coroutines (writes, searches, get, save,
compact, export, import, verify, opening and closing) run in a worker thread
through :func:`asyncio.to_thread`, and herondb's C++ core releases the GIL
while it works or waits, so the event loop keeps serving other tasks.

``count``, ``ids``, ``stats``, ``enable_quantized_search``,
``disable_quantized_search``, ``len(db)`` and ``id in db`` are plain
synchronous members, as the reference lists them. They are safe to call on
the event loop because the core never makes a reader wait for maintenance:
compact, save and the quantized-search switches do their long work beside
readers and lock them out only for a short swap. What a synchronous member
can still wait for:

- ``count``, ``ids``, ``stats`` and ``in``: a writer's exclusive section
  (applying one batch: an ``add_many`` of a large batch holds it for as long
  as inserting that batch takes), or a maintenance call's final swap.
- ``enable_quantized_search`` trains the SQ8 codes in the calling thread (its
  own cost; readers keep running), and both switches wait for a running
  writer or maintenance call (they are maintenance themselves). The herondb
  additions ``enable_quantized_search_async`` and
  ``disable_quantized_search_async`` do the same in a worker thread.
- ``len(db)``, ``deleted_count`` and ``total_slots`` never wait: they answer
  from counts refreshed when each change completes.

``await db.contains(id)`` (a herondb addition) is ``id in db`` in a worker
thread.

Calls from several tasks may overlap: the underlying Database allows many
concurrent readers and serializes writers itself. Do not modify a numpy array
you passed to a call until that call's ``await`` has returned.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any, Dict, List, Optional, Sequence, Type

from ._typing import Filter, Matrix, Metadata, Metadatas, PathLike, Record, Vector
from .database import Database

from ._core import SearchResult


def _open_database(
    path: PathLike,
    dim: Optional[int],
    metric: Optional[str],
    m: Optional[int],
    ef_construction: Optional[int],
    quantize: bool,
    read_only: bool,
    sync: bool,
) -> Database:
    return Database(path, dim, metric, m, ef_construction, quantize, read_only=read_only, sync=sync)


class AsyncDatabase:
    """A :class:`Database` whose long-running methods are coroutines.

    ``AsyncDatabase(path, dim=...)`` opens the database right away (in the
    calling thread); ``await AsyncDatabase.open(path, dim=...)`` does the same
    without blocking the event loop. ``async with`` saves and closes on exit,
    like ``with Database(...)``. The parameters are those of :class:`Database`.
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
        read_only: bool = False,
        sync: bool = False,
    ) -> None:
        self._db = _open_database(path, dim, metric, m, ef_construction, quantize, read_only, sync)

    @classmethod
    async def open(
        cls,
        path: PathLike,
        dim: Optional[int] = None,
        metric: Optional[str] = None,
        m: Optional[int] = None,
        ef_construction: Optional[int] = None,
        quantize: bool = False,
        *,
        read_only: bool = False,
        sync: bool = False,
    ) -> "AsyncDatabase":
        """Open or create a database in a worker thread and wrap it."""
        db = await asyncio.to_thread(
            _open_database, path, dim, metric, m, ef_construction, quantize, read_only, sync
        )
        return cls.wrap(db)

    @classmethod
    def wrap(cls, database: Database) -> "AsyncDatabase":
        """Wrap an already open :class:`Database` (for instance a Client collection).

        The wrapper shares the handle: closing either closes both.
        """
        if not isinstance(database, Database):
            raise TypeError(f"expected a herondb.Database, got {type(database).__name__}")
        self = cls.__new__(cls)
        self._db = database
        return self

    @property
    def database(self) -> Database:
        """The wrapped synchronous :class:`Database`."""
        return self._db

    # --------------------------------------------------------------- properties

    @property
    def dim(self) -> int:
        """The vector dimensionality of this database."""
        return self._db.dim

    @property
    def metric(self) -> str:
        """The distance metric: ``"cosine"``, ``"euclidean"`` or ``"dot_product"``."""
        return self._db.metric

    @property
    def quantized_search(self) -> bool:
        """Whether graph traversal currently uses SQ8 codes."""
        return self._db.quantized_search

    @property
    def deleted_count(self) -> int:
        """Deleted slots not yet reclaimed by :meth:`compact` (never waits)."""
        return self._db._counts()[1]

    @property
    def total_slots(self) -> int:
        """Allocated slots, live plus deleted (never waits)."""
        return self._db._counts()[2]

    @property
    def path(self) -> str:
        """The database directory."""
        return self._db.path

    @property
    def closed(self) -> bool:
        """True once the database has been closed."""
        return self._db.closed

    @property
    def read_only(self) -> bool:
        """True when the database was opened with ``read_only=True``."""
        return self._db.read_only

    # ------------------------------------------------------------------ writes

    async def add(self, id: str, vector: Vector, metadata: Optional[Metadata] = None) -> None:
        """Add a vector under a new id (ValueError if the id exists)."""
        await asyncio.to_thread(self._db.add, id, vector, metadata)

    async def upsert(self, id: str, vector: Vector, metadata: Optional[Metadata] = None) -> None:
        """Insert a vector, or replace it if the id exists."""
        await asyncio.to_thread(self._db.upsert, id, vector, metadata)

    async def add_many(
        self, ids: Sequence[str], vectors: Matrix, metadatas: Optional[Metadatas] = None
    ) -> None:
        """Insert a batch of new vectors; all-or-nothing."""
        await asyncio.to_thread(self._db.add_many, ids, vectors, metadatas)

    async def upsert_many(
        self, ids: Sequence[str], vectors: Matrix, metadatas: Optional[Metadatas] = None
    ) -> None:
        """Insert or replace a batch of vectors; all-or-nothing."""
        await asyncio.to_thread(self._db.upsert_many, ids, vectors, metadatas)

    async def update(
        self, id: str, vector: Optional[Vector] = None, metadata: Optional[Metadata] = None
    ) -> None:
        """Replace the vector and/or the metadata of an existing id."""
        await asyncio.to_thread(self._db.update, id, vector, metadata)

    async def delete(self, id: str) -> bool:
        """Delete one id; True if it was there."""
        return await asyncio.to_thread(self._db.delete, id)

    async def delete_many(self, ids: Sequence[str]) -> int:
        """Delete several ids; returns how many were there."""
        return await asyncio.to_thread(self._db.delete_many, ids)

    # ------------------------------------------------------------------- reads

    async def search(
        self,
        vector: Vector,
        k: int = 10,
        ef_search: Optional[int] = None,
        where_filter: Optional[Filter] = None,
        max_distance: Optional[float] = None,
    ) -> List[SearchResult]:
        """The ``k`` nearest neighbours of ``vector``, closest first."""
        return await asyncio.to_thread(self._db.search, vector, k, ef_search, where_filter, max_distance)

    async def search_many(
        self,
        vectors: Matrix,
        k: int = 10,
        ef_search: Optional[int] = None,
        where_filter: Optional[Filter] = None,
        max_distance: Optional[float] = None,
    ) -> List[List[SearchResult]]:
        """One result list per query vector, computed in parallel."""
        return await asyncio.to_thread(
            self._db.search_many, vectors, k, ef_search, where_filter, max_distance
        )

    async def get(self, id: str) -> Record:
        """The stored vector and metadata of ``id`` (ValueError if unknown)."""
        return await asyncio.to_thread(self._db.get, id)

    def count(self, where_filter: Optional[Filter] = None) -> int:
        """Live vectors matching ``where_filter`` (all of them when None).

        Synchronous, as in the reference; never waits for maintenance.
        """
        return self._db.count(where_filter)

    def ids(self) -> List[str]:
        """All live ids (synchronous; never waits for maintenance)."""
        return self._db.ids()

    def stats(self) -> Dict[str, Any]:
        """Index and memory statistics (see :meth:`Database.stats`; synchronous)."""
        return self._db.stats()

    async def contains(self, id: object) -> bool:
        """``id in db`` in a worker thread (a herondb addition)."""
        return await asyncio.to_thread(self._db.__contains__, id)

    def enable_quantized_search(self) -> None:
        """Traverse the graph with SQ8 codes, re-ranking with full precision.

        Synchronous, as in the reference: trains the codes in the calling
        thread (readers keep running meanwhile). On a busy event loop prefer
        :meth:`enable_quantized_search_async`.
        """
        self._db.enable_quantized_search()

    def disable_quantized_search(self) -> None:
        """Traverse the graph with full-precision vectors (synchronous)."""
        self._db.disable_quantized_search()

    async def enable_quantized_search_async(self) -> None:
        """:meth:`enable_quantized_search` in a worker thread (a herondb addition)."""
        await asyncio.to_thread(self._db.enable_quantized_search)

    async def disable_quantized_search_async(self) -> None:
        """:meth:`disable_quantized_search` in a worker thread (a herondb addition)."""
        await asyncio.to_thread(self._db.disable_quantized_search)

    def __len__(self) -> int:
        # The live count as of the last completed change: never waits.
        return self._db._counts()[0]

    def __contains__(self, id: object) -> bool:
        # Synchronous, as on Database; never waits for maintenance.
        return id in self._db

    # ------------------------------------------------------------ text search

    async def create_text_index(
        self, field: str, language: str = "english", k1: float = 1.2, b: float = 0.75
    ) -> None:
        """Index metadata ``field`` for text search (see :meth:`Database.create_text_index`)."""
        await asyncio.to_thread(self._db.create_text_index, field, language, k1, b)

    async def drop_text_index(self, field: str) -> None:
        """Remove the text index on ``field``."""
        await asyncio.to_thread(self._db.drop_text_index, field)

    @property
    def text_indexes(self) -> List[str]:
        """The fields that have a text index."""
        return self._db.text_indexes

    async def search_text(
        self,
        query: str,
        k: int = 10,
        field: Optional[str] = None,
        where_filter: Optional[Filter] = None,
    ) -> List[SearchResult]:
        """BM25 text search (see :meth:`Database.search_text`)."""
        return await asyncio.to_thread(self._db.search_text, query, k, field, where_filter)

    async def hybrid_search(
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
        """Vector and text search fused (see :meth:`Database.hybrid_search`)."""
        return await asyncio.to_thread(
            self._db.hybrid_search, vector, query, k, field, where_filter, ef_search, fusion,
            rrf_k, alpha, candidates,
        )

    async def hybrid_search_many(
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
        """One fused list per (vector, query) pair, computed in parallel."""
        return await asyncio.to_thread(
            self._db.hybrid_search_many, vectors, queries, k, field, where_filter, ef_search,
            fusion, rrf_k, alpha, candidates,
        )

    # ----------------------------------------------------------- maintenance

    async def save(self) -> None:
        """Write a snapshot and make everything durable (see :meth:`Database.save`)."""
        await asyncio.to_thread(self._db.save)

    async def compact(self) -> None:
        """Rebuild the index from live vectors only."""
        await asyncio.to_thread(self._db.compact)

    async def export_json(self, path: PathLike, pretty: bool = False) -> None:
        """Write every record to a JSON file."""
        await asyncio.to_thread(self._db.export_json, path, pretty)

    async def import_json(self, path: PathLike) -> None:
        """Upsert every record of a JSON export; all-or-nothing."""
        await asyncio.to_thread(self._db.import_json, path)

    async def verify(self) -> None:
        """Check every file checksum and the graph; raises CorruptionError on damage."""
        await asyncio.to_thread(self._db.verify)

    async def close(self) -> None:
        """Close the database without writing a snapshot (the log has every write)."""
        await asyncio.to_thread(self._db.close)

    async def __aenter__(self) -> "AsyncDatabase":
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        # The Database's own context-manager exit: save, then close.
        await asyncio.to_thread(self._db.__exit__, exc_type, exc, tb)

    def __repr__(self) -> str:
        return f"<herondb.AsyncDatabase wrapping {self._db!r}>"


__all__ = ["AsyncDatabase"]
