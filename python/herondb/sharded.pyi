"""Type stubs of herondb.sharded: ShardedDatabase and its routing and manifest helpers."""

from ._core import SearchResult as SearchResult
from ._shard_format import MANIFEST_NAME as MANIFEST_NAME, ROUTING_NAME as ROUTING_NAME, ROUTING_VERSION as ROUTING_VERSION, describe_path as describe_path, merge_top_k as merge_top_k, read_manifest as read_manifest, shard_dir_name as shard_dir_name, shard_for_id as shard_for_id, write_manifest as write_manifest
from ._typing import Filter, Matrix, Metadata, Metadatas, PathLike, Record, Vector
from types import TracebackType
from typing import Any, Sequence, TypeVar

__all__ = ['ShardedDatabase', 'shard_for_id', 'shard_dir_name', 'merge_top_k', 'describe_path', 'read_manifest', 'write_manifest', 'destroy', 'MANIFEST_NAME', 'ROUTING_NAME', 'ROUTING_VERSION']


class ShardedDatabase:
    """A vector database split over N ordinary herondb databases by a hash of the id.

    ``ShardedDatabase(path, dim=384, num_shards=4)`` creates one (or opens it if
    ``path`` already holds it, checking that dim, metric and num_shards agree);
    ``ShardedDatabase(path)`` opens an existing one and detects everything from
    its manifest. The API follows :class:`herondb.Database`: mutations are
    routed to the shard that owns the id, searches and counts run on every
    shard in parallel and are merged. See the module documentation for the
    format and the guarantees.
    """
    def __init__(self, path: PathLike, dim: int | None = None, metric: str | None = None, m: int | None = None, ef_construction: int | None = None, quantize: bool = False, *, num_shards: int | None = None, read_only: bool = False, sync: bool = False) -> None: ...
    def close(self) -> None:
        """Close every shard (releasing their write locks). Idempotent.

        A writable handle also rewrites the manifest's record counts first.
        """
    def __enter__(self) -> ShardedDatabase: ...
    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None: ...
    @property
    def path(self) -> str:
        """The sharded database's directory."""
    @property
    def dim(self) -> int:
        """The vector dimensionality."""
    @property
    def metric(self) -> str:
        '''``"cosine"``, ``"euclidean"`` or ``"dot_product"``.'''
    @property
    def m(self) -> int:
        """The HNSW M parameter of every shard."""
    @property
    def ef_construction(self) -> int:
        """The HNSW build-time search width of every shard."""
    @property
    def num_shards(self) -> int:
        """How many shards the database has (fixed at creation)."""
    @property
    def shard_paths(self) -> list[str]:
        """The directory of every shard, in shard order."""
    @property
    def read_only(self) -> bool:
        """True when opened with ``read_only=True``."""
    @property
    def closed(self) -> bool:
        """True once :meth:`close` has been called."""
    @property
    def deleted_count(self) -> int:
        """Deleted slots not yet reclaimed, summed over the shards."""
    @property
    def total_slots(self) -> int:
        """Allocated slots (live plus deleted), summed over the shards."""
    @property
    def quantized_search(self) -> bool:
        """Whether the shards traverse their graphs with SQ8 codes."""
    def shard_for(self, id: str) -> int:
        """The index of the shard that holds (or would hold) ``id``."""
    def add(self, id: str, vector: Vector, metadata: Metadata | None = None) -> None:
        """Add a vector under a new id, in the shard that owns the id."""
    def upsert(self, id: str, vector: Vector, metadata: Metadata | None = None) -> None:
        """Insert a vector, or replace it if the id exists."""
    def update(self, id: str, vector: Vector | None = None, metadata: Metadata | None = None) -> None:
        """Replace the vector and/or metadata of an existing id."""
    def get(self, id: str) -> Record:
        """The stored vector and metadata of ``id`` (ValueError if unknown)."""
    def delete(self, id: str) -> bool:
        """Delete one id; True if it was there."""
    def __contains__(self, id: object) -> bool: ...
    def __len__(self) -> int: ...
    def add_many(self, ids: Sequence[str], vectors: Matrix, metadatas: Metadatas | None = None) -> None:
        """Insert a batch of new vectors.

        The whole batch is checked first (duplicates across the batch, ids that
        already exist, dimensions, values, metadata types): a bad batch writes
        nothing. Each shard then applies its part all-or-nothing; the shards
        are not atomic together (a crash can leave some parts applied).
        """
    def upsert_many(self, ids: Sequence[str], vectors: Matrix, metadatas: Metadatas | None = None) -> None:
        """Insert or replace a batch (the last occurrence of a repeated id wins); atomic per shard."""
    def delete_many(self, ids: Sequence[str]) -> int:
        """Delete several ids; returns how many were there. Atomic per shard."""
    def search(self, vector: Vector, k: int = 10, ef_search: int | None = None, where_filter: Filter | None = None, max_distance: float | None = None) -> list[SearchResult]:
        """The ``k`` nearest neighbours over all shards, closest first.

        Every shard returns its own top ``k`` (same ``ef_search``, filter and
        ``max_distance``); the lists are merged by distance.
        """
    def search_many(self, vectors: Matrix, k: int = 10, ef_search: int | None = None, where_filter: Filter | None = None, max_distance: float | None = None) -> list[list[SearchResult]]:
        """One merged result list per query vector (each shard runs the whole batch)."""
    def count(self, where_filter: Filter | None = None) -> int:
        """Live vectors matching the filter (all when None), summed over the shards."""
    def ids(self) -> list[str]:
        """All live ids, shard by shard."""
    def stats(self) -> dict[str, Any]:
        '''Totals over the shards plus every shard\'s own ``stats()`` under ``"shards"``.'''
    def save(self) -> None:
        """Save every shard (each atomically, see Database.save), then rewrite the manifest."""
    def compact(self) -> None:
        """Compact every shard (each rebuilds its graph and saves), then rewrite the manifest."""
    def verify(self) -> None:
        """Check the manifest and every shard's files (CorruptionError naming the damaged one)."""
    def enable_quantized_search(self) -> None:
        """Traverse every shard's graph with SQ8 codes."""
    def disable_quantized_search(self) -> None:
        """Traverse every shard's graph with full-precision vectors."""

def destroy(path: PathLike) -> None:
    """Remove a sharded database directory: the manifest first, then the shards.

    Removing the manifest first means that an interruption leaves an
    incomplete directory (never opened as a database), not a manifest that
    points at missing shards. A path that holds a plain database is a
    ValueError (nothing is removed).
    """
