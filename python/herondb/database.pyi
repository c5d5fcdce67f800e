"""Type stubs of herondb.database: the public Database API."""

import os
from types import TracebackType
from typing import Any, Dict, List, Optional, Sequence, Type, Union

from ._core import SearchResult
from ._typing import Filter, Matrix, Metadata, Metadatas, Record, Vector

class Database:
    """A persistent vector database in a directory, searched with an HNSW index.

    ``Database(path, dim=384)`` creates one; ``Database(path)`` reopens it and
    detects dim, metric, m, ef_construction and quantize. ``read_only=True``
    opens a snapshot view without the write lock; ``sync=True`` fsyncs every
    write. ``with Database(...)`` saves and closes on exit.
    """

    def __init__(
        self,
        path: Union[str, "os.PathLike[str]"],
        dim: Optional[int] = None,
        metric: Optional[str] = None,
        m: Optional[int] = None,
        ef_construction: Optional[int] = None,
        quantize: bool = False,
        *,
        read_only: bool = False,
        sync: bool = False,
    ) -> None: ...
    @property
    def dim(self) -> int:
        """The vector dimensionality."""
    @property
    def metric(self) -> str:
        """``"cosine"``, ``"euclidean"`` or ``"dot_product"``."""
    @property
    def m(self) -> int:
        """The HNSW M parameter (edges per node)."""
    @property
    def ef_construction(self) -> int:
        """The HNSW build-time search width."""
    @property
    def path(self) -> str:
        """The database directory."""
    @property
    def read_only(self) -> bool:
        """True when opened with ``read_only=True``."""
    @property
    def closed(self) -> bool:
        """True once :meth:`close` has been called."""
    @property
    def deleted_count(self) -> int:
        """Deleted slots not yet reclaimed by :meth:`compact`."""
    @property
    def total_slots(self) -> int:
        """Allocated slots, live plus deleted."""
    @property
    def quantized_search(self) -> bool:
        """Whether graph traversal uses SQ8 codes."""
    def add(self, id: str, vector: Vector, metadata: Optional[Metadata] = None) -> None:
        """Add a vector under a new id (ValueError if the id exists)."""
    def upsert(self, id: str, vector: Vector, metadata: Optional[Metadata] = None) -> None:
        """Insert a vector, or replace it if the id exists."""
    def add_many(self, ids: Sequence[str], vectors: Matrix, metadatas: Optional[Metadatas] = None) -> None:
        """Insert a batch of new vectors; all-or-nothing."""
    def upsert_many(self, ids: Sequence[str], vectors: Matrix, metadatas: Optional[Metadatas] = None) -> None:
        """Insert or replace a batch of vectors; all-or-nothing."""
    def update(self, id: str, vector: Optional[Vector] = None, metadata: Optional[Metadata] = None) -> None:
        """Replace the vector and/or the metadata of an existing id."""
    def search(
        self,
        vector: Vector,
        k: int = 10,
        ef_search: Optional[int] = None,
        where_filter: Optional[Filter] = None,
        max_distance: Optional[float] = None,
    ) -> List[SearchResult]:
        """The ``k`` nearest neighbours of ``vector``, closest first."""
    def search_many(
        self,
        vectors: Matrix,
        k: int = 10,
        ef_search: Optional[int] = None,
        where_filter: Optional[Filter] = None,
        max_distance: Optional[float] = None,
    ) -> List[List[SearchResult]]:
        """One result list per query vector."""
    def create_text_index(
        self, field: str, language: str = "english", k1: float = 1.2, b: float = 0.75
    ) -> None:
        """Index metadata ``field`` (a dotted path) for BM25 text search; logged and saved."""
    def drop_text_index(self, field: str) -> None:
        """Remove the text index on ``field`` (ValueError when there is none)."""
    @property
    def text_indexes(self) -> List[str]:
        """The fields that have a text index, in creation order."""
    def search_text(
        self,
        query: str,
        k: int = 10,
        field: Optional[str] = None,
        where_filter: Optional[Filter] = None,
    ) -> List[SearchResult]:
        """BM25 top ``k`` of the records holding a query term; distance = -score."""
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
        """Vector and text search fused (``"rrf"`` or ``"weighted"``); distance = -fused score."""
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
        """:meth:`hybrid_search` for each (vector, query) pair, in parallel."""
    def get(self, id: str) -> Record:
        """The stored vector and metadata of ``id`` (ValueError if unknown)."""
    def delete(self, id: str) -> bool:
        """Delete one id; True if it was there."""
    def delete_many(self, ids: Sequence[str]) -> int:
        """Delete several ids; returns how many were there."""
    def count(self, where_filter: Optional[Filter] = None) -> int:
        """Live vectors matching the filter (all when None)."""
    def ids(self) -> List[str]:
        """All live ids."""
    def stats(self) -> Dict[str, Any]:
        """Index and memory statistics."""
    def save(self) -> None:
        """Write a snapshot, fsync it and switch to it atomically; truncate the log."""
    def compact(self) -> None:
        """Rebuild the index from live vectors only."""
    def verify(self) -> None:
        """Check every file checksum and the graph invariants (CorruptionError on damage)."""
    def export_json(self, path: Union[str, "os.PathLike[str]"], pretty: bool = False) -> None:
        """Write every record to a JSON file."""
    def import_json(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Upsert every record of a JSON export; all-or-nothing."""
    def enable_quantized_search(self) -> None:
        """Traverse the graph with SQ8 codes."""
    def disable_quantized_search(self) -> None:
        """Traverse the graph with full-precision vectors."""
    def close(self) -> None:
        """Release the database (and its write lock). Idempotent."""
    def __len__(self) -> int: ...
    def __contains__(self, id: object) -> bool: ...
    def __enter__(self) -> "Database": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None: ...
