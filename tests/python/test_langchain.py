"""herondb.langchain.HeronDBVectorStore: LangChain's standard vector-store tests, then ours.

The standard suite is langchain-tests' ``VectorStoreIntegrationTests``
(langchain-tests 1.1.9, langchain-core 1.8.1, pinned in scripts/setup.sh),
sync and async, run unmodified: the subclass only supplies the empty store.
"""

from __future__ import annotations

import asyncio
import math
import threading
from typing import Dict, List

import numpy as np
import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore
from langchain_tests.integration_tests import VectorStoreIntegrationTests

import herondb
from herondb.langchain import PAGE_CONTENT_KEY, HeronDBVectorStore

from conftest import ref_distances


class TestHeronDBStandard(VectorStoreIntegrationTests):
    """langchain-tests' standard suite, unmodified."""

    @pytest.fixture()
    def vectorstore(self, tmp_path) -> VectorStore:  # type: ignore[override]
        store = HeronDBVectorStore(self.get_embeddings(), tmp_path / "lc")
        try:
            yield store
        finally:
            store.close()


class TableEmbeddings(Embeddings):
    """Deterministic embeddings: a fixed vector per known text; counts its calls."""

    def __init__(self, table: Dict[str, List[float]]) -> None:
        self.table = table
        self.document_calls = 0
        self.query_calls = 0

    def embed_documents(self, texts: List[str]) -> List[List[float]]:
        self.document_calls += 1
        return [list(self.table[t]) for t in texts]

    def embed_query(self, text: str) -> List[float]:
        self.query_calls += 1
        return list(self.table[text])


class AsyncOnlyEmbeddings(TableEmbeddings):
    """Fails if the sync methods are used: the a* methods must await the async ones."""

    def embed_documents(self, texts: List[str]) -> List[List[float]]:
        raise AssertionError("embed_documents called from an async path")

    def embed_query(self, text: str) -> List[float]:
        raise AssertionError("embed_query called from an async path")

    async def aembed_documents(self, texts: List[str]) -> List[List[float]]:
        return [list(self.table[t]) for t in texts]

    async def aembed_query(self, text: str) -> List[float]:
        return list(self.table[text])


TABLE = {
    "apple": [1.0, 0.0, 0.0],
    "apple pie": [0.98, 0.2, 0.0],
    "apple tart": [0.97, 0.22, 0.05],
    "banana": [0.0, 1.0, 0.0],
    "cherry": [0.0, 0.0, 1.0],
    "fruit": [0.6, 0.6, 0.5],
}


@pytest.fixture
def emb():
    return TableEmbeddings(TABLE)


@pytest.fixture
def store(tmp_path, emb):
    s = HeronDBVectorStore(emb, tmp_path / "store")
    yield s
    s.close()


def fill(store):
    texts = ["apple", "apple pie", "apple tart", "banana", "cherry"]
    metas = [{"kind": "raw", "n": 1}, {"kind": "baked", "n": 2}, {"kind": "baked", "n": 3},
             {"kind": "raw", "n": 4}, {"kind": "raw", "n": 5}]
    return store.add_texts(texts, metas, ids=[t.replace(" ", "_") for t in texts])


# ------------------------------------------------------------------ storage


def test_page_content_is_stored_in_metadata_under_the_documented_key(store):
    store.add_texts(["apple"], [{"kind": "raw"}], ids=["a"])
    vec, meta = store.database.get("a")
    assert PAGE_CONTENT_KEY == "page_content"
    assert meta == {"kind": "raw", "page_content": "apple"}
    assert vec == pytest.approx(TABLE["apple"])


def test_custom_text_key_is_used_and_stripped_from_documents(tmp_path, emb):
    with HeronDBVectorStore(emb, tmp_path / "s", text_key="body") as s:
        s.add_texts(["banana"], [{"page_content": "kept as metadata"}], ids=["b"])
        assert s.database.get("b")[1] == {"page_content": "kept as metadata", "body": "banana"}
        assert s.get_by_ids(["b"]) == [
            Document(id="b", page_content="banana", metadata={"page_content": "kept as metadata"})
        ]


