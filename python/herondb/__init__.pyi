"""Type stubs of the herondb package."""

from ._core import SearchResult as SearchResult
from .async_database import AsyncDatabase as AsyncDatabase
from .client import Client as Client
from .database import Database as Database
from .sharded import ShardedDatabase as ShardedDatabase
from .errors import CorruptionError as CorruptionError
from .errors import DatabaseLockedError as DatabaseLockedError
from .errors import HeronDBError as HeronDBError
from .errors import StorageError as StorageError
from .text import analyze as analyze
from .threads import set_threads as set_threads
from .threads import thread_count as thread_count

__version__: str

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
