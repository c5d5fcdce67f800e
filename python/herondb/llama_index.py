"""herondb as a LlamaIndex vector store: ``herondb.llama_index.HeronDBVectorStore``.

Install with ``pip install herondb[llama-index]`` (it needs
``llama-index-core``; the rest of herondb never imports this module).

Each node is one herondb record: the record id is the node id, the vector is
the node's embedding, and the metadata is what LlamaIndex's own
``node_to_metadata_dict`` makes of the node (its metadata at top level, the
whole node as JSON under ``_node_content``, and ``ref_doc_id`` /
``doc_id`` / ``document_id``), plus the node's text under :data:`TEXT_KEY`
(``"text"``, or the store's ``text_key``). Nodes come back through
LlamaIndex's ``metadata_dict_to_node``. So ``stores_text`` is True: an index
over this store needs no separate docstore for its nodes.

``MetadataFilters`` are translated into one herondb ``where_filter``
(:func:`to_where_filter`; ``TEXT_MATCH`` becomes herondb's ``$match``); an
operator herondb cannot express (``ANY``, ``ALL``, ``CONTAINS``,
``TEXT_MATCH_INSENSITIVE``) is a ValueError, never ignored. Query modes:
``DEFAULT`` (vector search), ``MMR`` (LlamaIndex's
``get_top_k_mmr_embeddings`` over a prefetched candidate set), and, after
:meth:`HeronDBVectorStore.create_text_index`, ``TEXT_SEARCH`` (BM25) and
``HYBRID`` (herondb's ``hybrid_search``); any other mode is a ValueError.

Writes are batched: ``add`` stores all its nodes with one ``upsert_many``
call (all-or-nothing; a node id that exists is replaced). The async methods
run on :class:`herondb.AsyncDatabase`, so they never block the event loop.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.indices.query.embedding_utils import get_top_k_mmr_embeddings
from llama_index.core.schema import BaseNode, MetadataMode
from llama_index.core.vector_stores.types import (
    BasePydanticVectorStore,
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
    VectorStoreQueryResult,
)
from llama_index.core.vector_stores.utils import metadata_dict_to_node, node_to_metadata_dict

from ._integration import DatabaseHandle, as_matrix, distances, get_records, ids_matching
from ._typing import Filter, PathLike
from .client import Client
from .database import Database

#: The metadata key under which a node's text is stored.
TEXT_KEY = "text"

_DEFAULT_MMR_PREFETCH_FACTOR = 4

_MODES = (
    VectorStoreQueryMode.DEFAULT,
    VectorStoreQueryMode.MMR,
    VectorStoreQueryMode.TEXT_SEARCH,
    VectorStoreQueryMode.HYBRID,
)
_HYBRID_KWARGS = ("fusion", "rrf_k", "candidates", "ef_search")

_COMPARISONS = {
    FilterOperator.EQ: "$eq",
    FilterOperator.NE: "$ne",
    FilterOperator.GT: "$gt",
    FilterOperator.GTE: "$gte",
    FilterOperator.LT: "$lt",
    FilterOperator.LTE: "$lte",
    FilterOperator.IN: "$in",
    FilterOperator.NIN: "$nin",
}


def _leaf(flt: MetadataFilter) -> Filter:
    op = FilterOperator(flt.operator)
    if op in _COMPARISONS:
        value: Any = flt.value
        if op in (FilterOperator.IN, FilterOperator.NIN):
            if not isinstance(value, list):
                value = [value]
        return {flt.key: {_COMPARISONS[op]: value}}
    if op == FilterOperator.IS_EMPTY:
        # LlamaIndex's meaning: missing, null, "" or [].
        return {
            "$or": [
                {flt.key: {"$exists": False}},
                {flt.key: {"$eq": None}},
                {flt.key: {"$eq": ""}},
                {flt.key: {"$eq": []}},
            ]
        }
    if op == FilterOperator.TEXT_MATCH:
        if not isinstance(flt.value, str):
            raise ValueError(f"TEXT_MATCH on {flt.key!r} needs a str value, got {flt.value!r}")
        # herondb's meaning: the field holds every term of the value after analysis.
        return {flt.key: {"$match": flt.value}}
    raise ValueError(
        f"herondb cannot express the filter operator {op.name} ({op.value!r}) on {flt.key!r}: "
        "it has no list-membership or substring match; use EQ, NE, GT, GTE, LT, LTE, IN, NIN, "
        "IS_EMPTY or TEXT_MATCH"
    )


def to_where_filter(filters: Optional[MetadataFilters]) -> Optional[Filter]:
    """The herondb ``where_filter`` equivalent to LlamaIndex ``filters`` (None: no filter).

    ``AND`` and ``OR`` become ``$and`` / ``$or``; ``NOT`` means "none of the
    filters holds", as in LlamaIndex's own simple store: ``$not`` of their
    ``$or``. Nested ``MetadataFilters`` nest. An empty filter list matches
    everything. Raises ValueError for what herondb cannot express.
    """
    if filters is None:
        return None
    if not isinstance(filters, MetadataFilters):
        raise TypeError(f"filters must be llama_index MetadataFilters, got {type(filters).__name__}")
    return _group(filters)


def _group(filters: MetadataFilters) -> Filter:
    parts: List[Filter] = []
    for item in filters.filters:
        if isinstance(item, MetadataFilters):
            parts.append(_group(item))
        elif isinstance(item, MetadataFilter):
            parts.append(_leaf(item))
        else:
            raise TypeError(f"unexpected filter {item!r}")
    condition = FilterCondition(filters.condition or FilterCondition.AND)
    if not parts:
        return {}
    if condition == FilterCondition.AND:
        return parts[0] if len(parts) == 1 else {"$and": parts}
    if condition == FilterCondition.OR:
        return parts[0] if len(parts) == 1 else {"$or": parts}
    if condition == FilterCondition.NOT:
        return {"$not": parts[0] if len(parts) == 1 else {"$or": parts}}
    raise ValueError(f"unknown filter condition {condition!r}")


def _and(*parts: Optional[Filter]) -> Optional[Filter]:
    kept = [p for p in parts if p]
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else {"$and": kept}


def _similarity(metric: str, distance: float) -> float:
    """herondb's distance as LlamaIndex's similarity (higher is closer).

    cosine: ``1 - distance`` (the cosine similarity); dot product: ``-distance``
    (the dot product); euclidean: ``1 / (1 + distance)``, in (0, 1].
    """
    if metric == "cosine":
        return 1.0 - distance
    if metric == "dot_product":
        return -distance
    return 1.0 / (1.0 + distance)


class HeronDBVectorStore(BasePydanticVectorStore):
    """A LlamaIndex vector store kept in a herondb database.

    Where the data lives (exactly one): ``path`` (a database directory, opened
    if it holds one, else created on the first ``add``; right away when
    ``dim`` is given), ``database`` (an open :class:`herondb.Database` or
    :class:`herondb.AsyncDatabase`), or ``client`` with ``collection_name``
    (a :class:`herondb.Client` collection, created on the first ``add`` if
    missing). ``metric`` (cosine by default), ``m``, ``ef_construction`` and
    ``quantize`` apply when the database is created. ``text_key`` names the
    metadata key that holds each node's text. :meth:`close` closes a database
    the store opened itself.
    """

    stores_text: bool = True
    flat_metadata: bool = False
    text_key: str = TEXT_KEY
    path: Optional[str] = None

    _handle: DatabaseHandle = PrivateAttr()

    def __init__(
        self,
        path: Optional[PathLike] = None,
        *,
        database: Optional[Any] = None,
        client: Optional[Client] = None,
        collection_name: Optional[str] = None,
        dim: Optional[int] = None,
        metric: Optional[str] = None,
        m: Optional[int] = None,
        ef_construction: Optional[int] = None,
        quantize: bool = False,
        text_key: str = TEXT_KEY,
        **kwargs: Any,
    ) -> None:
        if not isinstance(text_key, str) or not text_key or "." in text_key:
            raise ValueError(f"text_key must be a non-empty str without dots, got {text_key!r}")
        handle = DatabaseHandle(
            path=path,
            database=database,
            client=client,
            collection_name=collection_name,
            dim=dim,
            metric=metric,
            m=m,
            ef_construction=ef_construction,
            quantize=quantize,
        )
        db = handle.database
        super().__init__(
            text_key=text_key,
            path=os.fspath(path) if path is not None else (db.path if db is not None else None),
            **kwargs,
        )
        self._handle = handle

    @classmethod
    def class_name(cls) -> str:
        return "HeronDBVectorStore"

    @property
    def client(self) -> Optional[Database]:
        """The herondb database (None until the first ``add`` creates it)."""
        return self._handle.database

    def close(self) -> None:
        """Close the database if this store opened it (idempotent)."""
        self._handle.close()

    def persist(self, persist_path: str = "", fs: Optional[Any] = None) -> None:
        """Write a herondb snapshot (``save()``); the data stays in the database's own directory.

        LlamaIndex calls this from ``StorageContext.persist``; ``persist_path``
        is not used: everything added is already durable in herondb's
        write-ahead log, and saving only makes reopening faster.
        """
        db = self._handle.database
        if db is not None and not db.closed and not db.read_only:
            db.save()

    # ----------------------------------------------------------------- writes

    def _records(self, nodes: Sequence[BaseNode]) -> Tuple[List[str], np.ndarray, List[Dict[str, Any]]]:
        ids: List[str] = []
        vectors: List[List[float]] = []
        metas: List[Dict[str, Any]] = []
        for node in nodes:
            if not isinstance(node, BaseNode):
                raise TypeError(f"expected llama_index nodes, got {type(node).__name__}")
            if node.embedding is None:
                raise ValueError(f"node {node.node_id!r} has no embedding; embed it before adding")
            if self.text_key in node.metadata:
                raise ValueError(
                    f"metadata of node {node.node_id!r} has the key {self.text_key!r}, which this store "
                    "uses for the node text; pass text_key= to use another key"
                )
            meta = node_to_metadata_dict(node, remove_text=True, flat_metadata=self.flat_metadata)
            meta[self.text_key] = node.get_content(metadata_mode=MetadataMode.NONE)
            ids.append(node.node_id)
            vectors.append(node.get_embedding())
            metas.append(meta)
        return ids, as_matrix(vectors), metas

    def add(self, nodes: Sequence[BaseNode], **add_kwargs: Any) -> List[str]:
        """Store ``nodes`` (each with its embedding) with one ``upsert_many``; returns their ids."""
        if not nodes:
            return []
        ids, vectors, metas = self._records(nodes)
        self._handle.for_write(vectors.shape[1]).upsert_many(ids, vectors, metas)
        return ids

    async def async_add(self, nodes: Sequence[BaseNode], **kwargs: Any) -> List[str]:
        """:meth:`add` for coroutines."""
        if not nodes:
            return []
        ids, vectors, metas = self._records(nodes)
        adb = await self._handle.afor_write(vectors.shape[1])
        await adb.upsert_many(ids, vectors, metas)
        return ids

    def delete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        """Delete every node of the source document ``ref_doc_id``."""
        db = self._handle.existing()
        if db is None:
            return
        ids = ids_matching(db, {"ref_doc_id": {"$eq": ref_doc_id}})
        if ids:
            db.delete_many(ids)

    async def adelete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        """:meth:`delete` in a worker thread."""
        await asyncio.to_thread(self.delete, ref_doc_id, **delete_kwargs)

    def _select_ids(
        self, db: Database, node_ids: Optional[List[str]], filters: Optional[MetadataFilters]
    ) -> List[str]:
        where = to_where_filter(filters)
        if node_ids is None:
            return ids_matching(db, where) if where is not None else db.ids()
        wanted = [i for i in dict.fromkeys(node_ids) if i in db]
        if where is None or not wanted:
            return wanted
        matching = set(ids_matching(db, where))
        return [i for i in wanted if i in matching]

    def delete_nodes(
        self,
        node_ids: Optional[List[str]] = None,
        filters: Optional[MetadataFilters] = None,
        **delete_kwargs: Any,
    ) -> None:
        """Delete the listed nodes that match ``filters`` (either may be omitted).

        With neither, nothing is deleted (use :meth:`clear` to delete all).
        """
        if node_ids is None and filters is None:
            return
        db = self._handle.existing()
        if db is None:
            return
        ids = self._select_ids(db, node_ids, filters)
        if ids:
            db.delete_many(ids)

    async def adelete_nodes(
        self,
        node_ids: Optional[List[str]] = None,
        filters: Optional[MetadataFilters] = None,
        **delete_kwargs: Any,
    ) -> None:
        """:meth:`delete_nodes` in a worker thread."""
        await asyncio.to_thread(self.delete_nodes, node_ids, filters)

    def clear(self) -> None:
        """Delete every node."""
        db = self._handle.existing()
        if db is not None:
            ids = db.ids()
            if ids:
                db.delete_many(ids)

    async def aclear(self) -> None:
        """:meth:`clear` in a worker thread."""
        await asyncio.to_thread(self.clear)

    # ------------------------------------------------------------------ reads

    def _node(self, metadata: Optional[Dict[str, Any]], embedding: Optional[List[float]] = None) -> BaseNode:
        meta = metadata or {}
        text = meta.get(self.text_key)
        node = metadata_dict_to_node(meta, text=text if isinstance(text, str) else None)
        if embedding is not None:
            node.embedding = list(embedding)
        return node

    def get_nodes(
        self,
        node_ids: Optional[List[str]] = None,
        filters: Optional[MetadataFilters] = None,
    ) -> List[BaseNode]:
        """The stored nodes (with their embeddings) among ``node_ids`` that match ``filters``.

        Either may be omitted; with neither, every node. Unknown ids are skipped.
        """
        db = self._handle.existing()
        if db is None:
            return []
        ids = self._select_ids(db, node_ids, filters)
        return [self._node(meta, vec) for _rid, vec, meta in get_records(db, ids)]

    async def aget_nodes(
        self,
        node_ids: Optional[List[str]] = None,
        filters: Optional[MetadataFilters] = None,
    ) -> List[BaseNode]:
        """:meth:`get_nodes` in a worker thread."""
        return await asyncio.to_thread(self.get_nodes, node_ids, filters)

    def _where(self, query: VectorStoreQuery) -> Optional[Filter]:
        doc_filter = {"ref_doc_id": {"$in": list(query.doc_ids)}} if query.doc_ids else None
        return _and(to_where_filter(query.filters), doc_filter)

    def _result(self, metric: str, hits: Sequence[Tuple[str, float, Optional[Dict[str, Any]]]]) -> VectorStoreQueryResult:
        return VectorStoreQueryResult(
            nodes=[self._node(meta) for _rid, _d, meta in hits],
            similarities=[_similarity(metric, d) for _rid, d, _meta in hits],
            ids=[rid for rid, _d, _meta in hits],
        )

    @staticmethod
    def _check_query(query: VectorStoreQuery) -> None:
        mode = VectorStoreQueryMode(query.mode)
        if mode not in _MODES:
            raise ValueError(
                f"HeronDBVectorStore does not support the query mode {mode.value!r}; "
                "it supports 'default', 'mmr', 'text_search' and 'hybrid'"
            )
        k = query.similarity_top_k
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"similarity_top_k must be a positive int, got {k!r}")
        if mode in (VectorStoreQueryMode.TEXT_SEARCH, VectorStoreQueryMode.HYBRID):
            if not query.query_str:
                raise ValueError(f"query mode {mode.value!r} needs query.query_str")
            if mode == VectorStoreQueryMode.HYBRID and query.query_embedding is None:
                raise ValueError("query mode 'hybrid' needs query.query_embedding")
            if query.node_ids:
                raise ValueError(f"node_ids cannot restrict a {mode.value!r} query; use filters")
            return
        if query.query_embedding is None and (mode == VectorStoreQueryMode.MMR or query.filters is None):
            raise ValueError(
                f"query mode {mode.value!r} needs query.query_embedding (only a DEFAULT query "
                "with filters may omit it)"
            )

    def _listed_nodes(self, db: Database, query: VectorStoreQuery, where: Optional[Filter], k: int) -> List[Tuple[str, float, Optional[Dict[str, Any]]]]:
        """Exact top-k among ``query.node_ids`` (herondb has no id filter, so they are scored here)."""
        assert query.node_ids is not None and query.query_embedding is not None
        wanted = [i for i in dict.fromkeys(query.node_ids) if i in db]
        if where is not None and wanted:
            matching = set(ids_matching(db, where))
            wanted = [i for i in wanted if i in matching]
        records = get_records(db, wanted)
        if not records:
            return []
        rows = np.asarray([vec for _rid, vec, _m in records], dtype=np.float32)
        dist = distances(db.metric, np.asarray(query.query_embedding, dtype=np.float32), rows)
        order = np.argsort(dist, kind="stable")[:k]
        return [(records[i][0], float(dist[i]), records[i][2]) for i in order]

    def _filtered_only(self, db: Database, query: VectorStoreQuery, where: Optional[Filter]) -> VectorStoreQueryResult:
        """A query without an embedding: up to ``similarity_top_k`` matching nodes, in no set order."""
        if query.node_ids:
            ids = self._select_ids(db, query.node_ids, None)
            matching = set(ids_matching(db, where)) if where is not None else set(ids)
            ids = [i for i in ids if i in matching][: query.similarity_top_k]
            records = [(rid, meta) for rid, _vec, meta in get_records(db, ids)]
        elif db.count(where) == 0:
            records = []
        else:
            probe = np.ones(db.dim, dtype=np.float32)
            records = [(h.id, h.metadata) for h in db.search(probe, query.similarity_top_k, where_filter=where)]
        return VectorStoreQueryResult(
            nodes=[self._node(meta) for _rid, meta in records],
            similarities=None,
            ids=[rid for rid, _meta in records],
        )

    def _mmr(
        self,
        db: Database,
        query: VectorStoreQuery,
        candidates: Sequence[Tuple[str, float, Optional[Dict[str, Any]]]],
        kwargs: Dict[str, Any],
    ) -> VectorStoreQueryResult:
        assert query.query_embedding is not None
        records = get_records(db, [rid for rid, _d, _m in candidates])
        if not records:
            return VectorStoreQueryResult(nodes=[], similarities=[], ids=[])
        threshold = query.mmr_threshold if query.mmr_threshold is not None else kwargs.get("mmr_threshold")
        sims, chosen = get_top_k_mmr_embeddings(
            list(query.query_embedding),
            [vec for _rid, vec, _m in records],
            similarity_top_k=query.similarity_top_k,
            embedding_ids=list(range(len(records))),
            mmr_threshold=threshold,
        )
        return VectorStoreQueryResult(
            nodes=[self._node(records[i][2]) for i in chosen],
            similarities=[float(s) for s in sims],
            ids=[records[i][0] for i in chosen],
        )

    @staticmethod
    def _fetch_k(query: VectorStoreQuery, kwargs: Dict[str, Any]) -> int:
        top_k = int(query.similarity_top_k)
        if query.mode != VectorStoreQueryMode.MMR:
            return top_k
        if kwargs.get("mmr_prefetch_k") is not None and kwargs.get("mmr_prefetch_factor") is not None:
            raise ValueError("give mmr_prefetch_k or mmr_prefetch_factor, not both")
        if kwargs.get("mmr_prefetch_k") is not None:
            fetch = int(kwargs["mmr_prefetch_k"])
        else:
            factor = float(kwargs.get("mmr_prefetch_factor") or _DEFAULT_MMR_PREFETCH_FACTOR)
            fetch = int(top_k * factor)
        return max(fetch, top_k)

    def create_text_index(self, language: str = "english", k1: float = 1.2, b: float = 0.75) -> None:
        """Give the node text a BM25 text index, for the TEXT_SEARCH and HYBRID query modes.

        Indexes the metadata key :attr:`text_key` (``Database.create_text_index``);
        before the database exists, the index is created together with it.
        Does nothing when that key already has a text index.
        """
        self._handle.create_text_index(self.text_key, language, k1, b)

    def _text_call(self, query: VectorStoreQuery, kwargs: Dict[str, Any]) -> Tuple[str, Dict[str, Any]]:
        """The Database method and its keywords for a TEXT_SEARCH or HYBRID query."""
        where = self._where(query)
        if query.mode == VectorStoreQueryMode.TEXT_SEARCH:
            k = query.similarity_top_k
            return "search_text", {"query": query.query_str, "k": k, "field": self.text_key, "where_filter": where}
        k = query.hybrid_top_k or query.similarity_top_k
        args: Dict[str, Any] = {
            "vector": query.query_embedding,
            "query": query.query_str,
            "k": k,
            "field": self.text_key,
            "where_filter": where,
        }
        if query.sparse_top_k:
            args["candidates"] = max(k, query.similarity_top_k, query.sparse_top_k)
        if query.alpha is not None:
            # LlamaIndex's alpha: 1 is pure vector, 0 pure BM25; herondb's weighted fusion agrees.
            args["fusion"] = "weighted"
            args["alpha"] = float(query.alpha)
        args.update({key: kwargs[key] for key in _HYBRID_KWARGS if kwargs.get(key) is not None})
        return "hybrid_search", args

    def _text_result(self, hits: Sequence[Any]) -> VectorStoreQueryResult:
        # distance is the negated BM25 / fused score: the similarity is the score.
        return VectorStoreQueryResult(
            nodes=[self._node(h.metadata) for h in hits],
            similarities=[-h.distance for h in hits],
            ids=[h.id for h in hits],
        )

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        """Answer ``query``: the ``similarity_top_k`` closest nodes (mode DEFAULT) or an MMR pick.

        ``filters`` and ``doc_ids`` restrict the candidates inside herondb;
        ``node_ids`` restricts them to those nodes (scored exactly). Empty
        ``node_ids`` / ``doc_ids`` lists mean no restriction, as LlamaIndex's
        retriever passes them.
        Keywords: ``ef_search``; for MMR ``mmr_threshold``,
        ``mmr_prefetch_factor`` (default 4) or ``mmr_prefetch_k``.
        """
        self._check_query(query)
        if query.mode in (VectorStoreQueryMode.TEXT_SEARCH, VectorStoreQueryMode.HYBRID):
            text_db = self._handle.text_field_ready(self.text_key)
            if text_db is None:
                return VectorStoreQueryResult(nodes=[], similarities=[], ids=[])
            method, args = self._text_call(query, kwargs)
            return self._text_result(getattr(text_db, method)(**args))
        db = self._handle.existing()
        if db is None:
            return VectorStoreQueryResult(nodes=[], similarities=[], ids=[])
        where = self._where(query)
        fetch = self._fetch_k(query, kwargs)
        if query.query_embedding is None:
            return self._filtered_only(db, query, where)
        if query.node_ids:
            hits = self._listed_nodes(db, query, where, fetch)
        else:
            found = db.search(query.query_embedding, fetch, kwargs.get("ef_search"), where)
            hits = [(h.id, h.distance, h.metadata) for h in found]
        if query.mode == VectorStoreQueryMode.MMR:
            return self._mmr(db, query, hits, kwargs)
        return self._result(db.metric, hits)

    async def aquery(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        """:meth:`query` for coroutines: the search runs on the AsyncDatabase."""
        self._check_query(query)
        if query.mode in (VectorStoreQueryMode.TEXT_SEARCH, VectorStoreQueryMode.HYBRID):
            if self._handle.text_field_ready(self.text_key) is None:
                return VectorStoreQueryResult(nodes=[], similarities=[], ids=[])
            method, args = self._text_call(query, kwargs)
            text_adb = self._handle.existing_async()
            assert text_adb is not None
            return self._text_result(await getattr(text_adb, method)(**args))
        adb = self._handle.existing_async()
        if adb is None:
            return VectorStoreQueryResult(nodes=[], similarities=[], ids=[])
        if query.node_ids or query.query_embedding is None or query.mode == VectorStoreQueryMode.MMR:
            return await asyncio.to_thread(self.query, query, **kwargs)
        found = await adb.search(query.query_embedding, query.similarity_top_k, kwargs.get("ef_search"), self._where(query))
        return self._result(adb.metric, [(h.id, h.distance, h.metadata) for h in found])


__all__ = ["HeronDBVectorStore", "TEXT_KEY", "to_where_filter"]
