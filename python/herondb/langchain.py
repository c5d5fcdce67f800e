"""herondb as a LangChain vector store: ``herondb.langchain.HeronDBVectorStore``.

Install with ``pip install herondb[langchain]`` (it needs ``langchain-core``;
the rest of herondb never imports this module).

Each LangChain ``Document`` is one herondb record:

* the record id is ``Document.id`` (a new ``uuid4`` string when it has none);
* the vector is the embedding of ``page_content``;
* the metadata is the document's metadata with the page content added under
  :data:`PAGE_CONTENT_KEY` (``"page_content"``, or the store's ``text_key``).
  A document whose metadata already has that key is a ValueError.

So ``filter=`` in every search is a herondb ``where_filter`` over the
document's own metadata keys (``{"source": "a.txt"}``, ``{"year": {"$gte":
2020}}``, ``{"$or": [...]}``; see docs/filters.md), and a database written
here can be read with the plain herondb API and the other way round.

Writes are batched: one ``add_texts`` call embeds all its texts with one
``embed_documents`` call and stores them with one ``upsert_many`` call
(all-or-nothing). Adding with an id that exists replaces that record, as
LangChain expects. The ``a*`` methods run on :class:`herondb.AsyncDatabase`
and the embedding's async methods, so they never block the event loop.

Keyword (BM25) and hybrid search: after :meth:`HeronDBVectorStore.create_text_index`
(a herondb text index on the page-content key), ``keyword_search``,
``hybrid_search`` (and ``_with_score``, and the ``a*`` twins), ``search`` and
the retriever with ``search_type="keyword"`` or ``"hybrid"``.

Scores: ``similarity_search_with_score`` returns herondb's distance (lower is
closer; cosine ``1 - cos``, euclidean the true L2 distance, dot product
``-(a.b)``). Relevance scores (``similarity_search_with_relevance_scores``
and the ``similarity_score_threshold`` retriever) turn that distance into
"higher is closer" with the function that fits the metric; see
:meth:`HeronDBVectorStore._select_relevance_score_fn`.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Callable, ClassVar, Collection, Dict, Iterable, List, Optional, Sequence, Tuple, Type, TypeVar

import numpy as np
from langchain_core.callbacks.manager import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore, VectorStoreRetriever
from langchain_core.vectorstores.utils import maximal_marginal_relevance

from ._integration import DatabaseHandle, as_matrix, get_records, ids_matching
from ._typing import PathLike
from .client import Client
from .database import Database

#: The metadata key under which a document's page content is stored.
PAGE_CONTENT_KEY = "page_content"

_SEARCH_KWARGS = ("filter", "ef_search", "max_distance")
_KEYWORD_KWARGS = ("filter",)
_HYBRID_KWARGS = ("filter", "ef_search", "fusion", "rrf_k", "alpha", "candidates")

VST = TypeVar("VST", bound="HeronDBVectorStore")


def _dot_product_relevance(distance: float) -> float:
    """Relevance for herondb's dot-product distance ``-(a.b)``: the dot product itself.

    For unit-length embeddings that is the cosine similarity, in [-1, 1].
    LangChain's ``_max_inner_product_relevance_score_fn`` is not used: on
    this distance it is not monotonic (a dot product of -0.1 would score
    0.9, above one of 0.5).
    """
    return -distance


def _check_keywords(kwargs: Dict[str, Any], allowed: Tuple[str, ...], what: str) -> None:
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise TypeError(
            f"unexpected {what} keyword(s) {', '.join(map(repr, unknown))}; "
            f"HeronDBVectorStore accepts {', '.join(allowed)}"
        )


def _search_options(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """The herondb search keywords among ``kwargs``; anything else is a TypeError."""
    _check_keywords(kwargs, _SEARCH_KWARGS, "search")
    return {
        "where_filter": kwargs.get("filter"),
        "ef_search": kwargs.get("ef_search"),
        "max_distance": kwargs.get("max_distance"),
    }


def _hybrid_options(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """``Database.hybrid_search`` keywords from the store's (``filter`` -> ``where_filter``)."""
    _check_keywords(kwargs, _HYBRID_KWARGS, "hybrid search")
    out = {k: v for k, v in kwargs.items() if k != "filter"}
    out["where_filter"] = kwargs.get("filter")
    return out


