"""herondb.llama_index.HeronDBVectorStore, tested the way LlamaIndex tests its own stores.

The node fixtures and the per-operator filter tests follow the shape of
llama-index's in-repo tests for its simple and Chroma stores (llama-index-core
0.14.25, pinned in scripts/setup.sh); then an end-to-end VectorStoreIndex
build, persist, reload and query with a deterministic local embedding.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from typing import Any, List

import numpy as np
import pytest
from llama_index.core import Document, StorageContext, VectorStoreIndex, load_index_from_storage
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms import MockLLM
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
)

import herondb
from herondb.llama_index import TEXT_KEY, HeronDBVectorStore, to_where_filter

A, B, C, D = "node-a", "node-b", "node-c", "node-d"


def make_nodes() -> List[TextNode]:
    def node(id_, text, emb, src, **meta):
        return TextNode(
            text=text,
            id_=id_,
            embedding=emb,
            relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=src)},
            metadata=meta,
        )

    return [
        node(A, "the quick brown fox", [1.0, 0.0, 0.0], "doc-1", weight=1.0, rank="a", author="Ada"),
        node(B, "jumps over the lazy dog", [0.0, 1.0, 0.0], "doc-1", weight=2.0, rank="c", tag=""),
        node(C, "a fox in the snow", [1.0, 1.0, 0.0], "doc-2", weight=3.0, rank="c", nested={"x": 1}),
        node(D, "curiosity has its own reason", [0.0, 0.0, 1.0], "doc-3", weight=4.0, rank="b", tag=None),
    ]


@pytest.fixture
def store(tmp_path):
    s = HeronDBVectorStore(tmp_path / "li")
    yield s
    s.close()


@pytest.fixture
def filled(store):
    store.add(make_nodes())
    return store


def q(filters=None, k=4, emb=(1.0, 1.0, 0.0), **kw) -> VectorStoreQuery:
    return VectorStoreQuery(query_embedding=list(emb) if emb is not None else None, similarity_top_k=k,
                            filters=filters, **kw)


def flt(key, value, op=FilterOperator.EQ) -> MetadataFilters:
    return MetadataFilters(filters=[MetadataFilter(key=key, value=value, operator=op)])


# ---------------------------------------------------------------- add/query


@pytest.mark.parametrize("use_async", [False, True])
async def test_add_and_query_returns_nodes_sorted_by_similarity(store, use_async):
    nodes = make_nodes()
    if use_async:
        assert await store.async_add(nodes) == [A, B, C, D]
        res = await store.aquery(q(k=3))
    else:
        assert store.add(nodes) == [A, B, C, D]
        res = store.query(q(k=3))
    assert res.ids[0] == C
    assert sorted(res.ids[1:]) == [A, B]
    assert res.nodes[0].get_content() == "a fox in the snow"
    assert res.nodes[0].metadata == {"weight": 3.0, "rank": "c", "nested": {"x": 1}}
    assert res.nodes[0].ref_doc_id == "doc-2"
    assert res.similarities[0] == pytest.approx(1.0)
    assert res.similarities == sorted(res.similarities, reverse=True)


def test_stored_record_uses_llama_index_metadata_layout_plus_text(filled):
    vec, meta = filled.client.get(A)
    assert vec == [1.0, 0.0, 0.0]
    assert meta[TEXT_KEY] == "the quick brown fox"
    assert meta["weight"] == 1.0 and meta["ref_doc_id"] == "doc-1" and meta["doc_id"] == "doc-1"
    assert meta["_node_type"] == "TextNode" and "_node_content" in meta


def test_add_writes_once_per_batch(store, monkeypatch):
    calls = []
    real = herondb.Database.upsert_many

    def counting(self, ids, vectors, metadatas=None):
        calls.append(len(ids))
        return real(self, ids, vectors, metadatas)

    monkeypatch.setattr(herondb.Database, "upsert_many", counting)
    store.add(make_nodes())
    assert calls == [4]


def test_re_adding_a_node_replaces_it(filled):
    node = make_nodes()[0]
    node.text = "a different text"
    filled.add([node])
    assert len(filled.client) == 4
    assert filled.get_nodes(node_ids=[A])[0].get_content() == "a different text"


def test_node_without_embedding_or_with_clashing_metadata_is_rejected_whole(store):
    good = make_nodes()[0]
    with pytest.raises(ValueError, match="no embedding"):
        store.add([good, TextNode(text="x", id_="e")])
    bad = TextNode(text="x", id_="t", embedding=[1.0, 0.0, 0.0], metadata={"text": "clash"})
    with pytest.raises(ValueError, match="text_key"):
        store.add([good, bad])
    assert store.client is None or len(store.client) == 0


def test_empty_store_queries_return_nothing(store):
    res = store.query(q())
    assert res.ids == [] and res.nodes == []
    assert store.get_nodes() == []
    store.delete("doc-1")
    store.clear()


@pytest.mark.parametrize("metric, expected", [
    ("cosine", lambda d: 1.0 - d),
    ("dot_product", lambda d: -d),
    ("euclidean", lambda d: 1.0 / (1.0 + d)),
])
def test_similarity_is_derived_from_the_metric(tmp_path, metric, expected):
    with herondb.Database(str(tmp_path / metric), dim=3, metric=metric) as db:
        s = HeronDBVectorStore(database=db)
        s.add(make_nodes())
        res = s.query(q(k=4, emb=(0.5, 0.2, 0.1)))
        hits = db.search([0.5, 0.2, 0.1], k=4)
        assert res.ids == [h.id for h in hits]
        assert res.similarities == pytest.approx([expected(h.distance) for h in hits])


# ------------------------------------------------------------------ filters


@pytest.mark.parametrize("op, value, expected", [
    (FilterOperator.EQ, 1.0, {A}),
    (FilterOperator.NE, 1.0, {B, C, D}),
    (FilterOperator.GT, 1.5, {B, C, D}),
    (FilterOperator.GTE, 2.0, {B, C, D}),
    (FilterOperator.LT, 2.0, {A}),
    (FilterOperator.LTE, 2.0, {A, B}),
])
def test_numeric_operators(filled, op, value, expected):
    assert set(filled.query(q(flt("weight", value, op))).ids) == expected


def test_in_and_nin(filled):
    assert set(filled.query(q(flt("rank", ["a", "c"], FilterOperator.IN))).ids) == {A, B, C}
    assert set(filled.query(q(flt("rank", ["c"], FilterOperator.NIN))).ids) == {A, D}


def test_is_empty_matches_missing_null_and_empty(filled):
    assert set(filled.query(q(flt("tag", None, FilterOperator.IS_EMPTY))).ids) == {A, B, C, D}
    assert set(filled.query(q(flt("author", None, FilterOperator.IS_EMPTY))).ids) == {B, C, D}


def test_filters_on_unknown_fields_and_contradictions_match_nothing(filled):
    assert filled.query(q(flt("unknown", "c"))).ids == []
    both = MetadataFilters(filters=[MetadataFilter(key="weight", value=2.0), MetadataFilter(key="weight", value=3.0)])
    assert filled.query(q(both)).ids == []


def test_and_or_not_conditions(filled):
    pair = [MetadataFilter(key="rank", value="c"), MetadataFilter(key="weight", value=1.0)]
    assert filled.query(q(MetadataFilters(filters=pair, condition=FilterCondition.AND))).ids == []
    assert set(filled.query(q(MetadataFilters(filters=pair, condition=FilterCondition.OR))).ids) == {A, B, C}
    # NOT: none of the filters holds (LlamaIndex's simple-store meaning)
    assert set(filled.query(q(MetadataFilters(filters=pair, condition=FilterCondition.NOT))).ids) == {D}


def test_nested_filters(filled):
    inner = MetadataFilters(
        filters=[MetadataFilter(key="weight", value=1.5, operator=FilterOperator.LT),
                 MetadataFilter(key="weight", value=3.5, operator=FilterOperator.GT)],
        condition=FilterCondition.OR,
    )
    outer = MetadataFilters(filters=[inner, MetadataFilter(key="rank", value="c", operator=FilterOperator.NE)])
    assert set(filled.query(q(outer)).ids) == {A, D}


def test_filter_translation_is_a_where_filter():
    f = MetadataFilters(
        filters=[
            MetadataFilter(key="a", value=1, operator=FilterOperator.GTE),
            MetadataFilters(filters=[MetadataFilter(key="b", value=["x"], operator=FilterOperator.NIN)],
                            condition=FilterCondition.NOT),
        ],
        condition=FilterCondition.OR,
    )
    assert to_where_filter(f) == {"$or": [{"a": {"$gte": 1}}, {"$not": {"b": {"$nin": ["x"]}}}]}
    assert to_where_filter(None) is None
    assert to_where_filter(MetadataFilters(filters=[])) == {}
    with pytest.raises(TypeError, match="MetadataFilters"):
        to_where_filter({"a": 1})  # type: ignore[arg-type]


@pytest.mark.parametrize("op", [FilterOperator.ANY, FilterOperator.ALL, FilterOperator.CONTAINS,
                                FilterOperator.TEXT_MATCH_INSENSITIVE])
def test_operators_herondb_cannot_express_are_errors_not_ignored(filled, op):
    value = ["x"] if op in (FilterOperator.ANY, FilterOperator.ALL) else "x"
    with pytest.raises(ValueError, match=op.name):
        filled.query(q(flt("rank", value, op)))
    with pytest.raises(ValueError, match=op.name):
        filled.delete_nodes(filters=flt("rank", value, op))
    assert len(filled.client) == 4


def test_text_match_becomes_herondb_match(filled):
    # herondb's $match: the field holds every query term after analysis (stemmed, case-folded)
    assert set(filled.query(q(flt("text", "Foxes", FilterOperator.TEXT_MATCH))).ids) == {A, C}
    assert filled.query(q(flt("text", "fox snow", FilterOperator.TEXT_MATCH))).ids == [C]
    assert to_where_filter(flt("text", "fox", FilterOperator.TEXT_MATCH)) == {"text": {"$match": "fox"}}
    with pytest.raises(ValueError, match="TEXT_MATCH"):
        to_where_filter(flt("text", ["fox"], FilterOperator.TEXT_MATCH))


async def test_query_by_filters_only(filled):
    res = filled.query(VectorStoreQuery(filters=flt("author", "Ada"), similarity_top_k=3))
    assert res.ids == [A] and res.nodes[0].get_content() == "the quick brown fox"
    res = await filled.aquery(VectorStoreQuery(filters=flt("rank", "c"), similarity_top_k=5))
    assert sorted(res.ids) == [B, C]
    with pytest.raises(ValueError, match="query_embedding"):
        filled.query(VectorStoreQuery(similarity_top_k=3))


def test_node_ids_and_doc_ids_restrict_the_candidates(filled):
    res = filled.query(q(node_ids=[D, B, "missing"], k=4))
    assert res.ids == [B, D]
    res = filled.query(q(flt("rank", "c"), node_ids=[A, B], k=4))
    assert res.ids == [B]
    res = filled.query(q(doc_ids=["doc-1", "doc-3"], k=4))
    assert set(res.ids) == {A, B, D} and res.ids[-1] == D
    # empty lists (what LlamaIndex's retriever passes) restrict nothing
    assert len(filled.query(q(node_ids=[], doc_ids=[], k=4)).ids) == 4


# --------------------------------------------------------------- query modes


def test_mmr_mode_diversifies(tmp_path):
    s = HeronDBVectorStore(tmp_path / "mmr")
    nodes = [TextNode(text=t, id_=t, embedding=e) for t, e in
             [("x1", [1.0, 0.0]), ("x2", [0.99, 0.05]), ("y", [0.6, 0.8])]]
    s.add(nodes)
    plain = s.query(VectorStoreQuery(query_embedding=[1.0, 0.0], similarity_top_k=2))
    assert plain.ids == ["x1", "x2"]
    mmr = s.query(VectorStoreQuery(query_embedding=[1.0, 0.0], similarity_top_k=2,
                                   mode=VectorStoreQueryMode.MMR, mmr_threshold=0.3))
    assert mmr.ids == ["x1", "y"]
    assert len(mmr.similarities) == 2
    s.close()


def test_text_modes_need_a_text_index(filled):
    for mode in (VectorStoreQueryMode.TEXT_SEARCH, VectorStoreQueryMode.HYBRID):
        with pytest.raises(ValueError, match="create_text_index"):
            filled.query(q(mode=mode, query_str="fox"))


@pytest.mark.parametrize("use_async", [False, True])
async def test_text_search_mode_ranks_by_bm25(filled, use_async):
    filled.create_text_index()
    assert filled.client.text_indexes == ["text"]
    query = VectorStoreQuery(query_str="fox snow", similarity_top_k=3, mode=VectorStoreQueryMode.TEXT_SEARCH)
    res = await filled.aquery(query) if use_async else filled.query(query)
    expect = filled.client.search_text("fox snow", k=3, field="text")
    assert res.ids == [h.id for h in expect] and res.ids[0] == C
    assert res.similarities == pytest.approx([-h.distance for h in expect])
    assert res.nodes[0].get_content() == "a fox in the snow"
    only_a = VectorStoreQuery(query_str="fox", similarity_top_k=3, mode=VectorStoreQueryMode.TEXT_SEARCH,
                              filters=flt("rank", "a"))
    assert filled.query(only_a).ids == [A]


@pytest.mark.parametrize("use_async", [False, True])
@pytest.mark.parametrize("alpha", [None, 0.0, 0.8])
async def test_hybrid_mode_is_herondb_hybrid_search(filled, use_async, alpha):
    filled.create_text_index()
    query = q(mode=VectorStoreQueryMode.HYBRID, query_str="lazy dog", emb=(1.0, 0.0, 0.0), alpha=alpha)
    res = await filled.aquery(query) if use_async else filled.query(query)
    options = {} if alpha is None else {"fusion": "weighted", "alpha": alpha}
    expect = filled.client.hybrid_search([1.0, 0.0, 0.0], "lazy dog", k=4, field="text", **options)
    assert res.ids == [h.id for h in expect]
    assert res.similarities == pytest.approx([-h.distance for h in expect])
    if alpha == 0.0:  # pure BM25 side
        assert res.ids[0] == B


def test_hybrid_mode_keywords_and_top_ks(filled):
    filled.create_text_index()
    query = q(mode=VectorStoreQueryMode.HYBRID, query_str="fox", k=4, hybrid_top_k=2, sparse_top_k=3)
    res = filled.query(query, rrf_k=5)
    expect = filled.client.hybrid_search([1.0, 1.0, 0.0], "fox", k=2, field="text", rrf_k=5, candidates=4)
    assert res.ids == [h.id for h in expect] and len(res.ids) == 2


def test_text_modes_check_their_inputs(filled):
    filled.create_text_index()
    with pytest.raises(ValueError, match="query_str"):
        filled.query(q(mode=VectorStoreQueryMode.TEXT_SEARCH))
    with pytest.raises(ValueError, match="query_embedding"):
        filled.query(VectorStoreQuery(query_str="fox", mode=VectorStoreQueryMode.HYBRID))
    with pytest.raises(ValueError, match="node_ids"):
        filled.query(q(mode=VectorStoreQueryMode.TEXT_SEARCH, query_str="fox", node_ids=[A]))


def test_text_index_asked_for_before_the_database_exists_comes_with_it(store):
    store.create_text_index(language="none")
    assert store.query(VectorStoreQuery(query_str="fox", mode=VectorStoreQueryMode.TEXT_SEARCH)).ids == []
    store.add(make_nodes())
    assert store.client.text_indexes == ["text"]
    # language "none": no stemming, so "foxes" does not find "fox"
    assert store.query(VectorStoreQuery(query_str="foxes", mode=VectorStoreQueryMode.TEXT_SEARCH)).ids == []


@pytest.mark.parametrize("mode", [VectorStoreQueryMode.SPARSE, VectorStoreQueryMode.SVM,
                                  VectorStoreQueryMode.SEMANTIC_HYBRID])
def test_unsupported_query_modes_are_errors(filled, mode):
    with pytest.raises(ValueError, match=mode.value):
        filled.query(q(mode=mode))


def test_bad_top_k_is_an_error(filled):
    with pytest.raises(ValueError, match="similarity_top_k"):
        filled.query(q(k=0))


# ------------------------------------------------------------ delete / get


@pytest.mark.parametrize("use_async", [False, True])
async def test_delete_removes_every_node_of_the_ref_doc(filled, use_async):
    if use_async:
        await filled.adelete("doc-1")
    else:
        filled.delete("doc-1")
    assert sorted(filled.client.ids()) == [C, D]
    assert filled.query(q(k=2)).ids == [C, D]


@pytest.mark.parametrize("use_async", [False, True])
async def test_get_nodes_and_delete_nodes(filled, use_async):
    if use_async:
        got = await filled.aget_nodes(node_ids=[A, B, C])
        await filled.adelete_nodes(node_ids=[A, B])
        left = await filled.aget_nodes(node_ids=[A, B, C])
    else:
        got = filled.get_nodes(node_ids=[A, B, C])
        filled.delete_nodes(node_ids=[A, B])
        left = filled.get_nodes(node_ids=[A, B, C])
    assert [n.node_id for n in got] == [A, B, C]
    assert got[0].get_content() == "the quick brown fox" and got[0].embedding == [1.0, 0.0, 0.0]
    assert [n.node_id for n in left] == [C]


def test_get_and_delete_nodes_by_filter(filled):
    assert sorted(n.node_id for n in filled.get_nodes(filters=flt("rank", "c"))) == [B, C]
    assert [n.node_id for n in filled.get_nodes(node_ids=[A, B], filters=flt("rank", "c"))] == [B]
    filled.delete_nodes(node_ids=[A, B], filters=flt("rank", "c"))
    assert sorted(filled.client.ids()) == [A, C, D]
    filled.delete_nodes()  # neither: nothing
    assert len(filled.client) == 3
    filled.delete_nodes(filters=flt("weight", 3.0, FilterOperator.GTE))
    assert filled.client.ids() == [A]


@pytest.mark.parametrize("use_async", [False, True])
async def test_clear(filled, use_async):
    if use_async:
        await filled.aclear()
    else:
        filled.clear()
    assert filled.get_nodes(node_ids=[A, B, C]) == []
    assert len(filled.client) == 0


def test_async_methods_run_database_calls_off_the_event_loop(store, monkeypatch):
    seen = []
    for name in ("upsert_many", "search", "get", "delete_many"):
        real = getattr(herondb.Database, name)

        def wrapper(self, *a, _real=real, _name=name, **k):
            seen.append((_name, threading.current_thread() is threading.main_thread()))
            return _real(self, *a, **k)

        monkeypatch.setattr(herondb.Database, name, wrapper)

    async def main():
        await store.async_add(make_nodes())
        await store.aquery(q())
        await store.aquery(q(mode=VectorStoreQueryMode.MMR))
        await store.aget_nodes(node_ids=[A])
        await store.adelete_nodes(node_ids=[A])
        await store.adelete("doc-2")

    asyncio.run(main())
    assert {n for n, _ in seen} == {"upsert_many", "search", "get", "delete_many"}
    assert not any(on_main for _, on_main in seen), seen


# --------------------------------------------------------- where data lives


def test_store_on_a_client_collection_and_on_a_database(tmp_path):
    with herondb.Client(str(tmp_path / "root")) as client:
        s = HeronDBVectorStore(client=client, collection_name="nodes", metric="euclidean")
        assert s.client is None
        s.add(make_nodes())
        assert client.get_collection("nodes").metric == "euclidean"
        s2 = HeronDBVectorStore(database=client.get_collection("nodes"))
        assert s2.query(q(k=1, emb=(0.0, 0.0, 1.0))).ids == [D]
        assert s2.path == client.get_collection("nodes").path


def test_constructor_checks_its_arguments(tmp_path):
    with pytest.raises(ValueError, match="exactly one"):
        HeronDBVectorStore()
    with pytest.raises(ValueError, match="text_key"):
        HeronDBVectorStore(tmp_path / "x", text_key="")
    with pytest.raises(TypeError, match="database"):
        HeronDBVectorStore(database=42)


# ------------------------------------------------------------- end to end


class WordHashEmbedding(BaseEmbedding):
    """Deterministic local embedding: signed hashed word counts, L2-normalized (no model)."""

    dim: int = 64

    @classmethod
    def class_name(cls) -> str:
        return "WordHashEmbedding"

    def _vec(self, text: str) -> List[float]:
        v = np.zeros(self.dim)
        for word in text.lower().split():
            h = int.from_bytes(hashlib.blake2b(word.strip(".,").encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        n = np.linalg.norm(v)
        if n == 0:
            v[0] = 1.0
            n = 1.0
        return list(v / n)

    def _get_text_embedding(self, text: str) -> List[float]:
        return self._vec(text)

    def _get_query_embedding(self, query: str) -> List[float]:
        return self._vec(query)

    async def _aget_query_embedding(self, query: str) -> List[float]:
        return self._vec(query)


DOCS = [
    Document(text="Gzip compresses files with the deflate algorithm.", id_="gzip", metadata={"topic": "compression"}),
    Document(text="The json module parses and writes JSON text.", id_="json", metadata={"topic": "formats"}),
    Document(text="Threads run functions concurrently in a pool.", id_="threads", metadata={"topic": "concurrency"}),
    Document(text="Hash functions compute a digest of bytes.", id_="hash", metadata={"topic": "crypto"}),
]


def test_vector_store_index_build_persist_reload_and_query(tmp_path):
    embed = WordHashEmbedding()
    db_dir, persist_dir = tmp_path / "heron", tmp_path / "storage"
    store = HeronDBVectorStore(db_dir)
    ctx = StorageContext.from_defaults(vector_store=store)
    index = VectorStoreIndex.from_documents(DOCS, storage_context=ctx, embed_model=embed)
    first = [n.node.ref_doc_id for n in index.as_retriever(similarity_top_k=1).retrieve("parses JSON text")]
    assert first == ["json"]
    index.storage_context.persist(persist_dir=str(persist_dir))
    store.close()

    reopened = HeronDBVectorStore(db_dir)
    assert len(reopened.client) == len(DOCS)
    ctx2 = StorageContext.from_defaults(vector_store=reopened, persist_dir=str(persist_dir))
    index2 = load_index_from_storage(ctx2, embed_model=embed)
    hits = index2.as_retriever(similarity_top_k=2).retrieve("compresses files gzip")
    assert hits[0].node.ref_doc_id == "gzip"
    assert hits[0].node.get_content() == DOCS[0].text
    assert hits[0].score == pytest.approx(max(h.score for h in hits))

    filtered = index2.as_retriever(
        similarity_top_k=3, filters=MetadataFilters(filters=[MetadataFilter(key="topic", value="crypto")])
    ).retrieve("compresses files gzip")
    assert [h.node.ref_doc_id for h in filtered] == ["hash"]

    reopened.create_text_index()
    keyword = index2.as_retriever(similarity_top_k=1, vector_store_query_mode="text_search").retrieve("deflate")
    assert [h.node.ref_doc_id for h in keyword] == ["gzip"]
    hybrid = index2.as_retriever(similarity_top_k=2, vector_store_query_mode="hybrid", alpha=0.5).retrieve(
        "digest of bytes")
    assert hybrid[0].node.ref_doc_id == "hash"

    engine = index2.as_query_engine(llm=MockLLM(), similarity_top_k=1)
    response = engine.query("which module writes JSON text?")
    assert [n.node.ref_doc_id for n in response.source_nodes] == ["json"]

    index2.delete_ref_doc("json")
    assert "json" not in {n.node.ref_doc_id for n in index2.as_retriever(similarity_top_k=4).retrieve("JSON")}
    reopened.close()


def test_vector_store_index_from_an_existing_store(tmp_path):
    embed = WordHashEmbedding()
    store = HeronDBVectorStore(tmp_path / "h2")
    VectorStoreIndex.from_documents(DOCS, storage_context=StorageContext.from_defaults(vector_store=store),
                                    embed_model=embed)
    store.close()
    again = HeronDBVectorStore(tmp_path / "h2")
    index = VectorStoreIndex.from_vector_store(again, embed_model=embed)
    hits = index.as_retriever(similarity_top_k=1, vector_store_query_mode="mmr").retrieve("threads pool")
    assert hits[0].node.ref_doc_id == "threads"

    async def main() -> Any:
        return await index.as_retriever(similarity_top_k=1).aretrieve("digest of bytes")

    assert asyncio.run(main())[0].node.ref_doc_id == "hash"
    again.close()