def test_add_texts_embeds_and_writes_once_per_batch(store, emb, monkeypatch):
    calls = []
    real = herondb.Database.upsert_many

    def counting(self, ids, vectors, metadatas=None):
        calls.append(len(ids))
        return real(self, ids, vectors, metadatas)

    monkeypatch.setattr(herondb.Database, "upsert_many", counting)
    monkeypatch.setattr(herondb.Database, "add", lambda *a, **k: pytest.fail("one call per record"))
    monkeypatch.setattr(herondb.Database, "upsert", lambda *a, **k: pytest.fail("one call per record"))
    fill(store)
    assert calls == [5]
    assert emb.document_calls == 1
    assert len(store.database) == 5


def test_add_documents_without_ids_makes_uuid_ids_and_keeps_given_ones(store):
    ids = store.add_documents([Document(page_content="apple", id="mine"), Document(page_content="banana")])
    assert ids[0] == "mine"
    assert len(ids[1]) == 36 and ids[1].count("-") == 4
    assert sorted(store.database.ids()) == sorted(ids)


def test_adding_an_existing_id_replaces_the_record(store):
    store.add_texts(["apple"], [{"v": 1}], ids=["x"])
    store.add_texts(["banana"], [{"v": 2}], ids=["x"])
    assert len(store.database) == 1
    assert store.get_by_ids(["x"]) == [Document(id="x", page_content="banana", metadata={"v": 2})]


def test_metadata_holding_the_text_key_is_a_value_error_that_stores_nothing(store):
    store.add_texts(["apple"], ids=["keep"])
    with pytest.raises(ValueError, match="page_content"):
        store.add_texts(["banana", "cherry"], [{}, {"page_content": "clash"}])
    assert store.database.ids() == ["keep"]


def test_mismatched_lengths_and_bad_types_are_errors(store):
    with pytest.raises(ValueError, match="metadatas"):
        store.add_texts(["apple", "banana"], [{}])
    with pytest.raises(ValueError, match="ids"):
        store.add_texts(["apple"], ids=["a", "b"])
    with pytest.raises(TypeError, match="metadata 0"):
        store.add_texts(["apple"], ["not a dict"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="text 0"):
        store.add_texts([b"apple"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="unexpected keyword"):
        store.add_texts(["apple"], batch=3)
    assert store.database is None or len(store.database) == 0


def test_duplicate_ids_in_one_batch_keep_the_last(store):
    store.add_texts(["apple", "banana"], ids=["d", "d"])
    assert store.get_by_ids(["d"])[0].page_content == "banana"


def test_get_by_ids_skips_unknown_and_repeated_ids_in_order(store):
    fill(store)
    docs = store.get_by_ids(["banana", "nope", "apple", "banana"])
    assert [d.id for d in docs] == ["banana", "apple"]
    assert docs[0].metadata == {"kind": "raw", "n": 4}


def test_empty_store_answers_every_read_with_nothing(tmp_path, emb):
    s = HeronDBVectorStore(emb, tmp_path / "never")
    assert s.database is None
    assert s.similarity_search("apple") == []
    assert s.similarity_search_with_score("apple") == []
    assert s.max_marginal_relevance_search("apple") == []
    assert s.get_by_ids(["a"]) == []
    assert s.delete(["a"]) is True
    assert emb.query_calls == 0  # nothing to search: no embedding spent
    assert not (tmp_path / "never").exists()


# ------------------------------------------------------------------ delete


def test_delete_by_filter_and_delete_all(store):
    fill(store)
    store.delete(filter={"kind": "baked"})
    assert sorted(store.database.ids()) == ["apple", "banana", "cherry"]
    store.delete()
    assert len(store.database) == 0


def test_delete_with_ids_and_filter_is_a_value_error(store):
    fill(store)
    with pytest.raises(ValueError, match="not both"):
        store.delete(["apple"], filter={"kind": "raw"})
    with pytest.raises(TypeError, match="unexpected keyword"):
        store.delete(["apple"], where={"kind": "raw"})
    assert len(store.database) == 5


# ------------------------------------------------------------------ search


def test_filter_is_a_herondb_where_filter(store):
    fill(store)
    got = store.similarity_search("apple", k=5, filter={"kind": "baked"})
    assert [d.id for d in got] == ["apple_pie", "apple_tart"]
    got = store.similarity_search("apple", k=5, filter={"$or": [{"n": {"$gte": 5}}, {"kind": "baked"}]})
    assert [d.id for d in got] == ["apple_pie", "apple_tart", "cherry"]
    with pytest.raises(ValueError, match=r"\$bogus"):
        store.similarity_search("apple", filter={"n": {"$bogus": 1}})


def test_unknown_search_keyword_is_a_type_error(store):
    fill(store)
    with pytest.raises(TypeError, match="where_filter"):
        store.similarity_search("apple", where_filter={"kind": "raw"})


def test_search_by_vector_and_max_distance(store):
    fill(store)
    got = store.similarity_search_by_vector([0.0, 1.0, 0.0], k=2)
    assert got[0] == Document(id="banana", page_content="banana", metadata={"kind": "raw", "n": 4})
    near = store.similarity_search_with_score_by_vector([1.0, 0.0, 0.0], k=5, max_distance=0.1)
    assert [d.id for d, _ in near] == ["apple", "apple_pie", "apple_tart"]


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "dot_product"])
def test_scores_are_herondb_distances_and_relevance_follows_the_metric(tmp_path, emb, metric):
    with HeronDBVectorStore(emb, tmp_path / metric, metric=metric) as s:
        fill(s)
        query = np.array(TABLE["fruit"])
        pairs = s.similarity_search_with_score("fruit", k=5)
        rows = np.array([TABLE[d.page_content] for d, _ in pairs])
        assert [d for _, d in pairs] == pytest.approx(list(ref_distances(metric, query, rows)), abs=1e-5)
        rel = s.similarity_search_with_relevance_scores("fruit", k=5)
        assert [d.id for d, _ in rel] == [d.id for d, _ in pairs]
        scores = [r for _, r in rel]
        assert scores == sorted(scores, reverse=True)
        expected = {
            "cosine": lambda d: 1.0 - d,
            "euclidean": lambda d: 1.0 - d / math.sqrt(2),
            "dot_product": lambda d: -d,
        }[metric]
        assert scores == pytest.approx([expected(d) for _, d in pairs])


