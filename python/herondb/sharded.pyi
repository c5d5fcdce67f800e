"""Type stubs of herondb.sharded: ShardedDatabase and its routing and manifest helpers."""

from ._core import SearchResult as SearchResult
from ._shard_format import MANIFEST_NAME as MANIFEST_NAME, ROUTING_NAME as ROUTING_NAME, ROUTING_VERSION as ROUTING_VERSION, describe_path as describe_path, merge_top_k as merge_top_k, read_manifest as read_manifest, shard_dir_name as shard_dir_name, shard_for_id as shard_for_id, write_manifest as write_manifest
from ._typing import Filter, Matrix, Metadata, Metadatas, PathLike, Record, Vector
from types import TracebackType
from typing import Any, Sequence, TypeVar

__all__ = ['ShardedDatabase', 'shard_for_id', 'shard_dir_name', 'merge_top_k', 'fuse_hybrid', 'hybrid_plan', 'sum_text_stats', 'describe_path', 'read_manifest', 'write_manifest', 'destroy', 'MANIFEST_NAME', 'ROUTING_NAME', 'ROUTING_VERSION']


def hybrid_plan(query: Any, k: Any, field: Any, where_filter: Any, ef_search: Any, fusion: Any, rrf_k: Any, alpha: Any, candidates: Any) -> tuple[int, int]:
    """Check hybrid_search's arguments as Database does; return (candidates, ef) per side.

    A database takes ``candidates`` (default ``max(2k, 50)``, at least ``k``)
    from each side, the vector side searched with ``ef = max(candidates,
    ef_search or DEFAULT_EF_SEARCH)``.
    """
def sum_text_stats(parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Sum several shards' corpus statistics of one query (``Database._text_stats``).

    N, the total length and each term's df add up over disjoint shards, so
    the sum is what one database holding every shard's records scores with.
    """
def fuse_hybrid(vec: Sequence[Any], txt: Sequence[Any], k: int, fusion: str, rrf_k: float, alpha: float) -> list[SearchResult]:
    '''Fuse a vector list and a text list (both best first) as Database.hybrid_search does.

    ``"rrf"``: a record scores ``sum(1 / (rrf_k + rank))`` over the lists it
    is in (rank from 1). ``"weighted"``: each list\'s scores (the negated
    distances) are min-max normalized to [0, 1] (all equal: 1) and weighted
    ``alpha`` (vector) and ``1 - alpha`` (text). Best first, ties by the
    smaller id; ``distance`` is the negated fused score, as float32.
    '''

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
    def __init__(self, path: PathLike, dim: int | None = None, metric: str | None = None, m: int | None = None, ef_construction: int | None = None, quantize: bool = False, *, num_shards: int | None = None, read_only: bool = False, sync: bool = False, workers: int | None = None) -> None: ...
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
    def create_text_index(self, field: str, language: str = 'english', k1: float = 1.2, b: float = 0.75) -> None:
        """Create the text index on ``field`` in every shard (see Database.create_text_index).

        The first shard checks the arguments (a bad call changes nothing);
        the others follow in parallel. Each shard logs its definition.
        """
    def drop_text_index(self, field: str) -> None:
        """Drop the text index on ``field`` in every shard (ValueError when there is none)."""
    @property
    def text_indexes(self) -> list[str]:
        """The fields that have a text index (those of the first shard; all shards agree)."""
    def search_text(self, query: str, k: int = 10, field: str | None = None, where_filter: Filter | None = None) -> list[SearchResult]:
        """BM25 text search over every shard: the same top ``k`` and scores as one database.

        Two rounds: every shard reports its corpus statistics for the query
        (document count, total length, df of each query term), then every
        shard searches with their sums, so that each scores its records
        exactly as one database holding all of them would, and the lists are
        merged by score. Records of equal score may come in another order
        than one database's (which breaks ties by insertion order). See
        docs/scale-out.md.
        """
    def hybrid_search(self, vector: Vector, query: str, k: int = 10, field: str | None = None, where_filter: Filter | None = None, ef_search: int | None = None, fusion: str = 'rrf', rrf_k: float = 60, alpha: float = 0.5, candidates: int | None = None) -> list[SearchResult]:
        """Vector and text search fused into one ranking over all shards.

        As Database.hybrid_search, with the fusion done here on global lists:
        the vector side is the exact merge of every shard's top
        ``candidates`` (the same candidates and ``ef`` a database uses), the
        text side the exact global BM25 top ``candidates`` (every shard
        scoring with the global statistics, see :meth:`search_text`). The
        result equals Database.hybrid_search on the same records, up to the
        order of equal scores.
        """
    def hybrid_search_many(self, vectors: Matrix, queries: Sequence[str], k: int = 10, field: str | None = None, where_filter: Filter | None = None, ef_search: int | None = None, fusion: str = 'rrf', rrf_k: float = 60, alpha: float = 0.5, candidates: int | None = None) -> list[list[SearchResult]]:
        """:meth:`hybrid_search` for pairs of (vector, query)."""
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
