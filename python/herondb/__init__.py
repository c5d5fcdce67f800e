"""herondb: an embedded, persistent vector database.

A C++20 core (SIMD distance kernels, an HNSW index, a write-ahead log and
memory-mapped snapshots) behind a small Python API::

    from herondb import Database

    with Database("my_db", dim=384) as db:
        db.add("doc1", embedding, {"title": "Hello"})
        for r in db.search(query, k=5):
            print(r.id, r.distance, r.metadata)
"""

from __future__ import annotations

from . import _core
from .database import Database
from .async_database import AsyncDatabase
from .client import Client
from .sharded import ShardedDatabase
from .errors import CorruptionError, DatabaseLockedError, HeronDBError, StorageError
from .text import analyze
from .threads import set_threads, thread_count

_core._set_error_types(DatabaseLockedError, CorruptionError, StorageError)

SearchResult = _core.SearchResult

__version__ = "0.1.0"

__all__ = [
    "Database",
    "Client",
    "AsyncDatabase",
    "ShardedDatabase",
    "SearchResult",
    "HeronDBError",
    "DatabaseLockedError",
    "CorruptionError",
    "StorageError",
    "analyze",
    "set_threads",
    "thread_count",
]