def test_dot_product_relevance_is_monotonic_in_the_dot_product(tmp_path):
    # LangChain's max-inner-product function would score a dot product of -0.1
    # at 0.9, above 0.5: the store must not use it on herondb's -(a.b).
    table = {"q": [1.0, 0.0], "pos": [0.5, 0.0], "neg": [-0.1, 0.0]}
    with HeronDBVectorStore(TableEmbeddings(table), tmp_path / "dot", metric="dot") as s:
        s.add_texts(["pos", "neg"], ids=["pos", "neg"])
        with pytest.warns(UserWarning, match="between 0 and 1"):  # LangChain's note on -0.1
            rel = dict((d.id, r) for d, r in s.similarity_search_with_relevance_scores("q", k=2))
        assert rel["pos"] == pytest.approx(0.5)
        assert rel["neg"] == pytest.approx(-0.1)


def test_score_threshold_retriever_uses_relevance(store):
    fill(store)
    retriever = store.as_retriever(search_type="similarity_score_threshold",
                                   search_kwargs={"score_threshold": 0.95, "k": 5})
    assert [d.id for d in retriever.invoke("apple")] == ["apple", "apple_pie", "apple_tart"]


# -------------------------------------------------------------------- MMR


def test_mmr_prefers_diverse_results_over_near_duplicates(store):
    fill(store)
    plain = store.similarity_search("apple", k=2)
    assert [d.id for d in plain] == ["apple", "apple_pie"]
    diverse = store.max_marginal_relevance_search("apple", k=2, fetch_k=5, lambda_mult=0.1)
    assert diverse[0].id == "apple"
    assert diverse[1].id in ("banana", "cherry")
    # lambda_mult=1 is plain relevance
    same = store.max_marginal_relevance_search_by_vector(TABLE["apple"], k=2, fetch_k=5, lambda_mult=1.0)
    assert [d.id for d in same] == ["apple", "apple_pie"]


def test_mmr_honours_the_filter_and_checks_its_arguments(store):
    fill(store)
    got = store.max_marginal_relevance_search("apple", k=3, fetch_k=5, filter={"kind": "raw"})
    assert sorted(d.id for d in got) == ["apple", "banana", "cherry"]
    with pytest.raises(ValueError, match="lambda_mult"):
        store.max_marginal_relevance_search("apple", lambda_mult=2.0)
    with pytest.raises(ValueError, match="fetch_k"):
        store.max_marginal_relevance_search("apple", fetch_k=0)