class HeronDBVectorStore(VectorStore):
    """A LangChain ``VectorStore`` kept in a herondb database.

    Where the data lives (exactly one):

    * ``path``: a database directory, opened if it holds one, else created on
      the first write (with ``dim`` given, created right away);
    * ``database``: an open :class:`herondb.Database` or
      :class:`herondb.AsyncDatabase` (for instance ``client.get_collection(...)``);
    * ``client`` and ``collection_name``: that collection of a
      :class:`herondb.Client`, created on the first write if missing.

    ``metric`` (``"cosine"`` by default, ``"euclidean"``, ``"dot_product"``),
    ``m``, ``ef_construction`` and ``quantize`` apply when the database is
    created. ``text_key`` names the metadata key that holds the page content.
    The store closes a database it opened itself in :meth:`close` (also on
    leaving a ``with`` block, which saves first); a database handed in stays
    open.
    """

    def __init__(
        self,
        embedding: Embeddings,
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
        text_key: str = PAGE_CONTENT_KEY,
    ) -> None:
        if not isinstance(embedding, Embeddings):
            raise TypeError(f"embedding must be a langchain Embeddings, got {type(embedding).__name__}")
        if not isinstance(text_key, str) or not text_key or "." in text_key:
            raise ValueError(f"text_key must be a non-empty str without dots, got {text_key!r}")
        self._embedding = embedding
        self._text_key = text_key
        self._handle = DatabaseHandle(
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

    # ------------------------------------------------------------- properties

    @property
    def embeddings(self) -> Embeddings:
        """The embedding model the store was given."""
        return self._embedding

    @property
    def database(self) -> Optional[Database]:
        """The herondb database (None until the first write creates it)."""
        return self._handle.database

    @property
    def text_key(self) -> str:
        """The metadata key that holds each document's page content."""
        return self._text_key

    def close(self) -> None:
        """Close the database if this store opened it (idempotent)."""
        self._handle.close()

    def __enter__(self) -> "HeronDBVectorStore":
        return self

    def __exit__(self, *exc: object) -> None:
        db = self._handle.database
        if db is not None and not db.closed and not db.read_only:
            db.save()
        self.close()

    # --------------------------------------------------------------- records

    def _records(
        self,
        texts: Iterable[str],
        metadatas: Optional[Sequence[Optional[Dict[str, Any]]]],
        ids: Optional[Sequence[Optional[str]]],
    ) -> Tuple[List[str], List[str], List[Dict[str, Any]]]:
        """Texts, ids (generated where missing) and stored metadata, checked."""
        text_list = list(texts)
        n = len(text_list)
        if metadatas is not None and len(metadatas) != n:
            raise ValueError(f"got {len(metadatas)} metadatas for {n} texts")
        if ids is not None and len(ids) != n:
            raise ValueError(f"got {len(ids)} ids for {n} texts")
        out_ids: List[str] = []
        out_metas: List[Dict[str, Any]] = []
        for i, text in enumerate(text_list):
            if not isinstance(text, str):
                raise TypeError(f"text {i} must be a str, got {type(text).__name__}")
            rid = ids[i] if ids is not None else None
            if rid is None or rid == "":
                rid = str(uuid.uuid4())
            elif not isinstance(rid, str):
                raise TypeError(f"id {i} must be a str, got {type(rid).__name__}")
            meta = metadatas[i] if metadatas is not None else None
            if meta is None:
                stored: Dict[str, Any] = {}
            elif isinstance(meta, dict):
                if self._text_key in meta:
                    raise ValueError(
                        f"metadata of text {i} has the key {self._text_key!r}, which this store uses "
                        "for the page content; pass text_key= to use another key"
                    )
                stored = dict(meta)
            else:
                raise TypeError(f"metadata {i} must be a dict, got {type(meta).__name__}")
            stored[self._text_key] = text
            out_ids.append(rid)
            out_metas.append(stored)
        return text_list, out_ids, out_metas

    def _document(self, rid: str, metadata: Optional[Dict[str, Any]]) -> Document:
        meta = dict(metadata) if metadata else {}
        text = meta.pop(self._text_key, "")
        return Document(id=rid, page_content=text if isinstance(text, str) else str(text), metadata=meta)

    # ----------------------------------------------------------------- writes

    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: Optional[List[Dict[str, Any]]] = None,
        *,
        ids: Optional[List[str]] = None,
        **kwargs: Any,
    ) -> List[str]:
        """Embed ``texts`` and store them; returns their ids.

        One ``embed_documents`` call and one ``upsert_many`` call for the
        whole batch: either every text is stored or, on an error, none is.
        An id that exists is replaced. ``ids`` may hold None entries (new
        ids are made for those).
        """
        if kwargs:
            raise TypeError(f"unexpected keyword(s) {', '.join(map(repr, sorted(kwargs)))}")
        text_list, out_ids, metas = self._records(texts, metadatas, ids)
        if not text_list:
            return []
        vectors = as_matrix(self._embedding.embed_documents(text_list))
        db = self._handle.for_write(vectors.shape[1])
        db.upsert_many(out_ids, vectors, metas)
        return out_ids

    async def aadd_texts(
        self,
        texts: Iterable[str],
        metadatas: Optional[List[Dict[str, Any]]] = None,
        *,
        ids: Optional[List[str]] = None,
        **kwargs: Any,
    ) -> List[str]:
        """:meth:`add_texts` for coroutines (embedding and writing off the event loop)."""
        if kwargs:
            raise TypeError(f"unexpected keyword(s) {', '.join(map(repr, sorted(kwargs)))}")
        text_list, out_ids, metas = self._records(texts, metadatas, ids)
        if not text_list:
            return []
        vectors = as_matrix(await self._embedding.aembed_documents(text_list))
        adb = await self._handle.afor_write(vectors.shape[1])
        await adb.upsert_many(out_ids, vectors, metas)
        return out_ids

    def delete(self, ids: Optional[List[str]] = None, **kwargs: Any) -> Optional[bool]:
        """Delete the given ids (unknown ones are ignored).

        ``delete(filter={...})`` deletes every document matching the filter;
        ``delete()`` with neither deletes every document. Returns True.
        """
        flt = kwargs.pop("filter", None)
        if kwargs:
            raise TypeError(f"unexpected keyword(s) {', '.join(map(repr, sorted(kwargs)))}")
        if ids is not None and flt is not None:
            raise ValueError("give ids or filter, not both")
        db = self._handle.existing()
        if db is None:
            return True
        if ids is None:
            ids = ids_matching(db, flt) if flt is not None else db.ids()
        if ids:
            db.delete_many(list(ids))
        return True

    async def adelete(self, ids: Optional[List[str]] = None, **kwargs: Any) -> Optional[bool]:
        """:meth:`delete` in a worker thread."""
        return await asyncio.to_thread(self.delete, ids, **kwargs)

    # ------------------------------------------------------------------ reads

    def get_by_ids(self, ids: Sequence[str], /) -> List[Document]:
        """The documents with these ids that exist, in the given order (unknown ids skipped)."""
        db = self._handle.existing()
        if db is None:
            return []
        return [self._document(rid, meta) for rid, _vec, meta in get_records(db, ids)]

    async def aget_by_ids(self, ids: Sequence[str], /) -> List[Document]:
        """:meth:`get_by_ids` in a worker thread."""
        return await asyncio.to_thread(self.get_by_ids, ids)

    def similarity_search_with_score_by_vector(
        self, embedding: List[float], k: int = 4, **kwargs: Any
    ) -> List[Tuple[Document, float]]:
        """The ``k`` documents closest to ``embedding`` with herondb's distance.

        Keywords: ``filter`` (a herondb ``where_filter``), ``ef_search``,
        ``max_distance``.
        """
        options = _search_options(kwargs)
        db = self._handle.existing()
        if db is None:
            return []
        hits = db.search(embedding, k, **options)
        return [(self._document(h.id, h.metadata), h.distance) for h in hits]

    async def asimilarity_search_with_score_by_vector(
        self, embedding: List[float], k: int = 4, **kwargs: Any
    ) -> List[Tuple[Document, float]]:
        """:meth:`similarity_search_with_score_by_vector` on the AsyncDatabase."""
        options = _search_options(kwargs)
        adb = self._handle.existing_async()
        if adb is None:
            return []
        hits = await adb.search(embedding, k, **options)
        return [(self._document(h.id, h.metadata), h.distance) for h in hits]

    def similarity_search_with_score(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> List[Tuple[Document, float]]:
        """The ``k`` documents closest to ``query`` with herondb's distance (lower is closer)."""
        _search_options(kwargs)
        if self._handle.existing() is None:
            return []
        return self.similarity_search_with_score_by_vector(self._embedding.embed_query(query), k, **kwargs)

    async def asimilarity_search_with_score(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> List[Tuple[Document, float]]:
        """:meth:`similarity_search_with_score` for coroutines."""
        _search_options(kwargs)
        if self._handle.existing() is None:
            return []
        vector = await self._embedding.aembed_query(query)
        return await self.asimilarity_search_with_score_by_vector(vector, k, **kwargs)

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> List[Document]:
        """The ``k`` documents closest to ``query``, closest first."""
        return [doc for doc, _ in self.similarity_search_with_score(query, k, **kwargs)]

    async def asimilarity_search(self, query: str, k: int = 4, **kwargs: Any) -> List[Document]:
        """:meth:`similarity_search` for coroutines."""
        return [doc for doc, _ in await self.asimilarity_search_with_score(query, k, **kwargs)]

    def similarity_search_by_vector(self, embedding: List[float], k: int = 4, **kwargs: Any) -> List[Document]:
        """The ``k`` documents closest to ``embedding``, closest first."""
        return [doc for doc, _ in self.similarity_search_with_score_by_vector(embedding, k, **kwargs)]

    async def asimilarity_search_by_vector(
        self, embedding: List[float], k: int = 4, **kwargs: Any
    ) -> List[Document]:
        """:meth:`similarity_search_by_vector` for coroutines."""
        return [doc for doc, _ in await self.asimilarity_search_with_score_by_vector(embedding, k, **kwargs)]

    def _select_relevance_score_fn(self) -> Callable[[float], float]:
        """Turn herondb's distance into a relevance score (higher is closer).

        * cosine (distance ``1 - cos``): LangChain's cosine function,
          ``1 - distance``, i.e. the cosine similarity;
        * euclidean (the true L2 distance, not its square): LangChain's
          euclidean function, ``1 - distance / sqrt(2)``, which is in [0, 1]
          for unit-length embeddings;
        * dot product (distance ``-(a.b)``): the dot product, ``-distance``
          (the cosine similarity for unit-length embeddings).
        """
        metric = self._handle.metric
        if metric == "cosine":
            return self._cosine_relevance_score_fn
        if metric == "euclidean":
            return self._euclidean_relevance_score_fn
        if metric == "dot_product":
            return _dot_product_relevance
        raise ValueError(f"no relevance function for metric {metric!r}")

    # -------------------------------------------------------------------- MMR

    def _mmr_select(
        self,
        db: Database,
        embedding: List[float],
        hits: List[Any],
        k: int,
        lambda_mult: float,
    ) -> List[Document]:
        records = get_records(db, [h.id for h in hits])
        if not records:
            return []
        chosen = maximal_marginal_relevance(
            np.asarray(embedding, dtype=np.float32),
            [vec for _rid, vec, _meta in records],
            lambda_mult=lambda_mult,
            k=k,
        )
        return [self._document(records[i][0], records[i][2]) for i in chosen]

    @staticmethod
    def _check_mmr(k: int, fetch_k: int, lambda_mult: float) -> None:
        if isinstance(fetch_k, bool) or not isinstance(fetch_k, int) or fetch_k < 1:
            raise ValueError(f"fetch_k must be a positive int, got {fetch_k!r}")
        if not 0.0 <= float(lambda_mult) <= 1.0:
            raise ValueError(f"lambda_mult must be in [0, 1], got {lambda_mult!r}")

    def max_marginal_relevance_search_by_vector(
        self,
        embedding: List[float],
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        **kwargs: Any,
    ) -> List[Document]:
        """``k`` documents picked by maximal marginal relevance among the ``fetch_k`` closest.

        The selection is LangChain's ``maximal_marginal_relevance`` over the
        stored vectors of the candidates. Keywords as in
        :meth:`similarity_search_with_score_by_vector`.
        """
        self._check_mmr(k, fetch_k, lambda_mult)
        options = _search_options(kwargs)
        db = self._handle.existing()
        if db is None:
            return []
        hits = db.search(embedding, max(fetch_k, k), **options)
        return self._mmr_select(db, embedding, hits, k, lambda_mult)

    async def amax_marginal_relevance_search_by_vector(
        self,
        embedding: List[float],
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        **kwargs: Any,
    ) -> List[Document]:
        """:meth:`max_marginal_relevance_search_by_vector` for coroutines."""
        self._check_mmr(k, fetch_k, lambda_mult)
        options = _search_options(kwargs)
        adb = self._handle.existing_async()
        if adb is None:
            return []
        hits = await adb.search(embedding, max(fetch_k, k), **options)
        return await asyncio.to_thread(self._mmr_select, adb.database, embedding, hits, k, lambda_mult)

    def max_marginal_relevance_search(
        self,
        query: str,
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        **kwargs: Any,
    ) -> List[Document]:
        """Maximal marginal relevance search for a text query (see the ``_by_vector`` form)."""
        self._check_mmr(k, fetch_k, lambda_mult)
        _search_options(kwargs)
        if self._handle.existing() is None:
            return []
        return self.max_marginal_relevance_search_by_vector(
            self._embedding.embed_query(query), k, fetch_k, lambda_mult, **kwargs
        )

    async def amax_marginal_relevance_search(
        self,
        query: str,
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        **kwargs: Any,
    ) -> List[Document]:
        """:meth:`max_marginal_relevance_search` for coroutines."""
        self._check_mmr(k, fetch_k, lambda_mult)
        _search_options(kwargs)
        if self._handle.existing() is None:
            return []
        vector = await self._embedding.aembed_query(query)
        return await self.amax_marginal_relevance_search_by_vector(vector, k, fetch_k, lambda_mult, **kwargs)

    # ----------------------------------------------------- keyword and hybrid

    def create_text_index(self, language: str = "english", k1: float = 1.2, b: float = 0.75) -> None:
        """Give the page content a BM25 text index, for keyword and hybrid search.

        Indexes the metadata key :attr:`text_key` (``Database.create_text_index``);
        before the database exists, the index is created together with it.
        Does nothing when that key already has a text index (for instance
        after reopening). ``language``, ``k1`` and ``b`` as in
        ``Database.create_text_index``.
        """
        self._handle.create_text_index(self._text_key, language, k1, b)

    def keyword_search_with_score(self, query: str, k: int = 4, **kwargs: Any) -> List[Tuple[Document, float]]:
        """The ``k`` documents whose page content best matches ``query`` by BM25, with the score.

        No embedding is involved. The score is BM25's (higher is better; only
        documents holding at least one query term are returned). Keyword:
        ``filter``. Needs :meth:`create_text_index`.
        """
        _check_keywords(kwargs, _KEYWORD_KWARGS, "keyword search")
        db = self._handle.text_field_ready(self._text_key)
        if db is None:
            return []
        hits = db.search_text(query, k, self._text_key, kwargs.get("filter"))
        return [(self._document(h.id, h.metadata), -h.distance) for h in hits]

    async def akeyword_search_with_score(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> List[Tuple[Document, float]]:
        """:meth:`keyword_search_with_score` on the AsyncDatabase."""
        _check_keywords(kwargs, _KEYWORD_KWARGS, "keyword search")
        if self._handle.text_field_ready(self._text_key) is None:
            return []
        adb = self._handle.existing_async()
        assert adb is not None
        hits = await adb.search_text(query, k, self._text_key, kwargs.get("filter"))
        return [(self._document(h.id, h.metadata), -h.distance) for h in hits]

    def keyword_search(self, query: str, k: int = 4, **kwargs: Any) -> List[Document]:
        """The ``k`` best BM25 matches of ``query`` (see :meth:`keyword_search_with_score`)."""
        return [doc for doc, _ in self.keyword_search_with_score(query, k, **kwargs)]

    async def akeyword_search(self, query: str, k: int = 4, **kwargs: Any) -> List[Document]:
        """:meth:`keyword_search` for coroutines."""
        return [doc for doc, _ in await self.akeyword_search_with_score(query, k, **kwargs)]

    def hybrid_search_with_score(self, query: str, k: int = 4, **kwargs: Any) -> List[Tuple[Document, float]]:
        """Vector and BM25 search of ``query`` fused into one ranking, with the fused score.

        ``Database.hybrid_search`` over the query's embedding and its text:
        reciprocal rank fusion by default (``fusion="rrf"``, ``rrf_k``), or
        ``fusion="weighted"`` with ``alpha`` (the vector side's weight).
        Keywords: ``filter``, ``ef_search``, ``fusion``, ``rrf_k``, ``alpha``,
        ``candidates``. The score is the fused one (higher is better). Needs
        :meth:`create_text_index`.
        """
        options = _hybrid_options(kwargs)
        db = self._handle.text_field_ready(self._text_key)
        if db is None:
            return []
        vector = self._embedding.embed_query(query)
        hits = db.hybrid_search(vector, query, k, field=self._text_key, **options)
        return [(self._document(h.id, h.metadata), -h.distance) for h in hits]

    async def ahybrid_search_with_score(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> List[Tuple[Document, float]]:
        """:meth:`hybrid_search_with_score` for coroutines."""
        options = _hybrid_options(kwargs)
        if self._handle.text_field_ready(self._text_key) is None:
            return []
        adb = self._handle.existing_async()
        assert adb is not None
        vector = await self._embedding.aembed_query(query)
        hits = await adb.hybrid_search(vector, query, k, field=self._text_key, **options)
        return [(self._document(h.id, h.metadata), -h.distance) for h in hits]

    def hybrid_search(self, query: str, k: int = 4, **kwargs: Any) -> List[Document]:
        """The ``k`` best documents by hybrid search (see :meth:`hybrid_search_with_score`)."""
        return [doc for doc, _ in self.hybrid_search_with_score(query, k, **kwargs)]

    async def ahybrid_search(self, query: str, k: int = 4, **kwargs: Any) -> List[Document]:
        """:meth:`hybrid_search` for coroutines."""
        return [doc for doc, _ in await self.ahybrid_search_with_score(query, k, **kwargs)]

    def search(self, query: str, search_type: str, **kwargs: Any) -> List[Document]:
        """LangChain's ``search`` plus ``search_type="keyword"`` and ``"hybrid"``."""
        if search_type == "keyword":
            return self.keyword_search(query, **kwargs)
        if search_type == "hybrid":
            return self.hybrid_search(query, **kwargs)
        return super().search(query, search_type, **kwargs)

    async def asearch(self, query: str, search_type: str, **kwargs: Any) -> List[Document]:
        """:meth:`search` for coroutines."""
        if search_type == "keyword":
            return await self.akeyword_search(query, **kwargs)
        if search_type == "hybrid":
            return await self.ahybrid_search(query, **kwargs)
        return await super().asearch(query, search_type, **kwargs)

    def as_retriever(self, **kwargs: Any) -> "HeronDBRetriever":
        """A retriever over this store; ``search_type`` may also be ``"keyword"`` or ``"hybrid"``.

        ``search_kwargs`` go to the search method (``k``, ``filter``, and for
        hybrid ``fusion``, ``alpha`` ...). The other search types are
        LangChain's: ``"similarity"`` (default), ``"mmr"``,
        ``"similarity_score_threshold"``.
        """
        tags = kwargs.pop("tags", None) or [*self._get_retriever_tags()]
        return HeronDBRetriever(vectorstore=self, tags=tags, **kwargs)

    # ---------------------------------------------------------- constructors

    @classmethod
    def from_texts(
        cls: Type[VST],
        texts: List[str],
        embedding: Embeddings,
        metadatas: Optional[List[Dict[str, Any]]] = None,
        *,
        ids: Optional[List[str]] = None,
        **kwargs: Any,
    ) -> VST:
        """A store (``kwargs`` as for the constructor: ``path=``, ``database=`` ...) holding ``texts``."""
        store = cls(embedding, **kwargs)
        store.add_texts(texts, metadatas, ids=ids)
        return store

    @classmethod
    async def afrom_texts(
        cls: Type[VST],
        texts: List[str],
        embedding: Embeddings,
        metadatas: Optional[List[Dict[str, Any]]] = None,
        *,
        ids: Optional[List[str]] = None,
        **kwargs: Any,
    ) -> VST:
        """:meth:`from_texts` for coroutines (opening the database in a worker thread)."""
        store = await asyncio.to_thread(lambda: cls(embedding, **kwargs))
        await store.aadd_texts(texts, metadatas, ids=ids)
        return store

    def __repr__(self) -> str:
        db = self._handle.database
        where = repr(db) if db is not None else "(database not created yet)"
        return f"<herondb.langchain.HeronDBVectorStore {where}>"


class HeronDBRetriever(VectorStoreRetriever):
    """LangChain's vector-store retriever with herondb's ``"keyword"`` and ``"hybrid"`` search types."""

    allowed_search_types: ClassVar[Collection[str]] = (
        "similarity",
        "similarity_score_threshold",
        "mmr",
        "keyword",
        "hybrid",
    )

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> List[Document]:
        if self.search_type in ("keyword", "hybrid"):
            store = self.vectorstore
            assert isinstance(store, HeronDBVectorStore)
            return store.search(query, self.search_type, **(self.search_kwargs | kwargs))
        return super()._get_relevant_documents(query, run_manager=run_manager, **kwargs)

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun, **kwargs: Any
    ) -> List[Document]:
        if self.search_type in ("keyword", "hybrid"):
            store = self.vectorstore
            assert isinstance(store, HeronDBVectorStore)
            return await store.asearch(query, self.search_type, **(self.search_kwargs | kwargs))
        return await super()._aget_relevant_documents(query, run_manager=run_manager, **kwargs)


__all__ = ["HeronDBVectorStore", "HeronDBRetriever", "PAGE_CONTENT_KEY"]