def test_mmr_retriever(store):
    fill(store)
    retriever = store.as_retriever(search_type="mmr", search_kwargs={"k": 2, "fetch_k": 5, "lambda_mult": 0.1})
    assert [d.id for d in retriever.invoke("apple")][0] == "apple"


# ------------------------------------------------------- where the data lives


def test_reopening_by_path_sees_the_documents(tmp_path, emb):
    with HeronDBVectorStore(emb, tmp_path / "p") as s:
        fill(s)
    again = HeronDBVectorStore(emb, tmp_path / "p")
    assert again.database is not None and again.database.metric == "cosine"
    assert [d.id for d in again.similarity_search("banana", k=1)] == ["banana"]
    again.close()
    assert again.database.closed


def test_dim_given_creates_the_database_at_once(tmp_path, emb):
    s = HeronDBVectorStore(emb, tmp_path / "d", dim=3, metric="euclidean")
    assert s.database is not None and s.database.dim == 3 and s.database.metric == "euclidean"
    s.close()


def test_a_database_handed_in_is_used_and_left_open(tmp_path, emb):
    db = herondb.Database(str(tmp_path / "mine"), dim=3)
    s = HeronDBVectorStore(emb, database=db)
    fill(s)
    s.close()
    assert not db.closed and len(db) == 5
    s2 = HeronDBVectorStore(emb, database=herondb.AsyncDatabase.wrap(db))
    assert s2.database is db
    db.close()
    with pytest.raises(ValueError, match="closed"):
        s2.similarity_search("apple")


def test_client_collection_is_created_on_first_write_and_found_later(tmp_path, emb):
    with herondb.Client(str(tmp_path / "root")) as client:
        s = HeronDBVectorStore(emb, client=client, collection_name="fruit", metric="dot_product")
        assert client.list_collections() == []
        fill(s)
        assert client.list_collections() == ["fruit"]
        assert client.get_collection("fruit").metric == "dot_product"
        s2 = HeronDBVectorStore(emb, client=client, collection_name="fruit")
        assert s2.database is client.get_collection("fruit")
        assert len(s2.get_by_ids(["apple", "banana"])) == 2


def test_constructor_arguments_are_checked(tmp_path, emb):
    with pytest.raises(ValueError, match="exactly one"):
        HeronDBVectorStore(emb)
    with pytest.raises(ValueError, match="exactly one"):
        HeronDBVectorStore(emb, tmp_path / "a", database=herondb.Database(str(tmp_path / "b"), dim=3))
    with pytest.raises(ValueError, match="together"):
        HeronDBVectorStore(emb, client=herondb.Client(str(tmp_path / "c")))
    with pytest.raises(TypeError, match="Embeddings"):
        HeronDBVectorStore("not an embedding", tmp_path / "e")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="database"):
        HeronDBVectorStore(emb, database="path")
    with pytest.raises(ValueError, match="text_key"):
        HeronDBVectorStore(emb, tmp_path / "f", text_key="a.b")
    with pytest.raises(ValueError, match="metric"):
        HeronDBVectorStore(emb, tmp_path / "g", dim=3, metric="manhattan")


def test_a_dimension_mismatch_with_the_existing_database_stores_nothing(tmp_path, emb):
    herondb.Database(str(tmp_path / "d4"), dim=4).close()
    s = HeronDBVectorStore(emb, tmp_path / "d4")
    with pytest.raises(ValueError, match="dim"):
        s.add_texts(["apple"])
    assert len(s.database) == 0
    s.close()


def test_from_texts_and_from_documents(tmp_path, emb):
    s = HeronDBVectorStore.from_texts(["apple", "banana"], emb, [{"i": 1}, {"i": 2}], ids=["a", "b"],
                                      path=tmp_path / "ft")
    assert s.get_by_ids(["b"]) == [Document(id="b", page_content="banana", metadata={"i": 2})]
    s.close()
    d = HeronDBVectorStore.from_documents([Document(page_content="cherry", id="c", metadata={"x": 1})], emb,
                                          path=tmp_path / "fd", metric="euclidean")
    assert d.database.metric == "euclidean"
    assert d.similarity_search("cherry", k=1)[0].id == "c"
    d.close()
    with pytest.raises(ValueError, match="exactly one"):
        HeronDBVectorStore.from_texts(["apple"], emb)


# ------------------------------------------------------------------- async


def _record_threads(monkeypatch, names):
    seen = []
    for name in names:
        real = getattr(herondb.Database, name)

        def wrapper(self, *a, _real=real, _name=name, **k):
            seen.append((_name, threading.current_thread() is threading.main_thread()))
            return _real(self, *a, **k)

        monkeypatch.setattr(herondb.Database, name, wrapper)
    return seen


def test_async_methods_run_database_calls_off_the_event_loop(tmp_path, monkeypatch):
    seen = _record_threads(monkeypatch, ["upsert_many", "search", "get", "delete_many"])
    emb = AsyncOnlyEmbeddings(TABLE)

    async def main():
        s = await HeronDBVectorStore.afrom_texts(["apple", "apple pie", "banana", "cherry"], emb,
                                                 ids=["a", "p", "b", "c"], path=tmp_path / "as")
        assert [d.id for d in await s.asimilarity_search("apple", k=2)] == ["a", "p"]
        assert [d.id for d, _ in await s.asimilarity_search_with_score("banana", k=1)] == ["b"]
        assert [d.id for d in await s.asimilarity_search_by_vector(TABLE["cherry"], k=1)] == ["c"]
        mmr = await s.amax_marginal_relevance_search("apple", k=2, fetch_k=4, lambda_mult=0.1)
        assert mmr[0].id == "a" and mmr[1].id in ("b", "c")
        rel = await s.asimilarity_search_with_relevance_scores("apple", k=1)
        assert rel[0][1] == pytest.approx(1.0)
        assert [d.id for d in await s.aget_by_ids(["c", "zz"])] == ["c"]
        await s.adelete(["a"])
        retriever = s.as_retriever(search_kwargs={"k": 1})
        assert [d.id for d in await retriever.ainvoke("apple")] == ["p"]
        s.close()

    asyncio.run(main())
    names = {name for name, _ in seen}
    assert names == {"upsert_many", "search", "get", "delete_many"}
    assert not any(on_main for _, on_main in seen), seen


# ------------------------------------------------------ keyword and hybrid


def test_keyword_search_needs_a_text_index_on_the_page_content(store):
    fill(store)
    with pytest.raises(ValueError, match="create_text_index"):
        store.keyword_search("pie")
    with pytest.raises(ValueError, match="create_text_index"):
        store.hybrid_search("apple pie")
    store.create_text_index()
    assert store.database.text_indexes == ["page_content"]
    store.create_text_index()  # already there: nothing to do
    got = store.keyword_search_with_score("pie", k=4)
    assert [d.id for d, _ in got] == ["apple_pie"]
    assert got[0][1] > 0
    assert [d.id for d, _ in got] == [h.id for h in store.database.search_text("pie", k=4)]


def test_text_index_asked_for_before_the_database_exists_comes_with_it(tmp_path, emb):
    s = HeronDBVectorStore(emb, tmp_path / "lazy")
    s.create_text_index(k1=1.5)
    assert s.database is None
    assert s.keyword_search("apple") == []
    fill(s)
    assert s.database.text_indexes == ["page_content"]
    s.close()
    again = HeronDBVectorStore(emb, tmp_path / "lazy")
    again.create_text_index()  # kept from disk
    assert [d.id for d in again.keyword_search("tart")] == ["apple_tart"]
    again.close()


def test_keyword_search_scores_descend_and_honour_the_filter(store):
    fill(store)
    store.create_text_index()
    got = store.keyword_search_with_score("apple", k=5)
    assert {d.id for d, _ in got} == {"apple", "apple_pie", "apple_tart"}
    scores = [sc for _, sc in got]
    assert scores == sorted(scores, reverse=True)
    assert [d.id for d in store.keyword_search("apple", k=5, filter={"kind": "raw"})] == ["apple"]
    with pytest.raises(TypeError, match="keyword search"):
        store.keyword_search("apple", ef_search=10)


@pytest.mark.parametrize("options", [{}, {"fusion": "weighted", "alpha": 0.3}, {"rrf_k": 10, "candidates": 5}])
def test_hybrid_search_is_herondb_hybrid_search_of_the_query_text_and_embedding(store, options):
    fill(store)
    store.create_text_index()
    got = store.hybrid_search_with_score("apple pie", k=4, **options)
    expect = store.database.hybrid_search(TABLE["apple pie"], "apple pie", k=4, field="page_content", **options)
    assert [d.id for d, _ in got] == [h.id for h in expect]
    assert [sc for _, sc in got] == pytest.approx([-h.distance for h in expect])
    assert got[0][0].id == "apple_pie"


def test_hybrid_search_honours_the_filter_and_checks_keywords(store):
    fill(store)
    store.create_text_index()
    got = store.hybrid_search("apple pie", k=5, filter={"kind": "raw"})
    assert {d.id for d in got} <= {"apple", "banana", "cherry"} and got[0].id == "apple"
    with pytest.raises(TypeError, match="hybrid search"):
        store.hybrid_search("apple pie", max_distance=0.5)
    with pytest.raises(ValueError, match="fusion"):
        store.hybrid_search("apple pie", fusion="max")


def test_search_and_retriever_accept_keyword_and_hybrid(store):
    fill(store)
    store.create_text_index()
    assert [d.id for d in store.search("tart", "keyword", k=2)] == ["apple_tart"]
    assert store.search("apple pie", "hybrid", k=1)[0].id == "apple_pie"
    kw = store.as_retriever(search_type="keyword", search_kwargs={"k": 2, "filter": {"kind": "baked"}})
    assert [d.id for d in kw.invoke("apple")] in (["apple_pie", "apple_tart"], ["apple_tart", "apple_pie"])
    hy = store.as_retriever(search_type="hybrid", search_kwargs={"k": 1, "fusion": "weighted", "alpha": 0.9})
    assert [d.id for d in hy.invoke("apple pie")] == ["apple_pie"]
    assert [d.id for d in store.as_retriever(search_kwargs={"k": 1}).invoke("banana")] == ["banana"]
    with pytest.raises(ValueError, match="search_type"):
        store.as_retriever(search_type="fuzzy")
    with pytest.raises(ValueError, match="search_type"):
        store.search("apple", "fuzzy")


def test_async_keyword_and_hybrid_run_off_the_event_loop(tmp_path, monkeypatch):
    seen = _record_threads(monkeypatch, ["search_text", "hybrid_search"])
    emb = AsyncOnlyEmbeddings(TABLE)

    async def main():
        s = HeronDBVectorStore(emb, tmp_path / "akh")
        s.create_text_index()
        await s.aadd_texts(["apple", "apple pie", "banana"], ids=["a", "p", "b"])
        assert [d.id for d in await s.akeyword_search("pie", k=2)] == ["p"]
        assert [d.id for d, _ in await s.akeyword_search_with_score("banana")] == ["b"]
        assert (await s.ahybrid_search("apple pie", k=1))[0].id == "p"
        assert (await s.ahybrid_search_with_score("banana", k=1))[0][0].id == "b"
        assert [d.id for d in await s.asearch("pie", "keyword")] == ["p"]
        retriever = s.as_retriever(search_type="hybrid", search_kwargs={"k": 1})
        assert [d.id for d in await retriever.ainvoke("apple pie")] == ["p"]
        s.close()

    asyncio.run(main())
    assert {name for name, _ in seen} == {"search_text", "hybrid_search"}
    assert not any(on_main for _, on_main in seen), seen


def test_the_core_package_imports_neither_framework():
    import subprocess
    import sys

    code = ("import sys, herondb; "
            "print(sorted(m for m in ('langchain_core', 'llama_index') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_two_stores_on_one_missing_collection_share_it(tmp_path, emb):
    with herondb.Client(str(tmp_path / "root")) as client:
        first = HeronDBVectorStore(emb, client=client, collection_name="shared")
        second = HeronDBVectorStore(emb, client=client, collection_name="shared")
        first.add_texts(["apple"], ids=["a"])
        second.add_texts(["banana"], ids=["b"])
        assert first.database is second.database
        assert sorted(client.get_collection("shared").ids()) == ["a", "b"]
